// How an evaluation metric is shown: accuracy in percent, perplexity as it is (lower is better), and its
// differences (points of accuracy, or of perplexity).
#pragma once

#include <fmt/core.h>

#include <string>

namespace cimtrain::eval {

struct MetricFormat {
  double scale;                   // 100 for accuracy (a fraction), 1 for perplexity
  std::string unit, name, items;  // "%"; "test accuracy"; "test images"
  bool higher_is_better;
};

inline MetricFormat format_of(const std::string& metric) {
  if (metric == "perplexity") return {1.0, "", "validation perplexity", "validation characters", false};
  return {100.0, "%", "test accuracy", "test images", true};
}

inline std::string show(const MetricFormat& f, double v) {
  return f.unit.empty() ? fmt::format("{:.3f}", v * f.scale) : fmt::format("{:.2f}{}", v * f.scale, f.unit);
}

// A difference: points of accuracy (2 decimals) or of perplexity (3).
inline std::string show_delta(const MetricFormat& f, double d) {
  return f.unit.empty() ? fmt::format("{:+.3f}", d * f.scale) : fmt::format("{:+.2f}", d * f.scale);
}

}  // namespace cimtrain::eval
