// The declared range of every numeric setting of the program: one declaration per setting, used by each command's
// flags (cli/ranged_option.h), by the library's checks of its options and config files, and by the generated
// documentation (`cimtrain ranges`, docs/options.md).
#pragma once

#include <string>
#include <vector>

#include "common/numeric_range.h"

namespace cimtrain::common::ranges {

// Chip and noise.
extern const NumericRange kLevel;      // chip noise level L
extern const NumericRange kInstances;  // chip (or NeFT noise) instances per level
extern const NumericRange kTimeSinceProgramming;
extern const NumericRange kAmbientTemperature;
extern const NumericRange kMatrixSize;  // chip --rows / --cols
extern const NumericRange kReadBatch;   // chip --batch: input vectors per instance
extern const NumericRange kNoiseSigma;  // NeFT's sigma, gaussian's relative sigma, IRS's sigma
extern const NumericRange kBeta;        // NeFT's feedback weight

// Training.
extern const NumericRange kEpochs;
extern const NumericRange kFineTuneEpochs;
extern const NumericRange kBatch;  // examples per step or per read batch
extern const NumericRange kLearningRate;
extern const NumericRange kLearningRateFraction;
extern const NumericRange kWeightDecay;
extern const NumericRange kGradClip;
extern const NumericRange kSeed;
extern const NumericRange kSeeds;       // training seeds of a study
extern const NumericRange kTrainSteps;  // train --steps: 0 = the epochs' worth
extern const NumericRange kRunSteps;    // optimiser steps of a curves run
extern const NumericRange kValidateEvery;
extern const NumericRange kExampleLimit;  // --subset, --limit, --eval-limit: 0 = all
extern const NumericRange kCalibrationExamples;
extern const NumericRange kBatchnormImages;
extern const NumericRange kContext;
extern const NumericRange kTransformerLayers;
extern const NumericRange kHeads;
extern const NumericRange kModelWidth;

// Benchmarks, generation, the process.
extern const NumericRange kTimedSteps;
extern const NumericRange kWarmupSteps;
extern const NumericRange kRepeats;
extern const NumericRange kGeneratedLength;
extern const NumericRange kSamplingTemperature;
extern const NumericRange kThreads;
extern const NumericRange kRanks;

// Every declared range, in the order above (the documentation's).
const std::vector<const NumericRange*>& all();

// The flags that take one range, e.g. {"train --level", "eval --level"}.
struct RangeUses {
  const NumericRange* range;
  std::vector<std::string> flags;
};

// docs/options.md: a Markdown table of the ranges in use, in the order of all(), each with its flags.
std::string ranges_markdown(const std::vector<RangeUses>& uses);

}  // namespace cimtrain::common::ranges
