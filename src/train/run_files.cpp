// The run folder's CSV files and loss plot (see run_files.h).
#include "train/run_files.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "common/atomic_file.h"
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

void check_checkpoint_identity(const nlohmann::json& meta, const TrainConfig& config,
                               const std::string& checkpoint_path, const std::string& config_path) {
  TrainConfig stored;
  try {
    stored = train_config_from_json(meta.at("config"));
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + checkpoint_path + "': its config is unreadable: " + e.what());
  }
  auto expected = config;
  expected.epochs = stored.epochs;  // a resume may extend the budget
  expected.steps = stored.steps;
  const auto diff = config_differences(expected, stored);
  if (!diff.empty())
    throw std::runtime_error("checkpoint '" + checkpoint_path + "' is not of the run '" + config_path +
                             "' describes (" + diff + "): a checkpoint of another run? Delete it or the folder");
}

// Keeps the rows of a CSV whose first column is <= `last` (the rows an interrupted run wrote after its
// checkpoint are dropped on resume); writes the header when the file is new.
void trim_csv(const std::string& path, const std::string& header, int64_t last) {
  std::string text = header + "\n";
  std::ifstream in(path);
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    if (++number == 1 || line.empty()) continue;  // the header is rewritten
    const auto comma = line.find(',');
    int64_t first = 0;
    const auto [end, error] = std::from_chars(line.data(), line.data() + std::min(comma, line.size()), first);
    if (error != std::errc() || end != line.data() + std::min(comma, line.size()))
      throw std::runtime_error(fmt::format("'{}' line {}: expected a number in the first column, found '{}' (a "
                                           "damaged run file: delete it to start its log again)",
                                           path, number, line.substr(0, std::min<size_t>(comma, 40))));
    if (first <= last) text += line + "\n";
  }
  in.close();
  common::write_file(path, text);  // atomic: a failed rewrite leaves the old file
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
