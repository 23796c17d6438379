// `cimtrain eval` (see eval_command.h): each checkpoint evaluated in float and on chip (or NeFT) instances, the
// JSON object, and run_eval composing them with the table and the plot (eval_report.cpp).
#include "eval/checkpoint_eval.h"

#include <fmt/core.h>
#include <torch/utils.h>

#include <fstream>
#include <stdexcept>

#include "dist/ranks.h"
#include "common/atomic_file.h"
#include "common/declared_ranges.h"
#include "common/errors.h"
#include "common/seed_streams.h"
#include "data/dataset_registry.h"
#include "data/normalization.h"
#include "eval/eval_report.h"
#include "eval/monte_carlo.h"
#include "eval/perplexity_on_chip.h"
#include "nn/batchnorm_reestimation.h"
#include "nn/neft_noise.h"
#include "report/progress_bar.h"
#include "report/report_files.h"
#include "train/checkpoint.h"
#include "train/language_model_checkpoint.h"
#include "train/metrics.h"
#include "train/model_setup.h"

namespace cimtrain::eval {

namespace {

// A deployed chip's ranges are calibrated once on this many training images (vision) or windows of the
// model's context (text: 64 x 128 = 8192 positions, more rows per layer than 512 images give a linear layer,
// and a small cost next to the ~870 validation windows).
constexpr int64_t kDefaultCalibrationImages = 512;
constexpr int64_t kDefaultCalibrationWindows = 64;

std::string progress_label(int index, int count) {
  return count > 1 ? fmt::format("eval {}/{}", index + 1, count) : "eval";
}

eval::ChipEvalOptions chip_eval_options(const EvalOptions& o) {
  eval::ChipEvalOptions eo;
  eo.levels = evaluated_levels(o);
  if (o.noise == EvalNoise::kNeft) eo.neft_s = nn::neft_device(o.device).s;
  eo.instances = o.instances;
  eo.seed = o.seed;
  eo.calibrate_output = o.calibrate_output && o.noise == EvalNoise::kChip;
  return eo;
}

// The chip (or NeFT) instances evaluated per checkpoint: one progress-bar step each.
// The chip instances this rank evaluates (all of them for a single process; monte_carlo_on_chip's share).
int instance_count(const EvalOptions& o) {
  return dist::Ranks::world().share(static_cast<int>(evaluated_levels(o).size()) * o.instances);
}

CheckpointResult evaluate_language_model(const std::string& path, const EvalOptions& o, int index, int count) {
  if (o.batchnorm > 0)
    throw common::ConfigError("--batchnorm: " + path + " is a language model; gpt and bert have no BatchNorm layers");
  auto lm = train::load_language_model(path, o.preset, o.chip_config);
  const auto corpus = train::load_model_corpus(lm, o.data_dir);
  auto& model = *lm.am.model;
  CheckpointResult r;
  r.path = path;
  r.config = lm.config;
  r.metric = "perplexity";
  if (o.chip) lm.am.context->set_chip_config(*o.chip);
  lm.am.context->set_conditions({o.time_s, o.temperature_K});
  r.preset = lm.am.context->chip_config().preset;
  train::PerplexityOptions po;
  po.batch = o.batch;
  po.max_windows = o.limit;
  po.mask_seed = o.seed;
  r.test_items = train::scored_windows(model, corpus.validation, po) * model.context();
  r.clean = train::perplexity(model, corpus.validation, po);
  report::ProgressBar bar(progress_label(index, count), instance_count(o), "chips");
  r.calibration = o.noise == EvalNoise::kNeft ? 0 : o.calibration.value_or(kDefaultCalibrationWindows);
  r.calibrate_output = chip_eval_options(o).calibrate_output;
  const auto calibration =
      r.calibration > 0
          ? eval::calibration_windows(model, corpus.train, r.calibration,
                                      common::stream_seed(common::SeedStream::kCalibrationWindows, {o.seed}))
          : at::Tensor();
  r.levels = eval::perplexity_on_chip(model, *lm.am.context, corpus.validation, chip_eval_options(o), po, calibration,
                                      [&](int done, int) { bar.update(done); });
  bar.finish();
  return r;
}

CheckpointResult evaluate_classifier(const std::string& path, const nlohmann::json& meta, const EvalOptions& o,
                                     int index, int count) {
  CheckpointResult r;
  r.path = path;
  r.config = train::train_config_from_json(meta.at("config"));
  auto config = r.config;
  if (!o.preset.empty()) {  // another preset replaces the trained chip, its config file included (as for gpt/bert)
    config.preset = o.preset;
    config.chip_config.clear();
  }
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
  if (o.chip) am.context->set_chip_config(*o.chip);
  am.context->set_conditions({o.time_s, o.temperature_K});
  r.preset = am.context->chip_config().preset;
  r.clean = train::accuracy(*am.model, loader);
  report::ProgressBar bar(progress_label(index, count), instance_count(o), "chips");
  auto eo = chip_eval_options(o);
  r.calibration = o.noise == EvalNoise::kNeft ? 0 : o.calibration.value_or(kDefaultCalibrationImages);
  if (r.calibration > 0) {
    const auto calib =
        data::load_image_dataset(config.data, o.data_dir.empty() ? config.data_dir : o.data_dir, true, r.calibration);
    eo.calibration_images = data::normalize(calib.images, opts.norm);
  }
  r.calibrate_output = eo.calibrate_output;
  r.batchnorm = o.batchnorm;
  if (r.batchnorm > 0) {
    if (nn::batchnorm_layers(*am.model).empty())
      throw common::ConfigError("--batchnorm: " + config.model + " has no BatchNorm layers to re-estimate");
    const auto images =
        data::load_image_dataset(config.data, o.data_dir.empty() ? config.data_dir : o.data_dir, true, r.batchnorm);
    eo.batchnorm_images = data::normalize(images.images, opts.norm);
    nn::BatchNormStatsBackup trained(*am.model);
    nn::reestimate_batchnorm(*am.model,
                             [&] { eval::forward_in_batches(*am.model, eo.batchnorm_images, eo.batchnorm_batch); });
    r.clean_batchnorm = train::accuracy(*am.model, loader);
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
          {"ranks", dist::Ranks::world().size()},  // the processes the instances were spread over
          {r.metric == "perplexity" ? "calibration_windows" : "calibration_images", r.calibration},
          {"batchnorm_images", r.batchnorm},
          {"calibrate_output", r.calibrate_output},
          {"clean_batchnorm", r.clean_batchnorm ? nlohmann::json(*r.clean_batchnorm) : nlohmann::json()}};
}

// Writes the JSON object to `path` atomically (2-space indent, a final newline); write errors are reported.
void write_json_file(const nlohmann::json& j, const std::string& path) { common::write_file(path, j.dump(2) + "\n"); }

}  // namespace

const std::vector<double>& evaluated_levels(const EvalOptions& o) {
  return o.noise == EvalNoise::kNeft ? o.sigmas : o.levels;
}

std::string axis_name(const EvalOptions& o) { return o.noise == EvalNoise::kNeft ? "sigma" : "level"; }

void validate_eval_options(const EvalOptions& o) {
  namespace ranges = common::ranges;
  using common::require_in_range;
  if (o.calibration)
    require_in_range(ranges::kCalibrationExamples, static_cast<double>(*o.calibration), "--calibration");
  require_in_range(ranges::kBatchnormImages, static_cast<double>(o.batchnorm), "--batchnorm");
  if (o.calibrate_output && o.calibration && *o.calibration == 0)
    throw common::ConfigError("--calibrate-output fits on the calibration images: it needs --calibration > 0");
  if (o.noise == EvalNoise::kNeft) {
    try {
      nn::neft_device(o.device);
    } catch (const std::invalid_argument& e) {
      throw common::ConfigError(e.what());
    }
    if (o.sigmas.empty()) throw common::ConfigError("--sigma needs at least one value");
    for (const double s : o.sigmas) require_in_range(ranges::kNoiseSigma, s, "--sigma");
  }
  require_in_range(ranges::kInstances, o.instances, "--instances");
  require_in_range(ranges::kExampleLimit, static_cast<double>(o.limit), "--limit");
  require_in_range(ranges::kBatch, static_cast<double>(o.batch), "--batch");
  require_in_range(ranges::kTimeSinceProgramming, o.time_s, "--time");
  require_in_range(ranges::kAmbientTemperature, o.temperature_K, "--temperature");
  if (evaluated_levels(o).empty()) throw common::ConfigError("--level needs at least one level");
  if (o.noise == EvalNoise::kChip)
    for (const double level : o.levels) require_in_range(ranges::kLevel, level, "--level");
  if (o.checkpoints.empty()) throw common::ConfigError("--checkpoint needs at least one checkpoint");
}

CheckpointResult evaluate_checkpoint(const std::string& path, const EvalOptions& o, int index, int count) {
  const auto meta = train::read_checkpoint_meta(path);
  const auto kind = meta.value("kind", std::string("?"));
  if (kind == "language_model") return evaluate_language_model(path, o, index, count);
  if (kind != "classifier")
    throw std::runtime_error("checkpoint '" + path + "' holds a " + kind + ", not a classifier or language model");
  return evaluate_classifier(path, meta, o, index, count);
}

std::vector<CheckpointResult> evaluate_checkpoints(const EvalOptions& o) {
  validate_eval_options(o);
  std::vector<CheckpointResult> results;
  for (size_t i = 0; i < o.checkpoints.size(); ++i) {
    results.push_back(
        evaluate_checkpoint(o.checkpoints[i], o, static_cast<int>(i), static_cast<int>(o.checkpoints.size())));
    if (results.back().metric != results.front().metric)
      throw std::runtime_error("cannot compare '" + results.front().path + "' (" + results.front().metric + ") with '" +
                               results.back().path + "' (" + results.back().metric + ")");
  }
  return results;
}

nlohmann::json evaluation_json(const std::vector<CheckpointResult>& results, const EvalOptions& o) {
  if (results.empty()) throw std::invalid_argument("evaluation_json: no checkpoint results");
  const auto& levels = evaluated_levels(o);
  nlohmann::json j;
  if (results.size() == 1) {
    j = to_json(results.front(), o);
  } else {
    j = {{"metric", results.front().metric},
         {"checkpoints", nlohmann::json::array()},
         {"delta_vs_first", nlohmann::json::array()}};
    for (const auto& r : results) j["checkpoints"].push_back(to_json(r, o));
    for (size_t i = 0; i < levels.size(); ++i) {
      nlohmann::json d = {{axis_name(o), levels[i]}};
      for (size_t k = 1; k < results.size(); ++k)
        d[results[k].path] = results[k].levels[i].mean - results[0].levels[i].mean;
      j["delta_vs_first"].push_back(d);
    }
  }
  if (o.noise == EvalNoise::kNeft) {
    j["device"] = o.device;
    j["s"] = nn::neft_device(o.device).s;
    j["levels_are"] = "NeFT sigma";
  }
  return j;
}

void check_eval_outputs(const EvalOptions& o) {
  if (!o.json_out.empty()) common::check_output_file(o.json_out, "--json-out");
  if (!o.plot.empty()) common::check_output_file(o.plot, "--plot");
}

void run_eval(const EvalOptions& o) {
  validate_eval_options(o);
  check_eval_outputs(o);  // before the work, not after it
  const auto results = evaluate_checkpoints(o);
  if (!dist::Ranks::world().writes_outputs()) return;  // rank 0 writes the table, JSON and plot of all ranks
  const std::string plot_path = evaluation_plot_path(o);
  const bool plotted = plot_evaluation(results, o, plot_path);
  if (o.json || !o.json_out.empty()) {
    auto j = evaluation_json(results, o);
    if (plotted) j["plot"] = plot_path;
    if (!o.json_out.empty()) write_json_file(j, o.json_out);
    if (o.json) {
      fmt::print("{}\n", j.dump(2));
      return;
    }
  }
  print_evaluation_table(results, o);
  if (plotted) fmt::print("\nplot: {}\n", plot_path);
}

}  // namespace cimtrain::eval
