// Fashion-MNIST loader for the IDX files (gzipped or plain): 10 classes of 28x28 grey images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_dataset.h"

namespace cimtrain::data {

inline constexpr uint32_t kIdxImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions [N, rows, cols]
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension [N]

// T-shirt/top, Trouser, ..., Ankle boot (index = label).
const std::vector<std::string>& fashion_mnist_class_names();

// Reads train-images-idx3-ubyte + train-labels-idx1-ubyte (train: 60000 images) or t10k-* (10000) from `dir`,
// each as NAME.gz if present, else NAME uncompressed, into uint8 images [N, 1, 28, 28] and int64 labels [N].
// limit >= 0 keeps the first `limit` images and reads only those. Throws DataError naming the file for a
// missing file, a bad magic number, dimensions other than 28x28, image and label counts that differ,
// truncated data or a label > 9.
ImageDataset load_fashion_mnist(const std::string& dir, bool train, int64_t limit = -1);

}  // namespace cimtrain::data
