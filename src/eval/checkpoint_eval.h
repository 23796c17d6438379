// `cimtrain eval` (see eval_command.h): checkpoints evaluated in float and on Monte-Carlo chip (or NeFT)
// instances, their JSON object, and run_eval, which adds the table and the accuracy-vs-level plot
// (eval/eval_report.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/choice.h"
#include "eval/monte_carlo.h"
#include "sim/chip_config.h"
#include "train/train_config.h"

namespace cimtrain::eval {

// What the instances are drawn from.
enum class EvalNoise { kChip, kNeft };
CIMTRAIN_CHOICE(EvalNoise, "--noise", {EvalNoise::kChip, "chip"}, {EvalNoise::kNeft, "neft"})

struct EvalOptions {
  std::vector<std::string> checkpoints;
  std::vector<double> levels = {1, 2, 3};
  int instances = 5;
  double time_s = 3600.0;
  double temperature_K = 300.0;
  std::string preset;  // default: the training preset
  std::string chip_config;
  std::optional<sim::ChipConfig> chip;  // a chip given in code (the ablation's variants): replaces the others
  uint64_t seed = 0;
  std::string data_dir;
  int64_t limit = 0;
  int64_t batch = 256;
  // Training examples the deployed chip's ranges are calibrated on (0: per batch; unset: 512 images or 64
  // windows).
  std::optional<int64_t> calibration;
  // Training images BatchNorm's running statistics are re-estimated on, per chip instance through the instance
  // (deployment calibration) and once in float for a second float figure; 0: the trained statistics.
  int64_t batchnorm = 0;
  // The range calibration also fits each analog layer's output gain and offset per channel (needs calibration).
  bool calibrate_output = false;
  EvalNoise noise = EvalNoise::kChip;  // the chip at the levels, or NeFT's device model at the sigmas
  std::string device = "rram1";        // --noise neft: the device (its s)
  std::vector<double> sigmas = {0.1};  // --noise neft: NeFT's sigmas (in place of the levels)
  std::string plot;                    // default: eval.png next to the (first) checkpoint
  bool json = false;
  std::string json_out;  // also write the JSON object to this file
};

// One checkpoint's evaluation: its float metric and the metric over chip (or NeFT) instances at each level.
struct CheckpointResult {
  std::string path;
  train::TrainConfig config;
  std::string preset;
  std::string metric = "accuracy";  // or "perplexity"
  int64_t test_items = 0;           // test images, or validation characters scored
  double clean = 0;
  int64_t calibration = 0;  // training images or windows each instance was calibrated on
  int64_t batchnorm = 0;    // training images BatchNorm was re-estimated on (0: trained statistics)
  bool calibrate_output = false;  // the calibration fitted the output channels' gain and offset
  std::optional<double> clean_batchnorm;  // the float metric with BatchNorm re-estimated in float
  std::vector<eval::LevelResult> levels;
};

// The x values evaluated: the chip levels, or NeFT's sigmas under --noise neft.
const std::vector<double>& evaluated_levels(const EvalOptions& o);

// The x axis of the table and the JSON deltas: "level", or "sigma" under --noise neft.
std::string axis_name(const EvalOptions& o);

// Throws common::ConfigError, naming the flag, for options that cannot be evaluated (--noise, --device,
// --sigma, --instances, --limit, --batch, --level, --checkpoint).
void validate_eval_options(const EvalOptions& o);

// Throws common::ConfigError when --json-out's or --plot's folder is missing or cannot be written now: checked
// before an evaluation, so that its result is not lost after the work.
void check_eval_outputs(const EvalOptions& o);

// Evaluates the classifier or language model in `path` (options validated) with a progress bar on stderr
// labelled "eval" (or "eval INDEX+1/COUNT" when COUNT > 1).
CheckpointResult evaluate_checkpoint(const std::string& path, const EvalOptions& o, int index = 0, int count = 1);

// Validates the options, then evaluates every checkpoint in turn; throws std::runtime_error when they do not
// share one metric (accuracy and perplexity cannot be compared).
std::vector<CheckpointResult> evaluate_checkpoints(const EvalOptions& o);

// The --json object (without "plot"): one checkpoint's fields, or for several "checkpoints" and
// "delta_vs_first" per level; under --noise neft also "device", "s" and "levels_are".
nlohmann::json evaluation_json(const std::vector<CheckpointResult>& results, const EvalOptions& o);

// Runs the command's work and prints its report.
void run_eval(const EvalOptions& o);

}  // namespace cimtrain::eval
