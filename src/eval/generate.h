// Text generation: sampling one character at a time, the model reading whatever chip its layers hold (a
// programmed instance in eval mode, or the float layers). GPT predicts the next character from the last
// `context`; BERT, which has no next-character head, predicts a mask placed after the last `context - 1`
// characters (left context only, as in "BERT has a mouth, and it must speak", Wang & Cho 2019, without
// their Gibbs resampling of earlier positions).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "data/vocabulary.h"
#include "models/transformer.h"

namespace cimtrain::eval {

struct GenerateOptions {
  int64_t length = 200;      // characters to add after the prompt
  double temperature = 0.8;  // softmax temperature; 0: always the most likely character
};

// The prompt followed by `length` sampled characters (UTF-8). The model runs in eval mode on the last
// `context` characters; sampling draws from `gen` (the chip's own read noise, if any, from its context's
// generator). Throws DataError for prompt characters outside the vocabulary, invalid_argument for an empty
// prompt or a negative length or temperature.
std::string generate_text(models::Transformer& model, const data::Vocabulary& vocab, const std::string& prompt,
                          const GenerateOptions& options, at::Generator& gen);

}  // namespace cimtrain::eval
