// Character-level corpus, windows and masking (see text_corpus.h).
#include "data/text_corpus.h"

#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/data_error.h"
#include "data/data_location.h"

namespace cimtrain::data {

std::string text_path_for(const std::string& data, const std::string& dir) {
  if (data != "shakespeare") return data;
  return dir.empty() ? default_text_path() : dir + "/input.txt";
}

TextCorpus load_text_corpus(const std::string& path, double validation_fraction, int64_t min_part) {
  if (!(validation_fraction > 0 && validation_fraction < 1))
    throw DataError(fmt::format("validation fraction must be in (0, 1), found {}", validation_fraction));
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw DataError(fmt::format("{}: no such file (expected a UTF-8 text file){}", path,
                                path == default_text_path() ? "; " + where_to_get("shakespeare") : ""));
  if (std::filesystem::is_directory(path, ec))
    throw DataError(fmt::format("{}: is a folder, expected a text file", path));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw DataError(fmt::format("{}: cannot be read (permissions?)", path));
  std::ostringstream buf;
  buf << f.rdbuf();
  const std::string bytes = buf.str();
  if (bytes.empty()) throw DataError(fmt::format("{}: the file is empty (expected a text to learn from)", path));
  const auto text = decode_utf8(bytes, path);
  TextCorpus c;
  c.path = path;
  c.vocab = Vocabulary::from_text(text);
  const auto ids = c.vocab.encode(text);
  const int64_t n = ids.numel();
  const auto n_val = static_cast<int64_t>(std::llround(static_cast<double>(n) * validation_fraction));
  if (n - n_val < min_part || n_val < min_part)
    throw DataError(
        fmt::format("{}: {} characters are too few to split into training and validation parts of at "
                    "least {} characters each",
                    path, n, min_part));
  c.train = ids.narrow(0, 0, n - n_val).contiguous();
  c.validation = ids.narrow(0, n - n_val, n_val).contiguous();
  return c;
}

TextBatch random_windows(const at::Tensor& tokens, int64_t batch, int64_t context, at::Generator& gen) {
  TORCH_CHECK(tokens.dim() == 1 && tokens.scalar_type() == at::kLong, "tokens must be int64 [n], found ",
              tokens.sizes(), " ", tokens.scalar_type());
  TORCH_CHECK(batch > 0 && context > 0, "batch and context must be > 0, found ", batch, " and ", context);
  if (tokens.numel() <= context)
    throw DataError(fmt::format("a window of {} characters needs a text of more than {} characters, found {}", context,
                                context, tokens.numel()));
  const auto start = at::randint(tokens.numel() - context, {batch}, gen, at::kLong);
  const auto offsets = at::arange(context, at::kLong);
  const auto idx = start.unsqueeze(1) + offsets.unsqueeze(0);  // [batch, context]
  return {tokens.index_select(0, idx.reshape({-1})).view({batch, context}),
          tokens.index_select(0, (idx + 1).reshape({-1})).view({batch, context})};
}

MaskedBatch mask_characters(const at::Tensor& tokens, int64_t vocab_size, int64_t mask_id, at::Generator& gen, double p,
                            int64_t ignore_index) {
  TORCH_CHECK(tokens.scalar_type() == at::kLong, "tokens must be int64, found ", tokens.scalar_type());
  TORCH_CHECK(p > 0 && p <= 1 && vocab_size > 0, "masking probability must be in (0, 1] and the vocabulary non-empty");
  const auto u = at::rand(tokens.sizes(), gen);
  const auto action = at::rand(tokens.sizes(), gen);  // < 0.8 mask, < 0.9 random, else keep
  const auto random_ids = at::randint(vocab_size, tokens.sizes(), gen, at::kLong);
  const auto chosen = u < p;
  auto input = at::where(chosen & (action < 0.8), at::full_like(tokens, mask_id), tokens);
  input = at::where(chosen & (action >= 0.8) & (action < 0.9), random_ids, input);
  const auto target = at::where(chosen, tokens, at::full_like(tokens, ignore_index));
  return {input, target};
}

}  // namespace cimtrain::data
