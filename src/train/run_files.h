// A training run's folder: the files train() writes there, the trimming of its CSV files on resume, and the
// loss-curve image drawn from them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "train/train_config.h"

namespace cimtrain::train {

// Output folder layout (all written by train()):
//   config.json       the run's TrainConfig (resume reads it)
//   checkpoint.pt     model + optimiser + progress, atomically replaced after every epoch and on stop; while
//                     unfinished also the NeFT IRS heads (resume), which the finished one drops
//   steps.csv         step,epoch,loss,accuracy,lr,seconds
//   epochs.csv        epoch,steps,train_loss,train_accuracy,<validation>,seconds; <validation> is test_accuracy
//                     (images) or validation_loss,validation_perplexity (text; accuracies are per character)
//   validation.csv    step,validation_loss,<validation>: with validate_every > 0, every that many steps and at
//                     each epoch's end (float, on eval_limit examples)
//   loss.png          training loss per step (and per-epoch means, and the validation loss when measured)
struct TrainPaths {
  explicit TrainPaths(std::string dir);
  std::string dir, config, checkpoint, steps_csv, epochs_csv, validation_csv, loss_png;
};

// Throws std::runtime_error when the checkpoint record `meta` (read from `checkpoint_path`) is not of the run
// `config` (read from `config_path`) describes: another model, data set, mode or any other field (the budget,
// epochs and steps, excepted: a resume may extend it). A checkpoint copied into another run's folder is refused.
void check_checkpoint_identity(const nlohmann::json& meta, const TrainConfig& config,
                               const std::string& checkpoint_path, const std::string& config_path);

// Keeps the rows of a CSV whose first column is <= `last` (the rows an interrupted run wrote after its
// checkpoint are dropped on resume); writes the header when the file is new.
void trim_csv(const std::string& path, const std::string& header, int64_t last);

// Draws loss.png from steps.csv, epochs.csv and validation.csv (when there).
void plot_loss(const TrainPaths& paths, const TrainConfig& config);

}  // namespace cimtrain::train
