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

 private:
  LayerAsMatrix ops_;
};
TORCH_MODULE(AnalogLinear);

}  // namespace cimtrain::nn
