// Where the data sets are read from. One folder holds them all: $CIMTRAIN_DATA when it is set, else data/ in
// the repository (docs/design.md §5):
//   cifar10/cifar-10-batches-bin/   CIFAR-10, binary version (data_batch_1..5.bin, test_batch.bin)
//   shakespeare/input.txt           tiny Shakespeare
//   fashion-mnist/                  Fashion-MNIST IDX files (else Debian's /usr/share/datasets/fashion-mnist)
// Every "missing data" error ends with where_to_get(): the variable, the folder and the official source.
#pragma once

#include <string>

namespace cimtrain::data {

// $CIMTRAIN_DATA, or the repository's data/ folder when the variable is unset or empty.
std::string data_root();

std::string default_cifar10_dir();  // data_root()/cifar10/cifar-10-batches-bin
std::string default_text_path();    // data_root()/shakespeare/input.txt
// data_root()/fashion-mnist when that folder exists, else kDebianFashionMnistDir (package dataset-fashion-mnist).
std::string default_fashion_mnist_dir();
inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// "set $CIMTRAIN_DATA ... (now: ...); CIFAR-10: download the binary version from ..." for `dataset`
// (cifar10, fashion-mnist, shakespeare).
std::string where_to_get(const std::string& dataset);

}  // namespace cimtrain::data
