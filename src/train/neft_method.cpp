// NeFT's feedback loss pieces (see neft_method.h).
#include "train/neft_method.h"

#include <cmath>
#include <stdexcept>

#include "common/errors.h"
#include "nn/context_override.h"
#include "nn/convert.h"

namespace cimtrain::train {

at::Tensor feedback_logits(const at::Tensor& out, const std::vector<at::Tensor>& extra, double beta) {
  if (extra.empty()) return out;
  at::Tensor feedback = at::zeros_like(out);
  double weight = 1.0;
  for (const auto& e : extra) {
    TORCH_CHECK(e.sizes() == out.sizes(), "feedback: an extra output has shape ", e.sizes(), ", the output ",
                out.sizes());
    feedback = feedback + weight * e;
    weight *= 0.1;
  }
  return (out - beta * feedback) / static_cast<double>(extra.size() + 1);
}

at::Tensor ovf_logits(const std::function<at::Tensor()>& forward, nn::AnalogContext& context, double reference_sigma,
                      double beta) {
  const auto out = forward();
  std::vector<at::Tensor> extra;
  for (const double raise : kOvfRaises) {
    nn::ContextOverride raised(context);
    raised.raise_noise(raise, reference_sigma);
    extra.push_back(forward());
  }
  return feedback_logits(out, extra, beta);
}

models::IrsHeads make_irs_heads(models::Classifier& model, int64_t num_classes,
                                const std::shared_ptr<nn::AnalogContext>& model_context, double irs_sigma) {
  const auto points = model.snapshot_points();
  if (points.empty())
    throw common::ConfigError("neft-irs needs a model with IRS snapshot points (vgg8, resnet18); this model has none");
  models::IrsHeads heads(points, num_classes);
  auto context = model_context;
  if (context->mode() == nn::GradientMode::kNeft) {
    context = std::make_shared<nn::AnalogContext>(*model_context);  // at::Generator copies share their state
    context->set_neft(irs_sigma, 1.0);
  }
  nn::convert_to_analog(*heads, context);
  heads->train();
  return heads;
}

at::Tensor irs_logits(models::Classifier& model, models::IrsHeads& heads, const at::Tensor& images, double beta) {
  std::vector<at::Tensor> snapshots;
  const auto out = model.forward_with_snapshots(images, snapshots);
  return feedback_logits(out, heads->forward(snapshots), beta);
}

double default_beta(TrainingMethod method, const std::string& model, const std::string& data) {
  // NeFT_CIM config.py (commit c86c8ad): vgg8_beta and res18_beta.
  const bool mnist_like = data == "fashion-mnist";
  if (method == TrainingMethod::kNeftOvf) {
    if (model == "resnet18") return mnist_like ? 1e-4 : 1e-1;
    return 1e-3;
  }
  if (method == TrainingMethod::kNeftIrs) {
    if (model == "resnet18") return mnist_like ? 1e-1 : 1e-3;
    return mnist_like ? 1e-2 : 1e-1;
  }
  return 0.0;
}

}  // namespace cimtrain::train
