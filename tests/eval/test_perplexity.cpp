// Perplexity: an untrained model's is near the vocabulary size, the windows cover the text and match a direct
// computation (GPT and BERT), the chip evaluation is deterministic per seed, and short texts are rejected.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "data/text_corpus.h"
#include "eval/perplexity_on_chip.h"
#include "nn/convert.h"
#include "sim/presets.h"
#include "transformer_support.h"

using namespace cimtrain;

namespace {

models::TransformerOptions tiny() { return testing_support::transformer_options(20, 8, 1, 2, 16); }

TEST(Perplexity, UntrainedModelIsNearTheVocabularySize) {
  torch::manual_seed(1);
  auto gpt = models::make_gpt(tiny());
  const auto tokens = torch::randint(20, {2000}, torch::kLong);
  const double ppl = train::perplexity(*gpt, tokens);
  EXPECT_GT(ppl, 20 * 0.75);
  EXPECT_LT(ppl, 20 * 1.33);
}

TEST(Perplexity, GptWindowsMatchADirectComputation) {
  torch::manual_seed(2);
  auto gpt = models::make_gpt(tiny());
  const auto tokens = torch::randint(20, {2 * 8 + 1}, torch::kLong);  // exactly two windows
  train::PerplexityOptions o;
  o.batch = 1;  // batching must not matter
  const double ce = train::mean_cross_entropy(*gpt, tokens, o);
  torch::NoGradGuard no_grad;
  gpt->eval();
  const auto input = tokens.narrow(0, 0, 16).view({2, 8}), target = tokens.narrow(0, 1, 16).view({2, 8});
  const double direct =
      at::cross_entropy_loss(gpt->forward(input).reshape({-1, 20}), target.reshape({-1})).item<double>();
  EXPECT_NEAR(ce, direct, 1e-5);
}

TEST(Perplexity, BertScoresTheMaskedPositionsOnly) {
  torch::manual_seed(3);
  auto bert = models::make_bert(tiny());
  const auto tokens = torch::randint(20, {8 * 40}, torch::kLong);
  train::PerplexityOptions o;
  o.mask_seed = 7;
  o.batch = 40;
  const double ce = train::mean_cross_entropy(*bert, tokens, o);
  EXPECT_EQ(ce, train::mean_cross_entropy(*bert, tokens, o)) << "the masking is seeded";
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const auto m = data::mask_characters(tokens.view({40, 8}), 20, bert->mask_id(), gen);
  torch::NoGradGuard no_grad;
  bert->eval();
  const double direct = at::cross_entropy_loss(bert->forward(m.input).reshape({-1, 20}), m.target.reshape({-1}), {},
                                               at::Reduction::Mean, -100)
                            .item<double>();
  EXPECT_NEAR(ce, direct, 1e-5);
  // One masking of all windows: the batch size does not change which positions are scored.
  for (const int64_t batch : {1, 7, 64}) {
    o.batch = batch;
    EXPECT_NEAR(train::mean_cross_entropy(*bert, tokens, o), ce, 1e-5) << "batch " << batch;
  }
}

TEST(Perplexity, OnChipInstancesDeterministicPerSeed) {
  const auto tokens = torch::randint(20, {200}, torch::kLong);
  std::vector<std::vector<eval::LevelResult>> runs;
  for (int r = 0; r < 2; ++r) {
    torch::manual_seed(4);
    auto gpt = models::make_gpt(tiny());
    auto ctx = nn::AnalogContext::make(nn::GradientMode::kClean, sim::preset_config("rram"), 5);
    nn::convert_to_analog(*gpt, ctx);
    eval::ChipEvalOptions chip;
    chip.levels = {1, 3};
    chip.instances = 2;
    chip.seed = 6;
    runs.push_back(eval::perplexity_on_chip(*gpt, *ctx, tokens, chip, {}, tokens.narrow(0, 0, 64).view({8, 8})));
  }
  ASSERT_EQ(runs[0].size(), 2u);
  for (size_t l = 0; l < 2; ++l) {
    EXPECT_EQ(runs[0][l].values, runs[1][l].values);
    for (double v : runs[0][l].values) EXPECT_TRUE(std::isfinite(v) && v > 1.0) << v;
  }
}

TEST(Perplexity, ShortTextIsRejected) {
  auto gpt = models::make_gpt(tiny());
  EXPECT_THROW(train::perplexity(*gpt, torch::randint(20, {8}, torch::kLong)), std::invalid_argument);
}

}  // namespace
