// Tests for the Philox4x32-10 + Box-Muller Gaussian generator: known answers, distribution (tails included),
// independence, determinism, and independence from thread count and chunking.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/normal_rng.h"

namespace cimtrain::sim {
namespace {

// Straightforward Philox4x32-R from the paper (loop over rounds, key bumped before rounds 2..R).
std::array<uint32_t, 4> reference_philox(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    if (r > 0) {
      k[0] += 0x9E3779B9u;
      k[1] += 0xBB67AE85u;
    }
    const uint64_t p0 = uint64_t{0xD2511F53u} * c[0];
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
  }
  return c;
}

// Double-precision Box-Muller from the same words, with libm: the reference for the float fast path.
void reference_box_muller(uint32_t a, uint32_t b, double& z0, double& z1) {
  const double u = (static_cast<double>(a) + 1.0) * 0x1p-32;  // (0, 1]
  const double theta = 2.0 * M_PI * static_cast<double>(b) * 0x1p-32;
  const double r = std::sqrt(-2.0 * std::log(u));
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Two-sided standard normal tail P(|z| > t).
double normal_tail2(double t) { return std::erfc(t / std::sqrt(2.0)); }

PhiloxKey test_key(uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return draw_philox_key(gen);
}

std::vector<float> fill(PhiloxKey key, int64_t n, int64_t first = 0) {
  std::vector<float> v(static_cast<size_t>(n));
  fill_normal(v.data(), n, key, first);
  return v;
}

// Restores LibTorch's thread count when a test leaves.
struct ThreadCountGuard {
  int saved = at::get_num_threads();
  ~ThreadCountGuard() { at::set_num_threads(saved); }
};

}  // namespace

TEST(NormalRng, PhiloxKnownAnswerVectors) {
  // Random123 kat_vectors, "philox4x32 10": counter[4] key[2] -> output[4].
  struct Kat {
    std::array<uint32_t, 4> ctr;
    std::array<uint32_t, 2> key;
    std::array<uint32_t, 4> out;
  };
  const Kat kats[] = {
      {{0u, 0u, 0u, 0u}, {0u, 0u}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
       {0xffffffffu, 0xffffffffu},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
       {0xa4093822u, 0x299f31d0u},
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const Kat& k : kats) {
    EXPECT_EQ(philox::philox4x32_10(k.ctr, k.key), k.out);
    EXPECT_EQ(reference_philox(k.ctr, k.key, 10), k.out);
  }
  // The unrolled kernel against the loop form on arbitrary inputs.
  uint32_t s = 12345u;
  for (int t = 0; t < 1000; ++t) {
    std::array<uint32_t, 4> c;
    std::array<uint32_t, 2> key;
    for (auto& w : c) w = s = s * 1664525u + 1013904223u;
    for (auto& w : key) w = s = s * 1664525u + 1013904223u;
    ASSERT_EQ(philox::philox4x32_10(c, key), reference_philox(c, key, 10));
  }
}

TEST(NormalRng, FastMathMatchesDoubleReference) {
  // Each float sample against double-precision libm Box-Muller from the same Philox words.
  const PhiloxKey key = test_key(7);
  const int64_t nb = 1 << 18;
  const std::vector<float> z = fill(key, 4 * nb);
  double max_err = 0.0;
  for (int64_t b = 0; b < nb; ++b) {
    uint32_t x[4];
    philox::block_words(key, static_cast<uint64_t>(b), x[0], x[1], x[2], x[3]);
    double ref[4];
    reference_box_muller(x[0], x[1], ref[0], ref[1]);
    reference_box_muller(x[2], x[3], ref[2], ref[3]);
    for (int j = 0; j < 4; ++j) {
      max_err = std::max(max_err, std::abs(z[4 * b + j] - ref[j]) / (1.0 + std::abs(ref[j])));
    }
  }
  EXPECT_LT(max_err, 5e-7);  // measured 1.4e-7: about one float ulp
  // Sweep of the radius word (every 4097th value, and the ends): u near 0 (tails) and near 1.
  max_err = 0.0;
  for (uint64_t k = 0; k < (uint64_t{1} << 32); k += 4097) {
    for (uint32_t a : {static_cast<uint32_t>(k), static_cast<uint32_t>(0xffffffffu - k)}) {
      const uint32_t b = a * 2654435761u;
      float f0, f1;
      double r0, r1;
      philox::box_muller(a, b, f0, f1);
      reference_box_muller(a, b, r0, r1);
      max_err = std::max({max_err, std::abs(f0 - r0) / (1.0 + std::abs(r0)), std::abs(f1 - r1) / (1.0 + std::abs(r1))});
    }
  }
  EXPECT_LT(max_err, 5e-7);
  // The extremes of the input words: u = 2^-32 (largest radius, sqrt(64 ln 2)), u = 1 (radius 0).
  float z0, z1;
  philox::box_muller(0u, 0u, z0, z1);
  EXPECT_NEAR(z0, std::sqrt(64.0 * std::log(2.0)), 1e-5);
  EXPECT_EQ(z1, 0.0f);
  philox::box_muller(0xffffffffu, 0x40000000u, z0, z1);  // u = 1, angle pi/2
  EXPECT_EQ(z0, 0.0f);
  EXPECT_EQ(z1, 0.0f);
  for (uint32_t b : {0x40000000u, 0x80000000u, 0xC0000000u, 0x20000000u, 0x1fffffffu, 0xffffffffu}) {
    double r0, r1;
    philox::box_muller(0u, b, z0, z1);
    reference_box_muller(0u, b, r0, r1);
    EXPECT_NEAR(z0, r0, 1e-5) << "angle word " << b;
    EXPECT_NEAR(z1, r1, 1e-5) << "angle word " << b;
  }
}

TEST(NormalRng, MomentsKsAndLagCorrelation) {
  const int64_t n = 10'000'000;
  const std::vector<float> z = fill(test_key(11), n);
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0, lag1 = 0, lag1_sq = 0, lag4 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double x = z[i], x2 = x * x;
    s1 += x;
    s2 += x2;
    s3 += x2 * x;
    s4 += x2 * x2;
    if (i + 1 < n) {
      lag1 += x * z[i + 1];
      lag1_sq += (x2 - 1.0) * (static_cast<double>(z[i + 1]) * z[i + 1] - 1.0);
    }
    if (i + 4 < n) lag4 += x * z[i + 4];
  }
  const double dn = static_cast<double>(n);
  const double mean = s1 / dn, var = s2 / dn - mean * mean;
  const double skew = s3 / dn, kurt = s4 / dn;
  // Five standard errors: mean 1/sqrt(n), variance sqrt(2/n), third moment sqrt(15/n), fourth sqrt(96/n).
  EXPECT_LT(std::abs(mean), 5.0 / std::sqrt(dn));
  EXPECT_LT(std::abs(var - 1.0), 5.0 * std::sqrt(2.0 / dn));
  EXPECT_LT(std::abs(skew), 5.0 * std::sqrt(15.0 / dn));
  EXPECT_LT(std::abs(kurt - 3.0), 5.0 * std::sqrt(96.0 / dn));
  // Neighbours (same Box-Muller pair, same Philox block) and the next block: uncorrelated, also in z^2
  // (Var of (z^2 - 1) products is 4).
  EXPECT_LT(std::abs(lag1 / (dn - 1)), 5.0 / std::sqrt(dn));
  EXPECT_LT(std::abs(lag1_sq / (dn - 1)), 5.0 * 2.0 / std::sqrt(dn));
  EXPECT_LT(std::abs(lag4 / (dn - 4)), 5.0 / std::sqrt(dn));

  // Kolmogorov-Smirnov against the normal CDF, 99.9% critical value 1.95 / sqrt(n).
  std::vector<float> sorted = z;
  std::sort(sorted.begin(), sorted.end());
  double d = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double f = normal_cdf(sorted[i]);
    d = std::max({d, f - static_cast<double>(i) / dn, static_cast<double>(i + 1) / dn - f});
  }
  EXPECT_LT(d, 1.95 / std::sqrt(dn)) << "KS statistic";
}

