// `cimtrain experiment` (see experiment_command.h): the parent command of the four experiments.
#include "cli/experiment_command.h"

#include "cli/ranged_option.h"
#include "cli/typed_options.h"
#include "common/declared_ranges.h"
#include "experiments/alignment.h"
#include "experiments/curves.h"
#include "experiments/table2.h"
#include "experiments/table3.h"

namespace cimtrain::cli {

namespace ranges = common::ranges;

namespace {

void add_table2_experiment(CLI::App& experiment) {
  auto o = std::make_shared<experiments::Table2Options>();
  auto* cmd = experiment.add_subcommand(
      "table2",
      "accuracy (perplexity) on chip instances at each noise level: a clean baseline against noise-aware "
      "training, per model (the paper's Table II)");
  cmd->add_option("--models", o->models, "vgg8, vgg11, resnet20, resnet18, small-cnn, gpt, bert (comma separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--methods", o->methods,
                  "noise-aware methods besides the clean baseline: ste, gaussian, full, neft (NeFT's noise), "
                  "neft-ovf, neft-irs, or MODE+METHOD (ste+neft-irs); METHOD@LEVEL trains it at LEVEL only "
                  "(gaussian@2), whatever --train-level says")
      ->delimiter(',')
      ->capture_default_str();
  add_ranged_option(cmd, "--levels", o->levels, ranges::kLevel, "chip noise levels evaluated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--train-level", o->train_level,
                  "chip level the noise-aware models train at, or 'matched' (one model per evaluated level)")
      ->capture_default_str();
  add_ranged_option(cmd, "--instances", o->instances, ranges::kInstances, "chip instances per level")
      ->capture_default_str();
  add_ranged_option(cmd, "--seeds", o->seeds, ranges::kSeeds,
                    "training seeds of the first method at --seeds-level (seed, seed + 1, ...): the spread over "
                    "training seeds beside the spread over chip instances")
      ->capture_default_str();
  add_ranged_option(cmd, "--seeds-level", o->seeds_level, ranges::kLevel, "the level --seeds trains at")
      ->capture_default_str();
  add_ranged_option(cmd, "--epochs", o->epochs, ranges::kEpochs,
                    "budget: training epochs (default: the model's usual, vision 10, text 5)");
  add_ranged_option(cmd, "--fine-tune", o->fine_tune, ranges::kFineTuneEpochs,
                    "budget: > 0 trains clean for --epochs, then every method fine-tunes it this many epochs (and the "
                    "baseline continues as long without noise)")
      ->capture_default_str();
  add_ranged_option(cmd, "--fine-tune-lr", o->fine_tune_lr, ranges::kLearningRateFraction,
                    "fine-tuning learning rate, a fraction of the training one")
      ->capture_default_str();
  add_ranged_option(cmd, "--subset", o->subset, ranges::kExampleLimit,
                    "budget: the first N training images (gpt/bert: characters) (0: all)")
      ->capture_default_str();
  add_ranged_option(cmd, "--eval-limit", o->eval_limit, ranges::kExampleLimit,
                    "budget: evaluate and validate on the first N test images (gpt/bert: windows) (0: all)")
      ->capture_default_str();
  add_ranged_option(cmd, "--calibration", o->calibration, ranges::kCalibrationExamples,
                    "eval --calibration (default: eval's)");
  add_ranged_option(cmd, "--batchnorm", o->batchnorm, ranges::kBatchnormImages,
                    "eval --batchnorm: training images BatchNorm is re-estimated on per chip instance (0: off)")
      ->capture_default_str();
  cmd->add_flag("--calibrate-output", o->calibrate_output,
                "eval --calibrate-output: the calibration also fits each layer's output gain and offset");
  cmd->add_flag("--channels-last", o->channels_last,
                "train the vision models with channels-last convolutions (faster on CPUs; train --channels-last)");
  add_ranged_option(cmd, "--batch", o->batch, ranges::kBatch, "batch size (default: the model's usual)");
  add_ranged_option(cmd, "--lr", o->lr, ranges::kLearningRate, "learning rate (default: the model's usual)");
  add_choice_option(cmd, "--optimizer", o->optimizer, "optimizer (default: the model's usual)");
  add_ranged_option(cmd, "--weight-decay", o->weight_decay, ranges::kWeightDecay,
                    "L2 penalty (default: the model's usual)");
  cmd->add_option("--data", o->data, "the vision models' data set: cifar10 or fashion-mnist")->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset")->capture_default_str();
  add_ranged_option(cmd, "--seed", o->seed, ranges::kSeed, "seed of training and of the chip instances")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "results folder (runs are cached under OUT/runs)")->capture_default_str();
  add_ranged_option(cmd, "--ranks", o->ranks, ranges::kRanks,
                    "run every evaluation over N ranks on this machine (cimtrain --ranks N eval: the same results, "
                    "the cores spread over the ranks)")
      ->capture_default_str();
  cmd->callback([o]() { experiments::run_table2(*o); });
}

void add_table3_experiment(CLI::App& experiment) {
  auto o = std::make_shared<experiments::Table3Options>();
  auto* cmd = experiment.add_subcommand(
      "table3",
      "time, peak and average memory and CPU use of a training step per gradient mode, per model (the "
      "paper's Table III)");
  cmd->add_option("--models", o->models, "models (comma separated)")->delimiter(',')->capture_default_str();
  cmd->add_option("--modes", o->modes, "gradient modes (clean required: the baseline)")
      ->delimiter(',')
      ->capture_default_str();
  add_ranged_option(cmd, "--batch", o->batch, ranges::kBatch,
                    "batch size (default: the model's usual, vision 128, text 32)");
  add_ranged_option(cmd, "--steps", o->steps, ranges::kTimedSteps, "timed steps per mode and repeat")
      ->capture_default_str();
  add_ranged_option(cmd, "--warmup", o->warmup, ranges::kWarmupSteps, "untimed steps first")->capture_default_str();
  add_ranged_option(cmd, "--repeats", o->repeats, ranges::kRepeats, "repeats per mode, interleaved")
      ->capture_default_str();
  add_ranged_option(cmd, "--level", o->level, ranges::kLevel, "chip noise level")->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset")->capture_default_str();
  add_ranged_option(cmd, "--seed", o->seed, ranges::kSeed, "seed")->capture_default_str();
  cmd->add_option("--out", o->out, "results folder (per-model bench results cached in OUT/MODEL)")
      ->capture_default_str();
  cmd->callback([o]() { experiments::run_table3(*o); });
}

void add_curves_experiment(CLI::App& experiment) {
  auto o = std::make_shared<experiments::CurvesOptions>();
  auto* cmd = experiment.add_subcommand(
      "curves",
      "training and validation loss per step under each gradient mode, one panel per model (the paper's "
      "Figure 1)");
  cmd->add_option("--models", o->models, "models, one panel each (comma separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--modes", o->modes, "gradient modes, one curve each")->delimiter(',')->capture_default_str();
  add_ranged_option(cmd, "--steps", o->steps, ranges::kRunSteps, "optimiser steps per run")->capture_default_str();
  add_ranged_option(cmd, "--validate-every", o->validate_every, ranges::kValidateEvery,
                    "validate every N steps (0: steps / 15)")
      ->capture_default_str();
  add_ranged_option(cmd, "--eval-limit", o->eval_limit, ranges::kExampleLimit,
                    "validate on the first N test images (gpt/bert: windows) (0: 1000 images, 32 windows)")
      ->capture_default_str();
  add_ranged_option(cmd, "--level", o->level, ranges::kLevel, "chip noise level while training")->capture_default_str();
  add_ranged_option(cmd, "--batch", o->batch, ranges::kBatch, "batch size (default: the model's usual)");
  add_ranged_option(cmd, "--lr", o->lr, ranges::kLearningRate, "constant learning rate (default: the model's usual)");
  cmd->add_option("--data", o->data, "the vision models' data set")->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset")->capture_default_str();
  add_ranged_option(cmd, "--seed", o->seed, ranges::kSeed, "seed of initialisation, batches and chip noise")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "results folder (runs are cached under OUT/runs)")->capture_default_str();
  cmd->callback([o]() { experiments::run_curves(*o); });
}

