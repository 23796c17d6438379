// The float metrics of a validation pass: top-1 accuracy of a classifier, and the perplexity of a language
// model, exp(mean cross-entropy) on held-out text (GPT: every next character; BERT: the masked positions of a
// fixed, seeded masking). Eval mode, no autograd; the model's mode is restored.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include "data/batch_loader.h"
#include "models/classifier.h"
#include "models/transformer.h"

namespace cimtrain::train {

// Fraction of correct top-1 predictions over one pass of `loader`; also the mean cross-entropy into
// `mean_loss` when given.
double accuracy(models::Classifier& model, data::BatchLoader& loader, double* mean_loss = nullptr);

struct PerplexityOptions {
  int64_t batch = 32;       // windows per forward
  int64_t max_windows = 0;  // > 0: only the first N windows of the text
  uint64_t mask_seed = 0;   // BERT: the masking is drawn from this seed (the same for every chip instance)
};

// How many windows of `context` characters the perplexity reads from `tokens` (non-overlapping, from the
// start; GPT needs one more character for the last target; at most options.max_windows when > 0).
int64_t scored_windows(const models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options);

// Mean cross-entropy (nats per character) over the non-overlapping windows of `context` characters that
// cover `tokens` (int64 [n]); eval mode, no autograd.
double mean_cross_entropy(models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options = {});

// exp(mean_cross_entropy).
double perplexity(models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options = {});

}  // namespace cimtrain::train
