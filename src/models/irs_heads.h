// NeFT's IRS auxiliary heads (docs/design.md §4): one per snapshot point of a model, AdaptiveAvgPool(k) -> flatten ->
// Linear(C k^2, 512) -> ReLU -> Linear(512, classes), their linears analog (noisy) like the model's. They
// exist only in training: the model itself never holds them, so inference and checkpoints carry none.
#pragma once

#include <torch/nn/module.h>

#include <vector>

#include "models/classifier.h"
#include "nn/analog_linear.h"

namespace cimtrain::models {

class IrsHeadsImpl : public torch::nn::Module {
 public:
  IrsHeadsImpl(const std::vector<SnapshotPoint>& points, int64_t num_classes, int64_t hidden = 512);
  // Logits [N, classes] of each head from the feature maps at the snapshot points, shallowest first.
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& snapshots);
  size_t size() const { return points_.size(); }

 private:
  std::vector<SnapshotPoint> points_;
  std::vector<nn::AnalogLinear> hidden_, out_;
};
TORCH_MODULE(IrsHeads);

}  // namespace cimtrain::models
