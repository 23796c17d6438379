// Output calibration (eval --calibrate-output): a chip with a systematic gain error -- the sinh I-V law, IR drop,
// ADC offsets -- reads every layer low by a few percent, and nothing in the range calibration corrects it
// (the cause of the VGG-8 level-3 anomaly, docs/training.md). Fitting each output channel's gain and offset on
// the calibration batch maps the chip's output back onto the float layer's; the bias stays digital and exact.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include "nn/analog_conv2d.h"
#include "nn/analog_linear.h"
#include "nn/convert.h"
#include "sim/chip_config.h"
#include "sim/presets.h"

using namespace cimtrain;

namespace {

// <y, ref> / <ref, ref>: the gain of y against the reference.
double gain_of(const at::Tensor& y, const at::Tensor& ref) {
  return ((y * ref).sum() / (ref * ref).sum()).item<double>();
}
double relative_error(const at::Tensor& y, const at::Tensor& ref) {
  return ((y - ref).norm() / ref.norm()).item<double>();
}

// A layer on `chip`, programmed and calibrated on `x` (with or without the output), in eval mode.
template <class Layer>
void deploy(Layer& layer, const sim::ChipConfig& chip, const at::Tensor& x, bool output) {
  auto ctx = nn::AnalogContext::make(nn::GradientMode::kClean, chip, 1);
  layer->set_context(ctx);
  layer->eval();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  layer->program(gen);
  nn::calibrate_chip(*layer, [&] { layer->forward(x); }, *ctx, output);
  EXPECT_FALSE(ctx->calibrating());
  EXPECT_FALSE(ctx->calibrating_output());
}

}  // namespace

// The I-V law alone: small post-ReLU codes see the law's small-signal slope, (1 - a) + a k / sinh(k) = 0.955 of
// the full-scale chord; the range calibration leaves that gain, the output calibration removes it.
TEST(OutputCalibration, RemovesTheSystematicGainOfTheIvLaw) {
  torch::manual_seed(7);
  torch::NoGradGuard no_grad;
  const auto chip = sim::only_nonideality(sim::preset_config("rram-harsh"), "device_nonlinearity");
  const auto calibration = at::relu(torch::randn({256, 96})), test = at::relu(torch::randn({128, 96}));
  for (const bool output : {false, true}) {
    nn::AnalogLinear layer(nn::AnalogLinearOptions(96, 24));
    deploy(layer, chip, calibration, output);
    const auto b = layer->bias;
    const auto y = layer->forward(test) - b, ref = at::linear(test, layer->weight);
    if (!output) {
      EXPECT_LT(gain_of(y, ref), 0.975) << "the I-V law reads every layer low";
      EXPECT_GT(gain_of(y, ref), 0.94);
    } else {
      EXPECT_NEAR(gain_of(y, ref), 1.0, 0.005);
      EXPECT_LT(relative_error(y, ref), 0.015);
    }
  }
}

// A convolution (the direct read) on a chip with IR drop and ADC offsets: the calibrated output is closer to the
// float layer's, its gain within 1%, and the bias is added exactly once.
TEST(OutputCalibration, CorrectsTheDirectConvReadAndKeepsTheBiasExact) {
  torch::manual_seed(8);
  torch::NoGradGuard no_grad;
  auto chip = sim::ideal_config(sim::preset_config("rram-harsh"));
  chip.ir_drop.mode = sim::IrDropMode::kFast;
  chip.ir_drop.r_wire_ohm = 2.0;
  chip.adc.enabled = true;
  chip.adc.offset_sigma_lsb = 2.0;  // a systematic offset per converter; no noise, no INL
  chip.adc.noise_sigma_lsb = chip.adc.inl_lsb = 0.0;
  const auto calibration = at::relu(torch::randn({16, 8, 12, 12})), test = at::relu(torch::randn({8, 8, 12, 12}));
  std::vector<double> errors;
  for (const bool output : {false, true}) {
    nn::AnalogConv2d layer(nn::AnalogConv2dOptions(8, 16, 3).padding(1));
    {
      auto bias = layer->bias;
      bias.fill_(3.0);  // a large bias: any scaling of it would show
    }
    deploy(layer, chip, calibration, output);
    const auto y = layer->forward(test), ref = at::conv2d(test, layer->weight, layer->bias, 1, 1);
    errors.push_back(relative_error(y - 3.0, ref - 3.0));
    if (output) {
      EXPECT_NEAR(gain_of(y - 3.0, ref - 3.0), 1.0, 0.01);
    }
  }
  EXPECT_LT(errors[1], 0.6 * errors[0]) << "uncalibrated " << errors[0] << ", calibrated " << errors[1];
}
