// `cimtrain experiment table2`: the paper's Table II. For each model, a clean (float-trained) baseline and each
// noise-aware method are trained (cached), then every checkpoint is evaluated on the same Monte-Carlo chip
// instances at each level (`cimtrain eval` in a child process, cached); the table gives value and delta against
// the baseline per level, beside the paper's numbers. This file plans and runs the trainings and evaluations;
// table2_report.cpp lays out the report.
#include "experiments/table2.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <utility>

#include "common/atomic_file.h"
#include "common/declared_ranges.h"
#include "common/errors.h"
#include "common/subprocess.h"
#include "dist/ranks.h"
#include "experiments/run_cache.h"
#include "models/model_registry.h"
#include "report/report_files.h"
#include "sim/chip_config.h"
#include "sim/presets.h"
#include "train/checkpoint.h"
#include "train/training_progress.h"

namespace cimtrain::experiments {

namespace {

Table2Entry table2_entry(const std::string& model, const std::string& method, double train_level,
                         const std::string& dir, bool continued = false) {
  Table2Entry e;
  e.model = model;
  e.method = method;
  e.train_level = train_level;
  e.dir = dir;
  e.continued = continued;
  return e;
}

namespace fs = std::filesystem;

bool is_text(const std::string& model) { return models::is_language_model(model); }

// The config of a model's run before the method: the model's usual hyperparameters and the budget.
train::TrainConfig base_config(const Table2Options& o, const std::string& model) {
  auto c = is_text(model) ? train::language_model_defaults() : train::TrainConfig{};
  c.model = model;
  if (!is_text(model)) {
    c.data = o.data;
    c.channels_last = o.channels_last;
  }
  c.preset = o.preset;
  c.seed = o.seed;
  c.subset = o.subset;
  c.eval_limit = o.eval_limit;
  if (o.epochs) c.epochs = *o.epochs;
  if (o.batch) c.batch = *o.batch;
  if (o.lr) c.lr = *o.lr;
  if (o.optimizer) c.optimizer = *o.optimizer;
  if (o.weight_decay) c.weight_decay = *o.weight_decay;
  return c;
}

std::string safe_name(std::string s) {
  std::replace(s.begin(), s.end(), '+', '_');
  return s;
}

double parse_level(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const double level = std::stod(text, &used);
    if (used == text.size() && !common::range_violation(common::ranges::kLevel, level)) return level;
  } catch (const std::exception&) {
  }
  throw common::ConfigError(what + " must be a level (a number in " + common::range_text(common::ranges::kLevel) + ")" +
                            (what == "--train-level" ? std::string(" or 'matched'") : std::string()) + ", found '" +
                            text + "'");
}

// A --methods entry: the method, and the level it is pinned to by METHOD@LEVEL (none: --train-level's).
struct MethodEntry {
  std::string name;
  std::optional<double> level;
};

MethodEntry parse_method_entry(const std::string& entry) {
  const auto at = entry.find('@');
  if (at == std::string::npos) return {entry, std::nullopt};
  return {entry.substr(0, at), parse_level(entry.substr(at + 1), "the level of --methods " + entry)};
}

// The levels a method trains at, and whether it is one model per evaluated level.
std::pair<std::vector<double>, bool> training_levels(const Table2Options& o, const MethodEntry& m) {
  if (m.level) return {{*m.level}, false};
  if (o.train_level == "matched") return {o.levels, true};
  return {{parse_level(o.train_level, "--train-level")}, false};
}

// The options that need no config to be checked.
void check_options(const Table2Options& o) {
  if (o.models.empty()) throw common::ConfigError("--models needs at least one model");
  if (o.levels.empty()) throw common::ConfigError("--levels needs at least one level");
  namespace ranges = common::ranges;
  using common::require_in_range;
  for (const double level : o.levels) require_in_range(ranges::kLevel, level, "--levels");
  require_in_range(ranges::kLevel, o.seeds_level, "--seeds-level");
  require_in_range(ranges::kInstances, o.instances, "--instances");
  require_in_range(ranges::kSeeds, o.seeds, "--seeds");
  require_in_range(ranges::kRanks, o.ranks, "--ranks");
  if (dist::Ranks::world().size() > 1)
    throw common::ConfigError(
        "experiment table2 runs as one process: give --ranks to it (experiment table2 --ranks "
        "N), not to the program, and its evaluations run over the ranks");
  if (o.train_level != "matched") parse_level(o.train_level, "--train-level");  // even when every method is pinned
  if (o.seeds > 1 && o.methods.empty()) throw common::ConfigError("--seeds needs a method (--methods) to train");
  require_in_range(ranges::kFineTuneEpochs, o.fine_tune, "--fine-tune");
  require_in_range(ranges::kLearningRateFraction, o.fine_tune_lr, "--fine-tune-lr");
  require_in_range(ranges::kBatchnormImages, o.batchnorm, "--batchnorm");
  if (o.calibrate_output && o.calibration && *o.calibration == 0)
    throw common::ConfigError("--calibrate-output fits on the calibration images: it needs --calibration > 0");
  if (o.calibration) require_in_range(ranges::kCalibrationExamples, *o.calibration, "--calibration");
  if (o.epochs) require_in_range(ranges::kEpochs, *o.epochs, "--epochs");
  if (o.batch) require_in_range(ranges::kBatch, *o.batch, "--batch");
}

// Every training of the table, in order (clean first, so that fine-tunings find it), with its config.
std::vector<Table2Run> planned_runs(const Table2Options& o) {
  std::vector<Table2Run> runs;
  const std::string runs_dir = o.out + "/runs/";
  for (const auto& model : o.models) {
    auto clean = base_config(o, model);
    clean.mode = nn::GradientMode::kClean;
    const std::string clean_dir = runs_dir + model + "-clean";
    runs.push_back({table2_entry(model, "clean", -1, clean_dir), clean});
    const auto fine_tuned = [&](train::TrainConfig c) {
      c.init = clean_dir + "/checkpoint.pt";
      c.epochs = o.fine_tune;
      c.lr = clean.lr * o.fine_tune_lr;
      return c;
    };
    if (o.fine_tune > 0)  // the baseline gets the same extra epochs, without noise
      runs.push_back({table2_entry(model, "clean", -1, clean_dir + "-ft", true), fine_tuned(clean)});
    for (size_t m = 0; m < o.methods.size(); ++m) {
      const auto entry = parse_method_entry(o.methods[m]);
      const auto [mode, method] = train::parse_mode_and_method(entry.name);
      const bool has_level = mode != nn::GradientMode::kNeft && mode != nn::GradientMode::kClean;
      const auto [levels, per_level] = training_levels(o, entry);
      if (m == 0 && o.seeds > 1 && has_level && std::find(levels.begin(), levels.end(), o.seeds_level) == levels.end())
        throw common::ConfigError(
            fmt::format("--seeds: {} does not train at --seeds-level {:g}", o.methods[m], o.seeds_level));
      for (const double level : levels) {
        if (!has_level && level != levels.front()) continue;  // one NeFT run serves every level
        const int seeds = m == 0 && (!has_level || level == o.seeds_level) ? o.seeds : 1;
        for (int k = 0; k < seeds; ++k) {
          auto c = base_config(o, model);
          c.mode = mode;
          c.method = method;
          c.level = level;
          c.seed = o.seed + static_cast<uint64_t>(k);
          if (o.fine_tune > 0) c = fine_tuned(c);
          const auto dir = runs_dir + model + "-" + safe_name(entry.name) +
                           (has_level ? fmt::format("-L{:g}", level) : "") + (k > 0 ? fmt::format("-seed{}", k) : "");
          auto e = table2_entry(model, entry.name, has_level ? level : -1, dir);
          e.per_level = per_level && has_level;
          e.seed_offset = static_cast<uint64_t>(k);
          runs.push_back({e, c});
        }
      }
    }
  }
  return runs;
}

// A run's config, as the trainer will check it, and what the trainer cannot check.
void check_run(const Table2Run& run) {
  const auto& config = run.config;
  config.validate();
  if (config.method == train::TrainingMethod::kNeftIrs &&
      models::make_model(config.model, 3, 10)->snapshot_points().empty())
    throw common::ConfigError("neft-irs needs a model with IRS snapshot points (vgg8, resnet18); " + config.model +
                              " has none");
}

// What an evaluation answers: the checkpoint (by its verified checksum: a checkpoint replaced since is evaluated
// again), the levels, instances and the rest; options added later appear only when set.
nlohmann::json eval_request(const Table2Options& o, const Table2Entry& e) {
  const auto levels = entry_levels(o, e);
  nlohmann::json r = {{"levels", levels},
                      {"instances", o.instances},
                      {"limit", o.eval_limit},
                      {"calibration", o.calibration.value_or(-1)},  // -1: eval's default (the cached requests' form)
                      {"seed", o.seed}};
  if (o.batchnorm > 0) r["batchnorm"] = o.batchnorm;
  if (o.calibrate_output) r["calibrate_output"] = true;
  // The chip itself, not only its preset's name: a preset that changes (issue 17 made `rram` NeuRRAM's) must
  // not answer with evaluations made on the chip it was before.
  r["chip"] = sim::preset_config(o.preset);
  r["checkpoint"] = train::checkpoint_checksum(e.dir + "/checkpoint.pt");
  return r;
}

// The `cimtrain eval` command that evaluates the entry's checkpoint on the chip instances.
std::vector<std::string> eval_args(const Table2Entry& e, const Table2Options& o) {
  std::string levels;
  // The shortest exact form: the evaluation's levels must read back equal to the options' (level_result).
  for (const double l : entry_levels(o, e)) levels += fmt::format("{}{}", levels.empty() ? "" : ",", l);
  const std::string json_path = e.dir + "/chip-eval.json";
  std::vector<std::string> args = {common::self_path()};
  if (o.ranks > 1) args.insert(args.end(), {"--ranks", std::to_string(o.ranks)});  // the cores spread over them
  args.insert(args.end(), {"eval", "--checkpoint", e.dir + "/checkpoint.pt", "--level", levels, "--instances",
                           std::to_string(o.instances), "--seed", std::to_string(o.seed), "--json-out",
                           json_path + ".part", "--plot", e.dir + "/chip-eval.png"});
  if (o.calibration) args.insert(args.end(), {"--calibration", std::to_string(*o.calibration)});
  if (o.eval_limit > 0) args.insert(args.end(), {"--limit", std::to_string(o.eval_limit)});
  if (o.batchnorm > 0 && !is_text(e.model))  // gpt and bert have no BatchNorm
    args.insert(args.end(), {"--batchnorm", std::to_string(o.batchnorm)});
  if (o.calibrate_output) args.push_back("--calibrate-output");
  return args;
}

// Evaluates the entry's checkpoint (cimtrain eval in a child process) unless its chip-eval.json already answers
// the same request. Returns the command, as a user would type it.
std::string evaluate(Table2Entry& e, const Table2Options& o) {
  const std::string json_path = e.dir + "/chip-eval.json";
  const auto request = eval_request(o, e);
  const auto args = eval_args(e, o);
  auto shown = args;
  shown[0] = "cimtrain";
  if (fs::exists(json_path)) {
    const auto j = report::read_json_file(json_path);
    if (j.value("request", nlohmann::json()) == request) {
      fmt::print(stderr, "experiment table2: {}: evaluation cached\n", json_path);
      e.eval = j;
      e.eval_seconds = j.value("eval_seconds", 0.0);
      return common::command_line(shown);
    }
  }
  fmt::print(stderr, "experiment table2: {}\n", common::command_line(shown));
  const auto t0 = std::chrono::steady_clock::now();
  common::run_and_capture(args);
  e.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto j = report::read_json_file(json_path + ".part");
  j["request"] = request;
  j["eval_seconds"] = e.eval_seconds;
  common::write_file(json_path, j.dump(2) + "\n");
  fs::remove(json_path + ".part");
  e.eval = j;
  return common::command_line(shown);
}

}  // namespace

