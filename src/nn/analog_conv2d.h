// A 2-D convolution on the analog chip: the kernel is the crossbar matrix [Cout, Cin*kh*kw] and the input
// its im2col rows. A drop-in for torch::nn::Conv2d (groups = 1; parameters "weight", "bias").
#pragma once

#include <torch/arg.h>
#include <torch/expanding_array.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "nn/analog_layer.h"

namespace cimtrain::nn {

struct AnalogConv2dOptions {
  AnalogConv2dOptions(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<2> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(torch::ExpandingArray<2>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<2>, stride) = 1;
  TORCH_ARG(torch::ExpandingArray<2>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<2>, dilation) = 1;
  TORCH_ARG(bool, bias) = true;
};

class AnalogConv2dImpl : public torch::nn::Cloneable<AnalogConv2dImpl>, public AnalogLayer {
 public:
  AnalogConv2dImpl(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<2> kernel_size)
      : AnalogConv2dImpl(AnalogConv2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit AnalogConv2dImpl(const AnalogConv2dOptions& options);
  void reset() override;  // torch::nn::Conv2d's initialisation
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight_matrix() const override { return weight.reshape({options.out_channels(), -1}); }
  void pretty_print(std::ostream& stream) const override;

  AnalogConv2dOptions options;
  at::Tensor weight, bias;

 protected:
  at::Tensor clean_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const override;
  at::Tensor to_rows(const at::Tensor& x) const override;
  at::Tensor from_rows(const at::Tensor& rows, const at::Tensor& x) const override;
  at::Tensor as_matrix(const at::Tensor& w) const override { return w.reshape({options.out_channels(), -1}); }
  at::Tensor ste_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                         const at::Tensor& y_noisy) const override;
  bool has_direct_read() const override { return true; }
  at::Tensor direct_read(const sim::ChipInstance& chip, const at::Tensor& x, at::Generator& gen, double input_scale,
                         const at::Tensor& weight_scale, const at::Tensor& bias) const override;
  void calibrate_direct(sim::ChipInstance& chip, const at::Tensor& x_int, at::Generator& gen) const override;

 private:
  // The options as lists, and the geometry the chip's direct read takes.
  std::vector<int64_t> kernel_, stride_, padding_, dilation_;
  sim::ConvGeometry geometry_;
};
TORCH_MODULE(AnalogConv2d);

}  // namespace cimtrain::nn
