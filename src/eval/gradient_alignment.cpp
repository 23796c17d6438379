// The STE-vs-simulator gradient analysis (see gradient_alignment.h).
#include "eval/gradient_alignment.h"

#include <cmath>
#include <stdexcept>

#include "common/seed_streams.h"
#include "eval/monte_carlo.h"
#include "nn/context_override.h"
#include "nn/convert.h"

namespace cimtrain::eval {

namespace {

// Each analog layer's weight gradient after differentiating the loss in `mode` with the noise seeded by `seed`.
std::vector<at::Tensor> weight_gradients(torch::nn::Module& model, nn::AnalogContext& context,
                                         const std::function<at::Tensor()>& loss_of_batch,
                                         const std::vector<at::Tensor>& weights, nn::GradientMode mode, uint64_t seed) {
  nn::ContextOverride in_mode(context);
  in_mode.mode(mode);
  context.reseed(seed);
  model.zero_grad();
  loss_of_batch().backward();
  std::vector<at::Tensor> grads;
  for (const auto& w : weights)
    grads.push_back(w.grad().defined() ? w.grad().detach().to(at::kDouble).flatten().clone()
                                       : at::zeros({w.numel()}, at::kDouble));
  return grads;
}

}  // namespace

std::vector<LevelAlignment> gradient_alignment(torch::nn::Module& model, nn::AnalogContext& context,
                                               const std::function<at::Tensor()>& loss_of_batch,
                                               const std::vector<double>& levels, int samples, uint64_t seed) {
  if (samples < 1) throw std::invalid_argument("gradient alignment needs samples >= 1");
  std::vector<std::string> names;
  std::vector<at::Tensor> weights;
  const auto params = model.named_parameters();
  for (const auto& [name, layer] : nn::analog_layers(model)) {
    if (layer->digital()) continue;
    names.push_back(name);
    weights.push_back(params[name + ".weight"]);
  }
  if (weights.empty()) throw std::invalid_argument("gradient alignment: the model has no analog layer");
  std::vector<LevelAlignment> results;
  for (const double level : levels) {
    nn::ContextOverride at_level(context);
    at_level.level(level);
    const uint64_t level_bits = common::double_bits(level);
    const size_t n = weights.size();
    std::vector<std::vector<double>> cos(n);
    std::vector<double> ste_norm(n), full_norm(n), delta_norm(n);
    for (int k = 0; k < samples; ++k) {
      const uint64_t s = common::stream_seed(common::SeedStream::kAlignmentSample, {seed, level_bits, uint64_t(k)});
      const auto g = weight_gradients(model, context, loss_of_batch, weights, nn::GradientMode::kSte, s);
      const auto f = weight_gradients(model, context, loss_of_batch, weights, nn::GradientMode::kFull, s);
      for (size_t i = 0; i < n; ++i) {
        const double gn = g[i].norm().item<double>(), fn = f[i].norm().item<double>();
        cos[i].push_back(gn > 0 && fn > 0 ? g[i].dot(f[i]).item<double>() / (gn * fn) : 0.0);
        ste_norm[i] += gn / samples;
        full_norm[i] += fn / samples;
        delta_norm[i] += (f[i] - g[i]).norm().item<double>() / samples;
      }
    }
    LevelAlignment r;
    r.level = level;
    for (size_t i = 0; i < n; ++i) {
      const auto stats = summarize(level, cos[i]);
      LayerAlignment a;
      a.layer = names[i];
      a.cos_mean = stats.mean;
      a.cos_std = stats.std;
      a.ste_norm = ste_norm[i];
      a.full_norm = full_norm[i];
      a.delta_norm = delta_norm[i];
      a.predicted_cos = ste_norm[i] / std::sqrt(ste_norm[i] * ste_norm[i] + delta_norm[i] * delta_norm[i]);
      r.layers.push_back(a);
    }
    results.push_back(r);
  }
  model.zero_grad();
  return results;
}

}  // namespace cimtrain::eval
