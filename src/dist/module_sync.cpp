// Data-parallel model synchronisation over the ranks (see module_sync.h).
#include "dist/module_sync.h"

#include <torch/utils.h>

namespace cimtrain::dist {

namespace {

// Flattens `tensors` (all one dtype) into one buffer, sums it over the ranks and copies the parts back.
void sum_flattened(Ranks& ranks, const std::vector<at::Tensor>& tensors) {
  if (tensors.empty()) return;
  std::vector<at::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}));
  at::Tensor bucket = at::cat(flat);
  ranks.sum(bucket);
  int64_t offset = 0;
  for (const auto& t : tensors) {
    t.copy_(bucket.narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
}

}  // namespace

void broadcast_module(Ranks& ranks, torch::nn::Module& module) {
  if (ranks.size() == 1) return;
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters(true)) {
    at::Tensor t = p.detach().contiguous();
    ranks.broadcast(t, 0);
    if (!t.is_same(p)) p.detach().copy_(t);
  }
  for (auto& b : module.buffers(true)) {
    at::Tensor t = b.contiguous();
    ranks.broadcast(t, 0);
    if (!t.is_same(b)) b.copy_(t);
  }
}

void sum_gradients(Ranks& ranks, const std::vector<at::Tensor>& parameters, int64_t bucket_bytes) {
  if (ranks.size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> bucket;
  int64_t bytes = 0;
  const auto flush = [&] {
    sum_flattened(ranks, bucket);
    bucket.clear();
    bytes = 0;
  };
  for (const auto& p : parameters) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (!bucket.empty() && (g.scalar_type() != bucket.front().scalar_type() ||
                            bytes + g.numel() * static_cast<int64_t>(g.element_size()) > bucket_bytes))
      flush();
    bucket.push_back(g);
    bytes += g.numel() * static_cast<int64_t>(g.element_size());
  }
  flush();
}

void average_buffers(Ranks& ranks, torch::nn::Module& module) {
  if (ranks.size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> floating;
  for (auto& b : module.buffers(true))
    if (at::isFloatingType(b.scalar_type())) floating.push_back(b);
  // One dtype per all-reduce.
  std::vector<at::Tensor> group;
  for (const auto& b : floating) {
    if (!group.empty() && b.scalar_type() != group.front().scalar_type()) {
      sum_flattened(ranks, group);
      group.clear();
    }
    group.push_back(b);
  }
  sum_flattened(ranks, group);
  for (auto& b : floating) b.div_(ranks.size());
}

}  // namespace cimtrain::dist
