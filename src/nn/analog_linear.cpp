// Analog fully connected layer (see analog_linear.h).
#include "nn/analog_linear.h"

#include <torch/nn/init.h>

#include <cmath>

#include "nn/ste_function.h"

namespace cimtrain::nn {

AnalogLinearImpl::AnalogLinearImpl(const AnalogLinearOptions& options_) : options(options_) {
  TORCH_CHECK(options.in_features() > 0 && options.out_features() > 0,
              "AnalogLinear needs positive sizes, found in_features = ", options.in_features(),
              ", out_features = ", options.out_features());
  reset();
}

at::Tensor AnalogLinearImpl::clean_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const {
  return at::linear(x, w, b);
}

at::Tensor AnalogLinearImpl::to_rows(const at::Tensor& x) const { return x.reshape({-1, options.in_features()}); }

at::Tensor AnalogLinearImpl::from_rows(const at::Tensor& rows, const at::Tensor& x) const {
  auto sizes = x.sizes().vec();
  sizes.back() = options.out_features();
  return rows.view(sizes);
}

at::Tensor AnalogLinearImpl::ste_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                                         const at::Tensor& y_noisy) const {
  return ste_linear(x, w, b, y_noisy);
}

void AnalogLinearImpl::reset() {
  weight = register_parameter("weight", torch::empty({options.out_features(), options.in_features()}));
  bias = options.bias() ? register_parameter("bias", torch::empty({options.out_features()}))
                        : register_parameter("bias", {}, /*requires_grad=*/false);
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(options.in_features()));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

at::Tensor AnalogLinearImpl::forward(const at::Tensor& x) {
  TORCH_CHECK(x.dim() >= 1 && x.size(-1) == options.in_features(), "AnalogLinear expects inputs [..., ",
              options.in_features(), "], found ", x.sizes());
  return forward_with(x, weight, bias, is_training());
}

void AnalogLinearImpl::pretty_print(std::ostream& stream) const {
  stream << "cimtrain::nn::AnalogLinear(in_features=" << options.in_features()
         << ", out_features=" << options.out_features() << ", bias=" << (options.bias() ? "true" : "false")
         << (digital() ? ", digital" : "") << ")";
}

}  // namespace cimtrain::nn
