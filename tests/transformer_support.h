// Small transformer configurations for the language-model tests.
#pragma once

#include "models/transformer.h"

namespace cimtrain::testing_support {

inline models::TransformerOptions transformer_options(int64_t vocab, int64_t context, int64_t layers, int64_t heads,
                                                      int64_t dim) {
  models::TransformerOptions o;
  o.vocab_size = vocab;
  o.context = context;
  o.layers = layers;
  o.heads = heads;
  o.dim = dim;
  return o;
}

}  // namespace cimtrain::testing_support
