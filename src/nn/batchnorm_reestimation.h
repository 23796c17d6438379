// Deployment calibration of BatchNorm: the running statistics re-estimated on calibration data read through the
// programmed chip instance (AdaBN-style, Li et al. 2016; per instance, as each deployed chip would be), and an
// RAII guard that restores the trained statistics afterwards.
#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <vector>

namespace cimtrain::nn {

// The model's BatchNorm layers (1d, 2d, 3d) that track running statistics, in registration order.
std::vector<torch::nn::Module*> batchnorm_layers(torch::nn::Module& model);

// Saves every BatchNorm layer's running mean, variance and batch count, and puts them back when destroyed.
class BatchNormStatsBackup {
 public:
  explicit BatchNormStatsBackup(torch::nn::Module& model);
  ~BatchNormStatsBackup();
  BatchNormStatsBackup(const BatchNormStatsBackup&) = delete;
  BatchNormStatsBackup& operator=(const BatchNormStatsBackup&) = delete;

 private:
  struct Saved {
    torch::nn::Module* layer;
    at::Tensor mean, var, batches;
  };
  std::vector<Saved> saved_;
};

// Replaces the running statistics of every BatchNorm layer with the plain average over the batches that
// `forward_batches` runs (each layer's batch mean and unbiased batch variance, averaged with equal weight per
// batch: torch's momentum = None), while everything else stays in eval mode -- analog layers read the
// programmed instance, dropout is off. No gradients. The model's modes and the layers' momentum are restored.
// Returns the number of BatchNorm layers re-estimated (0: the model has none, nothing is run).
int reestimate_batchnorm(torch::nn::Module& model, const std::function<void()>& forward_batches);

}  // namespace cimtrain::nn
