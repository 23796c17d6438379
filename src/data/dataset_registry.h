// The image data sets by name ("cifar10", "fashion-mnist"): loading, default folders, default normalisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_dataset.h"
#include "data/normalization.h"

namespace cimtrain::data {

// The known names, in a fixed order: {"cifar10", "fashion-mnist"}.
const std::vector<std::string>& image_dataset_names();

// The folder a data set is read from when none is given (data_location.h).
std::string default_image_dataset_dir(const std::string& name);

// Loads the train or test split of data set `name` from `dir` (empty: the default folder); limit >= 0 keeps the
// first `limit` images. Throws DataError for an unknown name (listing the known ones) or a bad file.
ImageDataset load_image_dataset(const std::string& name, const std::string& dir, bool train, int64_t limit = -1);

// The usual per-channel mean and std of the training set on the [0, 1] scale (CIFAR-10: 3 channels,
// Fashion-MNIST: 1). Throws DataError for an unknown name.
Normalization default_normalization(const std::string& name);

}  // namespace cimtrain::data
