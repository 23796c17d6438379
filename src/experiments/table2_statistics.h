// The statistics of `cimtrain experiment table2`'s report: a level's result of an entry, the paired difference of
// two entries over the same chip instances (mean and 95% interval), the spread over training seeds, the entries
// the report sets against each other (baseline, STE), and how the numbers are written.
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

// The baseline of a model: its clean run continued by the fine-tuning epochs when there are some, else the clean
// run. Throws std::logic_error when the model has no clean run.
const Table2Entry& baseline_of(const std::vector<Table2Entry>& entries, const std::string& model);

// The STE entry set against the others at `level`: the first training seed's, trained at that level when there is
// one; null when no STE entry was evaluated there.
const Table2Entry* ste_entry(const std::vector<Table2Entry>& entries, const std::string& model, double level);

// Every training seed of `entry`'s method, model and training level (the entry itself included), in plan order.
std::vector<const Table2Entry*> seeds_of(const std::vector<Table2Entry>& entries, const Table2Entry& entry);

// A value ("91.23%" for an accuracy, "4.567" for a perplexity), a difference ("+1.23" points, "-0.123") and a
// paired difference with its 95% interval ("+1.23 [+0.80, +1.66]").
std::string show(const std::string& metric, double v);
std::string show_delta(const std::string& metric, double d);
std::string show_paired(const std::string& metric, const PairedDelta& d);

}  // namespace cimtrain::experiments
