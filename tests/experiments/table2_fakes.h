// Hand-made table2 entries and evaluations for the report's tests (no training, no evaluation run).
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/table2.h"

namespace cimtrain::testing_support {

using experiments::Table2Entry;
using experiments::Table2Options;

inline Table2Options small_cnn_options() {
  Table2Options o;
  o.models = {"small-cnn"};
  o.levels = {1, 2};
  o.train_level = "matched";
  o.out = "OUT";
  return o;
}

// An evaluation as `cimtrain eval --json` writes it: accuracy at levels 1, 2, ... over two chip instances, which
// read mean - spread and mean + spread (a level whose mean is < 0 is left out: not evaluated there).
inline nlohmann::json fake_eval(double clean, const std::vector<double>& means, double spread = 0.01) {
  nlohmann::json levels = nlohmann::json::array();
  for (size_t i = 0; i < means.size(); ++i) {
    const double m = means[i];
    if (m < 0) continue;
    levels.push_back({{"level", static_cast<double>(i + 1)},
                      {"mean", m},
                      {"std", spread * std::sqrt(2.0)},
                      {"ci95", {m - 0.02, m + 0.02}},
                      {"instances", 2},
                      {"values", {m - spread, m + spread}}});
  }
  return {{"metric", "accuracy"}, {"clean", clean}, {"levels", levels}, {"test_images", 100}};
}

inline Table2Entry fake_entry(const std::string& method, double train_level, const std::string& dir,
                              const std::vector<double>& means, double spread = 0.01) {
  Table2Entry e;
  e.model = "small-cnn";
  e.method = method;
  e.train_level = train_level;
  e.dir = dir;
  e.train_seconds = 10;  // the steps' time; the wall time (what the table shows) is longer
  e.train_wall_seconds = 12;
  e.eval_seconds = 3;
  e.eval = fake_eval(0.9, means, spread);
  return e;
}

}  // namespace cimtrain::testing_support
