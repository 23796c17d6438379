// The training loop of `cimtrain train`: a vision or language model on the simulated chip, with progress, metrics
// (CSV), a loss-curve image, atomic checkpoints, clean interruption and exact resumption.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <atomic>
#include <memory>
#include <string>

#include "train/run_files.h"
#include "train/train_config.h"

namespace cimtrain::train {

struct TrainOutcome {
  bool finished = false;              // false: stopped early (interrupted, or --steps reached before the last epoch)
  int64_t steps = 0;                  // optimiser steps done in all
  double test_accuracy = -1;          // images: float accuracy on the test set after the last epoch (-1: not measured)
  double validation_perplexity = -1;  // text: float validation perplexity after the last epoch (-1: not measured)
  double seconds = 0;                 // wall-clock time of this invocation
};

// Trains from scratch (or from config.init) into `out_dir`. `stop` is polled after every step: when set,
// the checkpoint is written and train() returns (Ctrl-C). `quiet` turns the progress bar and log lines off.
TrainOutcome train(const TrainConfig& config, const std::string& out_dir, const std::atomic<bool>* stop = nullptr,
                   bool quiet = false);

// Continues the run in `out_dir` from its checkpoint, with its saved config; `steps` and `epochs` > 0
// override the saved ones (to run further). Gives what an uninterrupted run with the same seed gives.
TrainOutcome resume(const std::string& out_dir, int64_t steps = 0, int64_t epochs = 0,
                    const std::atomic<bool>* stop = nullptr, bool quiet = false);

}  // namespace cimtrain::train
