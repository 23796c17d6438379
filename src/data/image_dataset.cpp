// Consistency checks for an in-memory image data set.
#include "data/image_dataset.h"

#include <sstream>

#include "data/data_error.h"

namespace cimtrain::data {

void ImageDataset::validate() const {
  const std::string who = "image dataset '" + name + "'";
  if (!images.defined() || !labels.defined()) throw DataError(who + ": expected images and labels, found undefined");
  if (images.dim() != 4 || images.scalar_type() != at::kByte) {
    std::ostringstream s;
    s << who << ": expected uint8 images [N, C, H, W], found " << images.scalar_type() << " " << images.sizes();
    throw DataError(s.str());
  }
  if (labels.dim() != 1 || labels.scalar_type() != at::kLong || labels.size(0) != images.size(0)) {
    std::ostringstream s;
    s << who << ": expected int64 labels [" << images.size(0) << "], found " << labels.scalar_type() << " "
      << labels.sizes();
    throw DataError(s.str());
  }
  if (num_classes <= 0 || static_cast<int64_t>(class_names.size()) != num_classes) {
    std::ostringstream s;
    s << who << ": expected num_classes > 0 and as many class names, found " << num_classes << " classes and "
      << class_names.size() << " names";
    throw DataError(s.str());
  }
  if (labels.numel() > 0) {
    const int64_t lo = labels.min().item<int64_t>();
    const int64_t hi = labels.max().item<int64_t>();
    if (lo < 0 || hi >= num_classes) {
      std::ostringstream s;
      s << who << ": expected labels in [0, " << num_classes - 1 << "], found [" << lo << ", " << hi << "]";
      throw DataError(s.str());
    }
  }
}

}  // namespace cimtrain::data
