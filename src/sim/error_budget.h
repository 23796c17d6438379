// Error budget of a chip: relative error of the analog product against the integer product, in total and
// with each non-ideality switched on alone, over Monte-Carlo chip instances.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/chip.h"

namespace cimtrain::sim {

struct ErrorStats {
  std::vector<double> per_instance;  // ||y_chip - y_ideal|| / ||y_ideal|| over the batch, one per instance
  double mean() const;
  double stddev() const;  // sample standard deviation (0 for one instance)
};

// The exact integer product x W^T [batch, outputs] (computed in double).
at::Tensor ideal_product(const at::Tensor& w_int, const at::Tensor& x_int);

// Programs `instances` chip instances (generator seeded with `seed`) and reads x once on each.
ErrorStats measure_relative_error(const ChipConfig& config, const at::Tensor& w_int, const at::Tensor& x_int,
                                  const ReadConditions& conditions, int instances, uint64_t seed);

struct ErrorBudget {
  ErrorStats total;
  std::vector<std::pair<std::string, ErrorStats>> breakdown;  // each enabled non-ideality, nonideality_names() order
};

// Total and per-non-ideality errors; every configuration uses the same seed (paired comparison).
// `progress(done, total)` is called after each configuration if given.
ErrorBudget measure_error_budget(const ChipConfig& config, const at::Tensor& w_int, const at::Tensor& x_int,
                                 const ReadConditions& conditions, int instances, uint64_t seed,
                                 const std::function<void(int, int)>& progress = {});

}  // namespace cimtrain::sim
