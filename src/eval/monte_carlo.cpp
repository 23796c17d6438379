// Float and Monte-Carlo chip evaluation (see monte_carlo.h).
#include "eval/monte_carlo.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/api/include/torch/utils.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "common/seed_streams.h"
#include "dist/ranks.h"
#include "nn/batchnorm_reestimation.h"
#include "nn/context_override.h"
#include "nn/convert.h"
#include "train/metrics.h"

namespace cimtrain::eval {

namespace {
// Two-sided 95% quantile of Student's t with `dof` degrees of freedom.
double t95(int dof) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};
  if (dof < 1) return 0;
  if (dof <= 20) return table[dof - 1];
  return 1.96 + 2.4 / dof;  // within 0.01 of the exact value beyond 20
}
}  // namespace

LevelResult summarize(double level, std::vector<double> values) {
  LevelResult r;
  r.level = level;
  r.values = std::move(values);
  const auto n = static_cast<double>(r.values.size());
  if (r.values.empty()) return r;
  double sum = 0;
  for (double v : r.values) sum += v;
  r.mean = sum / n;
  double ss = 0;
  for (double v : r.values) ss += (v - r.mean) * (v - r.mean);
  r.std = r.values.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
  const double half = r.values.size() > 1 ? t95(static_cast<int>(n) - 1) * r.std / std::sqrt(n) : 0.0;
  r.ci_low = r.mean - half;
  r.ci_high = r.mean + half;
  return r;
}

namespace {
at::Generator instance_generator(uint64_t seed, double level, int k) {
  return at::make_generator<at::CPUGeneratorImpl>(
      common::stream_seed(common::SeedStream::kInstanceProgramming, {seed, common::double_bits(level), uint64_t(k)}));
}
uint64_t instance_read_seed(uint64_t seed, double level, int k) {
  return common::stream_seed(common::SeedStream::kInstanceReadNoise, {seed, common::double_bits(level), uint64_t(k)});
}
}  // namespace

void forward_in_batches(models::Classifier& model, const at::Tensor& images, int64_t batch) {
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < images.size(0); i += batch)
    model.forward(images.narrow(0, i, std::min(batch, images.size(0) - i)));
}

void program_instance(torch::nn::Module& model, nn::AnalogContext& context, uint64_t seed, double level, int k,
                      const std::function<void()>& calibration_forward, const std::function<void()>& batchnorm_forward,
                      bool calibrate_output) {
  auto gen = instance_generator(seed, level, k);
  {
    nn::ContextOverride at_level(context);
    at_level.level(level);
    nn::program_chip(model, gen);
  }
  context.reseed(instance_read_seed(seed, level, k));
  // BatchNorm is re-estimated before the ranges are fixed (its statistics set the later layers' inputs), but
  // after an output calibration, whose corrected reads it must see (else it absorbs the gain that calibration
  // then removes).
  const bool batchnorm_first = batchnorm_forward && !(calibrate_output && calibration_forward);
  if (batchnorm_first) nn::reestimate_batchnorm(model, batchnorm_forward);
  if (calibration_forward) {
    torch::NoGradGuard no_grad;
    nn::calibrate_chip(model, calibration_forward, context, calibrate_output);
  }
  if (batchnorm_forward && !batchnorm_first) nn::reestimate_batchnorm(model, batchnorm_forward);
}

void program_instance(const std::vector<nn::AnalogLayer*>& layers, uint64_t seed, double level, int k) {
  std::vector<nn::AnalogContext*> contexts;
  for (auto* layer : layers)
    if (layer->context() && std::find(contexts.begin(), contexts.end(), layer->context().get()) == contexts.end())
      contexts.push_back(layer->context().get());
  auto gen = instance_generator(seed, level, k);
  {
    std::vector<std::unique_ptr<nn::ContextOverride>> at_level;
    for (auto* context : contexts) at_level.emplace_back(std::make_unique<nn::ContextOverride>(*context))->level(level);
    std::vector<nn::AnalogLayer*> with_context;
    for (auto* layer : layers)
      if (layer->context()) with_context.push_back(layer);
    nn::program_chip(with_context, gen);
  }
  const uint64_t read_seed = instance_read_seed(seed, level, k);
  for (size_t n = 0; n < contexts.size(); ++n)
    contexts[n]->reseed(n == 0 ? read_seed : common::mix_seed({read_seed, uint64_t(n)}));
}

