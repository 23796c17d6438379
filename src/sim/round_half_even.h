// Rounding to the nearest integer that vectorises, shared by the fused read kernels (read_kernels.cpp for the
// DAC side, read_kernels_adc.cpp for the ADC side).
#pragma once

namespace cimtrain::sim {

// Round to nearest, ties to even (as std::nearbyint in the default rounding mode) for |u| <= 2^22, with
// two additions that vectorise (std::nearbyint is a library call on baseline x86-64).
inline float round_half_even(float u) {
  constexpr float kMagic = 12582912.0f;  // 1.5 x 2^23
  return (u + kMagic) - kMagic;
}

}  // namespace cimtrain::sim
