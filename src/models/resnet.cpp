// CIFAR ResNets (see resnet.h).
#include "models/resnet.h"

#include <ATen/ATen.h>

namespace cimtrain::models {

namespace {
nn::AnalogConv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return nn::AnalogConv2d(nn::AnalogConv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}
}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
  conv1 = register_module("conv1", conv3x3(in_channels, out_channels, stride));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
  conv2 = register_module("conv2", conv3x3(out_channels, out_channels, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    shortcut = register_module(
        "shortcut", nn::AnalogConv2d(nn::AnalogConv2dOptions(in_channels, out_channels, 1).stride(stride).bias(false)));
    shortcut_bn = register_module("shortcut_bn", torch::nn::BatchNorm2d(out_channels));
  }
}

at::Tensor BasicBlockImpl::forward(const at::Tensor& x) {
  auto y = at::relu(bn1->forward(conv1->forward(x)));
  y = bn2->forward(conv2->forward(y));
  return at::relu(y + (shortcut ? shortcut_bn->forward(shortcut->forward(x)) : x));
}

ResNet::ResNet(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& widths,
               const std::vector<int64_t>& blocks, const std::vector<std::pair<size_t, int64_t>>& snapshots) {
  stem = register_module("stem", conv3x3(in_channels, widths.front(), 1));
  stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(widths.front()));
  int64_t c = widths.front();
  std::vector<int64_t> block_widths;
  std::vector<std::string> blocks_names;
  for (size_t stage = 0; stage < widths.size(); ++stage) {
    for (int64_t b = 0; b < blocks[stage]; ++b) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      const auto name = "layer" + std::to_string(stage + 1) + "_" + std::to_string(b);
      blocks_.push_back(register_module(name, BasicBlock(c, widths[stage], stride)));
      block_widths.push_back(widths[stage]);
      blocks_names.push_back(b + 1 == blocks[stage] ? "layer" + std::to_string(stage + 1) : name);
      c = widths[stage];
    }
  }
  fc = register_module("fc", nn::AnalogLinear(c, num_classes));
  for (const auto& [after_blocks, pool] : snapshots) {
    TORCH_CHECK(after_blocks <= blocks_.size(), "ResNet: a snapshot point after block ", after_blocks, " of ",
                blocks_.size());
    const auto channels = after_blocks == 0 ? widths.front() : block_widths[after_blocks - 1];
    points_.push_back(
        {after_blocks == 0 ? "after the stem" : "after " + blocks_names[after_blocks - 1], channels, pool});
    snapshot_after_.push_back(after_blocks);
  }
}

at::Tensor ResNet::forward(const at::Tensor& images) { return run(images, nullptr); }

at::Tensor ResNet::forward_with_snapshots(const at::Tensor& images, std::vector<at::Tensor>& snapshots) {
  if (points_.empty()) return Classifier::forward_with_snapshots(images, snapshots);
  return run(images, &snapshots);
}

at::Tensor ResNet::run(const at::Tensor& images, std::vector<at::Tensor>* snapshots) {
  auto x = at::relu(stem_bn->forward(stem->forward(images)));
  size_t next_snapshot = 0;
  for (size_t b = 0; b <= blocks_.size(); ++b) {
    if (b > 0) x = blocks_[b - 1]->forward(x);
    if (next_snapshot < snapshot_after_.size() && snapshot_after_[next_snapshot] == b) {
      if (snapshots) snapshots->push_back(x);
      ++next_snapshot;
    }
  }
  return fc->forward(at::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
}

std::shared_ptr<ResNet> make_resnet20(int64_t in_channels, int64_t num_classes) {
  return std::make_shared<ResNet>(in_channels, num_classes, std::vector<int64_t>{16, 32, 64},
                                  std::vector<int64_t>{3, 3, 3});
}

std::shared_ptr<ResNet> make_resnet18(int64_t in_channels, int64_t num_classes) {
  return std::make_shared<ResNet>(in_channels, num_classes, std::vector<int64_t>{64, 128, 256, 512},
                                  std::vector<int64_t>{2, 2, 2, 2},
                                  // IRS heads (NeFT): after the stem, layer1 (2 blocks), layer2 (4), layer3 (6).
                                  std::vector<std::pair<size_t, int64_t>>{{0, 6}, {2, 6}, {4, 4}, {6, 3}});
}

}  // namespace cimtrain::models
