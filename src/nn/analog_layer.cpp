// Gradient modes and chip reads shared by the analog layers (see analog_layer.h).
#include "nn/analog_layer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/api/include/torch/utils.h>

#include <optional>

#include "nn/quantize.h"
#include "sim/stage_timer.h"

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
      Programmed{std::make_shared<sim::ChipInstance>(chip.program(wq.values, gen, context_->conditions)), wq.scale, at::Tensor()};
}

at::Tensor AnalogLayer::chip_rows(const at::Tensor& rows, const at::Tensor& w2d, const Programmed* fixed,
                                  at::Tensor* effective, at::Tensor* w_int) const {
  auto& ctx = *context_;
  const auto& m = ctx.chip.mapping;
  // Recorded in `ste-detach`, else under no-grad; a calibrated chip uses its fixed input scale (and clips).
  std::optional<sim::StageTimer> quantize_timer(std::in_place, "quantize inputs");
  const auto xq = fixed && fixed->input_scale.defined() ? quantize_with_scale(rows, fixed->input_scale, m.input_max())
                                                        : quantize_per_tensor(rows, m.input_max());
  quantize_timer.reset();
  std::shared_ptr<sim::ChipInstance> instance;
  at::Tensor w_scale;
  if (fixed) {
    instance = fixed->instance;
    w_scale = fixed->weight_scale;
  } else {
    const sim::StageTimer timer("program");
    const auto wq = quantize_per_row(w2d.detach(), m.weight_max());
    instance = std::make_shared<sim::ChipInstance>(sim::Chip(ctx.chip).program(wq.values, ctx.gen, ctx.conditions));
    w_scale = wq.scale;
    if (w_int) *w_int = wq.values;
  }
  if (effective) *effective = instance->effective_weights().to(rows.device());
  // The chip is CPU code: inputs go to the CPU and the result comes back to the layer's device.
  const sim::StageTimer timer("read");
  const auto y_int = instance->infer(xq.values.to(at::kCPU), ctx.gen).to(rows.device());
  return y_int * xq.scale * w_scale.view({1, -1}).to(rows.device());
}

at::Tensor AnalogLayer::full_mode_rows(const at::Tensor& rows, const at::Tensor& w2d) const {
  // Value: the chip's. Gradient: autograd through a differentiable model of the same programmed instance,
  // y = s_x s_w (q(x) (q(W) . r)^T), where q are the quantisers (straight-through), s_x and s_w their scales
  // (differentiable max) and r = W_eff / q(W) the instance's per-weight gain (programming noise, drift,
  // temperature, IR drop): the gradient a differentiable weight-noise model of this chip would give.
  const auto& m = context_->chip.mapping;
  at::Tensor effective, w_int, y_chip;
  {
    torch::NoGradGuard no_grad;
    y_chip = chip_rows(rows, w2d, nullptr, &effective, &w_int);
  }
  const auto gain = at::where(w_int.abs() >= 0.5, effective / w_int.where(w_int.abs() >= 0.5, at::ones_like(w_int)),
                              at::ones_like(w_int));
  const auto s_x = rows.abs().max().clamp_min(1e-30) / static_cast<double>(m.input_max());
  const auto s_w = std::get<0>(w2d.abs().max(1, true)).clamp_min(1e-30) / static_cast<double>(m.weight_max());
  const auto xq = fake_quantize_ste(rows, s_x, m.input_max());
  const auto wq = fake_quantize_ste(w2d, s_w, m.weight_max());
  const auto y_model = at::mm(xq, (wq * gain).t()) * s_x * s_w.view({1, -1});
  return y_model + (y_chip - y_model).detach();
}

at::Tensor AnalogLayer::analog_forward(const LayerAsMatrix& ops, const at::Tensor& x, const at::Tensor& w,
                                       const at::Tensor& b, bool training) {
  const auto with_bias = [&](at::Tensor y) { return b.defined() ? y + b : y; };
  if (digital_ || !context_) return ops.clean(x, w, b);
  if (!training) {
    if (!programmed_) return ops.clean(x, w, b);
    torch::NoGradGuard no_grad;
    const auto rows = ops.to_rows(x);
    if (context_->calibrating) {
      // Deployment: the input range and each ADC's full scale are set once, from this calibration batch.
      const auto xq = quantize_per_tensor(rows, context_->chip.mapping.input_max());
      programmed_->input_scale = xq.scale;
      programmed_->instance->calibrate_adc(xq.values.to(at::kCPU), context_->gen);
    }
    return ops.from_rows(with_bias(chip_rows(rows, ops.weight_matrix(w), &*programmed_)), x);
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
    case GradientMode::kFull:
      return ops.from_rows(with_bias(full_mode_rows(ops.to_rows(x), ops.weight_matrix(w))), x);
    case GradientMode::kSte: {
      at::Tensor y_noisy;
      {
        torch::NoGradGuard no_grad;
        y_noisy = ops.from_rows(with_bias(chip_rows(ops.to_rows(x), ops.weight_matrix(w), nullptr)), x);
      }
      return ops.ste(x, w, b, y_noisy);
    }
    case GradientMode::kSteNograd: {
      const auto y_clean = ops.clean(x, w, b);
      at::Tensor delta;
      {
        torch::NoGradGuard no_grad;
        const auto y_noisy = ops.from_rows(with_bias(chip_rows(ops.to_rows(x), ops.weight_matrix(w), nullptr)), x);
        delta = y_noisy - y_clean;
      }
      return y_clean + delta.detach();
    }
    case GradientMode::kSteDetach: {
      const auto y_clean = ops.clean(x, w, b);
      // The chip path recorded by autograd (its input rows and quantisers), then cut off.
      const auto y_noisy = ops.from_rows(with_bias(chip_rows(ops.to_rows(x), ops.weight_matrix(w), nullptr)), x);
      const auto delta = y_noisy - y_clean.detach();
      return y_clean + delta.detach();
    }
  }
  TORCH_CHECK(false, "unhandled gradient mode");
}

}  // namespace cimtrain::nn
