// The character-level transformers of docs/design.md §5: GPT (decoder-only, causal, next-character loss) and BERT
// (encoder-only, bidirectional, masked-character loss). Every projection is an AnalogLinear (attention q/k/v as
// one [3 dim, dim] crossbar and the output projection, the MLP, the LM head); embeddings, layer norm, attention
// scores and softmax are digital. Positions: learned embeddings plus ALiBi attention biases (without them
// BERT stayed at the character-frequency plateau for 5 epochs of tiny Shakespeare; see docs/training.md).
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

#include <memory>

#include "models/language_model.h"
#include "nn/analog_linear.h"

namespace cimtrain::models {

struct TransformerOptions {
  int64_t vocab_size = 65;  // characters (BERT adds one input id, the mask, = vocab_size)
  int64_t context = 128;    // longest input, characters
  int64_t layers = 4;       // transformer blocks
  int64_t heads = 4;        // attention heads (divide dim)
  int64_t dim = 128;        // model width
  bool causal = true;       // GPT: true; BERT: false

  void validate() const;  // throws std::invalid_argument naming the bad option
};

// The attention biases of ALiBi (Press, Smith & Lewis, "Train Short, Test Long", ICLR 2022): head h adds
// -m_h |i - j| to the score of query i and key j, m_h = 2^(-8 (h + 1) / heads); with the causal mask for GPT.
// [heads, T, T], on `device`. Digital, like the scores.
at::Tensor alibi_bias(int64_t heads, int64_t T, bool causal, const at::Device& device);

// Pre-norm block: x + attention(ln1(x)), then x + mlp(ln2(x)) with a 4 x dim GELU MLP. `bias` [heads, T, T] is
// added to the attention scores (alibi_bias).
class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerOptions& options);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& bias);

 private:
  TransformerOptions options_;
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  nn::AnalogLinear qkv_{nullptr}, attn_proj_{nullptr}, fc_{nullptr}, mlp_proj_{nullptr};
};
TORCH_MODULE(TransformerBlock);

class Transformer : public LanguageModel {
 public:
  explicit Transformer(const TransformerOptions& options);
  at::Tensor forward(const at::Tensor& tokens) override { return forward_at(tokens, 0); }
  // The tokens placed at positions first_position .. first_position + T - 1 of the context (forward: 0).
  at::Tensor forward_at(const at::Tensor& tokens, int64_t first_position);
  int64_t vocab_size() const override { return options_.vocab_size; }
  int64_t context() const override { return options_.context; }
  bool causal() const override { return options_.causal; }
  const TransformerOptions& options() const { return options_; }
  // BERT's mask input id (= vocab_size); GPT has none.
  int64_t mask_id() const { return options_.vocab_size; }

 private:
  TransformerOptions options_;
  torch::nn::Embedding tokens_{nullptr}, positions_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm ln_f_{nullptr};
  nn::AnalogLinear head_{nullptr};
  at::Tensor alibi_;  // alibi_bias over the whole context, made once (not a parameter or saved buffer)
};

std::shared_ptr<Transformer> make_gpt(TransformerOptions options);   // causal
std::shared_ptr<Transformer> make_bert(TransformerOptions options);  // bidirectional, mask id = vocab_size

}  // namespace cimtrain::models
