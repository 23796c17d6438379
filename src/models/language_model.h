// The interface the language models implement: character ids [batch, T] -> logits [batch, T, vocab].
#pragma once

#include <torch/nn/module.h>

#include <cstdint>

namespace cimtrain::models {

class LanguageModel : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& tokens) = 0;
  virtual int64_t vocab_size() const = 0;  // characters the model predicts
  virtual int64_t context() const = 0;     // longest input it takes
  virtual bool causal() const = 0;         // true: position t sees positions <= t only (GPT)
};

}  // namespace cimtrain::models