TEST(NormalRng, TailFrequenciesOf1e8Samples) {
  // 1e8 samples in chunks (this also exercises first_index); tail counts vs binomial, 5 standard deviations.
  const int64_t n = 100'000'000, chunk = 1 << 22;
  const PhiloxKey key = test_key(13);
  const double thresholds[] = {3.0, 4.0, 5.0};
  int64_t counts[3] = {0, 0, 0};
  float max_abs = 0.0f;
  std::vector<float> buf(chunk);
  for (int64_t first = 0; first < n; first += chunk) {
    const int64_t m = std::min(chunk, n - first);
    fill_normal(buf.data(), m, key, first);
    for (int64_t i = 0; i < m; ++i) {
      const float a = std::abs(buf[i]);
      max_abs = std::max(max_abs, a);
      counts[0] += a > 3.0f;
      counts[1] += a > 4.0f;
      counts[2] += a > 5.0f;
    }
  }
  for (int t = 0; t < 3; ++t) {
    const double p = normal_tail2(thresholds[t]);
    const double expect = p * n, sd = std::sqrt(n * p * (1.0 - p));
    EXPECT_LT(std::abs(counts[t] - expect), 5.0 * sd)
        << "P(|z| > " << thresholds[t] << "): " << counts[t] << " vs " << expect;
  }
  // The radius is at most sqrt(64 ln 2) = 6.66 (u >= 2^-32); max of 1e8 normals is ~5.8-6.3,
  // below 5 with probability e^-57, above 6.66 impossible.
  EXPECT_GT(max_abs, 5.0f);
  EXPECT_LE(max_abs, 6.6604f);
}

