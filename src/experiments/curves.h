// `cimtrain experiment curves`: the paper's Figure 1. Each model trains the same number of steps from the same
// initialisation and data order in each gradient mode (clean, full, ste by default), validating in float every
// few steps; one image with a panel per model shows the training loss (moving average) and the validation loss
// per step, and curves.csv holds every point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cimtrain::experiments {

struct CurvesOptions {
  std::vector<std::string> models = {"resnet20", "gpt"};
  std::vector<std::string> modes = {"clean", "full", "ste"};
  int64_t steps = 300;           // optimiser steps per run
  int64_t validate_every = 0;    // 0: steps / 15
  int64_t eval_limit = 0;        // 0: 1000 test images / 32 validation windows
  double level = 1;              // chip level while training
  std::optional<int64_t> batch;  // unset: the model's usual
  std::optional<double> lr;      // unset: the model's usual
  std::string data = "cifar10";  // the vision models' data set
  std::string preset = "rram";
  uint64_t seed = 0;
  std::string out = "results/curves";
};

// Runs the experiment (cached, resumable) and writes its report into o.out.
void run_curves(const CurvesOptions& o);

}  // namespace cimtrain::experiments
