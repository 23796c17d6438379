// `cimtrain experiment alignment`: the paper's gradient analysis (its eqs. 10-12). On one training batch of a
// model (trained weights from a checkpoint, or a fresh initialisation), each analog layer's weight gradient under
// the extended STE is set against the gradient through the simulator on the same chip instance, at each noise
// level (eval::gradient_alignment); the measured mean cosine is checked against the paper's prediction
// |g| / sqrt(|g|^2 + |delta|^2).
#include "experiments/alignment.h"

#include <fmt/core.h>

#include <chrono>
#include <cmath>

#include "common/declared_ranges.h"
#include "eval/gradient_alignment.h"
#include "experiments/run_cache.h"
#include "models/model_registry.h"
#include "report/plot.h"
#include "report/report_files.h"
#include "train/checkpoint.h"
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

// The config of the model whose gradients are compared (the checkpoint's, or the model's usual), validated.
train::TrainConfig plan_alignment(const AlignmentOptions& o) {
  if (o.levels.empty()) throw common::ConfigError("--levels needs at least one level");
  common::require_in_range(common::ranges::kInstances, o.samples, "--samples");
  train::TrainConfig config;
  if (!o.checkpoint.empty()) {
    config = train::train_config_from_json(train::read_checkpoint_meta(o.checkpoint).at("config"));
    config.init.clear();
  } else {
    if (models::is_language_model(o.model)) {
      config = train::language_model_defaults();
    } else {
      config.data = o.data;
    }
    config.model = o.model;
  }
  config.mode = nn::GradientMode::kSte;  // an analog context; gradient_alignment switches between ste and full itself
  config.method = train::TrainingMethod::kPlain;
  config.preset = o.preset;
  config.chip_config.clear();
  config.seed = o.seed;
  if (o.batch) config.batch = *o.batch;
  config.validate();
  return config;
}

// What the measurement gave: the alignment per level on one batch, and what it was measured on.
struct AlignmentMeasurement {
  train::TrainConfig config;
  int64_t batch_size = 0;
  std::string task_description;
  std::vector<eval::LevelAlignment> levels;
  double seconds = 0;  // building the task and measuring
};

// Builds the model (its checkpoint's weights, or a fresh initialisation) and compares its gradients on the first
// training batch at every level.
AlignmentMeasurement measure_alignment(const AlignmentOptions& o, const train::TrainConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  auto task = train::make_training_task(config);
  if (!o.checkpoint.empty()) train::load_checkpoint(o.checkpoint, task->model());
  task->model().train();
  task->start_epoch(0, 0);
  train::TaskBatch batch;
  if (!task->next(0, batch)) throw std::runtime_error("the training data gave no batch");
  fmt::print(stderr, "experiment alignment: {} on one batch of {} ({}), {} samples x {} levels\n", config.model,
             batch.input.size(0), task->description(), o.samples, o.levels.size());
  AlignmentMeasurement m{config, batch.input.size(0), task->description(), {}, 0};
  m.levels = eval::gradient_alignment(
      task->model(), task->context(), [&]() { return train::task_loss(task->forward(batch.input), batch.target); },
      o.levels, o.samples, o.seed);
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

// alignment.csv: one row per level and layer.
std::string alignment_csv(const std::vector<eval::LevelAlignment>& results) {
  std::string csv = "level,layer_index,layer,cos_mean,cos_std,predicted_cos,ste_norm,full_norm,delta_norm\n";
  for (const auto& r : results)
    for (size_t i = 0; i < r.layers.size(); ++i) {
      const auto& a = r.layers[i];
      csv += fmt::format("{:g},{},{},{:.6f},{:.6f},{:.6f},{:.6g},{:.6g},{:.6g}\n", r.level, i, a.layer, a.cos_mean,
                         a.cos_std, a.predicted_cos, a.ste_norm, a.full_norm, a.delta_norm);
    }
  return csv;
}

nlohmann::json alignment_json(const AlignmentOptions& o, const AlignmentMeasurement& m) {
  nlohmann::json levels = nlohmann::json::array();
  for (const auto& r : m.levels) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& a : r.layers)
      layers.push_back({{"layer", a.layer},
                        {"cos_mean", a.cos_mean},
                        {"cos_std", a.cos_std},
                        {"predicted_cos", a.predicted_cos},
                        {"ste_norm", a.ste_norm},
                        {"full_norm", a.full_norm},
                        {"delta_norm", a.delta_norm}});
    levels.push_back({{"level", r.level}, {"layers", layers}});
  }
  return {{"experiment", "alignment"},
          {"command", report::invocation()},
          {"machine", report::machine_summary()},
          {"model", m.config.model},
          {"checkpoint", o.checkpoint},
          {"batch", m.batch_size},
          {"samples", o.samples},
          {"preset", o.preset},
          {"seconds", m.seconds},
          {"levels", levels}};
}

// One level over the layers: the means of the measured and the predicted cosine, how far apart they are, and
// the least aligned layer.
struct LevelSummary {
  std::vector<double> measured, predicted;  // per layer
  double mean_measured = 0, mean_predicted = 0;
  double mean_gap = 0;  // mean abs(predicted - measured)
  size_t lowest = 0;    // the layer of the lowest measured cosine
};

