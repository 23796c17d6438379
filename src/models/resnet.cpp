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
               const std::vector<int64_t>& blocks) {
  stem = register_module("stem", conv3x3(in_channels, widths.front(), 1));
  stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(widths.front()));
  int64_t c = widths.front();
  for (size_t stage = 0; stage < widths.size(); ++stage) {
    for (int64_t b = 0; b < blocks[stage]; ++b) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      const auto name = "layer" + std::to_string(stage + 1) + "_" + std::to_string(b);
      blocks_.push_back(register_module(name, BasicBlock(c, widths[stage], stride)));
      c = widths[stage];
    }
  }
  fc = register_module("fc", nn::AnalogLinear(c, num_classes));
}

at::Tensor ResNet::forward(const at::Tensor& images) {
  auto x = at::relu(stem_bn->forward(stem->forward(images)));
  for (auto& block : blocks_) x = block->forward(x);
  return fc->forward(at::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
}

std::shared_ptr<ResNet> make_resnet20(int64_t in_channels, int64_t num_classes) {
  return std::make_shared<ResNet>(in_channels, num_classes, std::vector<int64_t>{16, 32, 64},
                                  std::vector<int64_t>{3, 3, 3});
}

std::shared_ptr<ResNet> make_resnet18(int64_t in_channels, int64_t num_classes) {
  return std::make_shared<ResNet>(in_channels, num_classes, std::vector<int64_t>{64, 128, 256, 512},
                                  std::vector<int64_t>{2, 2, 2, 2});
}

}  // namespace cimtrain::models
