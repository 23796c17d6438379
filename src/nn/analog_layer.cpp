// Gradient modes and chip reads shared by the analog layers (see analog_layer.h).
#include "nn/analog_layer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/api/include/torch/utils.h>

#include <optional>

#include "nn/neft_noise.h"
#include "nn/quantize.h"
#include "common/stage_timer.h"

namespace cimtrain::nn {

std::shared_ptr<AnalogContext> AnalogContext::make(GradientMode mode, sim::ChipConfig chip, uint64_t seed) {
  auto c = std::make_shared<AnalogContext>();
  c->mode = mode;
  c->chip = std::move(chip);
  c->chip.validate();
  c->gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return c;
}

void AnalogLayer::program(at::Generator& gen) {
  if (digital_) return;
  TORCH_CHECK(context_, "an analog layer needs a context (convert_to_analog) before it can be programmed");
  torch::NoGradGuard no_grad;
  const auto& m = context_->chip.mapping;
  const auto wq = quantize_per_row(weight_matrix().detach().to(at::kFloat), m.weight_max());
  const sim::Chip chip(context_->chip);
  programmed_ =
      Programmed{std::make_shared<sim::ChipInstance>(chip.program(wq.values, gen, context_->conditions)), wq.scale,
                 at::Tensor(), at::Tensor()};
}

void AnalogLayer::program_neft(at::Generator& gen, double sigma, double s) {
  if (digital_) return;
  torch::NoGradGuard no_grad;
  // Drawn on the CPU generator's device, then moved: the draw is the same whatever the layer's device.
  const auto w = weight_matrix().detach();
  const auto noise = neft_weight_noise(w.to(at::kCPU), sigma, s, gen).to(w.device());
  programmed_ = Programmed{nullptr, at::Tensor(), at::Tensor(), noise};
}

bool AnalogLayer::direct_read(const LayerAsMatrix& ops) const {
  return ops.chip_read && context_->chip.mapping.conv_read == "direct";
}

at::Tensor AnalogLayer::chip_output(const LayerAsMatrix& ops, const at::Tensor& x, const at::Tensor& w2d,
                                    const at::Tensor& b, const Programmed* fixed, at::Tensor* effective,
                                    at::Tensor* w_int) const {
  auto& ctx = *context_;
  const auto& m = ctx.chip.mapping;
  const bool direct = direct_read(ops);
  // Quantised here (recorded in `ste-detach`, else under no-grad), or inside the direct read; a calibrated
  // chip uses its fixed input scale (and clips).
  Quantized xq;
  if (!direct) {
    const common::StageTimer timer("quantize inputs");
    const auto rows = ops.to_rows(x);
    xq = fixed && fixed->input_scale.defined() ? quantize_with_scale(rows, fixed->input_scale, m.input_max())
                                               : quantize_per_tensor(rows, m.input_max());
  }
  std::shared_ptr<sim::ChipInstance> instance;
  at::Tensor w_scale;
  if (fixed) {
    instance = fixed->instance;
    w_scale = fixed->weight_scale;
  } else {
    const common::StageTimer timer("program");
    std::optional<common::StageTimer> part(std::in_place, "program.quantize weights");
    const auto wq = quantize_per_row(w2d.detach(), m.weight_max());
    part.reset();
    instance = std::make_shared<sim::ChipInstance>(sim::Chip(ctx.chip).program(wq.values, ctx.gen, ctx.conditions));
    w_scale = wq.scale;
    if (w_int) *w_int = wq.values;
  }
  if (effective) *effective = instance->effective_weights().to(x.device());
  // The chip is CPU code: inputs go to the CPU and the result comes back to the layer's device.
  const common::StageTimer timer("read");
  if (!direct) {
    const auto y_int = instance->infer(xq.values.to(at::kCPU), ctx.gen).to(x.device());
    const auto y = y_int * xq.scale * w_scale.view({1, -1}).to(x.device());
    return ops.from_rows(b.defined() ? y + b : y, x);
  }
  const double input_scale = fixed && fixed->input_scale.defined() ? fixed->input_scale.item<double>() : 0.0;
  return ops.chip_read(*instance, x.detach().to(at::kCPU), ctx.gen, input_scale, w_scale.reshape({-1}),
                       b.defined() ? b.detach() : b)
      .to(x.device());
}

at::Tensor AnalogLayer::full_mode(const LayerAsMatrix& ops, const at::Tensor& x, const at::Tensor& w,
                                  const at::Tensor& b) const {
  // Value: the chip's. Gradient: autograd through a differentiable model of the same programmed instance,
  // y = layer(s_x q(x), s_w (q(W) . r)), where q are the quantisers (straight-through), s_x and s_w their
  // scales (differentiable max) and r = W_eff / q(W) the instance's per-weight gain (programming noise, drift,
  // temperature, IR drop): the gradient a differentiable weight-noise model of this chip would give.
  const auto& m = context_->chip.mapping;
  const auto w2d = ops.weight_matrix(w);
  at::Tensor effective, w_int, y_chip;
  {
    torch::NoGradGuard no_grad;
    y_chip = chip_output(ops, x, w2d, b, nullptr, &effective, &w_int);
  }
  const auto gain = at::where(w_int.abs() >= 0.5, effective / w_int.where(w_int.abs() >= 0.5, at::ones_like(w_int)),
                              at::ones_like(w_int));
  const auto s_x = x.abs().max().clamp_min(1e-30) / static_cast<double>(m.input_max());
  const auto s_w = std::get<0>(w2d.abs().max(1, true)).clamp_min(1e-30) / static_cast<double>(m.weight_max());
  const auto xq = fake_quantize_ste(x, s_x, m.input_max()) * s_x;
  const auto wq = fake_quantize_ste(w2d, s_w, m.weight_max()) * (gain * s_w);
  const auto y_model = ops.clean(xq, wq.view_as(w), b);
  return y_model + (y_chip - y_model).detach();
}

at::Tensor AnalogLayer::analog_forward(const LayerAsMatrix& ops, const at::Tensor& x, const at::Tensor& w,
                                       const at::Tensor& b, bool training) {
  if (digital_ || !context_) return ops.clean(x, w, b);
  if (!training) {
    if (!programmed_) return ops.clean(x, w, b);
    torch::NoGradGuard no_grad;
    if (programmed_->weight_noise.defined())  // NeFT's device model: no converters to calibrate
      return ops.clean(x, w + programmed_->weight_noise.view_as(w), b);
    if (context_->calibrating) {
      // Deployment: the input range and each ADC's full scale are set once, from this calibration batch.
      const bool direct = direct_read(ops);
      const auto xq = quantize_per_tensor(direct ? x : ops.to_rows(x), context_->chip.mapping.input_max());
      programmed_->input_scale = xq.scale;
      if (direct)
        ops.chip_calibrate(*programmed_->instance, xq.values.to(at::kCPU), context_->gen);
      else
        programmed_->instance->calibrate_adc(xq.values.to(at::kCPU), context_->gen);
    }
    return chip_output(ops, x, ops.weight_matrix(w), b, &*programmed_);
  }
  auto& ctx = *context_;
  switch (ctx.mode) {
    case GradientMode::kClean:
      return ops.clean(x, w, b);
    case GradientMode::kGaussian: {
      if (ctx.gaussian_sigma <= 0) return ops.clean(x, w, b);
      const auto noise = at::randn(w.sizes(), ctx.gen, w.options().requires_grad(false)) *
                         (ctx.gaussian_sigma * w.detach().abs().max());
      return ops.clean(x, w + noise, b);
    }
    case GradientMode::kNeft: {
      const auto noise = neft_weight_noise(w.detach().to(at::kCPU), ctx.neft_sigma, ctx.neft_s, ctx.gen);
      return ops.clean(x, w + noise.to(w.device()), b);
    }
    case GradientMode::kFull:
      return full_mode(ops, x, w, b);
    case GradientMode::kSte: {
      at::Tensor y_noisy;
      {
        torch::NoGradGuard no_grad;
        y_noisy = chip_output(ops, x, ops.weight_matrix(w), b, nullptr);
      }
      return ops.ste(x, w, b, y_noisy);
    }
    case GradientMode::kSteNograd: {
      const auto y_clean = ops.clean(x, w, b);
      at::Tensor delta;
      {
        torch::NoGradGuard no_grad;
        const auto y_noisy = chip_output(ops, x, ops.weight_matrix(w), b, nullptr);
        delta = y_noisy - y_clean;
      }
      return y_clean + delta.detach();
    }
    case GradientMode::kSteDetach: {
      const auto y_clean = ops.clean(x, w, b);
      // The chip path recorded by autograd, then cut off: the rows read records the input quantisation; the
      // direct conv read quantises inside its kernel, so little is recorded (docs/training.md).
      const auto y_noisy = chip_output(ops, x, ops.weight_matrix(w), b, nullptr);
      const auto delta = y_noisy - y_clean.detach();
      return y_clean + delta.detach();
    }
  }
  TORCH_CHECK(false, "unhandled gradient mode");
}

}  // namespace cimtrain::nn
