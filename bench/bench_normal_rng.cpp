// Google Benchmark: fill_normal (Philox4x32-10 + Box-Muller, parallel) vs at::randn, 1<<22 samples.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <vector>

#include "common/threads.h"
#include "sim/normal_rng.h"

namespace {

constexpr int64_t kSamples = int64_t{1} << 22;

// Threads: the benchmark argument (0 = all cores); the best instruction set for this CPU.
void BM_FillNormalPhilox(benchmark::State& state) {
  const int threads = cimtrain::common::set_torch_threads(static_cast<int>(state.range(0)));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  std::vector<float> out(kSamples);
  for (auto _ : state) {
    cimtrain::sim::fill_normal(out.data(), kSamples, cimtrain::sim::draw_philox_key(gen));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
  state.counters["threads"] = threads;
}
BENCHMARK(BM_FillNormalPhilox)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

// One thread, one instruction-set version (0 default/SSE2, 1 AVX2, 2 AVX-512), where the CPU has it.
void BM_FillNormalIsa1Thread(benchmark::State& state) {
  using cimtrain::sim::NormalRngIsa;
  const auto isa = static_cast<NormalRngIsa>(state.range(0));
  if (!cimtrain::sim::normal_rng_isa_supported(isa)) {
    state.SkipWithError("instruction set not supported by this CPU");
    return;
  }
  cimtrain::common::set_torch_threads(1);
  std::vector<float> out(kSamples);
  const cimtrain::sim::PhiloxKey key{1, 2};
  for (auto _ : state) {
    cimtrain::sim::fill_normal_isa(out.data(), kSamples, key, 0, isa);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
}
BENCHMARK(BM_FillNormalIsa1Thread)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AtRandn(benchmark::State& state) {
  const int threads = cimtrain::common::set_torch_threads(static_cast<int>(state.range(0)));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  at::Tensor out = at::empty({kSamples}, at::kFloat);
  for (auto _ : state) {
    out.normal_(0.0, 1.0, gen);
    benchmark::DoNotOptimize(out.data_ptr<float>());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
  state.counters["threads"] = threads;
}
BENCHMARK(BM_AtRandn)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

// Allocating form, as at::randn is usually called.
void BM_AtRandnAlloc(benchmark::State& state) {
  cimtrain::common::set_torch_threads(0);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  for (auto _ : state) benchmark::DoNotOptimize(at::randn({kSamples}, gen));
  state.SetItemsProcessed(state.iterations() * kSamples);
}
BENCHMARK(BM_AtRandnAlloc)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RandnPhiloxAlloc(benchmark::State& state) {
  cimtrain::common::set_torch_threads(0);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  for (auto _ : state) benchmark::DoNotOptimize(cimtrain::sim::randn_philox({kSamples}, gen));
  state.SetItemsProcessed(state.iterations() * kSamples);
}
BENCHMARK(BM_RandnPhiloxAlloc)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
