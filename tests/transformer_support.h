// Small transformer configurations for the language-model tests.
#pragma once

#include <fstream>
#include <string>

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

// Writes a small, repetitive play-like text (about `lines` lines, ~40 distinct characters) to `path`: enough
// for a tiny model to learn something in a few dozen steps.
inline void write_tiny_play(const std::string& path, int lines = 400) {
  const char* speakers[] = {"ROMEO", "JULIET", "NURSE", "FRIAR"};
  const char* verses[] = {"But soft, what light through yonder window breaks?",
                          "It is the east, and Juliet is the sun.", "O Romeo, Romeo! wherefore art thou Romeo?",
                          "Good night, good night! parting is such sweet sorrow.",
                          "Wisely and slow; they stumble that run fast."};
  std::ofstream out(path);
  for (int i = 0; i < lines; ++i) out << speakers[i % 4] << ":\n" << verses[(i * 3) % 5] << "\n\n";
}

}  // namespace cimtrain::testing_support
