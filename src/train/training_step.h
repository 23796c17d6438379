// One optimiser step of a training run, the function both the trainer and the step benchmark
// (eval/step_bench.h) call: the step's chip noise, the task's training forward (NeFT's OVF and IRS
// included), the loss, backward, gradient clipping and the optimiser's update.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>

#include "train/train_config.h"
#include "train/training_task.h"

namespace cimtrain::train {

// The run's optimiser over `model`'s parameters, then `auxiliary`'s when given (SGD with Nesterov momentum 0.9,
// or Adam).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& config, torch::nn::Module& model,
                                                        torch::nn::Module* auxiliary = nullptr);

// Sets every parameter group's learning rate.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// Wall-clock seconds of a step's parts, when asked for (the loss is read after the forward to time it).
struct StepTimes {
  double forward = 0;    // the training forward and the loss
  double backward = 0;   // autograd's backward
  double optimizer = 0;  // clipping and the optimiser's update
};

struct StepResult {
  at::Tensor logits;  // the training forward's logits (detached use only: accuracy), of this rank's shard
  at::Tensor target;  // the targets of those logits (the shard's)
  double loss = 0;    // this rank's part of the step's loss (all of it for one rank; may be non-finite)
};

// One step on `batch`: the task's chip noise is seeded for optimiser step `step` of the run
// (common::SeedStream::kTrainingChipNoise, with config.seed, and the rank for ranks above 0), gradients are zeroed,
// the loss of task.training_forward(batch.input) is differentiated, clipped to config.grad_clip (> 0) over the
// optimiser's parameters, and the optimiser steps.
//
// Data parallel (dist::Ranks::world() of more than one rank): every rank holds the whole batch and takes its own
// contiguous shard of it; its loss is weighted by its share of the batch's scored targets, so that the gradients
// summed over the ranks (dist::sum_gradients, flattened buckets) are the whole batch's mean-loss gradient; the
// clipping and the update then run the same on every rank. The ranks' losses sum to the batch's loss.
StepResult training_step(TrainingTask& task, torch::optim::Optimizer& optimizer, const TaskBatch& batch,
                         const TrainConfig& config, int64_t step, StepTimes* times = nullptr);

}  // namespace cimtrain::train
