// Training-time augmentation of image batches: zero-padded random crop and random horizontal flip.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "data/normalization.h"  // normalize(): the step that follows augmentation

namespace cimtrain::data {

// For each image of `images` ([B, C, H, W], uint8 or float32) independently: pads by `pad` zero pixels on every
// side, crops an H x W window at a uniformly random offset (dy, dx) in [0, 2 pad]^2, then flips it left-right
// with probability 1/2 (as torchvision's RandomCrop(padding) + RandomHorizontalFlip). Output: same shape and
// dtype, contiguous. Randomness comes only from `gen` (a CPU generator): three 32-bit draws per image, in
// image order (dy, dx, flip), so the result is a function of the generator's state.
at::Tensor random_crop_flip(const at::Tensor& images, int64_t pad, at::Generator& gen);

}  // namespace cimtrain::data
