// Fast Gaussian noise: counter-based Philox4x32-10 (Salmon et al., SC'11) + Box-Muller in float.
// Sample i of a stream depends only on (key, i), so results do not depend on threads or chunking.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace cimtrain::sim {

// A stream of standard normals: Philox key = seed, Philox counter = (block index, offset).
struct PhiloxKey {
  uint64_t seed;    // Philox key (two 32-bit words)
  uint64_t offset;  // high 64 bits of the Philox counter; the low 64 bits count 4-sample blocks
};

// Takes a fresh key from a CPU torch generator (two random64 draws under its mutex).
PhiloxKey draw_philox_key(at::Generator& gen);

// Writes standard normals for sample indices [first_index, first_index + n) of `key` to out[0..n).
// Parallelised with at::parallel_for; out[k] == philox_normal(key, first_index + k) bit for bit.
void fill_normal(float* out, int64_t n, PhiloxKey key, int64_t first_index = 0);

// SIMD versions of fill_normal's loop, chosen once at run time from the CPU (x86 with GCC; else kDefault).
// All write the same bits. fill_normal_isa runs a given one (for tests and benchmarks).
enum class NormalRngIsa { kDefault = 0, kAvx2 = 1, kAvx512 = 2 };
NormalRngIsa normal_rng_best_isa();
bool normal_rng_isa_supported(NormalRngIsa isa);
void fill_normal_isa(float* out, int64_t n, PhiloxKey key, int64_t first_index, NormalRngIsa isa);

// A new CPU float tensor of standard normals drawn with a fresh key from `gen`.
at::Tensor randn_philox(at::IntArrayRef sizes, at::Generator& gen, at::TensorOptions opts = at::kFloat);

// Uniform numbers in [0, 1) for sample indices [first_index, first_index + n) of `key`: word i of the Philox
// stream (the same words fill_normal turns into normals) as (word >> 8) / 2^24.
void fill_uniform(float* out, int64_t n, PhiloxKey key, int64_t first_index = 0);
// A new CPU float tensor of uniforms in [0, 1) drawn with a fresh key from `gen`.
at::Tensor rand_philox(at::IntArrayRef sizes, at::Generator& gen);

// A new CPU float tensor whose flat element i is standard normal number i of `key`.
at::Tensor normal_tensor(at::IntArrayRef sizes, PhiloxKey key);

namespace philox {

constexpr uint32_t kM0 = 0xD2511F53u;  // round multipliers
constexpr uint32_t kM1 = 0xCD9E8D57u;
constexpr uint32_t kW0 = 0x9E3779B9u;  // key schedule (golden ratio, sqrt(3) - 1)
constexpr uint32_t kW1 = 0xBB67AE85u;

// One Philox4x32 round with round key (k0, k1).
inline void philox_round(uint32_t& c0, uint32_t& c1, uint32_t& c2, uint32_t& c3, uint32_t k0, uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
  const uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
  const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
  const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
  c0 = hi1 ^ c1 ^ k0;
  c1 = lo1;
  c2 = hi0 ^ c3 ^ k1;
  c3 = lo0;
}

// Philox4x32-10 on (c0..c3) in place with key (k0, k1). Written out (no loop) so that loops over it vectorise.
inline void philox4x32_10(uint32_t& c0, uint32_t& c1, uint32_t& c2, uint32_t& c3, uint32_t k0, uint32_t k1) {
  philox_round(c0, c1, c2, c3, k0, k1);
  philox_round(c0, c1, c2, c3, k0 + 1u * kW0, k1 + 1u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 2u * kW0, k1 + 2u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 3u * kW0, k1 + 3u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 4u * kW0, k1 + 4u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 5u * kW0, k1 + 5u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 6u * kW0, k1 + 6u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 7u * kW0, k1 + 7u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 8u * kW0, k1 + 8u * kW1);
  philox_round(c0, c1, c2, c3, k0 + 9u * kW0, k1 + 9u * kW1);
}

// Array form, for tests against published known-answer vectors.
inline std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  philox4x32_10(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1]);
  return ctr;
}

