// `cimtrain eval`: its flags, turned into eval::EvalOptions for eval::run_eval (src/eval/checkpoint_eval.h).
#include "cli/eval_command.h"

#include "cli/ranged_option.h"
#include "cli/typed_options.h"
#include "common/declared_ranges.h"
#include "common/errors.h"
#include "eval/ablation.h"
#include "eval/checkpoint_eval.h"

namespace cimtrain::cli {

namespace ranges = common::ranges;

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<eval::EvalOptions>();
  auto* cmd = app.add_subcommand(
      "eval", "Accuracy (perplexity for gpt/bert) of a checkpoint in float and on simulated chip instances");
  cmd->add_option("--checkpoint", o->checkpoints,
                  "checkpoint.pt written by cimtrain train; several (comma separated or repeated) are compared, "
                  "the differences taken against the first")
      ->required()
      ->delimiter(',');
  add_ranged_option(cmd, "--level", o->levels, ranges::kLevel, "noise levels (comma separated)")
      ->delimiter(',')
      ->capture_default_str();
  add_ranged_option(cmd, "--instances", o->instances, ranges::kInstances,
                    "chip (or NeFT) instances per level (Monte-Carlo)")
      ->capture_default_str();
  add_choice_option(cmd, "--noise", o->noise,
                    "chip: the simulated chip at --level; neft: NeFT's device model (--device, --sigma) instead");
  cmd->add_option("--device", o->device, "--noise neft: rram1, fefet2, rram4, fefet6 (s = 1, 2, 4, 6)")
      ->capture_default_str();
  add_ranged_option(cmd, "--sigma", o->sigmas, ranges::kNoiseSigma,
                    "--noise neft: NeFT's sigmas (comma separated; in place of --level)")
      ->delimiter(',')
      ->capture_default_str();
  add_ranged_option(cmd, "--time", o->time_s, ranges::kTimeSinceProgramming, "time since programming, seconds")
      ->capture_default_str();
  add_ranged_option(cmd, "--temperature", o->temperature_K, ranges::kAmbientTemperature, "ambient temperature, kelvin")
      ->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset (default: the one trained with)");
  cmd->add_option("--chip-config", o->chip_config, "chip config JSON (overrides the preset)");
  add_ranged_option(cmd, "--seed", o->seed, ranges::kSeed, "seed of the chip instances and read noise")
      ->capture_default_str();
  cmd->add_option("--data-dir", o->data_dir, "data folder (default: the one trained with)");
  add_ranged_option(cmd, "--limit", o->limit, ranges::kExampleLimit,
                    "evaluate on the first N test images (gpt/bert: validation windows) (0: all)");
  add_ranged_option(cmd, "--batch", o->batch, ranges::kBatch, "images (gpt/bert: windows) per read batch")
      ->capture_default_str();
  add_ranged_option(cmd, "--calibration", o->calibration, ranges::kCalibrationExamples,
                    "training images (gpt/bert: windows) each chip instance's input and ADC ranges are calibrated on, "
                    "once (default 512 images, 64 windows; 0: every read batch sets its own ranges, as in training)");
  cmd->add_flag("--calibrate-output", o->calibrate_output,
                "the calibration also fits each analog layer's output gain and offset per channel against the "
                "float layer (a deployed chip's digital correction of systematic gain: IR drop, I-V law, offsets)");
  add_ranged_option(cmd, "--batchnorm", o->batchnorm, ranges::kBatchnormImages,
                    "training images BatchNorm's running statistics are re-estimated on, per chip instance read "
                    "through it (before its range calibration; after it with --calibrate-output, so that it sees the "
                    "corrected reads), and once in float for a second float figure "
                    "(0: the trained statistics)")
      ->capture_default_str();
  cmd->add_option("--plot", o->plot, "accuracy-vs-level PNG (default: eval.png next to the checkpoint)");
  cmd->add_flag("--json", o->json, "print one JSON object instead of the table");
  cmd->add_option("--json-out", o->json_out, "also write the JSON object to this file");
  auto ablation = std::make_shared<bool>(false);
  cmd->add_flag("--ablation", *ablation,
                "the accuracy budget: one checkpoint on the ideal chip, on the chip, and with each of the chip's "
                "non-idealities alone and all but it (table, JSON, bar chart: ablation.png); every variant with the "
                "same --calibration, --batchnorm and --calibrate-output");
  cmd->callback([o, cmd, ablation]() {
    if (o->noise == eval::EvalNoise::kNeft && cmd->count("--level") > 0)
      throw common::ConfigError("--noise neft evaluates at NeFT's --sigma values, not at chip --level values");
    if (*ablation)
      eval::run_ablation(*o);
    else
      eval::run_eval(*o);
  });
}

}  // namespace cimtrain::cli
