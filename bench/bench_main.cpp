// Google Benchmark entry point placeholder.
#include <benchmark/benchmark.h>
BENCHMARK_MAIN();