// The four raw 32-bit words of block `block` (samples 4*block .. 4*block+3) of `key`.
inline void block_words(PhiloxKey key, uint64_t block, uint32_t& x0, uint32_t& x1, uint32_t& x2, uint32_t& x3) {
  x0 = static_cast<uint32_t>(block);
  x1 = static_cast<uint32_t>(block >> 32);
  x2 = static_cast<uint32_t>(key.offset);
  x3 = static_cast<uint32_t>(key.offset >> 32);
  philox4x32_10(x0, x1, x2, x3, static_cast<uint32_t>(key.seed), static_cast<uint32_t>(key.seed >> 32));
}

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// -2 ln(u) for u = (a + 1) / 2^32 in [2^-32, 1] (never 0): Cephes logf polynomial, ~1 ulp.
inline float neg2_log_u(uint32_t a) {
  // w = a + 1 in [1, 2^32] as a float from two exact signed conversions (vectorises without uint->float),
  // plus its rounding error res (Fast2Sum: hi >= lo or hi = 0), so ln u stays accurate near u = 1.
  const float hi = static_cast<float>(static_cast<int32_t>(a >> 16)) * 65536.0f;
  const float lo = static_cast<float>(static_cast<int32_t>((a & 0xffffu) + 1u));
  const float w = hi + lo;
  const float res = lo - (w - hi);  // a + 1 == w + res exactly
  const uint32_t wb = float_bits(w);
  // u = m * 2^e with m in [sqrt(1/2), sqrt(2)): fold the mantissa with integer ops (no FP branches).
  const uint32_t mant = wb & 0x007fffffu;
  const uint32_t big = mant > 0x003504f3u ? 1u : 0u;  // m > sqrt(2) = 0x3fb504f3: halve m
  const float m = bits_float((mant | 0x3f800000u) - (big << 23));
  const int32_t e = static_cast<int32_t>(wb >> 23) - 127 - 32 + static_cast<int32_t>(big);
  const float x = m - 1.0f;
  const float z = x * x;
  const float fe = static_cast<float>(e);
  float y = 7.0376836292e-2f;
  y = y * x - 1.1514610310e-1f;
  y = y * x + 1.1676998740e-1f;
  y = y * x - 1.2420140846e-1f;
  y = y * x + 1.4249322787e-1f;
  y = y * x - 1.6668057665e-1f;
  y = y * x + 2.0000714765e-1f;
  y = y * x - 2.4999993993e-1f;
  y = y * x + 3.3333331174e-1f;
  y = y * x * z;
  y = y + fe * -2.12194440e-4f;  // ln 2 = 0.693359375 - 2.12194440e-4, split for exactness
  y = y - 0.5f * z;
  y = y + res / w;  // ln(w + res) = ln w + res / w, |res / w| <= 2^-24
  const float ln_u = (x + y) + fe * 0.693359375f;
  return -2.0f * ln_u;
}

// cos and sin of 2 pi b / 2^32: exact quadrant from the top bits, Cephes polynomials on [-pi/4, pi/4).
inline void sincos_turns(uint32_t b, float& c, float& s) {
  const uint32_t t = b + 0x20000000u;
  const uint32_t q = t >> 30;  // nearest quadrant
  const int32_t rr = static_cast<int32_t>(t & 0x3fffffffu) - 0x20000000;
  const float phi = static_cast<float>(rr) * 1.46291807926715968e-9f;  // 2 pi / 2^32
  const float z = phi * phi;
  float sp = -1.9515295891e-4f;
  sp = sp * z + 8.3321608736e-3f;
  sp = sp * z - 1.6666654611e-1f;
  sp = sp * z * phi + phi;
  float cp = 2.443315711809948e-5f;
  cp = cp * z - 1.388731625493765e-3f;
  cp = cp * z + 4.166664568298827e-2f;
  cp = cp * z * z - 0.5f * z + 1.0f;
  const uint32_t swap = 0u - (q & 1u);  // all ones in quadrants 1, 3: cos <-> sin
  const uint32_t cpb = float_bits(cp), spb = float_bits(sp);
  const uint32_t cb = (cpb & ~swap) | (spb & swap);
  const uint32_t sb = (spb & ~swap) | (cpb & swap);
  c = bits_float(cb ^ (((q + 1u) & 2u) << 30));  // cos < 0 in quadrants 1, 2
  s = bits_float(sb ^ ((q & 2u) << 30));         // sin < 0 in quadrants 2, 3
}

// sqrt(x) for x in [0, 1e30] from plain float ops (within ~1 ulp; sqrt(0) = 0). std::sqrt would carry an
// errno branch (no -fno-math-errno here) that stops loops over it from vectorising.
inline float sqrt_nonneg(float x) {
  float y = bits_float(0x5f3759dfu - (float_bits(x) >> 1));  // 1/sqrt(x) to ~3.5%
  const float hx = 0.5f * x;
  y = y * (1.5f - hx * y * y);
  y = y * (1.5f - hx * y * y);
  y = y * (1.5f - hx * y * y);  // relative error ~1e-11 before rounding
  const float r = x * y;
  return r + (0.5f * y) * (x - r * r);  // one residual correction
}

// Box-Muller on one word pair: radius from a, angle from b.
inline void box_muller(uint32_t a, uint32_t b, float& z0, float& z1) {
  const float r = sqrt_nonneg(neg2_log_u(a));
  float c, s;
  sincos_turns(b, c, s);
  z0 = r * c;
  z1 = r * s;
}

}  // namespace philox

// Standard normal number i of `key`: the value fill_normal writes at index i (for fused kernels).
inline float philox_normal(PhiloxKey key, int64_t i) {
  uint32_t x0, x1, x2, x3;
  philox::block_words(key, static_cast<uint64_t>(i) >> 2, x0, x1, x2, x3);
  const int lane = static_cast<int>(i & 3);
  float z0, z1;
  if (lane < 2) {
    philox::box_muller(x0, x1, z0, z1);
  } else {
    philox::box_muller(x2, x3, z0, z1);
  }
  return (lane & 1) ? z1 : z0;
}

}  // namespace cimtrain::sim
