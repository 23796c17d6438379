// Sets LibTorch's intra-op thread count to the machine's cores (Debian's LibTorch starts with 1).
#pragma once

namespace cimtrain::sim {

// Uses `threads` if > 0, else the number of hardware threads; returns the count set.
int set_torch_threads(int threads = 0);

// LibTorch's OpenMP workers and OpenBLAS's pthreads share the cores. With libgomp's default wait policy an
// idle OpenMP worker spins for a while after each parallel region and starves the next BLAS call (measured
// here: a noisy chip read 3-4x slower on 2 cores). libgomp reads OMP_WAIT_POLICY only when it loads, so a
// program that wants PASSIVE must set it before starting: this re-executes the program with
// OMP_WAIT_POLICY=PASSIVE unless the variable is already set (the user's choice wins). Call it first in main().
void ensure_passive_openmp_wait(char** argv);

}  // namespace cimtrain::sim
