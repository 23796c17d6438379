// Custom autograd functions of the fused STE (see ste_function.h).
#include "nn/ste_function.h"

#include <torch/csrc/autograd/custom_function.h>

namespace cimtrain::nn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct SteLinear : public torch::autograd::Function<SteLinear> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                            const at::Tensor& y_noisy) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["has_bias"] = b.numel() > 0;
    return y_noisy;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    const auto g = grads[0];
    const auto g2 = g.reshape({-1, g.size(-1)});
    const auto x2 = x.reshape({-1, x.size(-1)});
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) gx = at::matmul(g, w);
    if (ctx->needs_input_grad(1)) gw = at::mm(g2.t(), x2);
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) gb = g2.sum(0);
    return {gx, gw, gb, at::Tensor()};
  }
};

struct SteConv2d : public torch::autograd::Function<SteConv2d> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                            const at::Tensor& y_noisy, at::IntArrayRef stride, at::IntArrayRef padding,
                            at::IntArrayRef dilation) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["has_bias"] = b.numel() > 0;
    ctx->saved_data["stride"] = stride.vec();
    ctx->saved_data["padding"] = padding.vec();
    ctx->saved_data["dilation"] = dilation.vec();
    return y_noisy;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const auto stride = ctx->saved_data["stride"].toIntVector();
    const auto padding = ctx->saved_data["padding"].toIntVector();
    const auto dilation = ctx->saved_data["dilation"].toIntVector();
    const std::vector<int64_t> bias_sizes = {saved[1].size(0)};
    auto [gx, gw, gb] = at::convolution_backward(
        grads[0].contiguous(), saved[0], saved[1], has_bias ? at::OptionalIntArrayRef(bias_sizes) : c10::nullopt,
        stride, padding, dilation, /*transposed=*/false, /*output_padding=*/{0, 0}, /*groups=*/1,
        {ctx->needs_input_grad(0), ctx->needs_input_grad(1), has_bias && ctx->needs_input_grad(2)});
    return {gx, gw, gb, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// Autograd functions cannot take undefined tensors: a missing bias travels as an empty one.
at::Tensor bias_or_empty(const at::Tensor& b, const at::Tensor& w) {
  return b.defined() ? b : at::empty({0}, w.options());
}

}  // namespace

at::Tensor ste_linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& y_noisy) {
  return SteLinear::apply(x, w, bias_or_empty(b, w), y_noisy);
}

at::Tensor ste_conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& y_noisy,
                      at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation) {
  return SteConv2d::apply(x, w, bias_or_empty(b, w), y_noisy, stride, padding, dilation);
}

}  // namespace cimtrain::nn
