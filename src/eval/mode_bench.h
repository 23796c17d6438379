// `cimtrain bench` (see bench_command.h). The parent re-runs this program as `bench --worker MODE` once per
// mode and repeat, reads the worker's one JSON line from a pipe, and aggregates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/step_bench.h"

namespace cimtrain::eval {

struct BenchOptions {
  eval::StepBenchConfig step;
  std::vector<std::string> modes = {"clean", "full", "ste", "ste-nograd", "ste-detach", "gaussian"};
  int repeats = 1;
  bool breakdown = true;
  bool json = false;
  std::string out;     // default: runs/bench-<model>
  std::string worker;  // internal: run this one mode here and print its JSON line
};

// Runs the command's work and prints its report.
void run_bench(const BenchOptions& o);

}  // namespace cimtrain::eval
