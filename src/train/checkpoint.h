// Checkpoints: the model's parameters and buffers, the optimiser state and a JSON record of the run
// (config, progress), written atomically (common::write_file) with a checksum over all of it, verified on every
// read (checkpoint_file.h); a damaged or foreign file is refused with its name and the cause.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <nlohmann/json.hpp>
#include <string>

namespace cimtrain::train {

constexpr int kCheckpointFormatVersion = 2;  // format 1 (before the checksum) still reads

// Writes `path` atomically: a reader sees the old file or the new one, never half of one.
// `meta` must hold at least "kind" (e.g. "classifier"); the format version is added. `auxiliary` (optional):
// modules trained with the model but not part of it (NeFT's IRS heads), kept apart from the model's tensors.
void save_checkpoint(const std::string& path, const torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                     nlohmann::json meta, const torch::nn::Module* auxiliary = nullptr);

// The JSON record of a checkpoint; throws std::runtime_error naming the file for a missing, truncated, damaged
// (checksum mismatch) or foreign file or an unknown format version.
nlohmann::json read_checkpoint_meta(const std::string& path);

// The checkpoint's checksum (16 hex digits), verified: the name of its content, for caches.
std::string checkpoint_checksum(const std::string& path);

// Loads the parameters and buffers into `model` (and the optimiser state into `optimizer`, if given and
// present); the model must have the checkpoint's architecture, else the error names the first mismatch.
nlohmann::json load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer = nullptr);

// Loads the auxiliary modules saved with the model into `auxiliary`; false when the checkpoint holds none.
bool load_auxiliary(const std::string& path, torch::nn::Module& auxiliary);

}  // namespace cimtrain::train
