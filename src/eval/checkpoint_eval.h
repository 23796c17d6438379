// `cimtrain eval` (see eval_command.h): table, --json, and an accuracy-vs-level plot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cimtrain::eval {

struct EvalOptions {
  std::vector<std::string> checkpoints;
  std::vector<double> levels = {1, 2, 3};
  int instances = 5;
  double time_s = 3600.0;
  double temperature_K = 300.0;
  std::string preset;  // default: the training preset
  std::string chip_config;
  uint64_t seed = 0;
  std::string data_dir;
  int64_t limit = 0;
  int64_t batch = 256;
  // Training examples the deployed chip's ranges are calibrated on (0: per batch; -1: 512 images or 64 windows).
  int64_t calibration = -1;
  std::string noise = "chip";          // or "neft": NeFT's device model, at the sigmas, instead of the chip
  std::string device = "rram1";        // --noise neft: the device (its s)
  std::vector<double> sigmas = {0.1};  // --noise neft: NeFT's sigmas (in place of the levels)
  std::string plot;           // default: eval.png next to the (first) checkpoint
  bool json = false;
  std::string json_out;  // also write the JSON object to this file
};

// Runs the command's work and prints its report.
void run_eval(EvalOptions o);

}  // namespace cimtrain::eval
