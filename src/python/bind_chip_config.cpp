// Chip configs for Python as JSON text (python/cimtrain/chip_config.py holds them as nested dicts): presets,
// the strict reading and validation of the C++ library (the same messages as the program's), the field table
// with units, and the error budget `cimtrain chip --json` reports.
#include <pybind11/stl.h>

#include "common/errors.h"
#include "eval/chip_report.h"
#include "python/bindings.h"
#include "sim/chip_config.h"
#include "sim/config_fields.h"
#include "sim/presets.h"

namespace cimtrain::python {
namespace {

nlohmann::json parse_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw common::ConfigError(std::string("a chip config must be JSON: ") + e.what());
  }
}

// The config read strictly from JSON text and validated.
sim::ChipConfig read_config(const std::string& text) {
  auto config = sim::chip_config_from_json(parse_json(text));
  config.validate();
  return config;
}

std::string dump(const sim::ChipConfig& config) { return nlohmann::json(config).dump(); }

}  // namespace

void bind_chip_config(py::module_& m) {
  m.def("preset_names", &sim::preset_names, "the chip presets' names");
  m.def(
      "preset_json", [](const std::string& name) { return dump(sim::preset_config(name)); },
      "the preset's config as JSON text");
  m.def(
      "normalized_chip_json", [](const std::string& text) { return dump(read_config(text)); },
      "reads a config as the program does (starting from its preset), validates it, returns it complete");
  m.def(
      "ideal_chip_json", [](const std::string& text) { return dump(sim::ideal_config(read_config(text))); },
      "the config with every non-ideality off and exact converters");
  m.def("nonideality_names", &sim::nonideality_names);
  m.def(
      "chip_config_fields",
      [] {
        std::vector<std::tuple<std::string, std::string, std::string>> rows;
        for (const auto& f : sim::chip_config_fields()) rows.emplace_back(f.path, f.unit, f.meaning);
        return rows;
      },
      "(path, unit, meaning) of every config field");
  m.def(
      "chip_error_budget",
      [](const std::string& chip_json, std::optional<at::Tensor> weights, int64_t rows, int64_t cols, int64_t batch,
         double time_s, double temperature_K, uint64_t seed, int instances, const std::string& inputs) {
        eval::ChipOptions o;
        o.config = read_config(chip_json);
        if (weights) o.weights = *weights;
        o.rows = rows;
        o.cols = cols;
        o.batch = batch;
        o.time_s = time_s;
        o.temperature_K = temperature_K;
        o.seed = seed;
        o.instances = instances;
        o.inputs = inputs;
        py::gil_scoped_release no_gil;
        return eval::measure_chip(o).json.dump();
      },
      py::arg("chip_json"), py::arg("weights"), py::arg("rows"), py::arg("cols"), py::arg("batch"),
      py::arg("time_s"), py::arg("temperature_K"), py::arg("seed"), py::arg("instances"), py::arg("inputs"),
      "measure_chip's JSON report (cimtrain chip --json) as text");
}

}  // namespace cimtrain::python
