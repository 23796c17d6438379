// Generation: deterministic for a seed (on the float model and on a programmed chip), greedy at temperature 0,
// the requested length, BERT sampling a mask after the text, and clear errors for unknown characters and bad
// options.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/data_error.h"
#include "eval/generate.h"
#include "nn/analog_context.h"
#include "nn/convert.h"
#include "sim/presets.h"
#include "transformer_support.h"

using namespace cimtrain;

namespace {

data::Vocabulary shakespeare_like() {
  return data::Vocabulary::from_text(
      data::decode_utf8("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ,.;:!?'\n-&$3"));
}

std::shared_ptr<models::Transformer> small_gpt(int64_t vocab) {
  torch::manual_seed(4);
  return models::make_gpt(testing_support::transformer_options(vocab, 16, 1, 2, 16));
}

std::string sample(models::Transformer& m, const data::Vocabulary& v, uint64_t seed, double temperature = 1.0) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return eval::generate_text(m, v, "ROMEO:", {40, temperature}, gen);
}

TEST(Generate, SeededLengthAndGreedy) {
  const auto vocab = shakespeare_like();
  ASSERT_EQ(vocab.size(), 65);
  auto gpt = small_gpt(vocab.size());
  const auto a = sample(*gpt, vocab, 1), b = sample(*gpt, vocab, 1), c = sample(*gpt, vocab, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), 6u + 40u);  // ASCII here: one byte per character
  EXPECT_EQ(a.substr(0, 6), "ROMEO:");
  EXPECT_EQ(sample(*gpt, vocab, 1, 0.0), sample(*gpt, vocab, 2, 0.0)) << "temperature 0 is greedy";
}

TEST(Generate, DeterministicOnAProgrammedChip) {
  const auto vocab = shakespeare_like();
  std::vector<std::string> out;
  for (int k = 0; k < 2; ++k) {
    auto gpt = small_gpt(vocab.size());
    auto ctx = nn::AnalogContext::make(nn::GradientMode::kClean, sim::preset_config("rram"), 9);
    nn::convert_to_analog(*gpt, ctx);
    gpt->eval();
    auto chip_gen = at::make_generator<at::CPUGeneratorImpl>(5);
    nn::program_chip(*gpt, chip_gen);
    out.push_back(sample(*gpt, vocab, 3));
  }
  EXPECT_EQ(out[0], out[1]) << "the same seeds give the same chip, read noise and samples";
  auto gpt = small_gpt(vocab.size());
  EXPECT_NE(sample(*gpt, vocab, 3), out[0]) << "the float model writes something else than the chip";
}

TEST(Generate, BertSamplesAMaskPlacedAfterTheText) {
  const auto vocab = shakespeare_like();
  torch::manual_seed(4);
  auto bert = models::make_bert(testing_support::transformer_options(vocab.size(), 16, 1, 2, 16));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto greedy = eval::generate_text(*bert, vocab, "ROMEO:", {1, 0.0}, gen);
  torch::NoGradGuard no_grad;
  bert->eval();
  auto ids = vocab.encode_utf8_text("ROMEO:");
  const auto input = at::cat({ids, at::full({1}, bert->mask_id(), at::kLong)}).unsqueeze(0);
  // The mask sits at the last position of the context (16): the 7 inputs take positions 9..15.
  const int64_t expected = bert->forward_at(input, 16 - 7)[0][6].argmax().item<int64_t>();
  EXPECT_FALSE(bert->forward(input)[0][6].equal(bert->forward_at(input, 9)[0][6])) << "the positions matter";
  EXPECT_THROW(bert->forward_at(input, 10), c10::Error) << "positions beyond the context";
  EXPECT_EQ(greedy, "ROMEO:" + vocab.decode(at::full({1}, expected, at::kLong)));
  // Longer than the context: the window slides (context - 1 characters and the mask).
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(3), g2 = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto a = eval::generate_text(*bert, vocab, "ROMEO:", {30, 1.0}, g1);
  const auto b = eval::generate_text(*bert, vocab, "ROMEO:", {30, 1.0}, g2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 36u);
}

TEST(Generate, ClearErrors) {
  const auto vocab = shakespeare_like();
  auto gpt = small_gpt(vocab.size());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  try {
    eval::generate_text(*gpt, vocab, "ROMEO~", {5, 1.0}, gen);
    FAIL() << "expected a DataError";
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("'~'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(eval::generate_text(*gpt, vocab, "", {5, 1.0}, gen), std::invalid_argument);
  EXPECT_THROW(eval::generate_text(*gpt, vocab, "A", {-1, 1.0}, gen), std::invalid_argument);
}

}  // namespace
