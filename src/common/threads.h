// Sets LibTorch's intra-op thread count to the machine's cores (Debian's LibTorch starts with 1).
#pragma once

namespace cimtrain::common {

// Uses `threads` if > 0, else the number of hardware threads; returns the count set.
int set_torch_threads(int threads = 0);

// LibTorch's OpenMP workers and OpenBLAS's pthreads share the cores. By default both spin after their work
// (libgomp's active wait policy; OpenBLAS's 2^28-cycle thread timeout) and starve each other's next
// parallel region: measured here, a noisy chip read ran 2-4x slower for it, and half the time at random.
// Both libraries read their settings only when they load, so this re-executes the program with
// OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=4 (the shortest) unless each is already set (the
// user's choice wins). It also keeps glibc from unmapping large freed blocks (MALLOC_MMAP_THRESHOLD_,
// MALLOC_TRIM_THRESHOLD_), whose page faults otherwise cost more than the chip simulation itself. Call it first in
// main(); it returns at once when nothing needs to change.
void ensure_passive_thread_waiting(char** argv);

}  // namespace cimtrain::common