namespace {
at::Generator neft_instance_generator(uint64_t seed, double sigma, int k) {
  return at::make_generator<at::CPUGeneratorImpl>(
      common::stream_seed(common::SeedStream::kNeftInstance, {seed, common::double_bits(sigma), uint64_t(k)}));
}
}  // namespace

void program_neft_instance(torch::nn::Module& model, uint64_t seed, double sigma, double s, int k) {
  program_neft_instance(nn::analog_layer_list(model), seed, sigma, s, k);
}

void program_neft_instance(const std::vector<nn::AnalogLayer*>& layers, uint64_t seed, double sigma, double s, int k) {
  auto gen = neft_instance_generator(seed, sigma, k);
  nn::program_neft(layers, gen, sigma, s);
}

std::vector<LevelResult> monte_carlo_on_chip(torch::nn::Module& model, nn::AnalogContext& context,
                                             const ChipEvalOptions& options, const std::function<double()>& metric,
                                             const std::function<void()>& calibration_forward,
                                             const std::function<void(int, int)>& on_instance,
                                             const std::function<void()>& batchnorm_forward) {
  // The (level, instance) pairs are spread over the ranks of a distributed run (pair j on rank j mod size) and
  // summed back: instance k is a function of (seed, level, k) alone, so the result is the same for any number of
  // ranks (to the bit, for the same threads per rank). A single process is one rank.
  dist::Ranks& ranks = dist::Ranks::world();
  const int total = static_cast<int>(options.levels.size()) * options.instances;
  const int mine = ranks.share(total);
  at::Tensor values = at::zeros({total}, at::kDouble);
  int done = 0;
  for (int j = ranks.rank(); j < total; j += ranks.size()) {
    const double level = options.levels[static_cast<size_t>(j / options.instances)];
    const int k = j % options.instances;
    {
      std::optional<nn::BatchNormStatsBackup> trained_statistics;
      if (batchnorm_forward) trained_statistics.emplace(model);
      if (options.neft_s > 0) {
        program_neft_instance(model, options.seed, level, options.neft_s, k);
        if (batchnorm_forward) nn::reestimate_batchnorm(model, batchnorm_forward);
      } else {
        program_instance(model, context, options.seed, level, k, calibration_forward, batchnorm_forward,
                         options.calibrate_output);
      }
      values[j] = metric();
      nn::clear_chip(model);
      if (on_instance) on_instance(++done, mine);
    }
  }
  ranks.sum(values);
  std::vector<LevelResult> results;
  const double* v = values.data_ptr<double>();
  for (size_t l = 0; l < options.levels.size(); ++l)
    results.push_back(
        summarize(options.levels[l], std::vector<double>(v + l * options.instances, v + (l + 1) * options.instances)));
  return results;
}

std::vector<LevelResult> evaluate_on_chip(models::Classifier& model, nn::AnalogContext& context,
                                          data::BatchLoader& loader, const ChipEvalOptions& options,
                                          const std::function<void(int, int)>& on_instance) {
  std::function<void()> calibrate, reestimate;
  if (options.calibration_images.defined()) calibrate = [&] { model.forward(options.calibration_images); };
  if (options.batchnorm_images.defined())
    reestimate = [&] { forward_in_batches(model, options.batchnorm_images, options.batchnorm_batch); };
  return monte_carlo_on_chip(
      model, context, options, [&] { return train::accuracy(model, loader); }, calibrate, on_instance, reestimate);
}

nlohmann::json to_json(const LevelResult& r) {
  return {{"level", r.level},
          {"mean", r.mean},
          {"std", r.std},
          {"ci95", {r.ci_low, r.ci_high}},
          {"instances", r.values.size()},
          {"values", r.values}};
}

}  // namespace cimtrain::eval
