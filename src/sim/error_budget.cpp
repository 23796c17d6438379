// Error-budget measurement (see error_budget.h).
#include "sim/error_budget.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace cimtrain::sim {

double ErrorStats::mean() const {
  if (per_instance.empty()) return 0.0;
  double s = 0;
  for (double v : per_instance) s += v;
  return s / static_cast<double>(per_instance.size());
}

double ErrorStats::stddev() const {
  const size_t n = per_instance.size();
  if (n < 2) return 0.0;
  const double m = mean();
  double s = 0;
  for (double v : per_instance) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(n - 1));
}

at::Tensor ideal_product(const at::Tensor& w_int, const at::Tensor& x_int) {
  TORCH_CHECK(w_int.dim() == 2 && x_int.dim() == 2 && x_int.size(1) == w_int.size(1),
              "inputs [batch, n] and weights [outputs, n] must agree, found inputs ", x_int.sizes(), " and weights ",
              w_int.sizes());
  return at::matmul(x_int.to(at::kDouble), w_int.to(at::kDouble).t());
}

ErrorStats measure_relative_error(const ChipConfig& config, const at::Tensor& w_int, const at::Tensor& x_int,
                                  const ReadConditions& conditions, int instances, uint64_t seed) {
  TORCH_CHECK(instances >= 1, "instances must be >= 1, found ", instances);
  const auto ideal = ideal_product(w_int, x_int);
  const double norm = ideal.norm().item<double>();
  TORCH_CHECK(norm > 0, "the ideal product is zero: the relative error is undefined (all-zero weights or inputs)");
  const Chip chip(config);
  auto gen = at::detail::createCPUGenerator(seed);
  ErrorStats stats;
  for (int k = 0; k < instances; ++k) {
    const auto inst = chip.program(w_int, gen, conditions);
    const auto y = inst.infer(x_int, gen).to(at::kDouble);
    stats.per_instance.push_back((y - ideal).norm().item<double>() / norm);
  }
  return stats;
}

ErrorBudget measure_error_budget(const ChipConfig& config, const at::Tensor& w_int, const at::Tensor& x_int,
                                 const ReadConditions& conditions, int instances, uint64_t seed,
                                 const std::function<void(int, int)>& progress) {
  ErrorBudget budget;
  const auto names = enabled_nonidealities(config);  // the chip's own components only
  const int steps = static_cast<int>(names.size()) + 1;
  budget.total = measure_relative_error(config, w_int, x_int, conditions, instances, seed);
  if (progress) progress(1, steps);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto alone = only_nonideality(config, names[i]);
    budget.breakdown.emplace_back(names[i], measure_relative_error(alone, w_int, x_int, conditions, instances, seed));
    if (progress) progress(static_cast<int>(i) + 2, steps);
  }
  return budget;
}

}  // namespace cimtrain::sim
