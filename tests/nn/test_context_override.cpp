// The analog context and its scoped overrides: every temporary change comes back at the end of the scope
// (exceptions included), the built chip follows the config's level, and a layer's forward_with() computes
// parameters owned elsewhere exactly as the layer's own.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <stdexcept>

#include "common/errors.h"
#include "nn/analog_context.h"
#include "nn/analog_conv2d.h"
#include "nn/analog_linear.h"
#include "nn/context_override.h"
#include "nn/convert.h"
#include "sim/presets.h"

using namespace cimtrain;

namespace {

std::shared_ptr<nn::AnalogContext> make_context() {
  auto c = nn::AnalogContext::make(nn::GradientMode::kSte, sim::preset_config("rram"), 1);
  c->set_gaussian_sigma(0.04);
  c->set_neft(0.1, 4);
  c->set_conditions({7200.0, 310.0});
  return c;
}

void expect_as_made(const nn::AnalogContext& c) {
  EXPECT_EQ(c.mode(), nn::GradientMode::kSte);
  EXPECT_DOUBLE_EQ(c.level(), 1.0);
  EXPECT_DOUBLE_EQ(c.chip().config().level, 1.0) << "the built chip follows the config";
  EXPECT_DOUBLE_EQ(c.gaussian_sigma(), 0.04);
  EXPECT_DOUBLE_EQ(c.neft_sigma(), 0.1);
  EXPECT_DOUBLE_EQ(c.neft_s(), 4.0);
  EXPECT_DOUBLE_EQ(c.conditions().time_s, 7200.0);
  EXPECT_DOUBLE_EQ(c.conditions().temperature_K, 310.0);
  EXPECT_FALSE(c.calibrating());
}

TEST(ContextOverride, EveryChangeComesBackAtTheEndOfTheScope) {
  auto c = make_context();
  {
    nn::ContextOverride o(*c);
    o.mode(nn::GradientMode::kClean).level(3).conditions({60.0, 350.0}).calibrating();
    EXPECT_EQ(c->mode(), nn::GradientMode::kClean);
    EXPECT_DOUBLE_EQ(c->level(), 3.0);
    EXPECT_DOUBLE_EQ(c->chip().config().level, 3.0);
    EXPECT_DOUBLE_EQ(c->conditions().time_s, 60.0);
    EXPECT_TRUE(c->calibrating());
  }
  expect_as_made(*c);
}

TEST(ContextOverride, RestoresWhenTheScopeThrows) {
  auto c = make_context();
  EXPECT_THROW(
      {
        nn::ContextOverride o(*c);
        o.level(2).mode(nn::GradientMode::kFull);
        throw std::runtime_error("a failing forward");
      },
      std::runtime_error);
  expect_as_made(*c);
}

TEST(ContextOverride, RaisesNeftSigmaAndScalesTheChipAndGaussianNoiseByTheSameFactor) {
  auto c = make_context();
  {
    nn::ContextOverride o(*c);
    o.raise_noise(0.15, 0.1);  // factor 2.5
    EXPECT_NEAR(c->neft_sigma(), 0.25, 1e-12);
    EXPECT_NEAR(c->gaussian_sigma(), 0.1, 1e-12);
    EXPECT_NEAR(c->level(), 2.5, 1e-12);
    {
      nn::ContextOverride nested(*c);
      nested.raise_noise(0.05, 0.1);  // on top: x 1.5
      EXPECT_NEAR(c->level(), 3.75, 1e-12);
    }
    EXPECT_NEAR(c->level(), 2.5, 1e-12);
  }
  expect_as_made(*c);
  nn::ContextOverride o(*c);
  EXPECT_THROW(o.raise_noise(0.1, 0.0), std::invalid_argument);
}

TEST(ContextOverride, InvalidSettingsAreRefusedAndLeaveTheContextAsItWas) {
  auto c = make_context();
  {
    nn::ContextOverride o(*c);
    EXPECT_THROW(o.level(-1), common::ConfigError);
    EXPECT_THROW(o.conditions({-5.0, 300.0}), common::ConfigError);
  }
  EXPECT_THROW(c->set_gaussian_sigma(-0.1), common::ConfigError);
  EXPECT_THROW(c->set_neft(0.1, 0), common::ConfigError);
  expect_as_made(*c);
}

TEST(AnalogLayerForwardWith, ExternalParametersGiveTheLayersOwnResultAndGradients) {
  torch::manual_seed(3);
  auto layer = nn::AnalogConv2d(nn::AnalogConv2dOptions(3, 8, 3).padding(1));
  auto context = nn::AnalogContext::make(nn::GradientMode::kSte, sim::preset_config("rram"), 9);
  nn::convert_to_analog(*layer, context);
  layer->train();
  const auto x = at::randn({2, 3, 8, 8});
  const auto w = layer->weight.detach().clone().requires_grad_(true);
  const auto b = layer->bias.detach().clone().requires_grad_(true);
  context->reseed(11);
  const auto own = layer->forward(x);
  own.sum().backward();
  context->reseed(11);
  const auto external = layer->forward_with(x, w, b, /*training=*/true);
  external.sum().backward();
  EXPECT_TRUE(at::equal(own, external));
  EXPECT_TRUE(at::equal(layer->weight.grad(), w.grad()));
  EXPECT_TRUE(at::equal(layer->bias.grad(), b.grad()));
}

TEST(AnalogLayerForwardWith, ProgrammingGivenWeightsEqualsProgrammingTheLayersOwn) {
  torch::manual_seed(4);
  auto layer = nn::AnalogLinear(48, 16);
  auto context = nn::AnalogContext::make(nn::GradientMode::kClean, sim::preset_config("rram"), 2);
  nn::convert_to_analog(*layer, context);
  layer->eval();
  torch::NoGradGuard no_grad;
  const auto x = at::randn({5, 48});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  layer->program(gen);
  context->reseed(1);
  const auto own = layer->forward(x);
  gen = at::make_generator<at::CPUGeneratorImpl>(21);
  layer->program(gen, layer->weight.clone());
  context->reseed(1);
  EXPECT_TRUE(at::equal(own, layer->forward(x)));
}

}  // namespace
