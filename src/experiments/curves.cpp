// `cimtrain experiment curves`: the paper's Figure 1. Each model trains the same number of steps from the same
// initialisation and data order in each gradient mode (clean, full, ste by default), validating in float every
// few steps; one image with a panel per model shows the training loss (moving average) and the validation loss
// per step, and curves.csv holds every point.
#include "experiments/curves.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "common/declared_ranges.h"
#include "experiments/run_cache.h"
#include "models/model_registry.h"
#include "report/csv_columns.h"
#include "report/plot.h"
#include "report/report_files.h"
#include "train/trainer.h"

namespace cimtrain::experiments {

namespace {

struct Curve {
  std::string model, mode, dir;
  std::vector<double> step, train_loss;  // every step
  std::vector<double> val_step, val_loss;
  double seconds_per_step = 0;
  RunStatus status = RunStatus::kCached;
};

bool is_text(const std::string& model) { return models::is_language_model(model); }

int64_t validate_every(const CurvesOptions& o) {
  return o.validate_every > 0 ? o.validate_every : std::max<int64_t>(1, o.steps / 15);
}

train::TrainConfig config_for(const CurvesOptions& o, const std::string& model, const std::string& mode) {
  auto c = is_text(model) ? train::language_model_defaults() : train::TrainConfig{};
  c.model = model;
  if (!is_text(model)) c.data = o.data;
  c.mode = common::parse_choice<nn::GradientMode>(mode);  // the --modes names, checked before any work
  c.level = o.level;
  c.preset = o.preset;
  c.seed = o.seed;
  c.steps = o.steps;
  c.epochs = o.steps;  // enough epochs for the steps whatever the data size; the run stops at `steps`
  c.schedule = train::LrSchedule::kNone;  // a constant learning rate: the curves compare estimators, not schedules
  c.validate_every = validate_every(o);
  c.eval_limit = o.eval_limit > 0 ? o.eval_limit : is_text(model) ? 32 : 1000;
  if (o.batch) c.batch = *o.batch;
  if (o.lr) c.lr = *o.lr;
  return c;
}

double mean_of_tail(const std::vector<double>& y, double fraction) {
  if (y.empty()) return NAN;
  const size_t n = std::max<size_t>(1, static_cast<size_t>(fraction * y.size()));
  double sum = 0;
  for (size_t i = y.size() - n; i < y.size(); ++i) sum += y[i];
  return sum / static_cast<double>(n);
}

const Curve* find(const std::vector<Curve>& curves, const std::string& model, const std::string& mode) {
  for (const auto& c : curves)
    if (c.model == model && c.mode == mode) return &c;
  return nullptr;
}

// Mean absolute difference of two validation curves over their common points.
double mean_gap(const Curve& a, const Curve& b) {
  const size_t n = std::min(a.val_loss.size(), b.val_loss.size());
  if (n == 0) return NAN;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::abs(a.val_loss[i] - b.val_loss[i]);
  return sum / static_cast<double>(n);
}

// One training of the plan: its curve (to be read from its folder) and the config it trains with.
struct CurveRun {
  Curve curve;
  train::TrainConfig config;
};

// Every run, per model in each mode, its config validated before any work.
std::vector<CurveRun> plan_curves(const CurvesOptions& o) {
  if (o.models.empty() || o.modes.empty()) throw common::ConfigError("--models and --modes need at least one entry");
  common::require_in_range(common::ranges::kRunSteps, o.steps, "--steps");
  std::vector<CurveRun> runs;
  for (const auto& model : o.models)
    for (const auto& mode : o.modes) {
      const auto c = config_for(o, model, mode);
      c.validate();
      CurveRun run;
      run.curve.model = model;
      run.curve.mode = mode;
      run.curve.dir = o.out + "/runs/" + model + "-" + mode;
      run.config = c;
      runs.push_back(run);
    }
  return runs;
}

// The run's losses per step and per validation, and its time per step, from its folder.
void read_curve(Curve& curve) {
  const train::TrainPaths paths(curve.dir);
  const auto steps = report::read_csv_columns(paths.steps_csv, {0, 2, 5});  // step, loss, seconds
  const auto validation = report::read_csv_columns(paths.validation_csv, {0, 1});
  curve.step = steps[0];
  curve.train_loss = steps[1];
  curve.val_step = validation[0];
  curve.val_loss = validation[1];
  curve.seconds_per_step = steps[2].empty() ? 0 : steps[2].back() / static_cast<double>(steps[2].size());
}

// Trains the plan's runs (ensure_trained: cached, resumable) and reads their curves.
std::vector<Curve> run_curves_plan(std::vector<CurveRun> runs) {
  std::vector<Curve> curves;
  for (auto& [curve, config] : runs) {
    fmt::print(stderr, "experiment curves: {} {} -> {}\n", curve.model, curve.mode, curve.dir);
    curve.status = ensure_trained(config, curve.dir);
    fmt::print(stderr, "experiment curves: {} {}: {}\n", curve.model, curve.mode, to_string(curve.status));
    read_curve(curve);
    curves.push_back(curve);
  }
  return curves;
}

// The half width of the training loss's moving average.
int64_t smoothing_half_width(const CurvesOptions& o) { return std::max<int64_t>(2, o.steps / 40); }

// curves.csv: every training step, with the validation loss where measured.
std::string curves_csv(const CurvesOptions& o, const std::vector<Curve>& curves) {
  std::string csv = "model,mode,step,train_loss,train_loss_smoothed,validation_loss\n";
  const int64_t half = smoothing_half_width(o);
  for (const auto& c : curves) {
    const auto smooth = report::moving_average(c.train_loss, half);
    for (size_t i = 0; i < c.step.size(); ++i) {
      const auto v = std::find(c.val_step.begin(), c.val_step.end(), c.step[i]);
      csv += fmt::format("{},{},{:g},{:.6f},{:.6f},{}\n", c.model, c.mode, c.step[i], c.train_loss[i], smooth[i],
                         v == c.val_step.end() ? "" : fmt::format("{:.6f}", c.val_loss[v - c.val_step.begin()]));
    }
  }
  return csv;
}

// The image: one panel per model. False when it could not be drawn.
bool plot_curves(const CurvesOptions& o, const std::vector<Curve>& curves, const std::string& png) {
  const int64_t half = smoothing_half_width(o);
  std::vector<report::Panel> panels;
  for (const auto& model : o.models) {
    report::Panel p{{fmt::format("{} on {}", model, is_text(model) ? "tiny Shakespeare" : o.data), "step",
                     "cross-entropy loss", false, false},
                    {}};
    int color = 0;
    for (const auto& c : curves) {
      if (c.model != model) continue;
      ++color;  // one colour per mode: its training line and its validation points
      const auto smooth = report::moving_average(c.train_loss, half);
      p.series.push_back({c.mode + " training (moving average)", c.step, smooth, {}, false, color});
      p.series.push_back({c.mode + " validation (float)", c.val_step, c.val_loss, {}, true, color, true});
    }
    panels.push_back(p);
  }
  return report::plot_panels_png(
      png,
      fmt::format("loss per step under each gradient mode (chip {} level {:g}; same initialisation and batches)",
                  o.preset, o.level),
      panels);
}

// The summary's title, what was run, and the table of the runs.
std::string summary_intro(const CurvesOptions& o, const std::vector<Curve>& curves) {
  std::string md = "# Loss curves per gradient mode (the paper's Figure 1)\n\n";
  md += fmt::format("- Command: `{}`\n", report::invocation());
  md += fmt::format("- Machine: {}\n", report::machine_summary());
  md += fmt::format(
      "- Budget: {} steps per run at a constant learning rate (each model's usual optimiser; batch {}), from the "
      "same initialisation and batch order (seed {}); chip preset {} at level {:g} for the noisy modes. Validation "
      "(float weights, no chip) every {} steps on {}.\n\n",
      o.steps, o.batch ? std::to_string(*o.batch) : "the model's usual", o.seed, o.preset, o.level, validate_every(o),
      o.eval_limit > 0 ? fmt::format("the first {} test images (text: windows)", o.eval_limit)
                       : "the first 1000 test images (text: 32 windows of 128 characters)");
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : curves)
    rows.push_back(
        {c.model, c.mode, fmt::format("{:.4f}", mean_of_tail(c.train_loss, 0.1)),
         c.val_loss.empty() ? "-" : fmt::format("{:.4f}", c.val_loss.back()),
         c.val_loss.empty() ? "-" : fmt::format("{:.4f}", *std::min_element(c.val_loss.begin(), c.val_loss.end())),
         fmt::format("{:.3f}", c.seconds_per_step)});
  md += report::markdown_table({"model", "mode", "training loss (mean of the last 10% of steps)",
                                "final validation loss", "lowest validation loss", "s per step"},
                               rows);
  return md;
}

// How close the STE's validation curve is to full's, against how far the noise moves training from clean: a
// table, then in words per model.
std::string summary_gaps(const CurvesOptions& o, const std::vector<Curve>& curves) {
  std::string md =
      "\nHow close the STE's curve is to the true gradient's (`full`), against how far the noise moves "
      "training from `clean`: mean absolute difference of the validation losses at the same steps.\n\n";
  std::vector<std::vector<std::string>> gaps;
  for (const auto& model : o.models) {
    const Curve *ste = find(curves, model, "ste"), *full = find(curves, model, "full");
    const Curve* clean = find(curves, model, "clean");
    if (!ste || !full) continue;
    gaps.push_back({model, fmt::format("{:.4f}", mean_gap(*ste, *full)),
                    clean ? fmt::format("{:.4f}", mean_gap(*full, *clean)) : "-",
                    clean ? fmt::format("{:.4f}", mean_gap(*ste, *clean)) : "-",
                    fmt::format("{:.2f}x", full->seconds_per_step / std::max(1e-9, ste->seconds_per_step))});
  }
  if (!gaps.empty())
    md += report::markdown_table({"model", "ste vs full", "full vs clean", "ste vs clean", "full's step time / ste's"},
                                 gaps);
  for (const auto& model : o.models) {  // what the numbers say, in words
    const Curve *ste = find(curves, model, "ste"), *full = find(curves, model, "full");
    const Curve* clean = find(curves, model, "clean");
    if (!ste || !full || !clean || ste->val_loss.empty() || full->val_loss.empty() || clean->val_loss.empty()) continue;
    const double sf = mean_gap(*ste, *full), fc = mean_gap(*full, *clean);
    md += fmt::format(
        "\n- {}: the STE's validation curve is {} full's (mean gap {:.4f}) than full's is to clean's ({:.4f}); its "
        "final validation loss is {:.4f} against full's {:.4f} and clean's {:.4f}, at {:.2f}x clean's step time "
        "(full: {:.2f}x).",
        model, sf < fc ? "closer to" : "further from", sf, fc, ste->val_loss.back(), full->val_loss.back(),
        clean->val_loss.back(), ste->seconds_per_step / std::max(1e-9, clean->seconds_per_step),
        full->seconds_per_step / std::max(1e-9, clean->seconds_per_step));
  }
  md += "\n";
  return md;
}

// summary.md; `plotted`: whether curves.png was drawn.
std::string curves_summary(const CurvesOptions& o, const std::vector<Curve>& curves, bool plotted) {
  std::string md = summary_intro(o, curves);
  md += summary_gaps(o, curves);
  if (plotted) md += "\n![loss curves](curves.png)\n";
  md +=
      "\nFiles: `curves.csv` (model, mode, step, training loss, its moving average, validation loss where "
      "measured), each run's folder under `runs/` (steps.csv, validation.csv, loss.png).\n";
  return md;
}

nlohmann::json curves_json(const CurvesOptions& o, const std::vector<Curve>& curves) {
  nlohmann::json j = {{"experiment", "curves"},
                      {"command", report::invocation()},
                      {"machine", report::machine_summary()},
                      {"steps", o.steps},
                      {"level", o.level},
                      {"runs", nlohmann::json::array()}};
  for (const auto& c : curves)
    j["runs"].push_back({{"model", c.model},
                         {"mode", c.mode},
                         {"run_dir", c.dir},
                         {"final_train_loss", mean_of_tail(c.train_loss, 0.1)},
                         {"validation_steps", c.val_step},
                         {"validation_loss", c.val_loss},
                         {"seconds_per_step", c.seconds_per_step}});
  return j;
}

}  // namespace

void run_curves(const CurvesOptions& o) {
  const auto curves = run_curves_plan(plan_curves(o));
  const auto csv = curves_csv(o, curves);
  const std::string png = o.out + "/curves.png";
  const bool plotted = plot_curves(o, curves, png);
  report::write_report(o.out, "curves", csv, curves_json(o, curves), curves_summary(o, curves, plotted),
                       plotted ? png : "");
}

}  // namespace cimtrain::experiments
