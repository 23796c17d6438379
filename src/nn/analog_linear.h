// A fully connected layer on the analog chip: a drop-in for torch::nn::Linear (same options and parameter
// names "weight" [out, in] and "bias" [out]) whose forward follows the context's gradient mode.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "nn/analog_layer.h"

namespace cimtrain::nn {

struct AnalogLinearOptions {
  AnalogLinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;
};

class AnalogLinearImpl : public torch::nn::Cloneable<AnalogLinearImpl>, public AnalogLayer {
 public:
  AnalogLinearImpl(int64_t in_features, int64_t out_features)
      : AnalogLinearImpl(AnalogLinearOptions(in_features, out_features)) {}
  explicit AnalogLinearImpl(const AnalogLinearOptions& options);
  void reset() override;  // torch::nn::Linear's initialisation
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight_matrix() const override { return weight; }
  void pretty_print(std::ostream& stream) const override;

  AnalogLinearOptions options;
  at::Tensor weight, bias;

 protected:
  at::Tensor clean_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const override;
  at::Tensor to_rows(const at::Tensor& x) const override;
  at::Tensor from_rows(const at::Tensor& rows, const at::Tensor& x) const override;
  at::Tensor as_matrix(const at::Tensor& w) const override { return w; }
  at::Tensor ste_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                         const at::Tensor& y_noisy) const override;
};
TORCH_MODULE(AnalogLinear);

}  // namespace cimtrain::nn
