// BatchNorm re-estimation on calibration data (see batchnorm_reestimation.h).
#include "nn/batchnorm_reestimation.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/utils.h>


namespace cimtrain::nn {

namespace {

// Calls f on `m` as the BatchNorm{1,2,3}d it is; false when it is none of them.
template <typename F>
bool with_batchnorm(torch::nn::Module* m, F&& f) {
  if (auto* b = dynamic_cast<torch::nn::BatchNorm1dImpl*>(m)) return f(*b), true;
  if (auto* b = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m)) return f(*b), true;
  if (auto* b = dynamic_cast<torch::nn::BatchNorm3dImpl*>(m)) return f(*b), true;
  return false;
}

// Keeps the training flag of every module and puts it back on destruction (parents come first in modules(),
// so each module ends with its own flag).
class ModesBackup {
 public:
  explicit ModesBackup(torch::nn::Module& model) {
    modes_.push_back({&model, model.is_training()});
    for (auto& m : model.modules(/*include_self=*/false)) modes_.push_back({m.get(), m->is_training()});
  }
  ~ModesBackup() {
    for (auto& [m, training] : modes_) m->train(training);
  }

 private:
  std::vector<std::pair<torch::nn::Module*, bool>> modes_;
};

}  // namespace

std::vector<torch::nn::Module*> batchnorm_layers(torch::nn::Module& model) {
  std::vector<torch::nn::Module*> layers;
  const auto add = [&](torch::nn::Module* m) {
    bool tracks = false;  // a BatchNorm without running statistics has nothing to re-estimate
    if (with_batchnorm(m, [&](auto& b) { tracks = b.options.track_running_stats(); }) && tracks) layers.push_back(m);
  };
  add(&model);
  for (auto& m : model.modules(/*include_self=*/false)) add(m.get());  // (the root may live outside a shared_ptr)
  return layers;
}

BatchNormStatsBackup::BatchNormStatsBackup(torch::nn::Module& model) {
  for (auto* layer : batchnorm_layers(model))
    with_batchnorm(layer, [&](auto& b) {
      saved_.push_back({layer, b.running_mean.clone(), b.running_var.clone(), b.num_batches_tracked.clone()});
    });
}

BatchNormStatsBackup::~BatchNormStatsBackup() {
  torch::NoGradGuard no_grad;
  for (auto& s : saved_)
    with_batchnorm(s.layer, [&](auto& b) {
      b.running_mean.copy_(s.mean);
      b.running_var.copy_(s.var);
      b.num_batches_tracked.copy_(s.batches);
    });
}

int reestimate_batchnorm(torch::nn::Module& model, const std::function<void()>& forward_batches) {
  const auto layers = batchnorm_layers(model);
  if (layers.empty()) return 0;
  ModesBackup modes(model);
  std::vector<c10::optional<double>> momenta;
  model.eval();
  for (auto* layer : layers)
    with_batchnorm(layer, [&](auto& b) {
      momenta.push_back(b.options.momentum());
      b.options.momentum(c10::nullopt);  // the cumulative average over the batches
      b.reset_running_stats();
      b.train(true);
    });
  struct RestoreMomenta {
    const std::vector<torch::nn::Module*>& layers;
    const std::vector<c10::optional<double>>& momenta;
    ~RestoreMomenta() {
      for (size_t i = 0; i < layers.size(); ++i) with_batchnorm(layers[i], [&](auto& b) { b.options.momentum(momenta[i]); });
    }
  } restore{layers, momenta};
  torch::NoGradGuard no_grad;
  forward_batches();
  return static_cast<int>(layers.size());
}

}  // namespace cimtrain::nn
