// Google Benchmark entry point: passive OpenMP waiting and all cores, as the cimtrain program runs.
#include <benchmark/benchmark.h>

#include "common/threads.h"

int main(int argc, char** argv) {
  cimtrain::common::ensure_passive_thread_waiting(argv);
  cimtrain::common::set_torch_threads();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
