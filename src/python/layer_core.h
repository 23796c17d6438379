// The C++ analog layer a Python cimtrain.nn module computes through: it holds the layer's geometry and its
// programmed chip instance, never the weights (the Python module's nn.Parameters are passed to every call).
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "nn/analog_conv2d.h"
#include "nn/analog_layer.h"
#include "nn/analog_linear.h"

namespace cimtrain::python {

class LayerCore {
 public:
  static LayerCore linear(const nn::AnalogLinearOptions& options);
  static LayerCore conv2d(const nn::AnalogConv2dOptions& options);

  nn::AnalogLayer& layer() const { return *layer_; }
  // The weights program() reads (the Python module's parameter, set before each programming).
  void set_weight(const at::Tensor& weight);

 private:
  std::shared_ptr<nn::AnalogLinearImpl> linear_;
  std::shared_ptr<nn::AnalogConv2dImpl> conv_;
  nn::AnalogLayer* layer_ = nullptr;
};

}  // namespace cimtrain::python
