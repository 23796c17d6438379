// The character-level corpus: vocabulary round trip and saved form, UTF-8, the 90/10 split, windows, BERT's
// masking rule (with binomial bounds), and clear errors for missing, empty, bad and out-of-vocabulary input.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/data_error.h"
#include "data/text_corpus.h"
#include "data/vocabulary.h"
#include "test_support.h"

using namespace cimtrain::data;
using cimtrain::testing_support::fresh_dir;

namespace {

std::string write_file(const std::string& dir, const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::path(dir) / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no DataError)";
}

TEST(Vocabulary, RoundTripSortedDistinctAndSaved) {
  const std::string text = "To be, or not to be: that is the question. Ünïcødé ✓\n";
  const auto v = Vocabulary::from_text(decode_utf8(text));
  for (size_t i = 1; i < v.chars().size(); ++i) EXPECT_LT(v.chars()[i - 1], v.chars()[i]);
  const auto ids = v.encode_utf8_text(text);
  EXPECT_EQ(v.decode(ids), text);
  EXPECT_GE(ids.min().item<int64_t>(), 0);
  EXPECT_LT(ids.max().item<int64_t>(), v.size());
  const auto again = Vocabulary::from_json(nlohmann::json::parse(v.to_json().dump()));
  EXPECT_EQ(again.chars(), v.chars());
  EXPECT_TRUE(at::equal(again.encode_utf8_text(text), ids));
  // Out of vocabulary: the message names the character and where it is.
  const auto msg = error_of([&] { v.encode_utf8_text("to bez"); });
  EXPECT_NE(msg.find("'z'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("position 5"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] {
              v.decode(at::tensor({int64_t{0}, v.size()}));
            }).find("outside the vocabulary"),
            std::string::npos);
  EXPECT_NE(error_of([] { Vocabulary::from_json(nlohmann::json::parse("[66, 65]")); }).find("sorted"),
            std::string::npos);
  EXPECT_NE(error_of([] { Vocabulary::from_text(U""); }).find("empty"), std::string::npos);
  EXPECT_NE(error_of([] { decode_utf8("ok\xff", "f.txt"); }).find("f.txt: invalid UTF-8 at byte 2"), std::string::npos);
}

TEST(TextCorpus, SplitsNinetyTenAndRejectsBadFiles) {
  const auto dir = fresh_dir("text_corpus");
  std::string text;
  for (int i = 0; i < 100; ++i) text += static_cast<char>('a' + i % 26);
  const auto c = load_text_corpus(write_file(dir, "t.txt", text));
  EXPECT_EQ(c.vocab.size(), 26);
  EXPECT_EQ(c.train.numel(), 90);
  EXPECT_EQ(c.validation.numel(), 10);
  EXPECT_EQ(c.vocab.decode(c.train) + c.vocab.decode(c.validation), text);  // in order, nothing lost

  EXPECT_NE(error_of([&] { load_text_corpus(dir + "/missing.txt"); }).find("missing.txt: no such file"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_text_corpus(write_file(dir, "empty.txt", "")); }).find("empty"), std::string::npos);
  EXPECT_NE(error_of([&] { load_text_corpus(write_file(dir, "bad.txt", "abc\xc3")); }).find("invalid UTF-8"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_text_corpus(write_file(dir, "short.txt", "abc")); }).find("too few"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_text_corpus(dir); }).find("is a folder"), std::string::npos);
}

TEST(TextCorpus, TinyShakespeareLoads) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_shakespeare(), "shakespeare");
  const auto path = default_text_path();
  const auto c = load_text_corpus(path);
  EXPECT_EQ(c.vocab.size(), 65);  // the data README: 65 distinct characters
  EXPECT_EQ(c.train.numel() + c.validation.numel(), 1115394);
  EXPECT_NEAR(static_cast<double>(c.validation.numel()) / 1115394.0, 0.1, 1e-6);
}

TEST(TextWindows, TargetsAreTheNextCharactersAndSeeded) {
  const auto tokens = at::arange(1000, at::kLong);
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(3), g2 = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto a = random_windows(tokens, 16, 32, g1), b = random_windows(tokens, 16, 32, g2);
  EXPECT_TRUE(at::equal(a.input, b.input));
  EXPECT_EQ(a.input.sizes(), (std::vector<int64_t>{16, 32}));
  EXPECT_TRUE(at::equal(a.target, a.input + 1));                                   // tokens are their positions here
  EXPECT_TRUE(at::equal(a.input.narrow(1, 1, 31), a.input.narrow(1, 0, 31) + 1));  // contiguous windows
  EXPECT_LT(a.target.max().item<int64_t>(), 1000);
  EXPECT_NE(error_of([&] { random_windows(at::arange(10, at::kLong), 2, 10, g1); }).find("more than 10"),
            std::string::npos);
}

// 15% of positions chosen; of those 80% [MASK], 10% random, 10% kept; targets only at chosen positions.
TEST(TextMasking, BertRuleFrequencies) {
  const int64_t n = 400000, vocab = 65, mask_id = 65;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto tokens = at::randint(vocab, {n}, gen, at::kLong);
  const auto m = mask_characters(tokens, vocab, mask_id, gen);
  const auto chosen = m.target != -100;
  EXPECT_TRUE(at::equal(m.target.masked_select(chosen), tokens.masked_select(chosen)));
  EXPECT_TRUE(at::equal(m.input.masked_select(~chosen), tokens.masked_select(~chosen)));  // unchosen untouched
  const auto k = chosen.sum().item<double>();
  const auto within = [](double count, double trials, double p, const char* what) {
    EXPECT_NEAR(count / trials, p, 5 * std::sqrt(p * (1 - p) / trials)) << what;
  };
  within(k, n, 0.15, "chosen");
  const auto masked = (m.input == mask_id).sum().item<double>();
  within(masked, k, 0.8, "masked among chosen");
  // Random replacements land on the original id 1/65 of the time: changed = 0.1 (1 - 1/65) of the chosen.
  const auto changed = (chosen & (m.input != mask_id) & (m.input != tokens)).sum().item<double>();
  within(changed, k, 0.1 * (1 - 1.0 / vocab), "replaced by another id among chosen");
  const auto kept = (chosen & (m.input == tokens)).sum().item<double>();
  within(kept, k, 0.1 + 0.1 / vocab, "kept among chosen");
}

}  // namespace
