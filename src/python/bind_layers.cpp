// The analog layers for Python: a LayerCore per cimtrain.nn.AnalogLinear / AnalogConv2d, whose forward runs
// nn::AnalogLayer::forward_with on the Python module's parameters (every gradient mode, the programmed
// instance in eval mode) with the GIL released.
#include <pybind11/stl.h>

#include <torch/utils.h>

#include "python/bindings.h"
#include "python/layer_core.h"

namespace cimtrain::python {

namespace {
// The layer's own parameters are not used (the Python module owns them): freed at once.
template <class Impl>
void drop_own_parameters(Impl& impl) {
  torch::NoGradGuard no_grad;
  impl.weight.set_data(at::empty({0}));
  if (impl.bias.defined()) impl.bias.set_data(at::empty({0}));
}
}  // namespace

LayerCore LayerCore::linear(const nn::AnalogLinearOptions& options) {
  LayerCore core;
  core.linear_ = std::make_shared<nn::AnalogLinearImpl>(options);
  drop_own_parameters(*core.linear_);
  core.layer_ = core.linear_.get();
  return core;
}

LayerCore LayerCore::conv2d(const nn::AnalogConv2dOptions& options) {
  LayerCore core;
  core.conv_ = std::make_shared<nn::AnalogConv2dImpl>(options);
  drop_own_parameters(*core.conv_);
  core.layer_ = core.conv_.get();
  return core;
}

void LayerCore::set_weight(const at::Tensor& weight) {
  if (linear_) linear_->weight = weight;
  if (conv_) conv_->weight = weight;
}

void bind_layers(py::module_& m) {
  py::class_<LayerCore>(m, "LayerCore")
      .def_static(
          "linear",
          [](int64_t in, int64_t out, bool bias) { return LayerCore::linear(nn::AnalogLinearOptions(in, out).bias(bias)); },
          py::arg("in_features"), py::arg("out_features"), py::arg("bias"))
      .def_static(
          "conv2d",
          [](int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
             std::vector<int64_t> padding, std::vector<int64_t> dilation, bool bias) {
            auto pair = [](const std::vector<int64_t>& v) { return torch::ExpandingArray<2>({v.at(0), v.at(1)}); };
            return LayerCore::conv2d(nn::AnalogConv2dOptions(in, out, pair(kernel))
                                         .stride(pair(stride))
                                         .padding(pair(padding))
                                         .dilation(pair(dilation))
                                         .bias(bias));
          },
          py::arg("in_channels"), py::arg("out_channels"), py::arg("kernel_size"), py::arg("stride"),
          py::arg("padding"), py::arg("dilation"), py::arg("bias"))
      .def(
          "forward",
          [](LayerCore& core, const at::Tensor& x, const at::Tensor& weight, std::optional<at::Tensor> bias,
             bool training) { return core.layer().forward_with(x, weight, bias ? *bias : at::Tensor(), training); },
          py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("training"),
          py::call_guard<py::gil_scoped_release>())
      .def("set_context", [](LayerCore& core, std::shared_ptr<nn::AnalogContext> c) { core.layer().set_context(c); })
      .def_property_readonly("context", [](const LayerCore& core) { return core.layer().context(); })
      .def_property(
          "digital", [](const LayerCore& core) { return core.layer().digital(); },
          [](LayerCore& core, bool digital) { core.layer().set_digital(digital); })
      .def_property_readonly("programmed", [](const LayerCore& core) { return core.layer().programmed(); })
      .def("set_weight", &LayerCore::set_weight)
      .def("clear_programmed", [](LayerCore& core) { core.layer().clear_programmed(); });
}

}  // namespace cimtrain::python
