// Evaluation: float accuracy, and Monte-Carlo accuracy over chip instances (docs/design.md §3.3): each instance is
// programmed once and reads the whole test set, as a deployed chip would.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/batch_loader.h"
#include "models/classifier.h"
#include "nn/analog_context.h"
#include "nn/analog_layer.h"

namespace cimtrain::eval {

struct LevelResult {
  double level = 0;
  std::vector<double> values;      // metric per chip instance
  double mean = 0, std = 0;        // std: sample standard deviation over instances (0 for one)
  double ci_low = 0, ci_high = 0;  // 95% interval of the mean (Student t over instances)
};

// Summary statistics of per-instance values.
LevelResult summarize(double level, std::vector<double> values);

struct ChipEvalOptions {
  std::vector<double> levels = {1, 2, 3};  // chip noise levels; NeFT's sigmas when neft_s > 0
  // > 0: instances of NeFT's device model (nn/neft_noise.h) with this multiplier s instead of chip instances:
  // one weight-noise draw per instance at each sigma in `levels`, no converters (calibration ignored).
  double neft_s = 0;
  int instances = 5;
  uint64_t seed = 0;  // instance k at level L is drawn from a generator seeded by (seed, L, k)
  // Normalised images [N, C, H, W] each programmed instance is calibrated on once (input scales and ADC full
  // scales fixed, docs/design.md §3.3); undefined: every read batch sets its own ranges, as in training.
  at::Tensor calibration_images;
  // Normalised images [N, C, H, W] BatchNorm's running statistics are re-estimated on per instance, read
  // through it before its range calibration (nn/batchnorm_reestimation.h; the trained statistics are restored
  // after each instance); undefined: the trained statistics.
  at::Tensor batchnorm_images;
  int64_t batchnorm_batch = 128;  // images per re-estimation batch (BatchNorm normalises by batch statistics)
  // The range calibration also fits each analog layer's output gain and offset per channel against the float
  // layer (nn::calibrate_chip's `output`); needs calibration_images.
  bool calibrate_output = false;
};

// Runs `images` through `model` in batches of `batch` (no gradients), for calibration and re-estimation.
void forward_in_batches(models::Classifier& model, const at::Tensor& images, int64_t batch);

// Programs chip instance `k` of noise level `level` (seeded by (seed, level, k): the k-th instance
// monte_carlo_on_chip evaluates) into the model's analog layers, seeds its read noise, and calibrates it once
// with `calibration_forward` when given (the context keeps its settings; its generator is reseeded for the
// instance's read noise); nn::clear_chip undoes the programming. `batchnorm_forward`, when given, runs the
// batches BatchNorm's statistics are re-estimated on, through the instance, before the range calibration, or
// after it when it calibrates the output too (the caller keeps the trained statistics:
// nn::BatchNormStatsBackup).
void program_instance(torch::nn::Module& model, nn::AnalogContext& context, uint64_t seed, double level, int k,
                      const std::function<void()>& calibration_forward = {},
                      const std::function<void()>& batchnorm_forward = {}, bool calibrate_output = false);

// The same instance for layers listed by the caller (a Python model's), which may hold several contexts: every
// context met is at `level` while the layers are programmed (in this order, from the generator program_instance
// uses), then reseeded for the instance's read noise: the first with program_instance's seed, the n-th with that
// seed mixed with n. Layers without a context are skipped. No calibration (the caller's forward does it).
void program_instance(const std::vector<nn::AnalogLayer*>& layers, uint64_t seed, double level, int k);
// Draws instance `k` of NeFT's device model at `sigma` (multiplier s; seeded by (seed, sigma, k)) into the
// model's analog layers; nn::clear_chip undoes it.
void program_neft_instance(torch::nn::Module& model, uint64_t seed, double sigma, double s, int k);
void program_neft_instance(const std::vector<nn::AnalogLayer*>& layers, uint64_t seed, double sigma, double s, int k);

// The Monte-Carlo loop itself, for any metric: at each level, `instances` chip instances, each programmed
// once (its BatchNorm statistics re-estimated by `batchnorm_forward` and its ranges calibrated once by
// `calibration_forward`, when given, as a deployed chip), then `metric()`; the trained BatchNorm statistics
// are back after each instance.
std::vector<LevelResult> monte_carlo_on_chip(torch::nn::Module& model, nn::AnalogContext& context,
                                             const ChipEvalOptions& options, const std::function<double()>& metric,
                                             const std::function<void()>& calibration_forward = {},
                                             const std::function<void(int done, int total)>& on_instance = {},
                                             const std::function<void()>& batchnorm_forward = {});

// Accuracy of `model` on `loader` on `instances` chip instances at each level; `context` is the model's
// analog context (its chip level is set per level and restored). `on_instance` reports progress.
std::vector<LevelResult> evaluate_on_chip(models::Classifier& model, nn::AnalogContext& context,
                                          data::BatchLoader& loader, const ChipEvalOptions& options,
                                          const std::function<void(int done, int total)>& on_instance = {});

// {"level", "mean", "std", "ci95": [low, high], "instances", "values"}
nlohmann::json to_json(const LevelResult& r);

}  // namespace cimtrain::eval
