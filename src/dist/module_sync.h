// Keeping a model the same on every rank of a data-parallel run: its parameters and buffers broadcast from rank 0,
// its gradients summed in flattened buckets, and its BatchNorm running statistics averaged.
#pragma once

#include <torch/nn/module.h>

#include <vector>

#include "dist/ranks.h"

namespace cimtrain::dist {

// Rank 0's parameters and buffers on every rank (the start of a run: every rank then steps from the same model).
void broadcast_module(Ranks& ranks, torch::nn::Module& module);

// Sums the gradients of `parameters` (those that have one) over the ranks, in place: flattened into buckets of at
// most `bucket_bytes` per dtype, one all-reduce each (fewer, larger messages than one per tensor).
void sum_gradients(Ranks& ranks, const std::vector<at::Tensor>& parameters, int64_t bucket_bytes = 16 << 20);

// The floating-point buffers (BatchNorm's running mean and variance) averaged over the ranks: each rank gathered
// them from its own shard of every batch; the average is what a single process with the whole batch would
// approach. Integer buffers (batches tracked) are equal on every rank and left as they are.
void average_buffers(Ranks& ranks, torch::nn::Module& module);

}  // namespace cimtrain::dist