std::vector<double> entry_levels(const Table2Options& o, const Table2Entry& entry) {
  return entry.per_level ? std::vector<double>{entry.train_level} : o.levels;
}

std::vector<Table2Run> plan_table2(const Table2Options& o) {
  check_options(o);
  auto runs = planned_runs(o);
  std::vector<std::string> dirs;
  for (const auto& run : runs) {
    if (std::find(dirs.begin(), dirs.end(), run.entry.dir) != dirs.end())
      throw common::ConfigError("--models / --methods: two entries train the same run (" + run.entry.dir +
                                "): name each model, method and level once");
    dirs.push_back(run.entry.dir);
    check_run(run);  // every config is checked before any work
  }
  return runs;
}

Table2Results run_table2_plan(const Table2Options& o, std::vector<Table2Run> runs) {
  Table2Results results;
  for (auto& [entry, config] : runs) {
    fmt::print(stderr, "experiment table2: {} {} -> {}\n", entry.model, table2_label(entry), entry.dir);
    entry.status = ensure_trained(config, entry.dir);
    fmt::print(stderr, "experiment table2: {} {}: {}\n", entry.model, table2_label(entry), to_string(entry.status));
    const auto meta = train::read_checkpoint_meta(entry.dir + "/checkpoint.pt");
    const auto progress = meta.at("progress").get<train::Progress>();  // older records: see training_progress.h
    entry.train_seconds = progress.seconds;
    entry.train_wall_seconds = progress.wall_seconds;
    entry.wall_since_step = progress.wall_since_step;
    entry.gaussian_sigma = meta.value("gaussian_sigma", 0.0);
    results.commands.push_back(evaluate(entry, o));
    results.entries.push_back(entry);
    // With fine-tuning the clean run is the starting point, tabulated too; the baseline is its continuation.
    if (o.fine_tune > 0 && entry.method == "clean" && config.init.empty()) results.pretraining.push_back(entry);
  }
  return results;
}

void run_table2(const Table2Options& o) {
  auto runs = plan_table2(o);
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = run_table2_plan(o, std::move(runs));
  const std::string png = o.out + "/table2.png";
  const bool plotted = plot_table2(o, results, png);
  const auto texts = report_table2(o, results, plotted);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print(stderr, "experiment table2: this invocation took {:.0f} s\n", seconds);
  report::write_report(o.out, "table2", texts.csv, texts.json, texts.markdown, plotted ? png : "");
}

}  // namespace cimtrain::experiments
