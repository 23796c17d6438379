// CIFAR-10 loader for the official binary version (cifar-10-batches-bin): 10 classes of 32x32 RGB images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_dataset.h"

namespace cimtrain::data {

inline constexpr int64_t kCifar10RecordsPerFile = 10000;    // records in each data_batch_k.bin / test_batch.bin
inline constexpr int64_t kCifar10ImageBytes = 3 * 32 * 32;  // R, G, B planes of 32x32, row-major
inline constexpr int64_t kCifar10RecordBytes = 1 + kCifar10ImageBytes;  // label byte + pixels

// The standard class names (index = label), used when batches.meta.txt is absent.
const std::vector<std::string>& cifar10_class_names();

// Reads data_batch_1..5.bin (train: 50000 images) or test_batch.bin (10000) from `dir` into uint8 images
// [N, 3, 32, 32] and int64 labels [N]; class names from dir/batches.meta.txt when present. limit >= 0 keeps
// the first `limit` images in file order and reads only those. Throws DataError naming the file for a missing
// file, a size other than 10000 records of 3073 bytes, or a label > 9.
ImageDataset load_cifar10(const std::string& dir, bool train, int64_t limit = -1);

}  // namespace cimtrain::data
