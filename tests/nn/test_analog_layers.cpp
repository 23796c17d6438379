// Analog layers: the gradient identities of the extended STE, the ideal chip against the float layer, the
// `full` and `gaussian` modes, conversion and chip programming (docs/design.md §2, §7).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/utils.h>

#include "models/small_cnn.h"
#include "nn/analog_conv2d.h"
#include "nn/analog_linear.h"
#include "nn/convert.h"
#include "sim/presets.h"

namespace {

using namespace cimtrain;
using nn::GradientMode;

struct Grads {
  at::Tensor y, gx, gw, gb;
};

sim::ChipConfig rram(double level = 1.0) {
  auto c = sim::preset_config("rram");
  c.level = level;
  return c;
}

// Forward + backward of a fresh copy of `layer` in `mode` (noise seeded by `seed`) with a fixed upstream grad.
template <class Layer>
Grads run(const Layer& proto, GradientMode mode, const at::Tensor& x_in, const sim::ChipConfig& chip,
          uint64_t seed = 5) {
  auto layer = std::dynamic_pointer_cast<typename Layer::Impl>(proto->clone());
  layer->set_context(nn::AnalogContext::make(mode, chip, seed));
  layer->context()->set_gaussian_sigma(0.05);
  layer->train();
  auto x = x_in.clone().requires_grad_(true);
  auto y = layer->forward(x);
  auto g = at::linspace(-1, 1, y.numel()).view(y.sizes());
  y.backward(g);
  return {y.detach(), x.grad(), layer->weight.grad(), layer->bias.defined() ? layer->bias.grad() : at::Tensor()};
}

nn::AnalogLinear make_linear() {
  torch::manual_seed(3);
  return nn::AnalogLinear(nn::AnalogLinearOptions(40, 24));
}
nn::AnalogConv2d make_conv() {
  torch::manual_seed(4);
  return nn::AnalogConv2d(nn::AnalogConv2dOptions(3, 8, 3).stride(2).padding(1).bias(true));
}
at::Tensor linear_input() {
  torch::manual_seed(6);
  return torch::randn({16, 40});
}
at::Tensor conv_input() {
  torch::manual_seed(7);
  return torch::randn({4, 3, 9, 11});
}

template <class Layer>
void expect_ste_gradient_is_clean(const Layer& layer, const at::Tensor& x) {
  const auto clean = run(layer, GradientMode::kClean, x, rram());
  for (auto mode : {GradientMode::kSte, GradientMode::kSteNograd, GradientMode::kSteDetach}) {
    const auto ste = run(layer, mode, x, rram());
    EXPECT_FALSE(at::allclose(ste.y, clean.y)) << to_string(mode) << ": the forward must carry the chip's noise";
    EXPECT_TRUE(at::equal(ste.gx, clean.gx)) << to_string(mode);
    EXPECT_TRUE(at::equal(ste.gw, clean.gw)) << to_string(mode);
    EXPECT_TRUE(at::equal(ste.gb, clean.gb)) << to_string(mode);
  }
}

TEST(AnalogLayers, SteGradientEqualsTheCleanLayersExactly) {
  expect_ste_gradient_is_clean(make_linear(), linear_input());
  expect_ste_gradient_is_clean(make_conv(), conv_input());
}

template <class Layer>
void expect_ste_variants_agree(const Layer& layer, const at::Tensor& x) {
  const auto fused = run(layer, GradientMode::kSte, x, rram(2));
  for (auto mode : {GradientMode::kSteNograd, GradientMode::kSteDetach}) {
    const auto other = run(layer, mode, x, rram(2));
    // y_clean + (y_noisy - y_clean) equals y_noisy up to one float rounding.
    const double scale = fused.y.abs().max().template item<double>();
    EXPECT_LT((other.y - fused.y).abs().max().template item<double>(), 1e-5 * scale) << to_string(mode);
    EXPECT_TRUE(at::equal(other.gx, fused.gx)) << to_string(mode);
    EXPECT_TRUE(at::equal(other.gw, fused.gw)) << to_string(mode);
  }
  // A different seed is a different chip instance: the outputs differ.
  const auto reseeded = run(layer, GradientMode::kSte, x, rram(2), 6);
  EXPECT_FALSE(at::allclose(reseeded.y, fused.y));
}

TEST(AnalogLayers, SteVariantsGiveIdenticalValuesAndGradients) {
  expect_ste_variants_agree(make_linear(), linear_input());
  expect_ste_variants_agree(make_conv(), conv_input());
}

// |x w - q(x) q(w)| <= sum_j |x_j| dw + |w_j| dx + dx dw with dx = s_x / 2, dw = s_w / 2 (round to nearest).
at::Tensor quantisation_bound(const at::Tensor& rows, const at::Tensor& w2d, int64_t qx, int64_t qw) {
  const auto dx = rows.abs().max() / qx / 2;
  const auto dw = std::get<0>(w2d.abs().max(1, true)) / qw / 2;  // [out, 1]
  return rows.abs().sum(1, true) * dw.t() + at::mm(at::ones_like(rows), w2d.abs().t()) * dx +
         rows.size(1) * dx * dw.t();
}

TEST(AnalogLayers, IdealChipEqualsTheFloatLayerWithinInt8Quantisation) {
  const auto chip = sim::ideal_config(rram());
  const auto& m = chip.mapping;
  {
    const auto layer = make_linear();
    const auto x = linear_input();
    const auto ste = run(layer, GradientMode::kSte, x, chip);
    const auto clean = run(layer, GradientMode::kClean, x, chip);
    const auto bound = quantisation_bound(x, layer->weight.detach(), m.input_max(), m.weight_max());
    const auto err = (ste.y - clean.y).abs();
    EXPECT_TRUE((err <= bound * 1.0001 + 1e-6).all().item<bool>())
        << "max err " << err.max() << " bound " << bound.min();
    EXPECT_GT(err.max().item<double>(), 0) << "int8 quantisation must show";
    EXPECT_LT(err.max().item<double>(), 0.02 * clean.y.abs().max().item<double>());
  }
  {
    const auto layer = make_conv();
    const auto x = conv_input();
    const auto ste = run(layer, GradientMode::kSte, x, chip);
    const auto clean = run(layer, GradientMode::kClean, x, chip);
    // The conv as a matrix product: im2col rows (same order as the output pixels).
    const auto cols = at::im2col(x, {3, 3}, {1, 1}, {1, 1}, {2, 2});
    const auto rows = cols.transpose(1, 2).reshape({-1, cols.size(1)});
    const auto bound = quantisation_bound(rows, layer->weight.detach().reshape({8, -1}), m.input_max(), m.weight_max());
    const auto err = (ste.y - clean.y).permute({0, 2, 3, 1}).reshape({-1, 8}).abs();
    EXPECT_TRUE((err <= bound * 1.0001 + 1e-6).all().item<bool>()) << "max err " << err.max();
    EXPECT_LT(err.max().item<double>(), 0.02 * clean.y.abs().max().item<double>());
  }
}

TEST(AnalogLayers, FullModeGradientGoesThroughTheChipAndDiffersFromSte) {
  for (int which = 0; which < 2; ++which) {
    const auto full = which == 0 ? run(make_linear(), GradientMode::kFull, linear_input(), rram(3))
                                 : run(make_conv(), GradientMode::kFull, conv_input(), rram(3));
    const auto ste = which == 0 ? run(make_linear(), GradientMode::kSte, linear_input(), rram(3))
                                : run(make_conv(), GradientMode::kSte, conv_input(), rram(3));
    // Same chip instance and reads: the same value.
    EXPECT_LT((full.y - ste.y).abs().max().item<double>(), 1e-4 * ste.y.abs().max().item<double>());
    ASSERT_TRUE(full.gx.defined() && full.gw.defined());
    EXPECT_TRUE(at::isfinite(full.gw).all().item<bool>());
    EXPECT_GT(full.gw.abs().sum().item<double>(), 0);
    const double rel_x = ((full.gx - ste.gx).norm() / ste.gx.norm()).item<double>();
    const double rel_w = ((full.gw - ste.gw).norm() / ste.gw.norm()).item<double>();
    EXPECT_GT(rel_x, 1e-3) << "the gradient through the programmed (noisy) weights differs from the clean one";
    EXPECT_GT(rel_w, 1e-3);
    EXPECT_LT(rel_x, 1.0) << "but it is a gradient of the same layer, not noise";
  }
}

TEST(AnalogLayers, FullModeOnAnIdealChipIsTheQuantisedLayersGradient) {
  // Ideal chip: W_eff = q(W), so the full gradient w.r.t. x is the upstream grad times the quantised weights.
  const auto chip = sim::ideal_config(rram());
  const auto layer = make_linear();
  const auto x = linear_input();
  const auto full = run(layer, GradientMode::kFull, x, chip);
  const auto w = layer->weight.detach();
  const auto s_w = std::get<0>(w.abs().max(1, true)) / chip.mapping.weight_max();
  const auto wq = (w / s_w).round() * s_w;
  const auto g = at::linspace(-1, 1, 16 * 24).view({16, 24});
  // The scale s_x also carries a (small) gradient into the largest |x|; compare away from it.
  const auto expected = at::mm(g, wq);
  const auto max_pos = x.abs().argmax().item<int64_t>();
  auto diff = (full.gx - expected).abs().flatten();
  diff[max_pos] = 0;
  EXPECT_LT(diff.max().item<double>(), 1e-4 * expected.abs().max().item<double>());
}

TEST(AnalogLayers, GaussianModeIsDifferentiableNoiseInjection) {
  const auto layer = make_linear();
  const auto x = linear_input();
  const auto clean = run(layer, GradientMode::kClean, x, rram());
  const auto noisy = run(layer, GradientMode::kGaussian, x, rram());
  EXPECT_FALSE(at::allclose(noisy.y, clean.y));
  // d(x (W + n)^T)/dW = g^T x: the weight gradient is the clean one; the input gradient sees W + n.
  EXPECT_TRUE(at::allclose(noisy.gw, clean.gw, 1e-5, 1e-6));
  EXPECT_FALSE(at::allclose(noisy.gx, clean.gx, 1e-4, 1e-5));
  const double rel = ((noisy.gx - clean.gx).norm() / clean.gx.norm()).item<double>();
  EXPECT_LT(rel, 0.5) << "sigma 0.05 of max|W| is a perturbation, not a new layer";
}

TEST(AnalogLayers, ConversionKeepsParametersAndDigitalLayers) {
  torch::manual_seed(1);
  models::SmallCnn model(1, 10);
  std::vector<at::Tensor> before;
  for (const auto& p : model.parameters()) before.push_back(p.detach().clone());
  auto ctx = nn::AnalogContext::make(GradientMode::kSte, rram(), 1);
  const auto report = nn::convert_to_analog(model, ctx, {"first", "fc2"});
  EXPECT_EQ(report.digital, (std::vector<std::string>{"conv1", "fc2"}));
  EXPECT_EQ(report.analog, (std::vector<std::string>{"conv2", "fc1"}));
  const auto after = model.parameters();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(at::equal(after[i], before[i]));
  for (const auto& [name, layer] : nn::analog_layers(model)) {
    EXPECT_EQ(layer->context(), ctx) << name;
    EXPECT_EQ(layer->digital(), name == "conv1" || name == "fc2") << name;
  }
  EXPECT_THROW(nn::convert_to_analog(model, ctx, {"fc9"}), std::invalid_argument);

  // A digital layer computes the float layer even in a noisy mode.
  nn::AnalogLinear digital(nn::AnalogLinearOptions(40, 24));
  digital->set_context(ctx);
  digital->set_digital(true);
  const auto x = linear_input();
  EXPECT_TRUE(at::equal(digital->forward(x), at::linear(x, digital->weight, digital->bias)));
}

TEST(AnalogLayers, ProgrammedChipIsFixedAcrossReadsAndClearable) {
  torch::manual_seed(2);
  models::SmallCnn model(1, 10);
  auto ctx = nn::AnalogContext::make(GradientMode::kClean, rram(3), 1);
  nn::convert_to_analog(model, ctx);
  model.eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  const auto x = torch::randn({8, 1, 28, 28});
  const auto y_float = model.forward(x);
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(11), g2 = at::make_generator<at::CPUGeneratorImpl>(11);
  nn::program_chip(model, g1);
  ctx->reseed(5);
  const auto y1 = model.forward(x);
  EXPECT_FALSE(at::allclose(y1, y_float, 1e-3, 1e-3)) << "level 3 must change the logits";
  // The same instance read again: fresh read noise only, far smaller than the instance-to-instance change.
  const auto y1b = model.forward(x);
  nn::program_chip(model, g2);  // the same seed: the same instance
  ctx->reseed(5);
  const auto y2 = model.forward(x);
  EXPECT_TRUE(at::allclose(y1, y2)) << "programming is deterministic for a seed";
  auto g3 = at::make_generator<at::CPUGeneratorImpl>(12);
  nn::program_chip(model, g3);
  const auto y3 = model.forward(x);
  EXPECT_LT((y1b - y1).norm().item<double>(), (y3 - y1).norm().item<double>());
  nn::clear_chip(model);
  EXPECT_TRUE(at::allclose(model.forward(x), y_float));
}

TEST(AnalogLayers, BadShapesGetClearErrors) {
  auto layer = make_linear();
  try {
    layer->forward(torch::randn({4, 39}));
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[..., 40]"), std::string::npos) << e.what();
  }
  auto conv = make_conv();
  EXPECT_THROW(conv->forward(torch::randn({4, 2, 9, 9})), c10::Error);
  EXPECT_THROW(common::parse_choice<nn::GradientMode>("stee"), std::invalid_argument);
}

TEST(AnalogLayers, CalibratedChipKeepsItsRangesAndClipsBeyondThem) {
  auto layer = make_linear();
  auto chip = sim::ideal_config(rram());
  chip.adc.enabled = true;  // an 8-bit ADC whose range calibration fixes
  chip.adc.bits = 8;
  chip.adc.noise_sigma_lsb = chip.adc.offset_sigma_lsb = chip.adc.inl_lsb = 0;
  auto ctx = nn::AnalogContext::make(GradientMode::kClean, chip, 1);
  layer->set_context(ctx);
  layer->eval();
  torch::NoGradGuard no_grad;
  const auto x = linear_input();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  layer->program(gen);
  const auto per_batch = layer->forward(2 * x);  // ranges from this batch: twice the output of x
  nn::calibrate_chip(
      *layer, [&] { layer->forward(x); }, *ctx);
  EXPECT_FALSE(ctx->calibrating());
  const auto y = layer->forward(x);
  const auto y2 = layer->forward(2 * x);  // beyond the calibrated input range: clipped
  const auto clean2 = at::linear(2 * x, layer->weight, layer->bias);
  EXPECT_LT(((per_batch - clean2).norm() / clean2.norm()).item<double>(), 0.02);
  EXPECT_GT(((y2 - clean2).norm() / clean2.norm()).item<double>(), 0.1) << "calibrated ranges must clip";
  EXPECT_LT(((y - at::linear(x, layer->weight, layer->bias)).norm() / y.norm()).item<double>(), 0.02);
}

// The conv layer's direct read (the default) and its im2col read agree when no per-read noise is drawn (and
// the DAC has no INL, which the direct read keeps per input channel): in training, in `full` mode (value and
// gradient) and on a programmed, calibrated chip.
TEST(AnalogLayers, DirectConvReadAgreesWithTheIm2colRead) {
  auto direct = rram(2);
  direct.read_noise.sigma = 0;
  direct.dac.noise_sigma = 0;
  direct.dac.inl_lsb = 0;
  direct.adc.noise_sigma_lsb = 0;
  auto rows = direct;
  rows.mapping.conv_read = sim::ConvRead::kIm2col;
  const auto layer = make_conv();
  const auto x = conv_input();
  for (auto mode : {GradientMode::kSte, GradientMode::kFull}) {
    const auto a = run(layer, mode, x, direct), b = run(layer, mode, x, rows);
    const double scale = b.y.abs().max().item<double>();
    const auto diff = (a.y - b.y).abs();
    // Equal but where float rounding moves a sum across an ADC code boundary (one step, rare).
    EXPECT_LT((diff > 1e-4 * scale).to(at::kDouble).mean().item<double>(), 0.01) << to_string(mode);
    EXPECT_LT(diff.max().item<double>(), 0.05 * scale) << to_string(mode);
    EXPECT_TRUE(at::allclose(a.gx, b.gx, 1e-4, 1e-5)) << to_string(mode);
    EXPECT_TRUE(at::allclose(a.gw, b.gw, 1e-4, 1e-5)) << to_string(mode);
  }
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> deployed;
  for (const auto& chip : {direct, rows}) {
    auto l = std::dynamic_pointer_cast<nn::AnalogConv2dImpl>(layer->clone());
    auto ctx = nn::AnalogContext::make(GradientMode::kClean, chip, 1);
    l->set_context(ctx);
    l->eval();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
    l->program(gen);
    nn::calibrate_chip(
        *l, [&] { l->forward(x); }, *ctx);
    deployed.push_back(l->forward(0.5 * x));
  }
  const double scale = deployed[1].abs().max().item<double>();
  EXPECT_LT(((deployed[0] - deployed[1]).abs() > 1e-4 * scale).to(at::kDouble).mean().item<double>(), 0.01);
}

}  // namespace