TEST(NormalRng, DeterministicAndScalarEqualsFill) {
  const PhiloxKey key = test_key(17);
  const int64_t n = 100'003;
  const std::vector<float> a = fill(key, n), b = fill(key, n);
  EXPECT_EQ(a, b);
  for (int64_t i = 0; i < n; i += 7) ASSERT_EQ(philox_normal(key, i), a[i]) << "index " << i;
  // Large indices use the counter's high word.
  const int64_t far = (int64_t{1} << 40) + 3;
  const std::vector<float> c = fill(key, 9, far);
  for (int64_t k = 0; k < 9; ++k) EXPECT_EQ(philox_normal(key, far + k), c[k]);
  EXPECT_NE(c[0], a[3]);
}

TEST(NormalRng, OffsetsMatchSlicesOfLongerFill) {
  const PhiloxKey key = test_key(19);
  const int64_t n = 200'000;
  const std::vector<float> whole = fill(key, n);
  // Unaligned starts and lengths, tiny ranges inside one block, and ranges spanning parallel chunks.
  const std::pair<int64_t, int64_t> ranges[] = {{0, 1},     {1, 2},     {3, 1},         {2, 5},
                                                {5, 70001}, {16383, 3}, {16385, 40000}, {123457, 76543}};
  for (auto [first, len] : ranges) {
    const std::vector<float> part = fill(key, len, first);
    for (int64_t k = 0; k < len; ++k) {
      ASSERT_EQ(part[k], whole[first + k]) << "first " << first << " len " << len << " k " << k;
    }
  }
  // Pieces of odd sizes reassemble the whole.
  std::vector<float> pieces(n);
  for (int64_t first = 0, len = 1; first < n; first += len, len = len * 3 + 1) {
    fill_normal(pieces.data() + first, std::min(len, n - first), key, first);
  }
  EXPECT_EQ(pieces, whole);
}

TEST(NormalRng, SameResultWithOneTwoAndThreeThreads) {
  ThreadCountGuard guard;
  const PhiloxKey key = test_key(23);
  const int64_t n = (1 << 20) + 5, first = 3;
  at::set_num_threads(1);
  const std::vector<float> one = fill(key, n, first);
  at::set_num_threads(2);
  const std::vector<float> two = fill(key, n, first);
  at::set_num_threads(3);
  const std::vector<float> three = fill(key, n, first);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, three);
}

TEST(NormalRng, EverySimdVersionWritesTheSameBits) {
  // Each instruction-set version this CPU runs against the default one and the scalar philox_normal.
  const PhiloxKey key = test_key(29);
  const int64_t n = 300'001, first = 1;
  std::vector<float> ref(n);
  fill_normal_isa(ref.data(), n, key, first, NormalRngIsa::kDefault);
  for (int64_t i = 0; i < n; i += 97) ASSERT_EQ(ref[i], philox_normal(key, first + i)) << "index " << i;
  int tested = 0;
  for (NormalRngIsa isa : {NormalRngIsa::kAvx2, NormalRngIsa::kAvx512}) {
    if (!normal_rng_isa_supported(isa)) continue;
    std::vector<float> v(n);
    fill_normal_isa(v.data(), n, key, first, isa);
    EXPECT_EQ(v, ref) << "instruction set " << static_cast<int>(isa);
    ++tested;
  }
  EXPECT_EQ(fill(key, n, first), ref);
  RecordProperty("simd_versions_compared", tested);
  if (normal_rng_best_isa() == NormalRngIsa::kDefault) {
    EXPECT_THROW(fill_normal_isa(ref.data(), 1, key, 0, NormalRngIsa::kAvx512), c10::Error);
  }
}

