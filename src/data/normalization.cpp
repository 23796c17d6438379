// Per-channel normalisation through a 256-entry look-up table per channel.
#include "data/normalization.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "data/data_error.h"

namespace cimtrain::data {

void Normalization::validate(int64_t channels) const {
  if (mean.size() != stddev.size()) {
    std::ostringstream s;
    s << "normalization: expected as many means as standard deviations, found " << mean.size() << " and "
      << stddev.size();
    throw DataError(s.str());
  }
  if (channels >= 0 && !mean.empty() && static_cast<int64_t>(mean.size()) != channels) {
    std::ostringstream s;
    s << "normalization: expected " << channels << " channel(s) (or none), found " << mean.size();
    throw DataError(s.str());
  }
  for (size_t c = 0; c < stddev.size(); ++c) {
    if (!(stddev[c] > 0.0f) || !std::isfinite(stddev[c]) || !std::isfinite(mean[c])) {
      std::ostringstream s;
      s << "normalization: expected a finite mean and a finite stddev > 0 for channel " << c << ", found mean "
        << mean[c] << ", stddev " << stddev[c];
      throw DataError(s.str());
    }
  }
}

at::Tensor normalize(const at::Tensor& images_u8, const Normalization& norm) {
  TORCH_CHECK(images_u8.dim() == 4 && images_u8.scalar_type() == at::kByte,
              "normalize: expected uint8 images [B, C, H, W], got ", images_u8.scalar_type(), " ", images_u8.sizes());
  const int64_t channels = images_u8.size(1);
  norm.validate(channels);

  std::vector<float> lut(static_cast<size_t>(channels * 256));
  for (int64_t c = 0; c < channels; ++c) {
    const float m = norm.mean.empty() ? 0.0f : norm.mean[c];
    const float sd = norm.stddev.empty() ? 1.0f : norm.stddev[c];
    for (int v = 0; v < 256; ++v) lut[c * 256 + v] = (static_cast<float>(v) / 255.0f - m) / sd;
  }

  const at::Tensor src = images_u8.contiguous();
  at::Tensor out = at::empty(src.sizes(), at::kFloat);
  const int64_t planes = src.size(0) * channels;
  const int64_t plane = src.size(2) * src.size(3);
  const uint8_t* in = src.data_ptr<uint8_t>();
  float* dst = out.data_ptr<float>();
  const float* table = lut.data();
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(plane, 1));
  at::parallel_for(0, planes, grain, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* t = table + (p % channels) * 256;
      const uint8_t* a = in + p * plane;
      float* b = dst + p * plane;
      for (int64_t k = 0; k < plane; ++k) b[k] = t[a[k]];
    }
  });
  return out;
}

}  // namespace cimtrain::data
