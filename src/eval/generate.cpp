// Character-by-character sampling (see generate.h).
#include "eval/generate.h"

#include <torch/utils.h>

#include <stdexcept>

namespace cimtrain::eval {

std::string generate_text(models::Transformer& model, const data::Vocabulary& vocab, const std::string& prompt,
                          const GenerateOptions& options, at::Generator& gen) {
  if (prompt.empty()) throw std::invalid_argument("generation needs a prompt of at least one character");
  if (options.length < 0 || options.temperature < 0)
    throw std::invalid_argument("generation needs length >= 0 and temperature >= 0");
  if (vocab.size() != model.vocab_size())
    throw std::invalid_argument("the vocabulary has " + std::to_string(vocab.size()) + " characters, the model " +
                                std::to_string(model.vocab_size()));
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  auto ids = vocab.encode_utf8_text(prompt);  // throws DataError naming an unknown character
  std::vector<int64_t> text(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
  // GPT reads the last `context` characters and predicts the next; BERT reads the last `context - 1` and a
  // mask after them, placed at the end of its context, and predicts the masked character (its left context
  // only: what a masked model can do).
  const int64_t keep = model.causal() ? model.context() : model.context() - 1;
  for (int64_t i = 0; i < options.length; ++i) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(text.size()), keep);
    std::vector<int64_t> input(text.end() - n, text.end());
    if (!model.causal()) input.push_back(model.mask_id());
    const auto window = at::tensor(input, at::kLong).unsqueeze(0);
    const int64_t length = static_cast<int64_t>(input.size());
    // BERT: the mask goes to the last position of the context, where training's masks had no right context.
    const int64_t first = model.causal() ? 0 : model.context() - length;
    const auto logits = model.forward_at(window, first)[0][length - 1].to(at::kFloat);
    int64_t next;
    if (options.temperature == 0) {
      next = logits.argmax().item<int64_t>();
    } else {
      const auto probs = at::softmax(logits / options.temperature, 0);
      next = at::multinomial(probs, 1, false, gen).item<int64_t>();
    }
    text.push_back(next);
  }
  model.train(was_training);
  return vocab.decode(at::tensor(text, at::kLong));
}

}  // namespace cimtrain::eval
