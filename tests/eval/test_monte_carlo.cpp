// The Monte-Carlo summary statistics of chip evaluation: mean, sample standard deviation and the Student-t
// 95% interval over instances, and their JSON form; chip instances programmed from a list of layers; BatchNorm
// re-estimated per instance.
#include <gtest/gtest.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/utils.h>

#include <cmath>

#include "eval/monte_carlo.h"
#include "nn/analog_linear.h"
#include "nn/batchnorm_reestimation.h"
#include "nn/convert.h"
#include "sim/presets.h"

using namespace cimtrain;
using namespace cimtrain::eval;

namespace {

TEST(MonteCarlo, SummarizeMatchesHandComputedStatistics) {
  // mean 0.80; deviations 0, .02, -.02, .05, -.05: sum of squares 0.0058, sample variance 0.00145.
  const auto r = summarize(2.0, {0.80, 0.82, 0.78, 0.85, 0.75});
  EXPECT_EQ(r.level, 2.0);
  EXPECT_EQ(r.values.size(), 5u);
  EXPECT_NEAR(r.mean, 0.80, 1e-12);
  EXPECT_NEAR(r.std, 0.0380788655293, 1e-10);
  const double half = 2.776 * 0.0380788655293 / std::sqrt(5.0);  // t(4) = 2.776
  EXPECT_NEAR(r.ci_low, 0.80 - half, 1e-6);
  EXPECT_NEAR(r.ci_high, 0.80 + half, 1e-6);

  const auto two = summarize(1.0, {0.5, 0.7});  // t(1) = 12.706, std = 0.1414..
  EXPECT_NEAR(two.mean, 0.6, 1e-12);
  EXPECT_NEAR(two.std, std::sqrt(0.02), 1e-12);
  EXPECT_NEAR(two.ci_high - two.mean, 12.706 * std::sqrt(0.02) / std::sqrt(2.0), 1e-6);

  const auto one = summarize(3.0, {0.9});
  EXPECT_EQ(one.mean, 0.9);
  EXPECT_EQ(one.std, 0.0);
  EXPECT_EQ(one.ci_low, 0.9);
  EXPECT_EQ(one.ci_high, 0.9);

  const auto j = to_json(r);
  EXPECT_EQ(j["level"], 2.0);
  EXPECT_EQ(j["instances"], 5);
  EXPECT_NEAR(j["ci95"][0].get<double>(), r.ci_low, 1e-15);
  EXPECT_NEAR(j["ci95"][1].get<double>(), r.ci_high, 1e-15);
}

}  // namespace

namespace {
struct TwoLayers : torch::nn::Module {
  TwoLayers() {
    a = register_module("a", nn::AnalogLinear(12, 9));
    b = register_module("b", nn::AnalogLinear(9, 5));
  }
  at::Tensor forward(const at::Tensor& x) { return b->forward(at::relu(a->forward(x))); }
  nn::AnalogLinear a{nullptr}, b{nullptr};
};
}  // namespace

TEST(MonteCarlo, ProgrammingListedLayersGivesTheModelsInstance) {
  torch::manual_seed(3);
  TwoLayers model, copy;
  {
    torch::NoGradGuard no_grad;
    for (auto& item : copy.named_parameters()) item.value().copy_(model.named_parameters()[item.key()]);
  }
  auto context = nn::AnalogContext::make(nn::GradientMode::kSte, sim::preset_config("rram"), 9);
  auto other = nn::AnalogContext::make(nn::GradientMode::kSte, sim::preset_config("rram"), 123);
  nn::convert_to_analog(model, context);
  nn::convert_to_analog(copy, other);
  model.eval();
  copy.eval();
  const auto x = torch::randn({4, 12});
  program_instance(model, *context, 7, 2.0, 3);
  program_instance(nn::analog_layer_list(copy), 7, 2.0, 3);
  EXPECT_EQ(other->level(), 1.0);  // the level was changed only while programming
  EXPECT_TRUE(at::equal(model.forward(x), copy.forward(x)));
  nn::clear_chip(nn::analog_layer_list(copy));
  EXPECT_TRUE(at::equal(copy.forward(x), copy.b->forward(at::relu(copy.a->forward(x)))));
  EXPECT_FALSE(copy.a->programmed());
}

namespace {
struct WithBatchNorm : torch::nn::Module {
  WithBatchNorm() {
    a = register_module("a", nn::AnalogLinear(12, 9));
    bn = register_module("bn", torch::nn::BatchNorm1d(9));
    b = register_module("b", nn::AnalogLinear(9, 5));
  }
  at::Tensor forward(const at::Tensor& x) { return b->forward(at::relu(bn->forward(a->forward(x)))); }
  nn::AnalogLinear a{nullptr}, b{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
}  // namespace

// Per-instance BatchNorm re-estimation in the Monte-Carlo loop: each instance's value is the one of the instance
// programmed, re-estimated through itself and measured by hand; the trained statistics are back afterwards; the
// re-estimation really changes the result.
TEST(MonteCarlo, BatchNormIsReestimatedPerInstanceAndTheTrainedStatisticsComeBack) {
  torch::manual_seed(5);
  WithBatchNorm model;
  auto context = nn::AnalogContext::make(nn::GradientMode::kSte, sim::preset_config("rram"), 9);
  nn::convert_to_analog(model, context);
  {
    torch::NoGradGuard no_grad;
    model.bn->running_mean.fill_(0.3);  // trained statistics unlike the data's
    model.bn->running_var.fill_(2.0);
  }
  model.eval();
  const auto x = torch::randn({16, 12}), calibration = torch::randn({64, 12}) * 1.5;
  const auto metric = [&] {
    torch::NoGradGuard no_grad;
    return model.forward(x).sum().item<double>();
  };
  const auto reestimate = [&] {
    for (int i = 0; i < 64; i += 32) model.forward(calibration.narrow(0, i, 32));
  };
  ChipEvalOptions o;
  o.levels = {2.0};
  o.instances = 2;
  o.seed = 11;
  const auto with = monte_carlo_on_chip(model, *context, o, metric, {}, {}, reestimate);
  EXPECT_TRUE(at::equal(model.bn->running_mean, at::full({9}, 0.3f)));
  EXPECT_TRUE(at::equal(model.bn->running_var, at::full({9}, 2.0f)));
  const auto without = monte_carlo_on_chip(model, *context, o, metric);
  for (int k = 0; k < 2; ++k) {
    nn::BatchNormStatsBackup trained(model);
    program_instance(model, *context, 11, 2.0, k, {}, reestimate);
    EXPECT_EQ(with[0].values[k], metric()) << "instance " << k;
    nn::clear_chip(model);
    EXPECT_NE(with[0].values[k], without[0].values[k]) << "instance " << k;
  }
}
