// A small CNN for 28 x 28 grey images (Fashion-MNIST): two conv-BN-ReLU-pool stages and two FC layers.
#pragma once

#include <torch/nn/modules/batchnorm.h>

#include "models/classifier.h"
#include "nn/analog_conv2d.h"
#include "nn/analog_linear.h"

namespace cimtrain::models {

class SmallCnn : public Classifier {
 public:
  SmallCnn(int64_t in_channels, int64_t num_classes);
  at::Tensor forward(const at::Tensor& images) override;

 private:
  nn::AnalogConv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::AnalogLinear fc1{nullptr}, fc2{nullptr};
};

}  // namespace cimtrain::models
