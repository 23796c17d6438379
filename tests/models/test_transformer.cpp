// The character-level transformers: ALiBi biases, causal masking (GPT) and its absence (BERT), every projection
// analog, the untrained loss near ln(vocab), the STE variants' identical gradients through whole blocks on the
// chip, and clear errors for bad options and inputs.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "models/transformer.h"
#include "nn/analog_context.h"
#include "nn/convert.h"
#include "sim/presets.h"
#include "transformer_support.h"

using namespace cimtrain;

namespace {

models::TransformerOptions small(int64_t vocab = 65) {
  return testing_support::transformer_options(vocab, 16, 2, 2, 32);
}

TEST(Transformer, AlibiBiasesFollowTheFormula) {
  for (const bool causal : {false, true}) {
    const auto bias = models::alibi_bias(4, 6, causal, at::kCPU);
    ASSERT_EQ(bias.sizes(), (std::vector<int64_t>{4, 6, 6}));
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t i = 0; i < 6; ++i)
        for (int64_t j = 0; j < 6; ++j) {
          const double got = bias[h][i][j].item<double>();
          if (causal && j > i) {
            EXPECT_TRUE(std::isinf(got) && got < 0) << "the future is masked";
          } else {
            EXPECT_NEAR(got, -std::pow(2.0, -8.0 * (h + 1) / 4) * std::abs(i - j), 1e-6) << h << " " << i << " " << j;
          }
        }
  }
}

TEST(Transformer, GptIsCausalAndBertIsNot) {
  torch::manual_seed(1);
  auto gpt = models::make_gpt(small());
  auto bert = models::make_bert(small());
  gpt->eval();
  bert->eval();
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(65, {3, 16}, torch::kLong);
  auto changed = tokens.clone();
  changed.narrow(1, 10, 6).random_(0, 65);  // positions 10..15 change
  for (auto* model : {static_cast<models::Transformer*>(gpt.get()), bert.get()}) {
    const auto a = model->forward(tokens), b = model->forward(changed);
    ASSERT_EQ(a.sizes(), (std::vector<int64_t>{3, 16, 65}));
    const double before = (a.narrow(1, 0, 10) - b.narrow(1, 0, 10)).abs().max().item<double>();
    if (model->causal())
      EXPECT_EQ(before, 0.0) << "GPT: outputs before position 10 must not see later characters";
    else
      EXPECT_GT(before, 1e-4) << "BERT: every position sees the whole input";
  }
}

TEST(Transformer, EveryProjectionIsAnalogAndEmbeddingsAreNot) {
  auto gpt = models::make_gpt(small());
  const auto report =
      nn::convert_to_analog(*gpt, nn::AnalogContext::make(nn::GradientMode::kSte, sim::preset_config("rram"), 1));
  // Per block qkv, attn_proj, fc, mlp_proj; and the head.
  EXPECT_EQ(report.analog.size(), 2u * 4u + 1u);
  EXPECT_TRUE(report.digital.empty());
  EXPECT_EQ(report.analog.back(), "head");
}

TEST(Transformer, UntrainedLossIsNearLnVocab) {
  torch::manual_seed(2);
  auto gpt = models::make_gpt(small());
  torch::NoGradGuard no_grad;
  const auto tokens = torch::randint(65, {8, 16}, torch::kLong);
  const auto logits = gpt->forward(tokens);
  const double loss = at::cross_entropy_loss(logits.reshape({-1, 65}), tokens.reshape({-1})).item<double>();
  EXPECT_NEAR(loss, std::log(65.0), 0.3);
}

// Through whole transformer blocks on a noisy chip, the three STE variants give the same values (to float
// rounding) and the same gradients for every parameter, for one seed.
TEST(Transformer, SteVariantsAgreeThroughBlocks) {
  const auto tokens = torch::randint(65, {4, 16}, torch::kLong);
  std::vector<std::vector<at::Tensor>> grads;
  std::vector<at::Tensor> losses;
  for (auto mode : {nn::GradientMode::kSte, nn::GradientMode::kSteNograd, nn::GradientMode::kSteDetach}) {
    torch::manual_seed(3);
    auto gpt = models::make_gpt(small());
    nn::convert_to_analog(*gpt, nn::AnalogContext::make(mode, sim::preset_config("rram"), 7));
    gpt->train();
    const auto loss = at::cross_entropy_loss(gpt->forward(tokens).reshape({-1, 65}), tokens.reshape({-1}));
    loss.backward();
    losses.push_back(loss.detach());
    std::vector<at::Tensor> g;
    for (const auto& p : gpt->parameters()) g.push_back(p.grad().clone());
    grads.push_back(g);
  }
  for (size_t m = 1; m < grads.size(); ++m) {
    EXPECT_NEAR(losses[m].item<double>(), losses[0].item<double>(), 1e-4);
    for (size_t i = 0; i < grads[0].size(); ++i)
      EXPECT_TRUE(at::allclose(grads[m][i], grads[0][i], 1e-3, 1e-5)) << "mode " << m << ", parameter " << i;
  }
  // The chip's noise is in the forward: the clean model's loss differs.
  torch::manual_seed(3);
  auto clean = models::make_gpt(small());
  torch::NoGradGuard no_grad;
  const double clean_loss =
      at::cross_entropy_loss(clean->forward(tokens).reshape({-1, 65}), tokens.reshape({-1})).item<double>();
  EXPECT_GT(std::abs(clean_loss - losses[0].item<double>()), 1e-4);
}

TEST(Transformer, BadOptionsAndInputsGetClearErrors) {
  auto o = small();
  o.heads = 3;  // 32 is not a multiple of 3
  EXPECT_THROW(models::make_gpt(o), std::invalid_argument);
  auto gpt = models::make_gpt(small());
  try {
    gpt->forward(torch::zeros({2, 17}, torch::kLong));
    FAIL() << "expected an error for a window longer than the context";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gpt->forward(torch::zeros({2, 4})), c10::Error);  // float ids
}

}  // namespace
