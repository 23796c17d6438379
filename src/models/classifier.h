// The interface every vision model implements: images [N, C, H, W] -> logits [N, classes].
#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <string>

namespace cimtrain::models {

class Classifier : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& images) = 0;
};

}  // namespace cimtrain::models
