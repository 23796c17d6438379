// The run folder's CSV files and loss plot (see run_files.h).
#include "train/run_files.h"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>

#include "report/csv_columns.h"
#include "report/plot.h"

namespace cimtrain::train {

namespace fs = std::filesystem;

TrainPaths::TrainPaths(std::string d)
    : dir(std::move(d)),
      config(dir + "/config.json"),
      checkpoint(dir + "/checkpoint.pt"),
      steps_csv(dir + "/steps.csv"),
      epochs_csv(dir + "/epochs.csv"),
      validation_csv(dir + "/validation.csv"),
      loss_png(dir + "/loss.png") {}

// Keeps the rows of a CSV whose first column is <= `last` (the rows an interrupted run wrote after its
// checkpoint are dropped on resume); writes the header when the file is new.
void trim_csv(const std::string& path, const std::string& header, int64_t last) {
  std::vector<std::string> keep = {header};
  std::ifstream in(path);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      first = false;
      continue;
    }
    if (line.empty()) continue;
    if (std::stoll(line.substr(0, line.find(','))) <= last) keep.push_back(line);
  }
  in.close();
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : keep) out << l << '\n';
}

void plot_loss(const TrainPaths& p, const TrainConfig& c) {
  const auto steps = report::read_csv_columns(p.steps_csv, {0, 2});
  if (steps[0].empty()) return;
  std::vector<report::Series> series = {{"training loss per step", steps[0], steps[1], {}}};
  // A centred moving average over ~2% of the run (at least 5 steps) shows the trend through the batch noise.
  const int64_t half = std::max<int64_t>(2, static_cast<int64_t>(steps[1].size()) / 100);
  const report::Series smooth{
      fmt::format("moving average ({} steps)", 2 * half + 1), steps[0], report::moving_average(steps[1], half), {}};
  if (!smooth.x.empty()) series.push_back(smooth);
  const auto epochs = report::read_csv_columns(p.epochs_csv, {1, 2});
  if (!epochs[0].empty()) series.push_back({"epoch mean (at its last step)", epochs[0], epochs[1], {}, true});
  if (fs::exists(p.validation_csv)) {
    const auto v = report::read_csv_columns(p.validation_csv, {0, 1});
    if (!v[0].empty()) series.push_back({"validation loss (float)", v[0], v[1], {}, true});
  }
  report::plot_png(p.loss_png,
                   {fmt::format("{} on {}, mode {} (level {})", c.model, c.data, c.mode, c.level), "step",
                    "cross-entropy loss", true, false},
                   series);
}

}  // namespace cimtrain::train
