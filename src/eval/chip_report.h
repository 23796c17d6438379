// `cimtrain chip`: programs a matrix on simulated chip instances, reads random inputs, and reports the
// error of the analog product against the ideal integer product, in total and per non-ideality.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/chip.h"

namespace cimtrain::eval {

struct ChipOptions {
  std::string preset = "rram";
  bool preset_given = false;
  std::string config_file;
  std::optional<double> level;  // default: the config's level (1 for a preset)
  int64_t rows = 256;
  int64_t cols = 256;
  int64_t batch = 128;
  double time_s = 3600.0;
  double temperature_K = 300.0;
  uint64_t seed = 0;
  bool ideal = false;
  std::string ir_drop;
  int instances = 1;
  std::string weights_file;
  std::string inputs = "gaussian";
  bool json = false;
  bool print_config = false;
};

// Runs the command's work and prints its report.
void run_chip(const ChipOptions& o);

}  // namespace cimtrain::eval
