// Thread-count setup for LibTorch (see threads.h).
#include "sim/threads.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <utility>
#include <thread>

#include <unistd.h>

namespace cimtrain::sim {

int set_torch_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  at::set_num_threads(threads);
  return threads;
}

void ensure_passive_thread_waiting(char** argv) {
  bool changed = false;
  for (const auto& [name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"OPENBLAS_THREAD_TIMEOUT", "4"}}) {
    if (std::getenv(name) == nullptr) {
      setenv(name, value, 1);
      changed = true;
    }
  }
  if (changed) execv("/proc/self/exe", argv);  // returns only on failure: then run on with the defaults
}

}  // namespace cimtrain::sim
