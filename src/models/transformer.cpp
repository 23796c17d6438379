// GPT and BERT (see transformer.h).
#include "models/transformer.h"

#include <torch/nn/init.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace cimtrain::models {

void TransformerOptions::validate() const {
  const auto require = [](bool ok, const std::string& msg) {
    if (!ok) throw std::invalid_argument(msg);
  };
  require(vocab_size >= 1, "transformer: vocab_size must be >= 1, found " + std::to_string(vocab_size));
  require(context >= 1, "transformer: context must be >= 1, found " + std::to_string(context));
  require(layers >= 1, "transformer: layers must be >= 1, found " + std::to_string(layers));
  require(heads >= 1 && dim >= 1 && dim % heads == 0,
          "transformer: dim must be a positive multiple of heads, found dim " + std::to_string(dim) + ", heads " +
              std::to_string(heads));
}

TransformerBlockImpl::TransformerBlockImpl(const TransformerOptions& o) : options_(o) {
  const int64_t d = o.dim;
  ln1_ = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  qkv_ = register_module("qkv", nn::AnalogLinear(nn::AnalogLinearOptions(d, 3 * d)));
  attn_proj_ = register_module("attn_proj", nn::AnalogLinear(nn::AnalogLinearOptions(d, d)));
  ln2_ = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  fc_ = register_module("fc", nn::AnalogLinear(nn::AnalogLinearOptions(d, 4 * d)));
  mlp_proj_ = register_module("mlp_proj", nn::AnalogLinear(nn::AnalogLinearOptions(4 * d, d)));
}

at::Tensor alibi_bias(int64_t heads, int64_t T, bool causal, const at::Device& device) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  const auto slopes = at::exp2(at::arange(1, heads + 1, f32) * (-8.0 / static_cast<double>(heads)));  // [H]
  const auto pos = at::arange(T, f32);
  const auto distance = (pos.unsqueeze(0) - pos.unsqueeze(1)).abs();  // [T, T]
  auto bias = -slopes.view({heads, 1, 1}) * distance.unsqueeze(0);
  if (causal) {
    const auto future = at::ones({T, T}, at::TensorOptions().dtype(at::kBool).device(device)).triu(1);
    bias = bias.masked_fill(future.unsqueeze(0), -std::numeric_limits<float>::infinity());
  }
  return bias;
}

at::Tensor TransformerBlockImpl::forward(const at::Tensor& x, const at::Tensor& bias) {
  const int64_t B = x.size(0), T = x.size(1), D = options_.dim, H = options_.heads, hd = D / H;
  // Attention: projections on the chip, scores and softmax digital (activation x activation products).
  const auto qkv = qkv_->forward(ln1_->forward(x)).view({B, T, 3, H, hd}).permute({2, 0, 3, 1, 4});  // [3,B,H,T,hd]
  const auto q = qkv[0], k = qkv[1], v = qkv[2];
  const auto scores = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd)) + bias;  // [B,H,T,T]
  const auto attended = at::matmul(at::softmax(scores, -1), v).transpose(1, 2).reshape({B, T, D});
  auto y = x + attn_proj_->forward(attended);
  return y + mlp_proj_->forward(at::gelu(fc_->forward(ln2_->forward(y))));
}

Transformer::Transformer(const TransformerOptions& o) : options_(o) {
  options_.validate();
  const int64_t inputs = o.vocab_size + (o.causal ? 0 : 1);  // BERT: one more input id, the mask
  tokens_ = register_module("tok_emb", torch::nn::Embedding(inputs, o.dim));
  positions_ = register_module("pos_emb", torch::nn::Embedding(o.context, o.dim));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.layers; ++i) blocks_->push_back(TransformerBlock(o));
  ln_f_ = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
  head_ = register_module("head", nn::AnalogLinear(nn::AnalogLinearOptions(o.dim, o.vocab_size)));
  alibi_ = alibi_bias(o.heads, o.context, o.causal, at::kCPU);
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(tokens_->weight, 0.0, 0.02);
  torch::nn::init::normal_(positions_->weight, 0.0, 0.02);
}

at::Tensor Transformer::forward_at(const at::Tensor& tokens, int64_t first_position) {
  TORCH_CHECK(tokens.dim() == 2 && tokens.scalar_type() == at::kLong,
              "transformer: expected int64 character ids [batch, T], found ", tokens.sizes(), " ",
              tokens.scalar_type());
  const int64_t T = tokens.size(1);
  TORCH_CHECK(T >= 1 && first_position >= 0 && first_position + T <= options_.context, "transformer: inputs of 1 to ",
              options_.context, " characters (the context), found ", T, " from position ", first_position);
  const auto pos =
      at::arange(first_position, first_position + T, at::TensorOptions().dtype(at::kLong).device(tokens.device()));
  auto x = tokens_->forward(tokens) + positions_->forward(pos).unsqueeze(0);
  // The biases of positions first_position.. are the top-left block of the whole context's: they depend on
  // distances only.
  if (alibi_.device() != x.device() || alibi_.scalar_type() != x.scalar_type()) alibi_ = alibi_.to(x.options());
  const auto bias = alibi_.narrow(1, 0, T).narrow(2, 0, T);
  for (const auto& block : *blocks_) x = block->as<TransformerBlockImpl>()->forward(x, bias);
  return head_->forward(ln_f_->forward(x));
}

std::shared_ptr<Transformer> make_gpt(TransformerOptions options) {
  options.causal = true;
  return std::make_shared<Transformer>(options);
}

std::shared_ptr<Transformer> make_bert(TransformerOptions options) {
  options.causal = false;
  return std::make_shared<Transformer>(options);
}

}  // namespace cimtrain::models
