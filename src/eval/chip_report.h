// `cimtrain chip`: programs a matrix on simulated chip instances, reads random inputs, and reports the
// error of the analog product against the ideal integer product, in total and per non-ideality.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/error_budget.h"
#include "sim/mapping.h"

namespace cimtrain::eval {

struct ChipOptions {
  std::optional<std::string> preset;  // unset: rram (with --config: the config's own)
  std::string config_file;
  std::optional<sim::ChipConfig> config;  // a config given in code (the Python package): used instead of both
  std::optional<double> level;  // default: the config's level (1 for a preset)
  int64_t rows = 256;
  int64_t cols = 256;
  int64_t batch = 128;
  double time_s = 3600.0;
  double temperature_K = 300.0;
  uint64_t seed = 0;
  bool ideal = false;
  std::optional<sim::IrDropMode> ir_drop;  // not set: the config's
  int instances = 1;
  std::string weights_file;
  at::Tensor weights;  // float weights [outputs, inputs] given in code, quantised per row as a layer programs them
  std::string inputs = "gaussian";
  bool json = false;
  bool print_config = false;
};

// What measure_chip found: the chip and matrix measured, the error budget, and the --json object.
struct ChipReport {
  sim::ChipConfig config;           // the effective chip (chip_report_config)
  sim::ReadConditions conditions;   // time since programming and temperature
  int64_t inputs = 0, outputs = 0;  // the weight matrix is [outputs, inputs]
  sim::TileLayout layout;           // how the matrix lies over the tiles
  sim::ErrorBudget budget;          // relative error in total and per non-ideality
  nlohmann::json json;              // {"format": "cimtrain.chip_report", "relative_error", "breakdown", ...}
};

// The effective chip config: --config or the preset, then --level, --ir-drop and --ideal; validated. Throws
// common::ConfigError when both --preset and --config are given.
sim::ChipConfig chip_report_config(const ChipOptions& o);

// The integer weights of a text file (`chip --weights`): one output per line, values separated by spaces, commas,
// semicolons or tabs, '#' starting a comment; every value an integer in [-weight_max, weight_max], every row as
// long as the first. Throws an error naming the file and line otherwise.
at::Tensor read_weights_file(const std::string& path, int weight_max);

// Programs the weights (--weights, or a quantised Gaussian --cols x --rows matrix) on `instances` chip
// instances, reads `batch` random inputs, and measures the error budget (a progress bar on stderr). Throws
// common::ConfigError naming the flag for bad options, std::runtime_error for a bad weights file or --inputs.
ChipReport measure_chip(const ChipOptions& o);

// Prints the human-readable report: the chip and matrix, the mapping, and the error of each non-ideality
// alone and of all together (relative error and SNR).
void print_chip_report(const ChipReport& measured, const ChipOptions& o);

// Runs the command's work and prints its report.
void run_chip(const ChipOptions& o);

}  // namespace cimtrain::eval
