// Dispatch from a data set's name to its loader, default folder and normalisation constants.
#include "data/dataset_registry.h"

#include "data/cifar10.h"
#include "data/data_error.h"
#include "data/data_location.h"
#include "data/fashion_mnist.h"

namespace cimtrain::data {
namespace {

[[noreturn]] void unknown_name(const std::string& name) {
  std::string known;
  for (const auto& n : image_dataset_names()) known += (known.empty() ? "" : ", ") + n;
  throw DataError("unknown image data set '" + name + "', expected one of: " + known);
}

}  // namespace

const std::vector<std::string>& image_dataset_names() {
  static const std::vector<std::string> names = {"cifar10", "fashion-mnist"};
  return names;
}

std::string default_image_dataset_dir(const std::string& name) {
  if (name == "cifar10") return default_cifar10_dir();
  if (name == "fashion-mnist") return default_fashion_mnist_dir();
  unknown_name(name);
}

ImageDataset load_image_dataset(const std::string& name, const std::string& dir, bool train, int64_t limit) {
  const std::string folder = dir.empty() ? default_image_dataset_dir(name) : dir;
  if (name == "cifar10") return load_cifar10(folder, train, limit);
  if (name == "fashion-mnist") return load_fashion_mnist(folder, train, limit);
  unknown_name(name);
}

Normalization default_normalization(const std::string& name) {
  // CIFAR-10: per-channel mean / std of the 50000 training images; Fashion-MNIST: of its 60000 training images.
  if (name == "cifar10") return {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  if (name == "fashion-mnist") return {{0.2860f}, {0.3530f}};
  unknown_name(name);
}

}  // namespace cimtrain::data
