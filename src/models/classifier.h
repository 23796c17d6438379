// The interface every vision model implements: images [N, C, H, W] -> logits [N, classes]; and, for NeFT's
// IRS method (docs/design.md §4), the intermediate feature maps its auxiliary heads read.
#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cimtrain::models {

// A feature map an IRS head reads: where it is taken, its channels, and the head's pooled size k (k x k).
struct SnapshotPoint {
  std::string name;  // e.g. "after conv2 + pool"
  int64_t channels;
  int64_t pool;
};

class Classifier : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& images) = 0;
  // The model's IRS snapshot points, shallowest first; empty where none are defined.
  virtual std::vector<SnapshotPoint> snapshot_points() const { return {}; }
  // forward(images), also appending the feature maps at snapshot_points() to `snapshots`, shallowest first.
  virtual at::Tensor forward_with_snapshots(const at::Tensor& images, std::vector<at::Tensor>& snapshots) {
    (void)images;
    (void)snapshots;
    throw std::invalid_argument("this model defines no IRS snapshot points");
  }
};

}  // namespace cimtrain::models
