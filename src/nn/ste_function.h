// The fused extended STE as custom autograd functions: the value is the chip's output (computed by the
// caller without autograd), the backward is the clean layer's, from the saved input and weight only.
#pragma once

#include <ATen/ATen.h>

namespace cimtrain::nn {

// Value y_noisy [..., out]; gradients of linear(x, w, b).
at::Tensor ste_linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& y_noisy);

// Value y_noisy [N, Cout, Ho, Wo]; gradients of conv2d(x, w, b, stride, padding, dilation, groups = 1).
at::Tensor ste_conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& y_noisy,
                      at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation);

}  // namespace cimtrain::nn
