// Small CNN (see small_cnn.h).
#include "models/small_cnn.h"

#include <ATen/ATen.h>

namespace cimtrain::models {

SmallCnn::SmallCnn(int64_t in_channels, int64_t num_classes) {
  conv1 =
      register_module("conv1", nn::AnalogConv2d(nn::AnalogConv2dOptions(in_channels, 32, 3).padding(1).bias(false)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(32));
  conv2 = register_module("conv2", nn::AnalogConv2d(nn::AnalogConv2dOptions(32, 64, 3).padding(1).bias(false)));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(64));
  fc1 = register_module("fc1", nn::AnalogLinear(64 * 7 * 7, 128));
  fc2 = register_module("fc2", nn::AnalogLinear(128, num_classes));
}

at::Tensor SmallCnn::forward(const at::Tensor& images) {
  auto x = at::max_pool2d(at::relu(bn1->forward(conv1->forward(images))), {2, 2});
  x = at::max_pool2d(at::relu(bn2->forward(conv2->forward(x))), {2, 2});
  x = at::adaptive_avg_pool2d(x, {7, 7}).flatten(1);
  return fc2->forward(at::relu(fc1->forward(x)));
}

}  // namespace cimtrain::models
