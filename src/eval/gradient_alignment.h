// The paper's gradient analysis (its eqs. 10-12; issue 7's `experiment alignment`, groundwork): on one batch
// and one chip instance per sample, each analog layer's weight gradient under the extended STE (`ste`) and
// through the simulator (`full`: the gradient of a differentiable model of the same programmed instance),
// their cosine similarity, norms and the norm of their difference, and the paper's prediction
// E[cos] ~ |g| / sqrt(|g|^2 + |delta|^2) with g the STE gradient and delta = g_full - g.
#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <vector>

#include "nn/analog_context.h"

namespace cimtrain::eval {

struct LayerAlignment {
  std::string layer;
  double cos_mean = 0, cos_std = 0;                    // over samples
  double ste_norm = 0, full_norm = 0, delta_norm = 0;  // means over samples
  double predicted_cos = 0;                            // ste_norm / sqrt(ste_norm^2 + delta_norm^2)
};

struct LevelAlignment {
  double level = 0;
  std::vector<LayerAlignment> layers;  // the model's analog layers, in order
};

// For each level and `samples` noise samples (sample k seeded by (seed, level, k): the same chip instance for
// both modes), the loss `loss_of_batch()` is differentiated once in `ste` and once in `full` mode. The model
// stays in its mode (train: BatchNorm uses batch statistics and updates its running ones); the context's mode
// and level are restored. Needs at least one analog layer and samples >= 1.
std::vector<LevelAlignment> gradient_alignment(torch::nn::Module& model, nn::AnalogContext& context,
                                               const std::function<at::Tensor()>& loss_of_batch,
                                               const std::vector<double>& levels, int samples, uint64_t seed);

}  // namespace cimtrain::eval
