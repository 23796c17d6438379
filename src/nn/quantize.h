// Symmetric integer quantisation of activations (per tensor) and weights (per output channel), the
// chip's digital interface (docs/design.md §2: quant_int8).
#pragma once

#include <ATen/ATen.h>

namespace cimtrain::nn {

struct Quantized {
  at::Tensor values;  // integer values as float, in [-qmax, qmax]
  at::Tensor scale;   // float value = values x scale; scalar (per tensor) or [rows, 1] (per row)
};

// x ~ values x scale with scale = max|x| / qmax over the whole tensor (1 for an all-zero tensor).
Quantized quantize_per_tensor(const at::Tensor& x, int64_t qmax);
// x ~ values x scale for a given (calibrated) scale; values beyond qmax clip.
Quantized quantize_with_scale(const at::Tensor& x, const at::Tensor& scale, int64_t qmax);
// W [rows, cols] ~ values x scale with scale[r] = max|W[r]| / qmax (1 for an all-zero row).
Quantized quantize_per_row(const at::Tensor& w, int64_t qmax);
// round(v / scale) clamped to [-qmax, qmax], with the identity as its gradient (straight through), and the
// scale's own gradient kept; used by the `full` mode to record the quantisers in autograd.
at::Tensor fake_quantize_ste(const at::Tensor& v, const at::Tensor& scale, int64_t qmax);

}  // namespace cimtrain::nn
