// The cost of one training step in one gradient mode (the paper's Table III, per mode): step time,
// resident memory and CPU use over timed steps on synthetic batches, and where one step's time goes.
// `cimtrain bench` runs each mode in a process of its own so that peak memory is that mode's alone.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/errors.h"

namespace cimtrain::eval {

struct StepBenchConfig {
  std::string model = "resnet20";  // models::model_names() or gpt / bert (default transformer sizes, 65 characters)
  std::string data = "";           // input shape of this data set (cifar10, fashion-mnist); empty: the model's usual
  std::string mode = "ste";        // a gradient mode, or MODE+METHOD (train::parse_mode_and_method)
  std::string preset = "rram";     // chip preset
  std::string chip_config;         // optional chip config JSON (overrides the preset)
  double level = 1.0;              // chip noise level L
  int64_t batch = 128;             // examples per step
  int64_t steps = 10;              // timed steps
  int64_t warmup = 3;              // untimed steps first (allocator and thread pools settle)
  uint64_t seed = 0;               // initialisation, synthetic data and chip noise
  bool channels_last = false;      // convolutions in channels-last memory (TrainConfig::channels_last)
  bool breakdown = false;          // also time the parts of a step, on `steps` extra steps after the timed ones

  void validate() const;  // throws common::ConfigError
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StepBenchConfig, model, data, mode, preset, chip_config, level, batch,
                                                steps, warmup, seed, channels_last, breakdown)

struct StepBenchResult {
  std::string mode;
  int threads = 0;             // LibTorch intra-op threads
  std::vector<double> step_s;  // wall-clock seconds of each timed step
  double step_s_median = 0, step_s_min = 0, step_s_max = 0;
  double peak_rss_mb = 0;  // the process's peak resident set size (VmHWM), MiB
  double avg_rss_mb = 0;   // mean resident set size sampled every 5 ms during the timed steps, MiB
  double cpu_util = 0;     // (user + system CPU time) / (wall time x threads) over the timed steps
  // With `breakdown`: median seconds per step of each part. "forward" (the mode's forward and loss),
  // "backward", "optimizer"; "clean_forward" (a separate clean forward of the same batch, for reference);
  // and the simulator's stages ("sim.program", "sim.read", ... see common/stage_timer.h) summed per step.
  std::map<std::string, double> breakdown_s;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StepBenchResult, mode, threads, step_s, step_s_median, step_s_min,
                                                step_s_max, peak_rss_mb, avg_rss_mb, cpu_util, breakdown_s)

// Builds the model on the chip, runs `warmup` then `steps` SGD steps on synthetic batches (uniform random pixels and
// uniform labels, or uniform character windows of the model's context, BERT's masked: the cost does not
// depend on the data) in this process, and measures them.
StepBenchResult run_step_bench(const StepBenchConfig& config);

// Median of a non-empty list.
double median(std::vector<double> v);

}  // namespace cimtrain::eval
