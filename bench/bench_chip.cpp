// Micro-benchmark: one noisy chip read (infer) against the clean float product of the same shape.
// Each iteration times both, side by side, so the reported ratio is robust to a noisy shared machine.
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "common/threads.h"
#include "sim/chip.h"
#include "sim/presets.h"

using namespace cimtrain::sim;

namespace {

double seconds_of(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// args: batch, inputs, outputs, signed inputs (0: ReLU-like, one read phase; 1: signed, two phases)
void BM_InferVsMatmul(benchmark::State& state) {
  cimtrain::common::set_torch_threads();
  const int64_t batch = state.range(0), inputs = state.range(1), outputs = state.range(2);
  const bool signed_inputs = state.range(3) != 0;
  auto gen = at::detail::createCPUGenerator(1);
  const auto w = at::randint(-127, 128, {outputs, inputs}, gen).to(at::kFloat);
  auto x = at::randint(-127, 128, {batch, inputs}, gen).to(at::kFloat);
  if (!signed_inputs) x = x.clamp_min(0);
  const auto inst = Chip(preset_config("rram")).program(w, gen);
  const auto xf = x.clone(), wf = w.clone();
  std::vector<double> clean, noisy;
  for (int i = 0; i < 3; ++i) {  // warm-up
    benchmark::DoNotOptimize(at::linear(xf, wf));
    benchmark::DoNotOptimize(inst.infer(x, gen));
  }
  for (auto _ : state) {
    const double c = seconds_of([&] { benchmark::DoNotOptimize(at::linear(xf, wf)); });
    const double n = seconds_of([&] { benchmark::DoNotOptimize(inst.infer(x, gen)); });
    clean.push_back(c);
    noisy.push_back(n);
    state.SetIterationTime(n);
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double mc = median(clean), mn = median(noisy);
  state.counters["matmul_ms"] = mc * 1e3;
  state.counters["infer_ms"] = mn * 1e3;
  state.counters["ratio"] = mn / mc;
}

}  // namespace

BENCHMARK(BM_InferVsMatmul)
    ->ArgNames({"batch", "in", "out", "signed"})
    ->Args({128, 512, 512, 0})
    ->Args({128, 512, 512, 1})
    ->Args({128, 2304, 256, 0})
    ->Args({128, 2304, 256, 1})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
