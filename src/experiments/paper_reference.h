// The reference paper's published numbers that the experiments set their results beside (issue 7 quotes
// them from the paper's Table II and Table III). Reference data for the reports, not inputs to anything.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace cimtrain::experiments {

// Table II: the extended STE's result at chip noise levels 1, 2, 3 (CIFAR-10 test accuracy in percent, or
// tiny-Shakespeare validation perplexity).
struct PaperTable2Row {
  std::string model;               // our model name
  std::string metric;              // "accuracy" (percent) or "perplexity"
  std::array<double, 3> at_level;  // levels 1, 2, 3
  std::array<double, 3> delta;     // the STE minus the paper's baseline at levels 1, 2, 3 (points / perplexity)
};
const std::vector<PaperTable2Row>& paper_table2();
const PaperTable2Row* paper_table2_row(const std::string& model);
// The span of the paper's deltas (STE minus the baseline) over its CIFAR-10 rows, in accuracy points.
constexpr double kPaperTable2DeltaLow = 1.43, kPaperTable2DeltaHigh = 5.30;

// Table III: one training iteration of the paper's four modes (baseline = our `clean`, full, no_grad =
// `ste-nograd`, detach = `ste-detach`), on the paper's GPU set-up.
struct PaperTable3Row {
  std::string mode;  // our mode name
  std::string paper_name;
  double step_s;   // seconds per iteration
  double peak_mb;  // peak memory, MB
};
const std::vector<PaperTable3Row>& paper_table3();
const PaperTable3Row* paper_table3_row(const std::string& mode);

}  // namespace cimtrain::experiments
