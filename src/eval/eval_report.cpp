// `cimtrain eval`'s report for people (see eval_report.h): the metric-against-level plot and the printed table.
#include "eval/eval_report.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>

#include "eval/metric_format.h"
#include "nn/neft_noise.h"
#include "report/plot.h"

namespace cimtrain::eval {

namespace {

// The checkpoint as the table and the plot name it: model, method, training mode and level, and the run it
// was fine-tuned from.
std::string describe(const CheckpointResult& r) {
  const auto& c = r.config;
  auto d = c.model + (c.method == train::TrainingMethod::kPlain ? "" : " " + std::string(common::to_name(c.method)));
  if (c.mode == nn::GradientMode::kNeft)
    d += fmt::format(" neft {} {:g}", c.neft_device, c.neft_sigma);
  else
    d += c.mode == nn::GradientMode::kClean ? " clean" : fmt::format(" {} L{}", c.mode, c.level);
  if (!r.config.init.empty())  // fine-tuned: name the run it started from (its folder)
    d += " from " + std::filesystem::path(r.config.init).parent_path().filename().string();
  return d;
}

// The table's first line: the chip (or NeFT device) and conditions, the test set and the instances.
void print_conditions(const std::vector<CheckpointResult>& results, const EvalOptions& o, const MetricFormat& f) {
  const bool text = results.front().metric == "perplexity";
  if (o.noise == EvalNoise::kNeft)
    fmt::print(
        "NeFT device model {} (s = {:g}), {} {}, {} instances per sigma (mean +- std over instances; one "
        "weight-noise draw per instance)\n",
        o.device, nn::neft_device(o.device).s, results.front().test_items, f.items, o.instances);
  else
    fmt::print("chip {}, t = {} s, T = {} K, {} {}, {} instances per level (mean +- std over instances), {}{}{}\n",
               results.front().preset, o.time_s, o.temperature_K, results.front().test_items, f.items, o.instances,
               results.front().calibration > 0 ? fmt::format("ranges calibrated on {} training {}",
                                                             results.front().calibration, text ? "windows" : "images")
                                               : std::string("ranges set by each read batch"),
               results.front().calibrate_output ? ", output gain and offset calibrated" : "",
               results.front().batchnorm > 0
                   ? fmt::format(", BatchNorm re-estimated on {} training images", results.front().batchnorm)
                   : std::string());
}

}  // namespace

std::string evaluation_plot_path(const EvalOptions& o) {
  return !o.plot.empty() ? o.plot : (std::filesystem::path(o.checkpoints.front()).parent_path() / "eval.png").string();
}

bool plot_evaluation(const std::vector<CheckpointResult>& results, const EvalOptions& o, const std::string& png_path) {
  const bool neft = o.noise == EvalNoise::kNeft;
  const auto f = format_of(results.front().metric);
  std::vector<report::Series> series;
  for (const auto& r : results) {
    report::Series chip{describe(r) + (neft ? " under NeFT noise" : " on the chip") + " (mean +- std)", {}, {}, {}};
    report::Series flt{describe(r) + " float", {}, {}, {}};
    for (const auto& l : r.levels) {
      chip.x.push_back(l.level);
      chip.y.push_back(f.scale * l.mean);
      chip.err.push_back(f.scale * l.std);
      flt.x.push_back(l.level);
      flt.y.push_back(f.scale * r.clean);
    }
    series.push_back(chip);
    series.push_back(flt);
  }
  return report::plot_png(
      png_path,
      {neft ? fmt::format("{} under NeFT's device model ({}, s = {:g}; {} instances per sigma)", f.name, o.device,
                          nn::neft_device(o.device).s, o.instances)
            : fmt::format("{} on chip instances ({} preset, t = {} s, {} instances per level)", f.name,
                          results.front().preset, o.time_s, o.instances),
       neft ? "NeFT sigma" : "noise level L", f.unit.empty() ? f.name : f.name + " (" + f.unit + ")", false, true},
      series);
}

void print_evaluation_table(const std::vector<CheckpointResult>& results, const EvalOptions& o) {
  const auto f = format_of(results.front().metric);
  const auto& levels = evaluated_levels(o);
  print_conditions(results, o, f);
  size_t width = 24;
  for (const auto& r : results) width = std::max(width, describe(r).size());
  for (const auto& r : results)
    fmt::print("  {:<{}} {}  float {} {}{}\n", describe(r), width, r.path, f.name, show(f, r.clean),
               r.clean_batchnorm ? fmt::format(" ({} with BatchNorm re-estimated on {} images)",
                                               show(f, *r.clean_batchnorm), r.batchnorm)
                                 : "");
  fmt::print("\n{:>6}", axis_name(o));
  for (const auto& r : results) fmt::print(" {:>{}}", describe(r), width);
  for (size_t k = 1; k < results.size(); ++k) fmt::print(" {:>12}", fmt::format("delta {}-1", k + 1));
  fmt::print("\n");
  for (size_t i = 0; i < levels.size(); ++i) {
    fmt::print("{:>6}", levels[i]);
    for (const auto& r : results)
      fmt::print(" {:>{}}", show(f, r.levels[i].mean) + " +- " + show(f, r.levels[i].std), width);
    for (size_t k = 1; k < results.size(); ++k)
      fmt::print(" {:>12}", show_delta(f, results[k].levels[i].mean - results[0].levels[i].mean));
    fmt::print("\n");
  }
  if (results.size() == 1) {
    const auto& r = results.front();
    fmt::print("\n{:>6} {:>20} {:>10}\n", axis_name(o), "95% interval", "vs float");
    for (const auto& l : r.levels)
      fmt::print("{:>6} {:>20} {:>10}\n", l.level, show(f, l.ci_low) + ".." + show(f, l.ci_high),
                 show_delta(f, l.mean - r.clean));
  }
}

}  // namespace cimtrain::eval
