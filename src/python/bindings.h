// The Python extension cimtrain._C (pybind11): one function per part of the library it exposes, each in its
// own file, called by module.cpp. The Python package (python/cimtrain) wraps these in PyTorch-idiomatic
// classes; nothing here is meant to be called by users directly.
#pragma once

#include <torch/extension.h>

namespace cimtrain::python {

namespace py = pybind11;

void bind_chip_config(py::module_& m);  // presets, JSON validation, the field table, the error budget
void bind_context(py::module_& m);      // nn::AnalogContext, nn::ContextOverride, conductance hooks
void bind_layers(py::module_& m);       // the C++ analog layers a Python module computes through
void bind_deployment(py::module_& m);   // chip instances, Monte-Carlo statistics, NeFT, progress bars
void bind_data(py::module_& m);         // the data sets and checkpoints, as tensors

}  // namespace cimtrain::python
