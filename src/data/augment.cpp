// Random crop + horizontal flip as one gather per output row (no padded copy).
#include "data/augment.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

namespace cimtrain::data {
namespace {

struct CropFlip {
  int64_t dy, dx;  // crop offset in the padded image, pixels in [0, 2 pad]
  bool flip;       // mirror the crop left-right
};

template <class T>
void crop_flip_kernel(const T* src, T* dst, const std::vector<CropFlip>& draws, int64_t channels, int64_t h, int64_t w,
                      int64_t pad) {
  at::parallel_for(0, static_cast<int64_t>(draws.size()), 16, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const CropFlip& d = draws[b];
      for (int64_t c = 0; c < channels; ++c) {
        const T* in = src + (b * channels + c) * h * w;
        T* out = dst + (b * channels + c) * h * w;
        for (int64_t y = 0; y < h; ++y) {
          T* row = out + y * w;
          const int64_t sy = y + d.dy - pad;
          if (sy < 0 || sy >= h) {
            std::fill(row, row + w, T(0));
            continue;
          }
          const T* srow = in + sy * w;
          for (int64_t x = 0; x < w; ++x) {
            const int64_t sx = (d.flip ? w - 1 - x : x) + d.dx - pad;
            row[x] = (sx >= 0 && sx < w) ? srow[sx] : T(0);
          }
        }
      }
    }
  });
}

}  // namespace

at::Tensor random_crop_flip(const at::Tensor& images, int64_t pad, at::Generator& gen) {
  TORCH_CHECK(images.dim() == 4, "random_crop_flip: expected images [B, C, H, W], got ", images.sizes());
  TORCH_CHECK(images.scalar_type() == at::kByte || images.scalar_type() == at::kFloat,
              "random_crop_flip: expected uint8 or float32 images, got ", images.scalar_type());
  TORCH_CHECK(pad >= 0, "random_crop_flip: expected pad >= 0, got ", pad);
  TORCH_CHECK(gen.defined() && gen.device().is_cpu(), "random_crop_flip: expected a defined CPU generator");

  const int64_t batch = images.size(0);
  const uint32_t span = static_cast<uint32_t>(2 * pad + 1);
  std::vector<CropFlip> draws(static_cast<size_t>(batch));
  {
    auto* cpu_gen = at::check_generator<at::CPUGeneratorImpl>(gen);
    std::lock_guard<std::mutex> lock(gen.mutex());
    for (auto& d : draws) {
      d.dy = cpu_gen->random() % span;
      d.dx = cpu_gen->random() % span;
      d.flip = (cpu_gen->random() & 1u) != 0;
    }
  }

  const at::Tensor src = images.contiguous();
  at::Tensor out = at::empty(src.sizes(), src.options());
  const int64_t c = src.size(1), h = src.size(2), w = src.size(3);
  if (src.scalar_type() == at::kByte) {
    crop_flip_kernel(src.data_ptr<uint8_t>(), out.data_ptr<uint8_t>(), draws, c, h, w, pad);
  } else {
    crop_flip_kernel(src.data_ptr<float>(), out.data_ptr<float>(), draws, c, h, w, pad);
  }
  return out;
}

}  // namespace cimtrain::data
