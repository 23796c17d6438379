// `cimtrain experiment alignment`: the paper's gradient analysis (its eqs. 10-12). On one training batch of a
// model (trained weights from a checkpoint, or a fresh initialisation), each analog layer's weight gradient under
// the extended STE is set against the gradient through the simulator on the same chip instance, at each noise
// level (eval::gradient_alignment); the measured mean cosine is checked against the paper's prediction
// |g| / sqrt(|g|^2 + |delta|^2).
#include "report/report_files.h"
#include "experiments/alignment.h"

#include <fmt/core.h>

#include <chrono>
#include <cmath>

#include "experiments/run_cache.h"
#include "models/model_registry.h"
#include "train/checkpoint.h"
#include "eval/gradient_alignment.h"
#include "report/plot.h"
#include "train/training_task.h"

namespace cimtrain::experiments {

namespace {


// Pearson correlation of two equally long lists (NaN for fewer than two points or no spread).
double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = a.size();
  if (n < 2) return NAN;
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : NAN;
}

}  // namespace

void run_alignment(const AlignmentOptions& o) {
  if (o.levels.empty()) throw common::ConfigError("--levels needs at least one level");
  if (o.samples < 1) throw common::ConfigError("--samples must be >= 1, found " + std::to_string(o.samples));
  train::TrainConfig config;
  if (!o.checkpoint.empty()) {
    config = train::read_checkpoint_meta(o.checkpoint).at("config").get<train::TrainConfig>();
    config.init.clear();
  } else {
    if (models::is_language_model(o.model)) {
      config = train::language_model_defaults();
    } else {
      config.data = o.data;
    }
    config.model = o.model;
  }
  config.mode = "ste";  // an analog context; gradient_alignment switches between ste and full itself
  config.method = "plain";
  config.preset = o.preset;
  config.chip_config.clear();
  config.seed = o.seed;
  if (o.batch > 0) config.batch = o.batch;
  config.validate();
  const auto t0 = std::chrono::steady_clock::now();
  auto task = train::make_training_task(config);
  if (!o.checkpoint.empty()) train::load_checkpoint(o.checkpoint, task->model());
  task->model().train();
  task->start_epoch(0, 0);
  train::TaskBatch batch;
  if (!task->next(0, batch)) throw std::runtime_error("the training data gave no batch");
  fmt::print(stderr, "experiment alignment: {} on one batch of {} ({}), {} samples x {} levels\n", config.model,
             batch.input.size(0), task->description(), o.samples, o.levels.size());
  const auto results = eval::gradient_alignment(
      task->model(), task->context(), [&]() { return train::task_loss(task->forward(batch.input), batch.target); },
      o.levels, o.samples, o.seed);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string csv = "level,layer_index,layer,cos_mean,cos_std,predicted_cos,ste_norm,full_norm,delta_norm\n";
  nlohmann::json levels = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < r.layers.size(); ++i) {
      const auto& a = r.layers[i];
      csv += fmt::format("{:g},{},{},{:.6f},{:.6f},{:.6f},{:.6g},{:.6g},{:.6g}\n", r.level, i, a.layer, a.cos_mean,
                         a.cos_std, a.predicted_cos, a.ste_norm, a.full_norm, a.delta_norm);
      layers.push_back({{"layer", a.layer},
                        {"cos_mean", a.cos_mean},
                        {"cos_std", a.cos_std},
                        {"predicted_cos", a.predicted_cos},
                        {"ste_norm", a.ste_norm},
                        {"full_norm", a.full_norm},
                        {"delta_norm", a.delta_norm}});
    }
    levels.push_back({{"level", r.level}, {"layers", layers}});
  }

  // --- the summary: per level, the mean over layers and how well the prediction matches ---
  std::string md = "# Gradient alignment: the extended STE against the gradient through the simulator\n\n";
  md += fmt::format("- Command: `{}`\n", report::invocation());
  md += fmt::format("- Machine: {}\n", report::machine_summary());
  md += fmt::format(
      "- Model: {} ({}), one training batch of {} ({}); chip preset {}; {} noise samples per level (sample k: the "
      "same chip instance and read noise for both gradients). {:.0f} s.\n",
      config.model, o.checkpoint.empty() ? "a fresh initialisation, seed " + std::to_string(o.seed)
                                         : "weights from `" + o.checkpoint + "`",
      batch.input.size(0), task->description(), o.preset, o.samples, seconds);
  md += "- g: the STE's weight gradient (forward through the chip, backward through the clean layer); g_full: the "
        "gradient through a differentiable model of the same programmed chip (`full` mode); delta = g_full - g. "
        "Measured: mean +- std over the samples of cos(g, g_full). Predicted (the paper's eq. 12): "
        "|g| / sqrt(|g|^2 + |delta|^2) from the mean norms.\n\n";
  std::vector<std::string> header = {"level", "layers", "mean measured cos", "mean predicted cos",
                                     "lowest measured (layer)", "mean abs(predicted - measured)",
                                     "correlation over layers"};
  std::vector<std::vector<std::string>> rows;
  std::vector<double> level_measured, level_predicted;  // means over layers, per level (table and plot)
  for (const auto& r : results) {
    std::vector<double> measured, predicted;
    double gap = 0;
    size_t lowest = 0;
    for (size_t i = 0; i < r.layers.size(); ++i) {
      measured.push_back(r.layers[i].cos_mean);
      predicted.push_back(r.layers[i].predicted_cos);
      gap += std::abs(r.layers[i].predicted_cos - r.layers[i].cos_mean) / r.layers.size();
      if (r.layers[i].cos_mean < r.layers[lowest].cos_mean) lowest = i;
    }
    double mm = 0, mp = 0;
    for (size_t i = 0; i < measured.size(); ++i) mm += measured[i] / measured.size(), mp += predicted[i] / measured.size();
    level_measured.push_back(mm);
    level_predicted.push_back(mp);
    rows.push_back({fmt::format("{:g}", r.level), std::to_string(r.layers.size()), fmt::format("{:.4f}", mm),
                    fmt::format("{:.4f}", mp),
                    fmt::format("{:.4f} ({})", r.layers[lowest].cos_mean, r.layers[lowest].layer),
                    fmt::format("{:.4f}", gap), fmt::format("{:.3f}", correlation(measured, predicted))});
  }
  md += report::markdown_table(header, rows);
  md += "\nPer layer (measured mean +- std, predicted, and the norms |g|, |g_full|, |delta|):\n\n";
  std::vector<std::vector<std::string>> layer_rows;
  for (const auto& r : results)
    for (const auto& a : r.layers)
      layer_rows.push_back({fmt::format("{:g}", r.level), a.layer, fmt::format("{:.4f} +- {:.4f}", a.cos_mean, a.cos_std),
                            fmt::format("{:.4f}", a.predicted_cos), fmt::format("{:.4g}", a.ste_norm),
                            fmt::format("{:.4g}", a.full_norm), fmt::format("{:.4g}", a.delta_norm)});
  md += report::markdown_table({"level", "layer", "measured cos", "predicted cos", "abs(g)", "abs(g_full)", "abs(delta)"},
                       layer_rows);

  // --- the image: cosine per layer (measured with its spread, predicted dashed-as-points), one pair per level ---
  report::Panel per_layer{{"cosine per analog layer", "analog layer (input to output)", "cos(g_ste, g_full)", false, true}, {}};
  report::Panel per_level{{"mean over layers against the noise level", "chip noise level L", "cosine", false, true}, {}};
  report::Series mean_measured{"measured", {}, {}, {}, true, 1};
  report::Series mean_predicted{"predicted |g|/sqrt(|g|^2+|delta|^2)", {}, {}, {}, true, 1, true};
  int color = 0;
  for (const auto& r : results) {
    ++color;  // one colour per level: measured (with its spread) solid, predicted dashed
    report::Series measured{fmt::format("level {:g} measured", r.level), {}, {}, {}, false, color};
    report::Series predicted{fmt::format("level {:g} predicted", r.level), {}, {}, {}, true, color, true};
    for (size_t i = 0; i < r.layers.size(); ++i) {
      measured.x.push_back(static_cast<double>(i));
      measured.y.push_back(r.layers[i].cos_mean);
      measured.err.push_back(r.layers[i].cos_std);
      predicted.x.push_back(static_cast<double>(i));
      predicted.y.push_back(r.layers[i].predicted_cos);
    }
    per_layer.series.push_back(measured);
    per_layer.series.push_back(predicted);
    mean_measured.x.push_back(r.level);
    mean_predicted.x.push_back(r.level);
  }
  mean_measured.y = level_measured;
  mean_predicted.y = level_predicted;
  per_level.series = {mean_measured, mean_predicted};
  const std::string png = o.out + "/alignment.png";
  const bool plotted = report::plot_panels_png(
      png, fmt::format("{}: the STE's weight gradient against the gradient through the simulator", config.model),
      {per_layer, per_level});
  if (plotted) md += "\n![cosine per layer and level](alignment.png)\n";
  md += "\nFiles: `alignment.csv` (one row per level and layer), `alignment.json`.\n";

  const nlohmann::json j = {{"experiment", "alignment"}, {"command", report::invocation()},  {"machine", report::machine_summary()},
                            {"model", config.model},      {"checkpoint", o.checkpoint}, {"batch", batch.input.size(0)},
                            {"samples", o.samples},       {"preset", o.preset},        {"seconds", seconds},
                            {"levels", levels}};
  report::write_report(o.out, "alignment", csv, j, md, plotted ? png : "");
}

}  // namespace cimtrain::experiments
