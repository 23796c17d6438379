// A labelled image data set held in memory as raw pixels: the common result of every image loader.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cimtrain::data {

struct ImageDataset {
  std::string name;                      // e.g. "cifar10/train"
  at::Tensor images;                     // uint8 [N, C, H, W], raw pixel values 0..255, contiguous
  at::Tensor labels;                     // int64 [N], class indices in [0, num_classes)
  int64_t num_classes = 0;               // number of classes
  std::vector<std::string> class_names;  // num_classes names, index = label

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  // Throws DataError unless the fields are as documented above (labels are range-checked too).
  void validate() const;
};

}  // namespace cimtrain::data