LevelSummary summarize_level(const eval::LevelAlignment& r) {
  LevelSummary s;
  for (size_t i = 0; i < r.layers.size(); ++i) {
    s.measured.push_back(r.layers[i].cos_mean);
    s.predicted.push_back(r.layers[i].predicted_cos);
    s.mean_gap += std::abs(r.layers[i].predicted_cos - r.layers[i].cos_mean) / r.layers.size();
    if (r.layers[i].cos_mean < r.layers[s.lowest].cos_mean) s.lowest = i;
  }
  const size_t n = s.measured.size();
  for (size_t i = 0; i < n; ++i) s.mean_measured += s.measured[i] / n, s.mean_predicted += s.predicted[i] / n;
  return s;
}

// The summary: per level, the mean over layers and how well the prediction matches; then per layer.
std::string alignment_summary(const AlignmentOptions& o, const AlignmentMeasurement& m, bool plotted) {
  std::string md = "# Gradient alignment: the extended STE against the gradient through the simulator\n\n";
  md += fmt::format("- Command: `{}`\n", report::invocation());
  md += fmt::format("- Machine: {}\n", report::machine_summary());
  md += fmt::format(
      "- Model: {} ({}), one training batch of {} ({}); chip preset {}; {} noise samples per level (sample k: the "
      "same chip instance and read noise for both gradients). {:.0f} s.\n",
      m.config.model,
      o.checkpoint.empty() ? "a fresh initialisation, seed " + std::to_string(o.seed)
                           : "weights from `" + o.checkpoint + "`",
      m.batch_size, m.task_description, o.preset, o.samples, m.seconds);
  md +=
      "- g: the STE's weight gradient (forward through the chip, backward through the clean layer); g_full: the "
      "gradient through a differentiable model of the same programmed chip (`full` mode); delta = g_full - g. "
      "Measured: mean +- std over the samples of cos(g, g_full). Predicted (the paper's eq. 12): "
      "|g| / sqrt(|g|^2 + |delta|^2) from the mean norms.\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : m.levels) {
    const auto s = summarize_level(r);
    rows.push_back({fmt::format("{:g}", r.level), std::to_string(r.layers.size()),
                    fmt::format("{:.4f}", s.mean_measured), fmt::format("{:.4f}", s.mean_predicted),
                    fmt::format("{:.4f} ({})", r.layers[s.lowest].cos_mean, r.layers[s.lowest].layer),
                    fmt::format("{:.4f}", s.mean_gap), fmt::format("{:.3f}", correlation(s.measured, s.predicted))});
  }
  md += report::markdown_table({"level", "layers", "mean measured cos", "mean predicted cos", "lowest measured (layer)",
                                "mean abs(predicted - measured)", "correlation over layers"},
                               rows);
  md += "\nPer layer (measured mean +- std, predicted, and the norms |g|, |g_full|, |delta|):\n\n";
  std::vector<std::vector<std::string>> layer_rows;
  for (const auto& r : m.levels)
    for (const auto& a : r.layers)
      layer_rows.push_back({fmt::format("{:g}", r.level), a.layer,
                            fmt::format("{:.4f} +- {:.4f}", a.cos_mean, a.cos_std),
                            fmt::format("{:.4f}", a.predicted_cos), fmt::format("{:.4g}", a.ste_norm),
                            fmt::format("{:.4g}", a.full_norm), fmt::format("{:.4g}", a.delta_norm)});
  md += report::markdown_table(
      {"level", "layer", "measured cos", "predicted cos", "abs(g)", "abs(g_full)", "abs(delta)"}, layer_rows);
  if (plotted) md += "\n![cosine per layer and level](alignment.png)\n";
  md += "\nFiles: `alignment.csv` (one row per level and layer), `alignment.json`.\n";
  return md;
}

// The image: cosine per layer (measured with its spread, predicted dashed-as-points), one pair per level; and
// the means over layers against the level. False when it could not be drawn.
bool plot_alignment(const AlignmentMeasurement& m, const std::string& png) {
  report::Panel per_layer{
      {"cosine per analog layer", "analog layer (input to output)", "cos(g_ste, g_full)", false, true}, {}};
  report::Panel per_level{{"mean over layers against the noise level", "chip noise level L", "cosine", false, true},
                          {}};
  report::Series mean_measured{"measured", {}, {}, {}, true, 1};
  report::Series mean_predicted{"predicted |g|/sqrt(|g|^2+|delta|^2)", {}, {}, {}, true, 1, true};
  int color = 0;
  for (const auto& r : m.levels) {
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
    const auto s = summarize_level(r);
    mean_measured.x.push_back(r.level);
    mean_measured.y.push_back(s.mean_measured);
    mean_predicted.x.push_back(r.level);
    mean_predicted.y.push_back(s.mean_predicted);
  }
  per_level.series = {mean_measured, mean_predicted};
  return report::plot_panels_png(
      png, fmt::format("{}: the STE's weight gradient against the gradient through the simulator", m.config.model),
      {per_layer, per_level});
}

}  // namespace

void run_alignment(const AlignmentOptions& o) {
  const auto measurement = measure_alignment(o, plan_alignment(o));
  const std::string png = o.out + "/alignment.png";
  const bool plotted = plot_alignment(measurement, png);
  report::write_report(o.out, "alignment", alignment_csv(measurement.levels), alignment_json(o, measurement),
                       alignment_summary(o, measurement, plotted), plotted ? png : "");
}

}  // namespace cimtrain::experiments
