// Sets LibTorch's intra-op thread count to the machine's cores (Debian's LibTorch starts with 1).
#pragma once

namespace cimtrain::sim {

// Uses `threads` if > 0, else the number of hardware threads; returns the count set.
int set_torch_threads(int threads = 0);

}  // namespace cimtrain::sim
