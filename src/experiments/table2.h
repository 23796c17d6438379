// `cimtrain experiment table2`: the paper's Table II. For each model, a clean (float-trained) baseline and each
// noise-aware method are trained (cached), then every checkpoint is evaluated on the same Monte-Carlo chip
// instances at each level (`cimtrain eval` in a child process, cached); the table gives value and delta against
// the baseline per level, beside the paper's numbers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/run_cache.h"
#include "train/train_config.h"

namespace cimtrain::experiments {

struct Table2Options {
  std::vector<std::string> models = {"vgg8", "vgg11", "resnet20", "resnet18", "gpt", "bert"};
  // Besides the clean baseline; METHOD@LEVEL trains that method at LEVEL only, whatever --train-level says.
  std::vector<std::string> methods = {"ste"};
  std::vector<double> levels = {1, 2, 3};
  std::string train_level = "2";  // a level, or "matched": one model per evaluation level
  int instances = 5;
  // Training seeds of the first method at `seeds_level` (seed, seed + 1, ...): the spread over training seeds
  // beside the spread over chip instances. The chip instances evaluated stay those of `seed`.
  int seeds = 1;
  double seeds_level = 2;
  // The budget.
  std::optional<int64_t> epochs;  // unset: the model's usual (vision 10, gpt/bert 5)
  int64_t fine_tune = 0;          // > 0: methods fine-tune the clean model this many epochs (the baseline too, clean)
  double fine_tune_lr = 0.2;      // fine-tuning learning rate, as a fraction of the training one
  int64_t subset = 0;             // > 0: the first N training images (gpt/bert: characters)
  int64_t eval_limit = 0;         // > 0: the first N test images (gpt/bert: validation windows)
  std::optional<int64_t> calibration;             // eval --calibration (unset: eval's default)
  int64_t batchnorm = 0;                          // eval --batchnorm (0: the trained statistics)
  bool calibrate_output = false;                  // eval --calibrate-output
  bool channels_last = false;                     // the vision models' convolutions in channels-last memory
  std::optional<int64_t> batch;                   // unset: the model's usual
  std::optional<double> lr;                       // unset: the model's usual
  std::optional<train::OptimizerKind> optimizer;  // unset: the model's usual
  std::optional<double> weight_decay;             // unset: the model's usual
  std::string data = "cifar10";                   // the vision models' data set
  std::string preset = "rram";
  uint64_t seed = 0;
  std::string out = "results/table2";
  int ranks = 1;  // > 1: every evaluation runs as `cimtrain --ranks N eval` (docs/distributed.md); same results
};

// One trained model of the table.
struct Table2Entry {
  std::string model, method;  // method: "clean" or a mode / MODE+METHOD
  double train_level = 0;     // < 0: none (clean, NeFT)
  std::string dir;            // the run's folder
  bool continued = false;     // the clean baseline continued for the fine-tuning epochs
  bool per_level = false;     // one model per evaluated level (--train-level matched): evaluated at its own only
  uint64_t seed_offset = 0;   // trained with seed + seed_offset (--seeds)
  RunStatus status = RunStatus::kCached;
  double train_seconds = 0;         // the optimiser steps' time (the checkpoint's progress.seconds)
  double train_wall_seconds = 0;    // the training's wall time, all invocations (progress.wall_seconds)
  int64_t wall_since_step = 0;      // > 0: the wall time was counted from this step on (an older checkpoint)
  double gaussian_sigma = 0;        // gaussian: the weight noise it trained with (fraction of max|W|); 0: none
  double eval_seconds = 0;  // the evaluation's wall time (0: not recorded, an evaluation cached before it was)
  nlohmann::json eval;      // cimtrain eval's JSON
};

// One training of the plan: its entry and the config it trains with.
struct Table2Run {
  Table2Entry entry;
  train::TrainConfig config;
};

// What the runs gave: the tabulated entries, evaluated, in plan order.
struct Table2Results {
  std::vector<Table2Entry> entries;      // with fine-tuning the clean run too (the baseline is its continuation)
  std::vector<Table2Entry> pretraining;  // the clean runs that fine-tunings start from (also in `entries`)
  std::vector<std::string> commands;     // the evaluations' `cimtrain eval` commands, as a user would type them
};

// The report's texts: table2.csv, table2.json and summary.md.
struct Table2Report {
  std::string csv;
  nlohmann::json json;
  std::string markdown;
};

// Every training of the table, in order (per model: clean first, so that fine-tunings find it; with fine-tuning
// its continuation, the baseline; then each method per training level), each config validated. Throws
// common::ConfigError on bad options before any work.
std::vector<Table2Run> plan_table2(const Table2Options& o);

// Trains the plan's runs (ensure_trained: cached, resumable), each evaluated on the chip instances right after
// its training (`cimtrain eval` in a child process, cached), so that an interrupted study keeps its evaluations.
Table2Results run_table2_plan(const Table2Options& o, std::vector<Table2Run> runs);

// The report on the results; `plotted`: whether table2.png was drawn (plot_table2), for the summary to show it.
Table2Report report_table2(const Table2Options& o, const Table2Results& results, bool plotted = false);

// Draws the metric against the noise level into `png_path`; false when it could not be drawn.
bool plot_table2(const Table2Options& o, const Table2Results& results, const std::string& png_path);

// An entry as the table names it: "clean", "clean (+ft)", "ste (L2)", "ste (L2, seed +1)", "neft".
std::string table2_label(const Table2Entry& entry);

// The levels an entry is evaluated at: its training level for a per-level model, else every level.
std::vector<double> entry_levels(const Table2Options& o, const Table2Entry& entry);

// Runs the experiment (plan, run, report; cached, resumable) and writes its report into o.out.
void run_table2(const Table2Options& o);

}  // namespace cimtrain::experiments
