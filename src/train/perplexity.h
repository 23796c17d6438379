// Perplexity of the language models: exp(mean cross-entropy) on held-out text (GPT: every next character;
// BERT: the masked positions of a fixed, seeded masking), in float and over Monte-Carlo chip instances.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "models/transformer.h"
#include "nn/analog_context.h"
#include "train/evaluate.h"

namespace cimtrain::train {

struct PerplexityOptions {
  int64_t batch = 32;        // windows per forward
  int64_t max_windows = 0;   // > 0: only the first N windows of the text
  uint64_t mask_seed = 0;    // BERT: the masking is drawn from this seed (the same for every chip instance)
};

// How many windows of `context` characters the perplexity reads from `tokens` (non-overlapping, from the
// start; GPT needs one more character for the last target; at most options.max_windows when > 0).
int64_t scored_windows(const models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options);

// Mean cross-entropy (nats per character) over the non-overlapping windows of `context` characters that
// cover `tokens` (int64 [n]); eval mode, no autograd.
double mean_cross_entropy(models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options = {});

// exp(mean_cross_entropy).
double perplexity(models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options = {});

// `n` windows of the model's context at seeded random offsets of `tokens`, as the model reads them in
// training (BERT: masked): the inputs a deployed chip's ranges are calibrated on.
at::Tensor calibration_windows(const models::Transformer& model, const at::Tensor& tokens, int64_t n, uint64_t seed);

// Perplexity on `options.instances` chip instances per level (monte_carlo_on_chip); `calibration_tokens`
// ([N, T] windows, or undefined: per-batch ranges) calibrate each instance once.
std::vector<LevelResult> perplexity_on_chip(models::Transformer& model, nn::AnalogContext& context,
                                            const at::Tensor& tokens, const ChipEvalOptions& chip,
                                            const PerplexityOptions& options = {},
                                            const at::Tensor& calibration_tokens = {},
                                            const std::function<void(int, int)>& on_instance = {});

}  // namespace cimtrain::train