void add_alignment_experiment(CLI::App& experiment) {
  auto o = std::make_shared<experiments::AlignmentOptions>();
  auto* cmd = experiment.add_subcommand(
      "alignment",
      "per layer, the cosine between the STE's weight gradient and the gradient through the simulator, "
      "across noise levels, against the paper's prediction (its eqs. 10-12)");
  cmd->add_option("--model", o->model, "model (without --checkpoint: freshly initialised)")->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "trained weights (checkpoint.pt; its model and data are used)");
  cmd->add_option("--data", o->data, "the vision model's data set (without --checkpoint)")->capture_default_str();
  add_ranged_option(cmd, "--batch", o->batch, ranges::kBatch, "batch size (default: the model's usual)");
  add_ranged_option(cmd, "--levels", o->levels, ranges::kLevel, "chip noise levels")
      ->delimiter(',')
      ->capture_default_str();
  add_ranged_option(cmd, "--samples", o->samples, ranges::kInstances, "noise samples (chip instances) per level")
      ->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset")->capture_default_str();
  add_ranged_option(cmd, "--seed", o->seed, ranges::kSeed, "seed of the batch, initialisation and noise")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "results folder")->capture_default_str();
  cmd->callback([o]() { experiments::run_alignment(*o); });
}

}  // namespace

void add_experiment_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "experiment",
      "the paper's studies, one command each: table2 (accuracy under noise), table3 (training cost), "
      "curves (loss curves), alignment (STE vs true gradients)");
  cmd->require_subcommand(1);
  add_table2_experiment(*cmd);
  add_table3_experiment(*cmd);
  add_curves_experiment(*cmd);
  add_alignment_experiment(*cmd);
}

}  // namespace cimtrain::cli
