// `cimtrain eval` (see eval_command.h): table, --json, and an accuracy-vs-level plot.
#include "eval/checkpoint_eval.h"

#include "common/seed_streams.h"
#include "report/report_files.h"

#include <fmt/core.h>
#include <torch/utils.h>

#include <filesystem>
#include <fstream>

#include "data/dataset_registry.h"
#include "data/normalization.h"
#include "nn/neft_noise.h"
#include "train/checkpoint.h"
#include "eval/monte_carlo.h"
#include "train/language_model_checkpoint.h"
#include "eval/perplexity_on_chip.h"
#include "train/model_setup.h"
#include "report/plot.h"
#include "report/progress_bar.h"

namespace cimtrain::eval {

namespace {


struct CheckpointResult {
  std::string path;
  train::TrainConfig config;
  std::string preset;
  std::string metric = "accuracy";  // or "perplexity"
  int64_t test_items = 0;           // test images, or validation characters scored
  double clean = 0;
  int64_t calibration = 0;  // training images or windows each instance was calibrated on
  std::vector<eval::LevelResult> levels;
};

// A deployed chip's ranges are calibrated once on this many training images (vision) or windows of the
// model's context (text: 64 x 128 = 8192 positions, more rows per layer than 512 images give a linear layer,
// and a small cost next to the ~870 validation windows).
constexpr int64_t kDefaultCalibrationImages = 512;
constexpr int64_t kDefaultCalibrationWindows = 64;

// How a metric is shown: accuracy in percent, perplexity as it is (lower is better).
struct MetricFormat {
  double scale;
  std::string unit, name, items;
};
MetricFormat format_of(const std::string& metric) {
  if (metric == "perplexity") return {1.0, "", "validation perplexity", "validation characters"};
  return {100.0, "%", "test accuracy", "test images"};
}
std::string show(const MetricFormat& f, double v) {
  return f.unit.empty() ? fmt::format("{:.3f}", v * f.scale) : fmt::format("{:.2f}{}", v * f.scale, f.unit);
}
// A difference: points of accuracy (2 decimals) or of perplexity (3).
std::string show_delta(const MetricFormat& f, double d) {
  return f.unit.empty() ? fmt::format("{:+.3f}", d * f.scale) : fmt::format("{:+.2f}", d * f.scale);
}

std::string progress_label(int index, int count) {
  return count > 1 ? fmt::format("eval {}/{}", index + 1, count) : "eval";
}

eval::ChipEvalOptions chip_eval_options(const EvalOptions& o) {
  eval::ChipEvalOptions eo;
  eo.levels = o.levels;
  if (o.noise == "neft") eo.neft_s = nn::neft_device(o.device).s;
  eo.instances = o.instances;
  eo.seed = o.seed;
  return eo;
}

CheckpointResult evaluate_language_model(const std::string& path, const EvalOptions& o, int index, int count) {
  auto lm = train::load_language_model(path, o.preset, o.chip_config);
  const auto corpus = train::load_model_corpus(lm, o.data_dir);
  auto& model = *lm.am.model;
  CheckpointResult r;
  r.path = path;
  r.config = lm.config;
  r.metric = "perplexity";
  lm.am.context->conditions = {o.time_s, o.temperature_K};
  lm.am.context->conditions.validate();
  r.preset = lm.am.context->chip.preset;
  train::PerplexityOptions po;
  po.batch = o.batch;
  po.max_windows = o.limit;
  po.mask_seed = o.seed;
  r.test_items = train::scored_windows(model, corpus.validation, po) * model.context();
  r.clean = train::perplexity(model, corpus.validation, po);
  report::ProgressBar bar(progress_label(index, count), static_cast<int>(o.levels.size()) * o.instances, "chips");
  r.calibration = o.noise == "neft" ? 0 : o.calibration < 0 ? kDefaultCalibrationWindows : o.calibration;
  const auto calibration = r.calibration > 0 ? eval::calibration_windows(model, corpus.train, r.calibration,
                                                                           common::stream_seed(common::SeedStream::kCalibrationWindows, {o.seed}))
                                             : at::Tensor();
  r.levels = eval::perplexity_on_chip(model, *lm.am.context, corpus.validation, chip_eval_options(o), po,
                                       calibration, [&](int done, int) { bar.update(done); });
  bar.finish();
  return r;
}

CheckpointResult evaluate_checkpoint(const std::string& path, const EvalOptions& o, int index, int count) {
  const auto meta = train::read_checkpoint_meta(path);
  const auto kind = meta.value("kind", std::string("?"));
  if (kind == "language_model") return evaluate_language_model(path, o, index, count);
  if (kind != "classifier")
    throw std::runtime_error("checkpoint '" + path + "' holds a " + kind + ", not a classifier or language model");
  CheckpointResult r;
  r.path = path;
  r.config = meta.at("config").get<train::TrainConfig>();
  auto config = r.config;
  if (!o.preset.empty()) config.preset = o.preset;
  if (!o.chip_config.empty()) config.chip_config = o.chip_config;
  const auto test_set = data::load_image_dataset(config.data, o.data_dir.empty() ? config.data_dir : o.data_dir, false,
                                                 o.limit > 0 ? o.limit : -1);
  r.test_items = test_set.size();
  data::BatchLoaderOptions opts;
  opts.batch_size = o.batch;
  opts.shuffle = false;
  opts.norm = data::default_normalization(config.data);
  data::BatchLoader loader(test_set, opts);

  auto am = train::build_model(config, meta.at("in_channels").get<int64_t>(), meta.at("num_classes").get<int64_t>());
  train::load_checkpoint(path, *am.model);
  am.context->conditions = {o.time_s, o.temperature_K};
  am.context->conditions.validate();
  r.preset = am.context->chip.preset;
  r.clean = train::accuracy(*am.model, loader);
  report::ProgressBar bar(progress_label(index, count), static_cast<int>(o.levels.size()) * o.instances, "chips");
  auto eo = chip_eval_options(o);
  r.calibration = o.noise == "neft" ? 0 : o.calibration < 0 ? kDefaultCalibrationImages : o.calibration;
  if (r.calibration > 0) {
    const auto calib =
        data::load_image_dataset(config.data, o.data_dir.empty() ? config.data_dir : o.data_dir, true, r.calibration);
    eo.calibration_images = data::normalize(calib.images, opts.norm);
  }
  r.levels = eval::evaluate_on_chip(*am.model, *am.context, loader, eo, [&](int done, int) { bar.update(done); });
  bar.finish();
  return r;
}

nlohmann::json to_json(const CheckpointResult& r, const EvalOptions& o) {
  nlohmann::json levels = nlohmann::json::array();
  for (const auto& l : r.levels) levels.push_back(eval::to_json(l));
  return {{"metric", r.metric},
          {"clean", r.clean},
          {"levels", levels},
          {"checkpoint", r.path},
          {"model", r.config.model},
          {"trained_mode", r.config.mode},
          {"trained_level", r.config.level},
          {"preset", r.preset},
          {"noise", o.noise},
          {"time_s", o.time_s},
          {"temperature_K", o.temperature_K},
          {r.metric == "perplexity" ? "validation_characters" : "test_images", r.test_items},
          {"seed", o.seed},
          {r.metric == "perplexity" ? "calibration_windows" : "calibration_images", r.calibration}};
}

std::string describe(const CheckpointResult& r) {
  const auto& c = r.config;
  auto d = c.model + (c.method == "plain" ? "" : " " + c.method);
  if (c.mode == "neft")
    d += fmt::format(" neft {} {:g}", c.neft_device, c.neft_sigma);
  else
    d += c.mode == "clean" ? " clean" : fmt::format(" {} L{}", c.mode, c.level);
  if (!r.config.init.empty())  // fine-tuned: name the run it started from (its folder)
    d += " from " + std::filesystem::path(r.config.init).parent_path().filename().string();
  return d;
}

// The x axis of the table and plot: chip levels, or NeFT's sigmas.
std::string axis_name(const EvalOptions& o) { return o.noise == "neft" ? "sigma" : "level"; }

}  // namespace

void run_eval(EvalOptions o) {
  if (o.noise != "chip" && o.noise != "neft")
    throw common::ConfigError("--noise must be chip or neft, found '" + o.noise + "'");
  if (o.noise == "neft") {
    try {
      nn::neft_device(o.device);
    } catch (const std::invalid_argument& e) {
      throw common::ConfigError(e.what());
    }
    if (o.sigmas.empty()) throw common::ConfigError("--sigma needs at least one value");
    for (const double s : o.sigmas)
      if (!(s >= 0 && s < 10)) throw common::ConfigError("--sigma values must be in [0, 10), found " + std::to_string(s));
    o.levels = o.sigmas;
  }
  const bool neft = o.noise == "neft";
  if (o.instances < 1) throw common::ConfigError("--instances must be >= 1, found " + std::to_string(o.instances));
  if (o.batch < 1) throw common::ConfigError("--batch must be >= 1, found " + std::to_string(o.batch));
  if (o.levels.empty()) throw common::ConfigError("--level needs at least one level");
  std::vector<CheckpointResult> results;
  for (size_t i = 0; i < o.checkpoints.size(); ++i) {
    results.push_back(
        evaluate_checkpoint(o.checkpoints[i], o, static_cast<int>(i), static_cast<int>(o.checkpoints.size())));
    if (results.back().metric != results.front().metric)
      throw std::runtime_error("cannot compare '" + results.front().path + "' (" + results.front().metric + ") with '" +
                               results.back().path + "' (" + results.back().metric + ")");
  }
  const auto f = format_of(results.front().metric);

  const std::string plot_path =
      !o.plot.empty() ? o.plot : (std::filesystem::path(o.checkpoints.front()).parent_path() / "eval.png").string();
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
  const bool plotted =
      report::plot_png(plot_path,
                      {neft ? fmt::format("{} under NeFT's device model ({}, s = {:g}; {} instances per sigma)",
                                          f.name, o.device, nn::neft_device(o.device).s, o.instances)
                            : fmt::format("{} on chip instances ({} preset, t = {} s, {} instances per level)", f.name,
                                          results.front().preset, o.time_s, o.instances),
                       neft ? "NeFT sigma" : "noise level L", f.unit.empty() ? f.name : f.name + " (" + f.unit + ")", false, true},
                      series);

  if (o.json || !o.json_out.empty()) {
    nlohmann::json j;
    if (results.size() == 1) {
      j = to_json(results.front(), o);
    } else {
      j = {{"metric", results.front().metric},
           {"checkpoints", nlohmann::json::array()},
           {"delta_vs_first", nlohmann::json::array()}};
      for (const auto& r : results) j["checkpoints"].push_back(to_json(r, o));
      for (size_t i = 0; i < o.levels.size(); ++i) {
        nlohmann::json d = {{axis_name(o), o.levels[i]}};
        for (size_t k = 1; k < results.size(); ++k)
          d[results[k].path] = results[k].levels[i].mean - results[0].levels[i].mean;
        j["delta_vs_first"].push_back(d);
      }
    }
    if (neft) {
      j["device"] = o.device;
      j["s"] = nn::neft_device(o.device).s;
      j["levels_are"] = "NeFT sigma";
    }
    if (plotted) j["plot"] = plot_path;
    if (!o.json_out.empty()) {
      std::ofstream out(o.json_out);
      out << j.dump(2) << '\n';
      if (!out) throw std::runtime_error("cannot write '" + o.json_out + "'");
    }
    if (o.json) {
      fmt::print("{}\n", j.dump(2));
      return;
    }
  }
  const bool text = results.front().metric == "perplexity";
  if (neft)
    fmt::print("NeFT device model {} (s = {:g}), {} {}, {} instances per sigma (mean +- std over instances; one "
               "weight-noise draw per instance)\n",
               o.device, nn::neft_device(o.device).s, results.front().test_items, f.items, o.instances);
  else
    fmt::print("chip {}, t = {} s, T = {} K, {} {}, {} instances per level (mean +- std over instances), {}\n",
             results.front().preset, o.time_s, o.temperature_K, results.front().test_items, f.items, o.instances,
             results.front().calibration > 0
                 ? fmt::format("ranges calibrated on {} training {}", results.front().calibration,
                                             text ? "windows" : "images")
                               : std::string("ranges set by each read batch"));
  size_t width = 24;
  for (const auto& r : results) width = std::max(width, describe(r).size());
  for (const auto& r : results)
    fmt::print("  {:<{}} {}  float {} {}\n", describe(r), width, r.path, f.name, show(f, r.clean));
  fmt::print("\n{:>6}", axis_name(o));
  for (const auto& r : results) fmt::print(" {:>{}}", describe(r), width);
  for (size_t k = 1; k < results.size(); ++k) fmt::print(" {:>12}", fmt::format("delta {}-1", k + 1));
  fmt::print("\n");
  for (size_t i = 0; i < o.levels.size(); ++i) {
    fmt::print("{:>6}", o.levels[i]);
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
  if (plotted) fmt::print("\nplot: {}\n", plot_path);
}

}  // namespace cimtrain::eval
