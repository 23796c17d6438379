// Float metrics of the validation passes (see metrics.h).
#include "train/metrics.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>
#include <stdexcept>

#include "data/text_corpus.h"

namespace cimtrain::train {

namespace {
// A non-finite output (an overflowing chip read, a weight turned NaN) would still give an argmax and so a
// plausible-looking accuracy: it is an error instead.
void require_finite_outputs(const at::Tensor& logits) {
  if (!logits.isfinite().all().item<bool>())
    throw std::runtime_error(
        "the model's outputs came out non-finite (nan or inf): a chip setting beyond what its model holds (e.g. a "
        "huge noise sigma or time), or a damaged checkpoint; no metric is reported from such outputs");
}
}  // namespace

double accuracy(models::Classifier& model, data::BatchLoader& loader, double* mean_loss) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  int64_t correct = 0, seen = 0;
  double loss_sum = 0;
  loader.start_epoch(0);
  data::Batch batch;
  while (loader.next(batch)) {
    const auto logits = model.forward(batch.images);
    require_finite_outputs(logits);
    correct += logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
    if (mean_loss) loss_sum += at::cross_entropy_loss(logits, batch.labels, {}, at::Reduction::Sum).item<double>();
    seen += batch.labels.size(0);
  }
  model.train(was_training);
  if (mean_loss) *mean_loss = seen ? loss_sum / seen : 0.0;
  return seen ? static_cast<double>(correct) / seen : 0.0;
}

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
    require_finite_outputs(logits);
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

}  // namespace cimtrain::train
