// Everything that defines a training run (the `cimtrain train` flags), saved as JSON with its results.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/choice.h"
#include "common/errors.h"
#include "common/optional_json.h"
#include "nn/gradient_mode.h"

namespace cimtrain::train {

// The loss structure of a run (train/neft_method.h): the plain loss, or NeFT's feedback methods.
enum class TrainingMethod { kPlain, kNeftOvf, kNeftIrs };
CIMTRAIN_CHOICE(TrainingMethod, "method", {TrainingMethod::kPlain, "plain"}, {TrainingMethod::kNeftOvf, "neft-ovf"},
                {TrainingMethod::kNeftIrs, "neft-irs"})

enum class OptimizerKind { kSgd, kAdam };  // SGD with Nesterov momentum 0.9 | Adam
CIMTRAIN_CHOICE(OptimizerKind, "optimizer", {OptimizerKind::kSgd, "sgd"}, {OptimizerKind::kAdam, "adam"})

enum class LrSchedule { kCosine, kStep, kNone };  // cosine | x0.1 at 50% and 75% | constant
CIMTRAIN_CHOICE(LrSchedule, "schedule", {LrSchedule::kCosine, "cosine"}, {LrSchedule::kStep, "step"},
                {LrSchedule::kNone, "none"})

struct TrainConfig {
  std::string model = "resnet20";  // models::model_names() or models::language_model_names()
  std::string data = "cifar10";    // data::image_dataset_names(); language models: "shakespeare" or a text file
  std::string data_dir;            // empty: the data set's default folder (shakespeare: its input.txt's)
  nn::GradientMode mode = nn::GradientMode::kClean;
  std::string preset = "rram";  // chip preset (sim::preset_names())
  std::string chip_config;      // optional chip config JSON file (overrides the preset)
  double level = 1.0;           // chip noise level L during training
  std::optional<double>
      gaussian_sigma;                // `gaussian` mode: weight noise, fraction of max|W|; unset: measured from the chip
  std::vector<std::string> digital;  // layers kept digital ("first", "last" or names)
  int64_t epochs = 10;               // passes over the training set
  int64_t batch = 128;               // examples per step
  double lr = 0.1;                   // peak learning rate
  OptimizerKind optimizer = OptimizerKind::kSgd;
  double weight_decay = 5e-4;  // L2 penalty
  LrSchedule schedule = LrSchedule::kCosine;
  uint64_t seed = 0;           // data order, augmentation, initialisation and chip noise
  int64_t subset = 0;          // > 0: only the first N training images
  int64_t steps = 0;           // > 0: stop after this many optimiser steps in all
  std::string init;            // checkpoint to start from (weights only)
  int64_t eval_limit = 0;      // > 0: validate on the first N test images (text: windows) only
  int64_t validate_every = 0;  // > 0: also validate every N steps into validation.csv (loss curves)
  bool channels_last = false;  // convolutions in channels-last memory (NHWC): faster with oneDNN on CPUs
  double grad_clip = 0.0;      // > 0: gradients rescaled to this global L2 norm at most
  // NeFT (docs/design.md §4, train/neft_method.h): the loss structure, and NeFT's device model (the `neft` mode).
  TrainingMethod method = TrainingMethod::kPlain;
  std::string neft_device = "rram1";  // nn::neft_devices(): rram1, fefet2, rram4, fefet6 (s = 1, 2, 4, 6)
  double neft_sigma = 0.1;            // NeFT's sigma: `neft` mode noise; OVF's raises are relative to it
  std::optional<double> irs_sigma;    // IRS heads' own NeFT sigma (s = 1); unset: neft_sigma
  std::optional<double> beta;         // feedback weight; unset: the model's default (neft_method.h)
  // Language models only (the vocabulary comes from the text):
  int64_t context = 128;  // characters per window
  int64_t layers = 4;     // transformer blocks
  int64_t heads = 4;      // attention heads (divide dim)
  int64_t dim = 128;      // model width

  void validate() const;  // throws common::ConfigError
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, model, data, data_dir, mode, preset, chip_config, level,
                                                gaussian_sigma, digital, epochs, batch, lr, optimizer, weight_decay,
                                                schedule, seed, subset, steps, init, eval_limit, validate_every,
                                                channels_last, grad_clip, method, neft_device, neft_sigma, irs_sigma,
                                                beta, context, layers, heads, dim)

// A training recipe named in one word, as the experiments and the step benchmark take it: a gradient mode
// ("ste": the plain loss), MODE+METHOD ("ste+neft-irs"), or a NeFT method alone ("neft-ovf": in NeFT's own noise
// model, neft+neft-ovf). Throws common::ConfigError naming the valid modes and methods.
struct ModeAndMethod {
  nn::GradientMode mode = nn::GradientMode::kClean;
  TrainingMethod method = TrainingMethod::kPlain;
};
ModeAndMethod parse_mode_and_method(const std::string& name);

// A run's config from its JSON (config.json, a checkpoint's record): unknown values are refused with the
// valid ones, and the "not set" spellings of files written before the options were optional (gaussian_sigma 0,
// irs_sigma and beta < 0) read as not set.
TrainConfig train_config_from_json(const nlohmann::json& j);

// The defaults of a language-model run where they differ from a vision run's: Adam at 2e-3, no weight decay,
// batch 32, 5 epochs (an epoch: as many steps as the training text has windows' worth of characters),
// gradients clipped to norm 1, data "shakespeare". About ten minutes for `ste` on two cores (README).
TrainConfig language_model_defaults();

// The fields of two configs that differ, "lr: 0.1 -> 0.02, epochs: 10 -> 2" ("" when equal).
std::string config_differences(const TrainConfig& saved, const TrainConfig& wanted);

// True when the config trains a language model (models::is_language_model).
bool is_language_model_run(const TrainConfig& config);

// Learning rate at `step` of `total_steps` for the config's schedule (no state: resume-safe).
double learning_rate(const TrainConfig& config, int64_t step, int64_t total_steps);

}  // namespace cimtrain::train
