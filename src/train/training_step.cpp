// One optimiser step (see training_step.h).
#include "train/training_step.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <chrono>

#include "common/seed_streams.h"

namespace cimtrain::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, torch::nn::Module& model,
                                                        torch::nn::Module* auxiliary) {
  auto params = model.parameters();
  if (auxiliary)
    for (auto& p : auxiliary->parameters()) params.push_back(p);
  if (c.optimizer == OptimizerKind::kAdam)
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(c.lr).momentum(0.9).nesterov(true).weight_decay(c.weight_decay));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

StepResult training_step(TrainingTask& task, torch::optim::Optimizer& optimizer, const TaskBatch& batch,
                         const TrainConfig& config, int64_t step, StepTimes* times) {
  task.context().reseed(
      common::stream_seed(common::SeedStream::kTrainingChipNoise, {config.seed, static_cast<uint64_t>(step)}));
  auto t = Clock::now();
  optimizer.zero_grad();
  StepResult r;
  r.logits = task.training_forward(batch.input);
  const auto loss = task_loss(r.logits, batch.target);
  if (times) {
    (void)loss.item<double>();
    times->forward = seconds_since(t);
    t = Clock::now();
  }
  loss.backward();
  if (times) {
    times->backward = seconds_since(t);
    t = Clock::now();
  }
  if (config.grad_clip > 0)  // over the model's and the auxiliary modules' parameters
    torch::nn::utils::clip_grad_norm_(optimizer.param_groups().front().params(), config.grad_clip);
  optimizer.step();
  if (times) times->optimizer = seconds_since(t);
  r.loss = loss.item<double>();
  return r;
}

}  // namespace cimtrain::train
