// Deployment for Python models: chip instance k of a level programmed exactly as `cimtrain eval` programs it
// (eval::program_instance over the model's layer list), NeFT's device-model instances, the Monte-Carlo summary
// statistics, NeFT's feedback logits and devices, the progress bar and the thread count.
#include <pybind11/stl.h>

#include "common/seed_streams.h"
#include "common/threads.h"
#include "eval/monte_carlo.h"
#include "nn/convert.h"
#include "nn/neft_noise.h"
#include "python/bindings.h"
#include "python/layer_core.h"
#include "report/progress_bar.h"
#include "train/neft_method.h"

namespace cimtrain::python {
namespace {

std::vector<nn::AnalogLayer*> layers_of(const std::vector<LayerCore*>& cores) {
  std::vector<nn::AnalogLayer*> layers;
  for (auto* core : cores) layers.push_back(&core->layer());
  return layers;
}

void bind_instances(py::module_& m) {
  m.def(
      "program_instance",
      [](const std::vector<LayerCore*>& cores, uint64_t seed, double level, int k) {
        const auto layers = layers_of(cores);
        py::gil_scoped_release no_gil;
        eval::program_instance(layers, seed, level, k);
      },
      py::arg("cores"), py::arg("seed"), py::arg("level"), py::arg("instance"));
  m.def(
      "program_neft_instance",
      [](const std::vector<LayerCore*>& cores, uint64_t seed, double sigma, double s, int k) {
        const auto layers = layers_of(cores);
        py::gil_scoped_release no_gil;
        eval::program_neft_instance(layers, seed, sigma, s, k);
      },
      py::arg("cores"), py::arg("seed"), py::arg("sigma"), py::arg("s"), py::arg("instance"));
  m.def("clear_chip", [](const std::vector<LayerCore*>& cores) { nn::clear_chip(layers_of(cores)); });
  m.def(
      "summarize",
      [](double level, std::vector<double> values) {
        return eval::to_json(eval::summarize(level, std::move(values))).dump();
      },
      "eval's per-level statistics as JSON text: mean, std, ci95, instances, values");
}

void bind_neft(py::module_& m) {
  m.def("feedback_logits", &train::feedback_logits, py::arg("out"), py::arg("extra"), py::arg("beta"));
  m.attr("OVF_RAISES") = std::vector<double>(train::kOvfRaises.begin(), train::kOvfRaises.end());
  m.def("neft_devices", [] {
    std::vector<std::pair<std::string, double>> devices;
    for (const auto& d : nn::neft_devices()) devices.emplace_back(d.name, d.s);
    return devices;
  });
  m.def("neft_relative_std", &nn::neft_relative_std, py::arg("sigma"), py::arg("s"));
}

void bind_progress(py::module_& m) {
  py::class_<report::ProgressBar>(m, "ProgressBar")
      .def(py::init<std::string, int, std::string>(), py::arg("label"), py::arg("total"), py::arg("unit"))
      .def("update", &report::ProgressBar::update, py::arg("done"), py::arg("note") = "")
      .def("finish", &report::ProgressBar::finish);
  m.def("mix_seed", [](const std::vector<uint64_t>& values) {
    uint64_t seed = values.empty() ? 0 : values[0];
    for (size_t i = 1; i < values.size(); ++i) seed = common::mix_seed({seed, values[i]});
    return seed;
  });
  m.def("set_threads", &common::set_torch_threads, py::arg("threads") = 0,
        "LibTorch's intra-op threads: `threads`, or the machine's cores for 0 (as the cimtrain program)");
}

}  // namespace

void bind_deployment(py::module_& m) {
  bind_instances(m);
  bind_neft(m);
  bind_progress(m);
}

}  // namespace cimtrain::python
