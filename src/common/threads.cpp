// Thread-count setup for LibTorch (see threads.h).
#include "common/threads.h"

#include <ATen/Parallel.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <utility>

namespace cimtrain::common {

int set_torch_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  at::set_num_threads(threads);
  return threads;
}

void ensure_passive_thread_waiting(char** argv) {
  bool changed = false;
  // glibc's malloc returns blocks above its mmap threshold to the kernel on free, so every large tensor of a
  // training step (im2col rows, word-line voltages: tens of MB) came back as fresh zeroed pages: measured on
  // ResNet-20 with the chip in the loop, 18 s of 26 s CPU time was the kernel's page faults. Keeping freed
  // memory in the heap removes that (the peak memory is unchanged; what is freed is reused).
  for (const auto& [name, value] :
       {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"OPENBLAS_THREAD_TIMEOUT", "4"},
        std::pair{"MALLOC_MMAP_THRESHOLD_", "4294967296"}, std::pair{"MALLOC_TRIM_THRESHOLD_", "4294967296"}}) {
    if (std::getenv(name) == nullptr) {
      setenv(name, value, 1);
      changed = true;
    }
  }
  if (changed) execv("/proc/self/exe", argv);  // returns only on failure: then run on with the defaults
}

}  // namespace cimtrain::common
