// NeFT's device-variation model (Qin et al., "Negative Feedback Training"; docs/design.md §4; docs/neft.md):
// additive Gaussian weight noise, std = sigma' max|W| sqrt(4369) / 85 with sigma' = sigma / sqrt(0.4 s^2 + 0.6),
// s times larger on weights with 0.25 < |w| / max|W| < 0.75. 4369 = sum_i 16^i and 85 = sum_i 4^i over the
// four 2-bit slices of an 8-bit weight. The `neft` gradient mode, the NeFT methods (train/neft_method.h) and
// `eval --noise neft` draw from it.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace cimtrain::nn {

struct NeftDevice {
  std::string name;  // rram1, fefet2, rram4, fefet6
  double s;          // noise multiplier on mid-range weights: 1, 2, 4, 6
};

const std::vector<NeftDevice>& neft_devices();
// Throws std::invalid_argument listing the known names.
const NeftDevice& neft_device(const std::string& name);

// The base standard deviation, as a fraction of max|W|: sigma / sqrt(0.4 s^2 + 0.6) * sqrt(4369) / 85.
double neft_relative_std(double sigma, double s);

// A noise sample for `w` (any shape; max|W| over the whole tensor), drawn from `gen`: per element
// N(0, std^2) with std = neft_relative_std(sigma, s) max|W|, times s where 0.25 < |w| / max|W| < 0.75.
// Zeros for sigma = 0 or an all-zero tensor. Throws std::invalid_argument for sigma < 0 or s < 1.
at::Tensor neft_weight_noise(const at::Tensor& w, double sigma, double s, at::Generator& gen);

}  // namespace cimtrain::nn
