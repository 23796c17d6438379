// The statistics of `cimtrain experiment table2`'s report: a level's result of an entry, the paired difference of
// two entries over the same chip instances (mean and 95% interval), and the spread over training seeds.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/table2.h"

namespace cimtrain::experiments {

// The entry's result at `level` ({"level", "mean", "std", "ci95", "values", ...}), or null when the entry was not
// evaluated there (a per-level model elsewhere).
const nlohmann::json* level_result(const Table2Entry& entry, double level);

// The difference a - b over the same chip instances at one level: instance k of a minus instance k of b.
struct PairedDelta {
  double mean = 0;
  double ci_low = 0, ci_high = 0;  // 95% interval of the mean difference (Student t over the instances)
  int instances = 0;
};

// a - b at `level`, paired over the chip instances both were evaluated on (the table's are the same instances:
// one seed, one count); none when either was not evaluated at the level. Throws std::runtime_error when their
// instance counts differ (the evaluations cannot be paired).
std::optional<PairedDelta> paired_delta(const Table2Entry& a, const Table2Entry& b, double level);

// The spread over training seeds of one method at one level (the entries: one per seed).
struct SeedSpread {
  int seeds = 0;
  double mean = 0;                 // mean over seeds of the per-seed mean over chip instances
  double seed_std = 0;             // standard deviation over seeds of the per-seed means
  double chip_std = 0;             // mean over seeds of the per-seed standard deviation over chip instances
  double delta_mean = 0;           // mean over seeds of the per-seed paired delta against the baseline
  double delta_low = 0, delta_high = 0;  // 95% interval of that mean, over seeds (Student t, seeds - 1 dof)
  std::vector<double> deltas;      // the per-seed paired deltas
};

// The seeds' spread at `level` against `baseline`; none when an entry was not evaluated there.
std::optional<SeedSpread> seed_spread(const std::vector<const Table2Entry*>& seeds, const Table2Entry& baseline,
                                      double level);

}  // namespace cimtrain::experiments
