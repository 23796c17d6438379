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
  at::Tensor logits;  // the training forward's logits (detached use only: accuracy)
  double loss = 0;    // the step's loss (may be non-finite: the caller decides)
};

// One step on `batch`: the task's chip noise is seeded for optimiser step `step` of the run
// (common::SeedStream::kTrainingChipNoise, with config.seed), gradients are zeroed, the loss of
// task.training_forward(batch.input) is differentiated, clipped to config.grad_clip (> 0) over the
// optimiser's parameters, and the optimiser steps.
StepResult training_step(TrainingTask& task, torch::optim::Optimizer& optimizer, const TaskBatch& batch,
                         const TrainConfig& config, int64_t step, StepTimes* times = nullptr);

}  // namespace cimtrain::train
