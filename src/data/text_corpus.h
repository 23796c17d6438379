// A character-level text corpus for the language models: the file's characters as ids, a vocabulary built
// from the whole text, the first 90% for training and the last 10% for validation, random windows of
// `context` characters, and the masked-character rule of BERT.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "data/data_location.h"
#include "data/vocabulary.h"

namespace cimtrain::data {

struct TextCorpus {
  std::string path;
  Vocabulary vocab;
  at::Tensor train;       // int64 [n_train] character ids
  at::Tensor validation;  // int64 [n_validation]
};

// The file a run's `--data` names: "shakespeare" is default_text_path() (or `dir`/input.txt when `dir` is
// given); anything else is a path to a UTF-8 text file.
std::string text_path_for(const std::string& data, const std::string& dir = "");

// Reads a UTF-8 text file. Throws DataError for a missing, unreadable or empty file, invalid UTF-8, or a
// text too short to give both parts at least `min_part` characters.
TextCorpus load_text_corpus(const std::string& path, double validation_fraction = 0.1, int64_t min_part = 2);

// `batch` windows at random offsets (from `gen`): input [batch, context] and the next characters as target
// [batch, context] (target[b, t] = input[b, t + 1] within the text). Needs tokens.numel() > context.
struct TextBatch {
  at::Tensor input, target;
};
TextBatch random_windows(const at::Tensor& tokens, int64_t batch, int64_t context, at::Generator& gen);

// BERT's masked-character rule: each position is chosen with probability `p` (0.15); a chosen position's
// input becomes `mask_id` with probability 0.8, a uniformly random id in [0, vocab_size) with 0.1, and stays
// with 0.1. Returns the new input and the target: the original id at chosen positions, `ignore_index`
// (-100, as torch's cross_entropy ignores) elsewhere.
struct MaskedBatch {
  at::Tensor input, target;
};
MaskedBatch mask_characters(const at::Tensor& tokens, int64_t vocab_size, int64_t mask_id, at::Generator& gen,
                            double p = 0.15, int64_t ignore_index = -100);

}  // namespace cimtrain::data
