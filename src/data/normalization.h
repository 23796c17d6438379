// Per-channel normalisation of raw uint8 pixels to float: (x / 255 - mean) / stddev.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace cimtrain::data {

struct Normalization {
  std::vector<float> mean;    // per channel, on the [0, 1] pixel scale; empty: 0 for every channel
  std::vector<float> stddev;  // per channel, on the [0, 1] pixel scale, > 0; empty: 1 for every channel

  // Throws DataError unless mean and stddev have the same size, that size is 0 or `channels`
  // (channels < 0: any), and every stddev is finite and > 0.
  void validate(int64_t channels = -1) const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Normalization, mean, stddev)

// uint8 images [B, C, H, W] -> float32 (x / 255 - mean[c]) / stddev[c], contiguous. Each of the 256 values
// per channel is computed once with exactly that float expression (a look-up table), then gathered.
at::Tensor normalize(const at::Tensor& images_u8, const Normalization& norm);

}  // namespace cimtrain::data
