// VGG networks for 32 x 32 images (CIFAR variants): VGG-8 (docs/design.md §5: convs 64-128-P-256-256-P-512-512-P,
// FC 8192-1024-classes) and VGG-11 (convs 64-P-128-P-256-256-P-512-512-P-512-512-P, FC 512-classes),
// every conv followed by batch norm and ReLU. VGG-8 has NeFT's three IRS snapshot points (docs/design.md §4): after
// conv1 (pooled to 6 x 6 by its head), after conv2 + pool (4 x 4), after conv4 + pool (3 x 3).
#pragma once

#include <torch/nn/modules/batchnorm.h>

#include <vector>

#include "models/classifier.h"
#include "nn/analog_conv2d.h"
#include "nn/analog_linear.h"

namespace cimtrain::models {

class Vgg : public Classifier {
 public:
  // `layout`: conv widths, 0 for a 2 x 2 max-pool; `pooled`: spatial size before the classifier;
  // `hidden`: widths of the hidden FC layers.
  // `snapshots`: IRS snapshot points as (index into `layout` after which the map is taken, head pool size).
  Vgg(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& layout, int64_t pooled,
      const std::vector<int64_t>& hidden, const std::vector<std::pair<size_t, int64_t>>& snapshots = {});
  at::Tensor forward(const at::Tensor& images) override;
  std::vector<SnapshotPoint> snapshot_points() const override { return points_; }
  at::Tensor forward_with_snapshots(const at::Tensor& images, std::vector<at::Tensor>& snapshots) override;

 private:
  at::Tensor run(const at::Tensor& images, std::vector<at::Tensor>* snapshots);

  std::vector<int64_t> layout_;
  std::vector<size_t> snapshot_after_;  // where each point of points_ is taken (see the constructor)
  std::vector<SnapshotPoint> points_;
  int64_t pooled_;
  std::vector<nn::AnalogConv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> norms_;
  std::vector<nn::AnalogLinear> fcs_;
};

std::shared_ptr<Vgg> make_vgg8(int64_t in_channels, int64_t num_classes);
std::shared_ptr<Vgg> make_vgg11(int64_t in_channels, int64_t num_classes);

}  // namespace cimtrain::models
