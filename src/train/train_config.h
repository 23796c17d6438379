// Everything that defines a training run (the `cimtrain train` flags), saved as JSON with its results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace cimtrain::train {

struct TrainConfig {
  std::string model = "resnet20";    // models::model_names() or models::language_model_names()
  std::string data = "cifar10";      // data::image_dataset_names(); language models: "shakespeare" or a text file
  std::string data_dir;              // empty: the data set's default folder (shakespeare: its input.txt's)
  std::string mode = "clean";        // nn::gradient_mode_names()
  std::string preset = "rram";       // chip preset (sim::preset_names())
  std::string chip_config;           // optional chip config JSON file (overrides the preset)
  double level = 1.0;                // chip noise level L during training
  double gaussian_sigma = 0.0;       // `gaussian` mode: weight noise, fraction of max|W|; 0: measured from the chip
  std::vector<std::string> digital;  // layers kept digital ("first", "last" or names)
  int64_t epochs = 10;               // passes over the training set
  int64_t batch = 128;               // examples per step
  double lr = 0.1;                   // peak learning rate
  std::string optimizer = "sgd";     // sgd (momentum 0.9, Nesterov) | adam
  double weight_decay = 5e-4;        // L2 penalty
  std::string schedule = "cosine";   // cosine | step (x0.1 at 50% and 75%) | none
  uint64_t seed = 0;                 // data order, augmentation, initialisation and chip noise
  int64_t subset = 0;                // > 0: only the first N training images
  int64_t steps = 0;                 // > 0: stop after this many optimiser steps in all
  std::string init;                  // checkpoint to start from (weights only)
  int64_t eval_limit = 0;            // > 0: validate on the first N test images (text: windows) only
  int64_t validate_every = 0;        // > 0: also validate every N steps into validation.csv (loss curves)
  bool channels_last = false;        // convolutions in channels-last memory (NHWC): faster with oneDNN on CPUs
  double grad_clip = 0.0;            // > 0: gradients rescaled to this global L2 norm at most
  // NeFT (docs/design.md §4, train/neft_method.h): the loss structure, and NeFT's device model (the `neft` mode).
  std::string method = "plain";      // plain | neft-ovf | neft-irs
  std::string neft_device = "rram1";  // nn::neft_devices(): rram1, fefet2, rram4, fefet6 (s = 1, 2, 4, 6)
  double neft_sigma = 0.1;           // NeFT's sigma: `neft` mode noise; OVF's raises are relative to it
  double irs_sigma = -1;             // IRS heads' own NeFT sigma (s = 1); < 0: neft_sigma
  double beta = -1;                  // feedback weight; < 0: the model's default (neft_method.h)
  // Language models only (the vocabulary comes from the text):
  int64_t context = 128;  // characters per window
  int64_t layers = 4;     // transformer blocks
  int64_t heads = 4;      // attention heads (divide dim)
  int64_t dim = 128;      // model width

  void validate() const;  // throws common::ConfigError
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, model, data, data_dir, mode, preset, chip_config, level,
                                                gaussian_sigma, digital, epochs, batch, lr, optimizer, weight_decay,
                                                schedule, seed, subset, steps, init, eval_limit, validate_every, channels_last, grad_clip,
                                                method, neft_device, neft_sigma, irs_sigma, beta, context, layers,
                                                heads, dim)

// The defaults of a language-model run where they differ from a vision run's: Adam at 2e-3, no weight decay,
// batch 32, 5 epochs (an epoch: as many steps as the training text has windows' worth of characters),
// gradients clipped to norm 1, data "shakespeare". About ten minutes for `ste` on two cores (README).
TrainConfig language_model_defaults();

// True when the config trains a language model (models::is_language_model).
bool is_language_model_run(const TrainConfig& config);

// Learning rate at `step` of `total_steps` for the config's schedule (no state: resume-safe).
double learning_rate(const TrainConfig& config, int64_t step, int64_t total_steps);

}  // namespace cimtrain::train
