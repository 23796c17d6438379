// Counter-based Gaussian generator (see normal_rng.h): key drawing, parallel vectorised fill, tensor helper.
#include "sim/normal_rng.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <mutex>

namespace cimtrain::sim {
namespace {

constexpr int64_t kGrainSamples = 16384;  // samples per parallel task (30-80 us of work)

// Samples [lo, hi) of a stream into out (out[0] is sample first_index): whole 4-sample blocks through the
// SIMD `blocks(dst, first_block, count)`, the partial blocks at the range's edges through the scalar `one(i)`.
template <class One, class Blocks>
void fill_range(float* out, int64_t first_index, int64_t lo, int64_t hi, One one, Blocks blocks) {
  const int64_t fb = (lo + 3) >> 2, fe = hi >> 2;
  if (fb >= fe) {
    for (int64_t i = lo; i < hi; ++i) out[i - first_index] = one(i);
    return;
  }
  for (int64_t i = lo; i < 4 * fb; ++i) out[i - first_index] = one(i);
  blocks(out + (4 * fb - first_index), fb, fe - fb);
  for (int64_t i = 4 * fe; i < hi; ++i) out[i - first_index] = one(i);
}

// Full blocks [b0, b0 + nb) -> dst[0 .. 4 nb). One SIMD lane per block; the same inline math as philox_normal.
// Compiled once per instruction set below, each with fp-contract=off (AVX-512F has FMA instructions), so every
// version writes the same bits as the scalar philox_normal (IEEE +, -, *, /, conversions only).
#define CIMTRAIN_FILL_FULL_BLOCKS(name, attrs)                                 \
  attrs void name(float* dst, uint64_t b0, int64_t nb, PhiloxKey key) {        \
    _Pragma("omp simd") for (int64_t k = 0; k < nb; ++k) {                     \
      uint32_t x0, x1, x2, x3;                                                 \
      philox::block_words(key, b0 + static_cast<uint64_t>(k), x0, x1, x2, x3); \
      float z0, z1, z2, z3;                                                    \
      philox::box_muller(x0, x1, z0, z1);                                      \
      philox::box_muller(x2, x3, z2, z3);                                      \
      dst[4 * k + 0] = z0;                                                     \
      dst[4 * k + 1] = z1;                                                     \
      dst[4 * k + 2] = z2;                                                     \
      dst[4 * k + 3] = z3;                                                     \
    }                                                                          \
  }

using FillBlocksFn = void (*)(float*, uint64_t, int64_t, PhiloxKey);

#if defined(__GNUC__) && !defined(__clang__)
#define CIMTRAIN_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define CIMTRAIN_NO_CONTRACT
#endif

CIMTRAIN_FILL_FULL_BLOCKS(fill_full_blocks_default, CIMTRAIN_NO_CONTRACT)
#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define CIMTRAIN_RNG_X86_DISPATCH 1
CIMTRAIN_FILL_FULL_BLOCKS(fill_full_blocks_avx2, __attribute__((target("avx2"))) CIMTRAIN_NO_CONTRACT)
CIMTRAIN_FILL_FULL_BLOCKS(fill_full_blocks_avx512,
                          __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq"))) CIMTRAIN_NO_CONTRACT)
#endif
#undef CIMTRAIN_FILL_FULL_BLOCKS
#undef CIMTRAIN_NO_CONTRACT

FillBlocksFn fill_blocks_for(NormalRngIsa isa) {
  switch (isa) {
    case NormalRngIsa::kDefault:
      return fill_full_blocks_default;
#ifdef CIMTRAIN_RNG_X86_DISPATCH
    case NormalRngIsa::kAvx2:
      return fill_full_blocks_avx2;
    case NormalRngIsa::kAvx512:
      return fill_full_blocks_avx512;
#endif
    default:
      break;
  }
  TORCH_CHECK(false, "fill_normal: instruction set ", static_cast<int>(isa), " is not compiled in");
}

NormalRngIsa detect_isa() {
#ifdef CIMTRAIN_RNG_X86_DISPATCH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq")) {
    return NormalRngIsa::kAvx512;
  }
  if (__builtin_cpu_supports("avx2")) return NormalRngIsa::kAvx2;
#endif
  return NormalRngIsa::kDefault;
}

}  // namespace

PhiloxKey draw_philox_key(at::Generator& gen) {
  TORCH_CHECK(gen.defined(), "draw_philox_key: expected a defined at::Generator, got an undefined one");
  TORCH_CHECK(gen.device().is_cpu(), "draw_philox_key: expected a CPU generator, got one on ", gen.device());
  auto* cpu_gen = at::check_generator<at::CPUGeneratorImpl>(gen);
  std::lock_guard<std::mutex> lock(gen.mutex());
  PhiloxKey key;
  key.seed = cpu_gen->random64();
  key.offset = cpu_gen->random64();
  return key;
}

NormalRngIsa normal_rng_best_isa() {
  static const NormalRngIsa isa = detect_isa();
  return isa;
}

bool normal_rng_isa_supported(NormalRngIsa isa) {
  return static_cast<int>(isa) <= static_cast<int>(normal_rng_best_isa());
}

void fill_normal_isa(float* out, int64_t n, PhiloxKey key, int64_t first_index, NormalRngIsa isa) {
  TORCH_CHECK(n >= 0, "fill_normal: expected n >= 0 samples, got ", n);
  TORCH_CHECK(first_index >= 0, "fill_normal: expected first_index >= 0, got ", first_index);
  TORCH_CHECK(n <= std::numeric_limits<int64_t>::max() - first_index,
              "fill_normal: sample range overflows int64: first_index ", first_index, " + n ", n);
  TORCH_CHECK(normal_rng_isa_supported(isa), "fill_normal: instruction set ", static_cast<int>(isa),
              " is not supported by this CPU (best: ", static_cast<int>(normal_rng_best_isa()), ")");
  if (n == 0) return;
  TORCH_CHECK(out != nullptr, "fill_normal: output pointer is null for n = ", n);
  const FillBlocksFn fill_blocks = fill_blocks_for(isa);
  const int64_t end = first_index + n;
  const int64_t b_begin = first_index >> 2;
  const int64_t b_end = (end >> 2) + ((end & 3) != 0 ? 1 : 0);
  at::parallel_for(b_begin, b_end, kGrainSamples / 4, [&](int64_t bb, int64_t be) {
    // Samples of this task: [lo, hi) within [first_index, end).
    const int64_t lo = std::max(4 * bb, first_index);
    const int64_t hi = std::min(4 * be, end);
    fill_range(
        out, first_index, lo, hi, [&](int64_t i) { return philox_normal(key, i); },
        [&](float* dst, int64_t b, int64_t nb) { fill_blocks(dst, static_cast<uint64_t>(b), nb, key); });
  });
}

void fill_normal(float* out, int64_t n, PhiloxKey key, int64_t first_index) {
  fill_normal_isa(out, n, key, first_index, normal_rng_best_isa());
}

at::Tensor randn_philox(at::IntArrayRef sizes, at::Generator& gen, at::TensorOptions opts) {
  TORCH_CHECK(opts.device().is_cpu(), "randn_philox: only CPU tensors are supported, got device ", opts.device());
  TORCH_CHECK(opts.dtype() == at::kFloat, "randn_philox: only float32 is supported, got dtype ", opts.dtype());
  TORCH_CHECK(opts.layout() == at::kStrided, "randn_philox: only strided layout is supported, got ", opts.layout());
  at::Tensor t = at::empty(sizes, opts);
  const PhiloxKey key = draw_philox_key(gen);
  fill_normal(t.data_ptr<float>(), t.numel(), key, 0);
  return t;
}

namespace {

// Uniform i of `key`: word i of the Philox stream, its top 24 bits over 2^24.
inline float word_uniform(uint32_t w) {
  return static_cast<float>(static_cast<int32_t>(w >> 8)) * (1.0f / 16777216.0f);
}

// Full blocks [b0, b0 + nb) -> dst[0 .. 4 nb), one SIMD lane per block.
__attribute__((target_clones("avx512f", "avx2", "default"))) void fill_uniform_blocks(float* dst, uint64_t b0,
                                                                                      int64_t nb, PhiloxKey key) {
#pragma omp simd
  for (int64_t k = 0; k < nb; ++k) {
    uint32_t x0, x1, x2, x3;
    philox::block_words(key, b0 + static_cast<uint64_t>(k), x0, x1, x2, x3);
    dst[4 * k + 0] = word_uniform(x0);
    dst[4 * k + 1] = word_uniform(x1);
    dst[4 * k + 2] = word_uniform(x2);
    dst[4 * k + 3] = word_uniform(x3);
  }
}

float philox_uniform(PhiloxKey key, int64_t i) {
  uint32_t x[4];
  philox::block_words(key, static_cast<uint64_t>(i >> 2), x[0], x[1], x[2], x[3]);
  return word_uniform(x[i & 3]);
}

}  // namespace

void fill_uniform(float* out, int64_t n, PhiloxKey key, int64_t first_index) {
  at::parallel_for(first_index, first_index + n, kGrainSamples, [&](int64_t lo, int64_t hi) {
    fill_range(
        out, first_index, lo, hi, [&](int64_t i) { return philox_uniform(key, i); },
        [&](float* dst, int64_t b, int64_t nb) { fill_uniform_blocks(dst, static_cast<uint64_t>(b), nb, key); });
  });
}

at::Tensor rand_philox(at::IntArrayRef sizes, at::Generator& gen) {
  at::Tensor t = at::empty(sizes, at::kFloat);
  const PhiloxKey key = draw_philox_key(gen);
  fill_uniform(t.data_ptr<float>(), t.numel(), key, 0);
  return t;
}

at::Tensor normal_tensor(at::IntArrayRef sizes, PhiloxKey key) {
  auto t = at::empty(sizes, at::kFloat);
  fill_normal(t.data_ptr<float>(), t.numel(), key, 0);
  return t;
}

}  // namespace cimtrain::sim
