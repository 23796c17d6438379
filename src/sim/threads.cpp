// Thread-count setup for LibTorch (see threads.h).
#include "sim/threads.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <thread>

#include <unistd.h>

namespace cimtrain::sim {

int set_torch_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  at::set_num_threads(threads);
  return threads;
}

void ensure_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then run on with the default policy
}

}  // namespace cimtrain::sim
