// Analog 2-D convolution (see analog_conv2d.h).
#include "nn/analog_conv2d.h"

#include <torch/nn/init.h>

#include <cmath>

#include "common/stage_timer.h"
#include "nn/ste_function.h"

namespace cimtrain::nn {

AnalogConv2dImpl::AnalogConv2dImpl(const AnalogConv2dOptions& options_) : options(options_) {
  TORCH_CHECK(options.in_channels() > 0 && options.out_channels() > 0, "AnalogConv2d needs positive channels, found ",
              options.in_channels(), " -> ", options.out_channels());
  reset();
  const auto vec = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>(a->begin(), a->end()); };
  kernel_ = vec(options.kernel_size());
  stride_ = vec(options.stride());
  padding_ = vec(options.padding());
  dilation_ = vec(options.dilation());
  geometry_ = {kernel_[0], kernel_[1], stride_[0], stride_[1], padding_[0], padding_[1], dilation_[0], dilation_[1]};
}

at::Tensor AnalogConv2dImpl::clean_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) const {
  return at::conv2d(x, w, b, stride_, padding_, dilation_);
}

// im2col: [N, Cin*kh*kw, L] -> rows [N*L, Cin*kh*kw] (column order matches weight.view(Cout, -1)).
at::Tensor AnalogConv2dImpl::to_rows(const at::Tensor& x) const {
  const common::StageTimer timer("im2col");
  const auto cols = at::im2col(x, kernel_, dilation_, padding_, stride_);
  return cols.transpose(1, 2).reshape({-1, cols.size(1)});
}

at::Tensor AnalogConv2dImpl::from_rows(const at::Tensor& rows, const at::Tensor& x) const {
  const common::StageTimer timer("rows to NCHW");
  const int64_t n = x.size(0), ho = sim::conv_output_size(x.size(2), kernel_[0], stride_[0], padding_[0], dilation_[0]),
                wo = sim::conv_output_size(x.size(3), kernel_[1], stride_[1], padding_[1], dilation_[1]);
  return rows.view({n, ho, wo, options.out_channels()}).permute({0, 3, 1, 2}).contiguous();
}

at::Tensor AnalogConv2dImpl::ste_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                                         const at::Tensor& y_noisy) const {
  return ste_conv2d(x, w, b, y_noisy, stride_, padding_, dilation_);
}

at::Tensor AnalogConv2dImpl::direct_read(const sim::ChipInstance& chip, const at::Tensor& x, at::Generator& gen,
                                         double input_scale, const at::Tensor& weight_scale,
                                         const at::Tensor& bias) const {
  return chip.infer_conv(x, geometry_, gen, input_scale, nullptr, weight_scale, bias);
}

void AnalogConv2dImpl::calibrate_direct(sim::ChipInstance& chip, const at::Tensor& x_int, at::Generator& gen) const {
  chip.calibrate_adc_conv(x_int, geometry_, gen);
}

void AnalogConv2dImpl::reset() {
  const auto k = *options.kernel_size();
  weight = register_parameter("weight", torch::empty({options.out_channels(), options.in_channels(), k[0], k[1]}));
  bias = options.bias() ? register_parameter("bias", torch::empty({options.out_channels()}))
                        : register_parameter("bias", {}, /*requires_grad=*/false);
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(options.in_channels() * k[0] * k[1]));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

at::Tensor AnalogConv2dImpl::forward(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.in_channels(), "AnalogConv2d expects inputs [N, ",
              options.in_channels(), ", H, W], found ", x.sizes());
  return forward_with(x, weight, bias, is_training());
}

void AnalogConv2dImpl::pretty_print(std::ostream& stream) const {
  stream << "cimtrain::nn::AnalogConv2d(" << options.in_channels() << ", " << options.out_channels()
         << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride()
         << ", padding=" << options.padding() << (digital() ? ", digital" : "") << ")";
}

}  // namespace cimtrain::nn
