// Gradient modes and chip reads shared by the analog layers (see analog_layer.h).
#include "nn/analog_layer.h"

#include <torch/csrc/api/include/torch/utils.h>

#include <optional>
#include <stdexcept>

#include "common/stage_timer.h"
#include "nn/neft_noise.h"
#include "nn/quantize.h"

namespace cimtrain::nn {

void AnalogLayer::program(at::Generator& gen) { program(gen, weight_matrix()); }

void AnalogLayer::program(at::Generator& gen, const at::Tensor& weight) {
  if (digital_) return;
  TORCH_CHECK(context_, "an analog layer needs a context (convert_to_analog) before it can be programmed");
  torch::NoGradGuard no_grad;
  const auto& chip = context_->chip();
  const auto wq = quantize_per_row(as_matrix(weight).detach().to(at::kFloat), chip.config().mapping.weight_max());
  programmed_ = Programmed{std::make_shared<sim::ChipInstance>(chip.program(wq.values, gen, context_->conditions(), context_->conductance_hook())),
                           wq.scale, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
}

void AnalogLayer::program_neft(at::Generator& gen, double sigma, double s) {
  if (digital_) return;
  torch::NoGradGuard no_grad;
  // Drawn on the CPU generator's device, then moved: the draw is the same whatever the layer's device.
  const auto w = weight_matrix().detach();
  const auto noise = neft_weight_noise(w.to(at::kCPU), sigma, s, gen).to(w.device());
  programmed_ = Programmed{nullptr, at::Tensor(), at::Tensor(), noise, at::Tensor(), at::Tensor()};
}

at::Tensor AnalogLayer::direct_read(const sim::ChipInstance&, const at::Tensor&, at::Generator&, double,
                                    const at::Tensor&, const at::Tensor&) const {
  throw std::logic_error("this analog layer has no direct chip read");
}

void AnalogLayer::calibrate_direct(sim::ChipInstance&, const at::Tensor&, at::Generator&) const {
  throw std::logic_error("this analog layer has no direct chip read");
}

bool AnalogLayer::reads_directly() const {
  return has_direct_read() && context_->chip_config().mapping.conv_read == sim::ConvRead::kDirect;
}

at::Tensor AnalogLayer::chip_output(const at::Tensor& x, const at::Tensor& w2d, const at::Tensor& b,
                                    const Programmed* fixed, at::Tensor* effective, at::Tensor* w_int) const {
  auto& ctx = *context_;
  const auto& m = ctx.chip_config().mapping;
  const bool direct = reads_directly();
  // Quantised here (recorded in `ste-detach`, else under no-grad), or inside the direct read; a calibrated
  // chip uses its fixed input scale (and clips).
  Quantized xq;
  if (!direct) {
    const common::StageTimer timer("quantize inputs");
    const auto rows = to_rows(x);
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
    instance = std::make_shared<sim::ChipInstance>(ctx.chip().program(wq.values, ctx.generator(), ctx.conditions(), ctx.conductance_hook()));
    w_scale = wq.scale;
    if (w_int) *w_int = wq.values;
  }
  if (effective) *effective = instance->effective_weights().to(x.device());
  // The chip is CPU code: inputs go to the CPU and the result comes back to the layer's device.
  const common::StageTimer timer("read");
  const bool corrected = fixed && fixed->output_gain.defined();
  if (!direct) {
    const auto y_int = instance->infer(xq.values.to(at::kCPU), ctx.generator()).to(x.device());
    auto y = y_int * xq.scale * w_scale.view({1, -1}).to(x.device());
    if (corrected)
      y = (y - fixed->output_offset.view({1, -1}).to(x.device())) * fixed->output_gain.view({1, -1}).to(x.device());
    return from_rows(b.defined() ? y + b : y, x);
  }
  const double input_scale = fixed && fixed->input_scale.defined() ? fixed->input_scale.item<double>() : 0.0;
  auto y = direct_read(*instance, x.detach().to(at::kCPU), ctx.generator(), input_scale, w_scale.reshape({-1}),
                       corrected || !b.defined() ? at::Tensor() : b.detach())
               .to(x.device());
  if (!corrected) return y;
  std::vector<int64_t> channels(y.dim(), 1);
  channels[1] = -1;  // the direct read's output has its channels in dim 1
  y = (y - fixed->output_offset.view(channels).to(x.device())) * fixed->output_gain.view(channels).to(x.device());
  return b.defined() ? y + b.detach().view(channels) : y;
}

void AnalogLayer::calibrate_output(const at::Tensor& x, const at::Tensor& w, Programmed& p) const {
  p.output_gain = p.output_offset = at::Tensor();
  // Both outputs as [M, outputs]: the chip's read with the fixed ranges, the float layer's, without bias.
  // A layer with a direct read (a convolution) has its channels in dim 1, the others in the last dim.
  const auto rows_of = [&](const at::Tensor& y) {
    const auto c = has_direct_read() ? y.movedim(1, -1) : y;
    return c.reshape({-1, c.size(-1)});
  };
  const auto yc = rows_of(chip_output(x, as_matrix(w), at::Tensor(), &p)).to(at::kDouble);
  const auto yf = rows_of(clean_forward(x, w, at::Tensor())).to(at::kDouble);
  const auto mc = yc.mean(0), mf = yf.mean(0);
  const auto var_f = (yf - mf).square().mean(0);
  const auto cov = ((yc - mc) * (yf - mf)).mean(0);
  // a = cov / var_f; a channel the float layer leaves constant, or one the chip barely reproduces (a outside
  // [0.5, 2]: no line to invert), keeps gain 1 and offset 0.
  const auto a = cov / var_f.clamp_min(1e-30);
  const auto usable = (var_f > 0) & (a >= 0.5) & (a <= 2.0);
  const auto gain = at::where(usable, a.reciprocal(), at::ones_like(a));
  const auto offset = at::where(usable, mc - a * mf, at::zeros_like(a));
  p.output_gain = gain.to(at::kFloat);
  p.output_offset = offset.to(at::kFloat);
}

at::Tensor AnalogLayer::full_mode(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const {
  // Value: the chip's. Gradient: autograd through a differentiable model of the same programmed instance,
  // y = layer(s_x q(x), s_w (q(W) . r)), where q are the quantisers (straight-through), s_x and s_w their
  // scales (differentiable max) and r = W_eff / q(W) the instance's per-weight gain (programming noise, drift,
  // temperature, IR drop): the gradient a differentiable weight-noise model of this chip would give.
  const auto& m = context_->chip_config().mapping;
  const auto w2d = as_matrix(w);
  at::Tensor effective, w_int, y_chip;
  {
    torch::NoGradGuard no_grad;
    y_chip = chip_output(x, w2d, b, nullptr, &effective, &w_int);
  }
  const auto gain = at::where(w_int.abs() >= 0.5, effective / w_int.where(w_int.abs() >= 0.5, at::ones_like(w_int)),
                              at::ones_like(w_int));
  const auto s_x = x.abs().max().clamp_min(1e-30) / static_cast<double>(m.input_max());
  const auto s_w = std::get<0>(w2d.abs().max(1, true)).clamp_min(1e-30) / static_cast<double>(m.weight_max());
  const auto xq = fake_quantize_ste(x, s_x, m.input_max()) * s_x;
  const auto wq = fake_quantize_ste(w2d, s_w, m.weight_max()) * (gain * s_w);
  const auto y_model = clean_forward(xq, wq.view_as(w), b);
  return y_model + (y_chip - y_model).detach();
}

at::Tensor AnalogLayer::programmed_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  torch::NoGradGuard no_grad;
  if (programmed_->weight_noise.defined())  // NeFT's device model: no converters to calibrate
    return clean_forward(x, w + programmed_->weight_noise.view_as(w), b);
  if (context_->calibrating()) {
    // Deployment: the input range and each ADC's full scale are set once, from this calibration batch.
    const bool direct = reads_directly();
    const auto xq = quantize_per_tensor(direct ? x : to_rows(x), context_->chip_config().mapping.input_max());
    programmed_->input_scale = xq.scale;
    programmed_->output_gain = programmed_->output_offset = at::Tensor();  // none fitted against old ranges
    if (direct)
      calibrate_direct(*programmed_->instance, xq.values.to(at::kCPU), context_->generator());
    else
      programmed_->instance->calibrate_adc(xq.values.to(at::kCPU), context_->generator());
    if (context_->calibrating_output()) calibrate_output(x, w, *programmed_);
  }
  return chip_output(x, as_matrix(w), b, &*programmed_);
}

at::Tensor AnalogLayer::training_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const {
  auto& ctx = *context_;
  switch (ctx.mode()) {
    case GradientMode::kClean:
      return clean_forward(x, w, b);
    case GradientMode::kGaussian: {
      if (ctx.gaussian_sigma() <= 0) return clean_forward(x, w, b);
      const auto noise = at::randn(w.sizes(), ctx.generator(), w.options().requires_grad(false)) *
                         (ctx.gaussian_sigma() * w.detach().abs().max());
      return clean_forward(x, w + noise, b);
    }
    case GradientMode::kNeft: {
      const auto noise = neft_weight_noise(w.detach().to(at::kCPU), ctx.neft_sigma(), ctx.neft_s(), ctx.generator());
      return clean_forward(x, w + noise.to(w.device()), b);
    }
    case GradientMode::kFull:
      return full_mode(x, w, b);
    case GradientMode::kSte: {
      at::Tensor y_noisy;
      {
        torch::NoGradGuard no_grad;
        y_noisy = chip_output(x, as_matrix(w), b, nullptr);
      }
      return ste_forward(x, w, b, y_noisy);
    }
    case GradientMode::kSteNograd: {
      const auto y_clean = clean_forward(x, w, b);
      at::Tensor delta;
      {
        torch::NoGradGuard no_grad;
        const auto y_noisy = chip_output(x, as_matrix(w), b, nullptr);
        delta = y_noisy - y_clean;
      }
      return y_clean + delta.detach();
    }
    case GradientMode::kSteDetach: {
      const auto y_clean = clean_forward(x, w, b);
      // The chip path recorded by autograd, then cut off: the rows read records the input quantisation; the
      // direct conv read quantises inside its kernel, so little is recorded (docs/training.md).
      const auto y_noisy = chip_output(x, as_matrix(w), b, nullptr);
      const auto delta = y_noisy - y_clean.detach();
      return y_clean + delta.detach();
    }
  }
  TORCH_CHECK(false, "unhandled gradient mode");
}

at::Tensor AnalogLayer::forward_with(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, bool training) {
  if (digital_ || !context_) return clean_forward(x, w, b);
  if (!training) return programmed_ ? programmed_forward(x, w, b) : clean_forward(x, w, b);
  return training_forward(x, w, b);
}

}  // namespace cimtrain::nn
