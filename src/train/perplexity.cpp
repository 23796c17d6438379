// Perplexity in float and on chip instances (see perplexity.h).
#include "train/perplexity.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>
#include <stdexcept>

#include "data/text_corpus.h"

namespace cimtrain::train {

int64_t scored_windows(const models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options) {
  const int64_t windows = std::max<int64_t>(0, tokens.numel() - (model.causal() ? 1 : 0)) / model.context();
  return options.max_windows > 0 ? std::min(windows, options.max_windows) : windows;
}

double mean_cross_entropy(models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options) {
  TORCH_CHECK(tokens.dim() == 1 && tokens.scalar_type() == at::kLong, "perplexity: tokens must be int64 [n], found ",
              tokens.sizes());
  const int64_t T = model.context(), V = model.vocab_size();
  // GPT predicts character t + 1 from 0..t: windows of T inputs need T + 1 characters.
  const int64_t span = model.causal() ? T + 1 : T;
  const int64_t windows = scored_windows(model, tokens, options);
  if (windows < 1 || tokens.numel() < span)
    throw std::invalid_argument("perplexity: the text has " + std::to_string(tokens.numel()) +
                                " characters, fewer than one window of " + std::to_string(span));
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  // Every window's input and target at once (BERT: one masking of all windows, so the result does not depend
  // on the batch size), then the forwards batch by batch.
  const auto idx = (at::arange(windows, at::kLong) * T).unsqueeze(1) + at::arange(T, at::kLong).unsqueeze(0);
  auto inputs = tokens.index_select(0, idx.reshape({-1})).view({windows, T});
  at::Tensor targets;
  if (model.causal()) {
    targets = tokens.index_select(0, (idx + 1).reshape({-1})).view({windows, T});
  } else {
    auto mask_gen = at::make_generator<at::CPUGeneratorImpl>(options.mask_seed);
    auto m = data::mask_characters(inputs, V, model.mask_id(), mask_gen);
    inputs = m.input;
    targets = m.target;
  }
  double sum = 0;
  int64_t count = 0;
  for (int64_t w0 = 0; w0 < windows; w0 += options.batch) {
    const int64_t nb = std::min(options.batch, windows - w0);
    const auto input = inputs.narrow(0, w0, nb), target = targets.narrow(0, w0, nb);
    const auto logits = model.forward(input).reshape({-1, V});
    const auto flat = target.reshape({-1});
    sum += at::cross_entropy_loss(logits, flat, {}, at::Reduction::Sum, -100).item<double>();
    count += (flat != -100).sum().item<int64_t>();
  }
  model.train(was_training);
  if (count == 0) throw std::invalid_argument("perplexity: no position to score (no character was masked)");
  return sum / static_cast<double>(count);
}

double perplexity(models::Transformer& model, const at::Tensor& tokens, const PerplexityOptions& options) {
  return std::exp(mean_cross_entropy(model, tokens, options));
}

at::Tensor calibration_windows(const models::Transformer& model, const at::Tensor& tokens, int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto w = data::random_windows(tokens, n, model.context(), gen);
  if (model.causal()) return w.input;
  return data::mask_characters(w.input, model.vocab_size(), model.mask_id(), gen).input;
}

std::vector<LevelResult> perplexity_on_chip(models::Transformer& model, nn::AnalogContext& context,
                                            const at::Tensor& tokens, const ChipEvalOptions& chip,
                                            const PerplexityOptions& options, const at::Tensor& calibration_tokens,
                                            const std::function<void(int, int)>& on_instance) {
  std::function<void()> calibrate;
  if (calibration_tokens.defined()) calibrate = [&] { model.forward(calibration_tokens); };
  return monte_carlo_on_chip(model, context, chip, [&] { return perplexity(model, tokens, options); }, calibrate,
                             on_instance);
}

}  // namespace cimtrain::train
