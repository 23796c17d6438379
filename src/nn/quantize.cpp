// Symmetric integer quantisation (see quantize.h).
#include "nn/quantize.h"

namespace cimtrain::nn {

namespace {
at::Tensor safe_scale(const at::Tensor& max_abs, int64_t qmax) {
  return at::where(max_abs > 0, max_abs / static_cast<double>(qmax), at::ones_like(max_abs));
}
}  // namespace

Quantized quantize_per_tensor(const at::Tensor& x, int64_t qmax) {
  const auto scale = safe_scale(x.abs().max(), qmax);
  const double q = static_cast<double>(qmax);
  return {(x / scale).round_().clamp_(-q, q), scale};
}

Quantized quantize_with_scale(const at::Tensor& x, const at::Tensor& scale, int64_t qmax) {
  const double q = static_cast<double>(qmax);
  return {(x / scale).round_().clamp_(-q, q), scale};
}

Quantized quantize_per_row(const at::Tensor& w, int64_t qmax) {
  TORCH_CHECK(w.dim() == 2, "weights must be a matrix [rows, cols], found shape ", w.sizes());
  const auto scale = safe_scale(std::get<0>(w.abs().max(1, /*keepdim=*/true)), qmax);
  const double q = static_cast<double>(qmax);
  return {(w / scale).round_().clamp_(-q, q), scale};
}

at::Tensor fake_quantize_ste(const at::Tensor& v, const at::Tensor& scale, int64_t qmax) {
  const auto u = v / scale;
  const double q = static_cast<double>(qmax);
  return u + (u.round().clamp(-q, q) - u).detach();
}

}  // namespace cimtrain::nn
