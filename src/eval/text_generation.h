// `cimtrain generate` (see generate_command.h): per level, chip instance 0 of that level as `eval --seed`
// draws it, programmed and calibrated once, then seeded sampling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cimtrain::eval {

struct GenerateCommandOptions {
  std::string checkpoint;
  std::string prompt = "ROMEO:";
  int64_t length = 300;
  std::vector<double> levels = {2};
  bool include_float = false;
  double temperature = 0.8;
  uint64_t seed = 0;
  double time_s = 3600.0;
  std::string preset, chip_config, data_dir;
  int64_t calibration = 64;  // windows (as eval's default for language models; 0: per-batch ranges)
};

// Runs the command's work and prints its report.
void run_generate(const GenerateCommandOptions& o);

}  // namespace cimtrain::eval
