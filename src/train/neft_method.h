// NeFT's training methods (Qin et al., "Negative Feedback Training"; docs/design.md §4; docs/neft.md): the
// feedback logits z = (Out - beta sum_i 10^-i Out_i) / (N + 1) over N extra outputs, OVF's extra forwards at
// raised noise, and the per-model beta defaults. Either noise model: the layers' gradient mode decides
// (`neft`: NeFT's Gaussian device model; `ste`: the chip simulator through the STE; any other mode too).
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/classifier.h"
#include "models/irs_heads.h"
#include "nn/analog_context.h"
#include "train/train_config.h"

namespace cimtrain::train {

// OVF's extra forwards: the noise raised by these amounts of NeFT sigma, in this order (the first gets the
// feedback weight 1, then 0.1, 0.01).
constexpr std::array<double, 3> kOvfRaises = {0.15, 0.10, 0.05};

// The feedback logits: (out - beta * sum_i 10^-i extra[i]) / (extra.size() + 1), i from 0, differentiable in all.
at::Tensor feedback_logits(const at::Tensor& out, const std::vector<at::Tensor>& extra, double beta);

// OVF: `forward()` (the model on the batch) at the context's noise, then once at each raise of kOvfRaises
// (nn::ContextOverride::raise_noise, relative to `reference_sigma`), combined by feedback_logits with `beta`.
at::Tensor ovf_logits(const std::function<at::Tensor()>& forward, nn::AnalogContext& context, double reference_sigma,
                      double beta);

// NeFT's IRS heads on `model`'s snapshot points, analog, in training mode: under NeFT's device model
// (context mode `neft`) with their own `irs_sigma` and s = 1, as NeFT's reference code has them (a context of
// their own that shares the model's noise generator); in any other mode on the model's context (its chip).
// Throws common::ConfigError for a model without snapshot points.
models::IrsHeads make_irs_heads(models::Classifier& model, int64_t num_classes,
                                const std::shared_ptr<nn::AnalogContext>& model_context, double irs_sigma);

// IRS: the model's output and its heads' outputs on the snapshot feature maps, combined by feedback_logits.
at::Tensor irs_logits(models::Classifier& model, models::IrsHeads& heads, const at::Tensor& images, double beta);

// NeFT's reference beta for `method` on `model` and `data` (VGG-8 CIFAR-10: OVF 1e-3, IRS 1e-1; ResNet-18
// CIFAR-10: OVF 1e-1, IRS 1e-3; their MNIST values for Fashion-MNIST); other models take VGG-8's.
double default_beta(TrainingMethod method, const std::string& model, const std::string& data);

}  // namespace cimtrain::train
