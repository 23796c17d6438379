// Perplexity in float and on chip instances (see perplexity_on_chip.h).
#include "eval/perplexity_on_chip.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>
#include <stdexcept>

#include "data/text_corpus.h"

namespace cimtrain::eval {

at::Tensor calibration_windows(const models::Transformer& model, const at::Tensor& tokens, int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto w = data::random_windows(tokens, n, model.context(), gen);
  if (model.causal()) return w.input;
  return data::mask_characters(w.input, model.vocab_size(), model.mask_id(), gen).input;
}

std::vector<LevelResult> perplexity_on_chip(models::Transformer& model, nn::AnalogContext& context,
                                            const at::Tensor& tokens, const ChipEvalOptions& chip,
                                            const train::PerplexityOptions& options,
                                            const at::Tensor& calibration_tokens,
                                            const std::function<void(int, int)>& on_instance) {
  std::function<void()> calibrate;
  if (calibration_tokens.defined()) calibrate = [&] { model.forward(calibration_tokens); };
  return monte_carlo_on_chip(
      model, context, chip, [&] { return train::perplexity(model, tokens, options); }, calibrate, on_instance);
}

}  // namespace cimtrain::eval
