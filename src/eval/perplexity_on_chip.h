// Perplexity of the language models over Monte-Carlo chip instances (the float metric: train/metrics.h), and
// the text windows a deployed chip's ranges are calibrated on.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "eval/monte_carlo.h"
#include "models/transformer.h"
#include "nn/analog_context.h"
#include "train/metrics.h"

namespace cimtrain::eval {

// `n` windows of the model's context at seeded random offsets of `tokens`, as the model reads them in
// training (BERT: masked): the inputs a deployed chip's ranges are calibrated on.
at::Tensor calibration_windows(const models::Transformer& model, const at::Tensor& tokens, int64_t n, uint64_t seed);

// Perplexity on `options.instances` chip instances per level (monte_carlo_on_chip); `calibration_tokens`
// ([N, T] windows, or undefined: per-batch ranges) calibrate each instance once.
std::vector<LevelResult> perplexity_on_chip(models::Transformer& model, nn::AnalogContext& context,
                                            const at::Tensor& tokens, const ChipEvalOptions& chip,
                                            const train::PerplexityOptions& options = {},
                                            const at::Tensor& calibration_tokens = {},
                                            const std::function<void(int, int)>& on_instance = {});

}  // namespace cimtrain::eval
