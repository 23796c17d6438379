// CIFAR ResNets of basic blocks (two 3 x 3 conv-BN layers and a shortcut, a 1 x 1 conv-BN projection when
// the shape changes): ResNet-20 (16/32/64 channels, 3 blocks per stage; He et al. 2016, §4.2) and
// ResNet-18 (64/128/256/512 channels, 2 blocks per stage, 3 x 3 stem, no max-pool). ResNet-18 has NeFT's four
// IRS snapshot points (docs/design.md §4): after the stem (6 x 6), layer1 (6 x 6), layer2 (4 x 4), layer3 (3 x 3).
#pragma once

#include <torch/nn/modules/batchnorm.h>

#include <vector>

#include "models/classifier.h"
#include "nn/analog_conv2d.h"
#include "nn/analog_linear.h"

namespace cimtrain::models {

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  at::Tensor forward(const at::Tensor& x);

 private:
  nn::AnalogConv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, shortcut_bn{nullptr};
};
TORCH_MODULE(BasicBlock);

class ResNet : public Classifier {
 public:
  // `snapshots`: IRS snapshot points as (blocks run before the map is taken, 0 = after the stem; head pool size).
  ResNet(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& widths,
         const std::vector<int64_t>& blocks, const std::vector<std::pair<size_t, int64_t>>& snapshots = {});
  at::Tensor forward(const at::Tensor& images) override;
  std::vector<SnapshotPoint> snapshot_points() const override { return points_; }
  at::Tensor forward_with_snapshots(const at::Tensor& images, std::vector<at::Tensor>& snapshots) override;

 private:
  at::Tensor run(const at::Tensor& images, std::vector<at::Tensor>* snapshots);

  std::vector<size_t> snapshot_after_;  // where each point of points_ is taken (see the constructor)
  std::vector<SnapshotPoint> points_;
  nn::AnalogConv2d stem{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr};
  std::vector<BasicBlock> blocks_;
  nn::AnalogLinear fc{nullptr};
};

std::shared_ptr<ResNet> make_resnet20(int64_t in_channels, int64_t num_classes);
std::shared_ptr<ResNet> make_resnet18(int64_t in_channels, int64_t num_classes);

}  // namespace cimtrain::models