TEST(NormalRng, KeysFromGenerator) {
  at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(99);
  at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(99);
  const PhiloxKey a = draw_philox_key(g1), b = draw_philox_key(g1);
  const PhiloxKey a2 = draw_philox_key(g2), b2 = draw_philox_key(g2);
  EXPECT_TRUE(a.seed == a2.seed && a.offset == a2.offset);
  EXPECT_TRUE(b.seed == b2.seed && b.offset == b2.offset);
  EXPECT_FALSE(a.seed == b.seed && a.offset == b.offset);
  // Successive keys give different streams; so do keys differing in one field only.
  const std::vector<float> za = fill(a, 1000), zb = fill(b, 1000);
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += za[i] == zb[i];
  EXPECT_EQ(equal, 0);
  const std::vector<float> zs = fill({a.seed + 1, a.offset}, 8), zo = fill({a.seed, a.offset + 1}, 8);
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE(zs[i], za[i]);
    EXPECT_NE(zo[i], za[i]);
  }
  at::Generator undefined;
  EXPECT_THROW(draw_philox_key(undefined), c10::Error);
}

TEST(NormalRng, RandnPhiloxTensorAndChecks) {
  at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(5);
  at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor t = randn_philox({3, 4, 5}, g1);
  EXPECT_EQ(t.sizes(), at::IntArrayRef({3, 4, 5}));
  EXPECT_EQ(t.scalar_type(), at::kFloat);
  EXPECT_TRUE(t.is_contiguous());
  const PhiloxKey key = draw_philox_key(g2);
  const std::vector<float> ref = fill(key, 60);
  const float* p = t.data_ptr<float>();
  for (int i = 0; i < 60; ++i) EXPECT_EQ(p[i], ref[i]);
  EXPECT_FALSE(at::equal(t, randn_philox({3, 4, 5}, g1)));
  EXPECT_EQ(randn_philox({0}, g1).numel(), 0);
  const at::Tensor u = normal_tensor({6, 10}, key);
  EXPECT_EQ(u.sizes(), at::IntArrayRef({6, 10}));
  EXPECT_TRUE(at::equal(u.view({3, 4, 5}), t));
  EXPECT_THROW(randn_philox({2}, g1, at::kDouble), c10::Error);
  float x;
  EXPECT_THROW(fill_normal(&x, -1, key), c10::Error);
  EXPECT_THROW(fill_normal(&x, 1, key, -1), c10::Error);
  EXPECT_THROW(fill_normal(nullptr, 1, key), c10::Error);
  EXPECT_NO_THROW(fill_normal(nullptr, 0, key));
}

}  // namespace cimtrain::sim

// Uniforms from the same Philox words: range [0, 1), mean 1/2, variance 1/12, offsets consistent with slices.
TEST(UniformRng, RangeMomentsAndOffsets) {
  using namespace cimtrain::sim;
  const PhiloxKey key{12345, 678};
  const int64_t n = 1000003;
  std::vector<float> u(n);
  fill_uniform(u.data(), n, key, 0);
  const auto t = at::from_blob(u.data(), {n}, at::kFloat).to(at::kDouble);
  EXPECT_GE(t.min().item<double>(), 0.0);
  EXPECT_LT(t.max().item<double>(), 1.0);
  EXPECT_NEAR(t.mean().item<double>(), 0.5, 5 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(t.var().item<double>(), 1.0 / 12, 5 * std::sqrt(1.0 / 180 / n));
  std::vector<float> part(1001);
  fill_uniform(part.data(), 1001, key, 4999);
  for (int64_t i = 0; i < 1001; ++i) ASSERT_EQ(part[i], u[4999 + i]) << i;
}
