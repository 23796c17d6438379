// The data folder and where to get each data set (see data_location.h).
#include "data/data_location.h"

#include <cstdlib>
#include <filesystem>

namespace cimtrain::data {

std::string data_root() {
  const char* env = std::getenv("CIMTRAIN_DATA");
  if (env && *env) return env;
  return std::string(CIMTRAIN_SOURCE_DIR) + "/data";
}

std::string default_cifar10_dir() { return data_root() + "/cifar10/cifar-10-batches-bin"; }

std::string default_text_path() { return data_root() + "/shakespeare/input.txt"; }

std::string default_fashion_mnist_dir() {
  const std::string own = data_root() + "/fashion-mnist";
  std::error_code ec;
  return std::filesystem::is_directory(own, ec) ? own : kDebianFashionMnistDir;
}

std::string where_to_get(const std::string& dataset) {
  const char* env = std::getenv("CIMTRAIN_DATA");
  const std::string root = env && *env ? "$CIMTRAIN_DATA = " + std::string(env)
                                       : "$CIMTRAIN_DATA is not set, so the repository's data/ folder";
  std::string how;
  if (dataset == "cifar10")
    how =
        "CIFAR-10: download the binary version (cifar-10-binary.tar.gz) from "
        "https://www.cs.toronto.edu/~kriz/cifar.html "
        "and unpack it into $CIMTRAIN_DATA/cifar10/ (it makes cifar-10-batches-bin/)";
  else if (dataset == "fashion-mnist")
    how = "Fashion-MNIST: install Debian's package dataset-fashion-mnist (it puts the files in " +
          std::string(kDebianFashionMnistDir) +
          "), or put the IDX files from https://github.com/zalandoresearch/fashion-mnist into "
          "$CIMTRAIN_DATA/fashion-mnist/";
  else
    how =
        "tiny Shakespeare: download input.txt from "
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt into "
        "$CIMTRAIN_DATA/shakespeare/";
  return how + " (" + root + "; see README.md, Data)";
}

}  // namespace cimtrain::data
