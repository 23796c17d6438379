// `cimtrain experiment table3`: the paper's Table III. Runs `cimtrain bench` (each mode in its own process) for
// each model, then lays the results out as the paper does (time per iteration, peak and average memory, CPU
// utilisation) with ratios to the clean baseline, beside the paper's numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cimtrain::experiments {

struct Table3Options {
  std::vector<std::string> models = {"resnet20", "vgg8", "gpt"};
  std::vector<std::string> modes = {"clean", "full", "ste-nograd", "ste-detach", "ste"};
  std::optional<int64_t> batch;  // unset: the model's usual (vision 128, text 32)
  int64_t steps = 5;
  int64_t warmup = 2;
  int repeats = 2;
  double level = 1;
  std::string preset = "rram";
  uint64_t seed = 0;
  std::string out = "results/table3";
};

// Runs the experiment (cached, resumable) and writes its report into o.out.
void run_table3(const Table3Options& o);

}  // namespace cimtrain::experiments
