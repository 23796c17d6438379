// The declared ranges (see declared_ranges.h). Bounds are what the models behind the settings stay valid for
// (e.g. the level: the thermal spread of 5 K x L keeps every tile well above 0 K up to L = 10) or what this machine
// class can hold (sizes), not arbitrary limits on a researcher.
#include "common/declared_ranges.h"

#include <fmt/core.h>

#include <algorithm>

namespace cimtrain::common::ranges {

// name, min, max, integer, unit, meaning[, min exclusive]
const NumericRange kLevel{"level", 0, 10, false, "", "chip noise level L: scales the stochastic device noise"};
const NumericRange kInstances{"instances", 1, 100000, true, "instances", "chip (or NeFT noise) instances per level"};
const NumericRange kTimeSinceProgramming{"time", 0, 3.2e9, false, "s", "time since programming (3.2e9 s: ~100 years)"};
const NumericRange kAmbientTemperature{"temperature", 200, 450, false, "K", "ambient temperature of the chip"};
const NumericRange kMatrixSize{"rows, cols", 1, 8192, true, "", "inputs or outputs of chip's random weight matrix"};
const NumericRange kReadBatch{"batch", 1, 65536, true, "vectors", "input vectors read per chip instance"};
const NumericRange kNoiseSigma{"sigma", 0, 10, false, "", "NeFT's sigma, or gaussian's weight noise over the largest weight"};
const NumericRange kBeta{"beta", 0, 1000, false, "", "NeFT's feedback weight"};

const NumericRange kEpochs{"epochs", 1, 100000, true, "epochs", "passes over the training set"};
const NumericRange kFineTuneEpochs{"fine-tune", 0, 100000, true, "epochs", "extra epochs of each fine-tuning"};
const NumericRange kBatch{"batch", 1, 65536, true, "examples", "examples per optimiser step or read batch"};
const NumericRange kLearningRate{"lr", 0, 10, false, "", "(peak) learning rate", true};
const NumericRange kLearningRateFraction{
    "fine-tune-lr", 0, 10, false, "", "fine-tuning learning rate, a fraction of the training one", true};
const NumericRange kWeightDecay{"weight-decay", 0, 1, false, "", "L2 penalty"};
const NumericRange kGradClip{"grad-clip", 0, 1e6, false, "", "global L2 norm the gradients are clipped to (0: off)"};
const NumericRange kSeed{"seed", 0, 1e15, true, "", "random seed"};
const NumericRange kSeeds{"seeds", 1, 1000, true, "seeds", "training seeds of a study's first method"};
const NumericRange kTrainSteps{"steps", 0, 1e12, true, "steps", "stop after this many optimiser steps (0: all)"};
const NumericRange kRunSteps{"steps", 1, 1e9, true, "steps", "optimiser steps of each run"};
const NumericRange kValidateEvery{"validate-every", 0, 1e12, true, "steps", "validate every N steps (0: per epoch)"};
const NumericRange kExampleLimit{"subset, limit, eval-limit",    0, 1e9, true, "examples",
                                 "the first N examples (0: all)"};
const NumericRange kCalibrationExamples{
    "calibration", 0, 1e6, true, "examples", "examples the chip's ranges are calibrated on (0: each batch its own)"};
const NumericRange kBatchnormImages{
    "batchnorm", 0, 1e6, true, "images", "images BatchNorm is re-estimated on (0: the trained statistics)"};
const NumericRange kContext{"context", 1, 4096, true, "characters", "gpt/bert: characters per window"};
const NumericRange kTransformerLayers{"layers", 1, 64, true, "blocks", "gpt/bert: transformer blocks"};
const NumericRange kHeads{"heads", 1, 64, true, "heads", "gpt/bert: attention heads"};
const NumericRange kModelWidth{"dim", 1, 4096, true, "", "gpt/bert: model width"};

const NumericRange kTimedSteps{"steps", 1, 1000000, true, "steps", "timed steps per mode and repeat"};
const NumericRange kWarmupSteps{"warmup", 0, 1000000, true, "steps", "untimed steps first"};
const NumericRange kRepeats{"repeats", 1, 1000, true, "", "repeats per mode, interleaved"};
const NumericRange kGeneratedLength{"length", 0, 1000000, true, "characters", "characters to generate"};
const NumericRange kSamplingTemperature{"temperature", 0, 100, false, "", "sampling temperature (0: most likely)"};
const NumericRange kThreads{"threads", 1, 256, true, "threads", "LibTorch threads"};
const NumericRange kRanks{"ranks", 1, 256, true, "ranks", "ranks of this machine a command runs as"};

const std::vector<const NumericRange*>& all() {
  static const std::vector<const NumericRange*> list = {&kLevel,
                                                        &kInstances,
                                                        &kTimeSinceProgramming,
                                                        &kAmbientTemperature,
                                                        &kMatrixSize,
                                                        &kReadBatch,
                                                        &kNoiseSigma,
                                                        &kBeta,
                                                        &kEpochs,
                                                        &kFineTuneEpochs,
                                                        &kBatch,
                                                        &kLearningRate,
                                                        &kLearningRateFraction,
                                                        &kWeightDecay,
                                                        &kGradClip,
                                                        &kSeed,
                                                        &kSeeds,
                                                        &kTrainSteps,
                                                        &kRunSteps,
                                                        &kValidateEvery,
                                                        &kExampleLimit,
                                                        &kCalibrationExamples,
                                                        &kBatchnormImages,
                                                        &kContext,
                                                        &kTransformerLayers,
                                                        &kHeads,
                                                        &kModelWidth,
                                                        &kTimedSteps,
                                                        &kWarmupSteps,
                                                        &kRepeats,
                                                        &kGeneratedLength,
                                                        &kSamplingTemperature,
                                                        &kThreads, &kRanks};
  return list;
}

std::string ranges_markdown(const std::vector<RangeUses>& uses) {
  std::string md =
      "# The ranges of the numeric settings\n\n"
      "Generated by `cimtrain ranges` from src/common/declared_ranges.cpp (a test keeps the two equal). Every flag\n"
      "below refuses a value outside its range (and non-finite values, fractions for whole numbers, text that is not\n"
      "a number) with the range in the message and exit status 2; chip and training configs, and the library's\n"
      "checks of the options these flags set, use the same declarations.\n\n"
      "| setting | range | whole number | meaning | flags |\n|---|---|---|---|---|\n";
  for (const NumericRange* range : all()) {
    std::vector<std::string> flags;
    for (const auto& use : uses)
      if (use.range == range) flags.insert(flags.end(), use.flags.begin(), use.flags.end());
    if (flags.empty()) continue;
    std::sort(flags.begin(), flags.end());
    std::string list;
    for (const auto& f : flags) list += (list.empty() ? "`" : ", `") + f + "`";
    md += fmt::format("| {} | {} | {} | {} | {} |\n", range->name, range_text(*range), range->integer ? "yes" : "no",
                      range->meaning, list);
  }
  return md;
}

}  // namespace cimtrain::common::ranges
