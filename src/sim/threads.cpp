// Thread-count setup for LibTorch (see threads.h).
#include "sim/threads.h"

#include <ATen/Parallel.h>

#include <thread>

namespace cimtrain::sim {

int set_torch_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  at::set_num_threads(threads);
  return threads;
}

}  // namespace cimtrain::sim
