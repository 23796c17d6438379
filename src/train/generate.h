// Text generation with a causal language model (GPT): sampling one character at a time, the model reading
// whatever chip its layers hold (a programmed instance in eval mode, or the float layers).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "data/vocabulary.h"
#include "models/transformer.h"

namespace cimtrain::train {

struct GenerateOptions {
  int64_t length = 200;      // characters to add after the prompt
  double temperature = 0.8;  // softmax temperature; 0: always the most likely character
};

// The prompt followed by `length` sampled characters (UTF-8). The model runs in eval mode on the last
// `context` characters; sampling draws from `gen` (the chip's own read noise, if any, from its context's
// generator). Throws DataError for prompt characters outside the vocabulary, invalid_argument for a
// non-causal model, an empty prompt or a negative length or temperature.
std::string generate_text(models::Transformer& model, const data::Vocabulary& vocab, const std::string& prompt,
                          const GenerateOptions& options, at::Generator& gen);

}  // namespace cimtrain::train
