// One optimiser step (see training_step.h).
#include "train/training_step.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <chrono>

#include "common/seed_streams.h"
#include "dist/module_sync.h"

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
  dist::Ranks& ranks = dist::Ranks::world();
  const auto rank = static_cast<uint64_t>(ranks.rank());
  const auto s = static_cast<uint64_t>(step);
  task.context().reseed(rank == 0
                            ? common::stream_seed(common::SeedStream::kTrainingChipNoise, {config.seed, s})
                            : common::stream_seed(common::SeedStream::kTrainingChipNoise, {config.seed, s, rank}));
  auto t = Clock::now();
  optimizer.zero_grad();
  StepResult r;
  at::Tensor input = batch.input;
  r.target = batch.target;
  double weight = 1;  // this shard's share of the batch's scored targets
  if (ranks.size() > 1) {
    const int64_t n = batch.input.size(0);
    const int64_t lo = n * ranks.rank() / ranks.size(), hi = n * (ranks.rank() + 1) / ranks.size();
    input = batch.input.narrow(0, lo, hi - lo);
    r.target = batch.target.narrow(0, lo, hi - lo);
    const auto scored = [](const at::Tensor& target) { return target.ne(-100).sum().item<double>(); };
    const double all = scored(batch.target);
    weight = all > 0 ? scored(r.target) / all : 0;
  }
  r.logits = task.training_forward(input);
  // A shard without a scored target (BERT's masking can leave one) contributes zero loss and gradient.
  const auto loss = ranks.size() == 1 ? task_loss(r.logits, r.target)
                    : weight > 0      ? task_loss(r.logits, r.target) * weight
                                      : r.logits.sum() * 0;
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
  dist::sum_gradients(ranks, optimizer.param_groups().front().params());
  if (config.grad_clip > 0)  // over the model's and the auxiliary modules' parameters
    torch::nn::utils::clip_grad_norm_(optimizer.param_groups().front().params(), config.grad_clip);
  optimizer.step();
  if (times) times->optimizer = seconds_since(t);
  r.loss = loss.item<double>();
  return r;
}

}  // namespace cimtrain::train
