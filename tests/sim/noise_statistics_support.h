// Helpers shared by the noise-source statistics tests (tests/sim/test_*_statistics.cpp): fixed-seed generators,
// sample moments, and checks of a sample's mean, spread and distribution shape against a formula, with bounds
// derived from the sample size (kZ standard errors).
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "sim/chip_config.h"
#include "sim/presets.h"
#include "sim/programming_noise.h"

namespace cimtrain::testing_support {

// Every statistical bound is kZ standard errors: a two-sided Gaussian tail of 5.7e-7 per check.
inline constexpr double kZ = 5.0;
// Kolmogorov-Smirnov bound by the Dvoretzky-Kiefer-Wolfowitz inequality P(sup|F_n - F| > e) <= 2 exp(-2 n e^2),
// at this false-alarm probability.
inline constexpr double kKsAlpha = 1e-6;

inline at::Generator make_gen(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

inline at::Tensor random_ints(at::IntArrayRef shape, int max_value, uint64_t seed) {
  auto gen = make_gen(seed);
  return at::randint(-max_value, max_value + 1, shape, gen).to(at::kFloat);
}

inline at::Tensor floats(const std::vector<double>& v) { return at::tensor(v, at::kDouble).to(at::kFloat); }

inline double dbl(const at::Tensor& t) { return t.item<double>(); }

struct Moments {
  int64_t n = 0;
  double mean = 0, var = 0, sd = 0, skew = 0, exkurt = 0, m4 = 0;  // var with n - 1; m4 central
};

inline Moments moments(const at::Tensor& t) {
  const auto x = t.to(at::kDouble).flatten();
  Moments m;
  m.n = x.numel();
  m.mean = dbl(x.mean());
  const auto c = x - m.mean;
  const auto c2 = c.square();
  const double m2 = dbl(c2.mean());
  const double m3 = dbl((c2 * c).mean());
  m.m4 = dbl(c2.square().mean());
  m.var = m2 * m.n / (m.n - 1.0);
  m.sd = std::sqrt(m.var);
  m.skew = m3 / std::pow(m2, 1.5);
  m.exkurt = m.m4 / (m2 * m2) - 3.0;
  return m;
}

// sup_x |F_n(x) - Phi((x - mu) / sigma)| of a sample.
inline double ks_normal(const at::Tensor& t, double mu, double sigma) {
  const auto x = std::get<0>(t.to(at::kDouble).flatten().sort());
  const int64_t n = x.numel();
  const auto cdf = at::erfc(-(x - mu) / (sigma * std::sqrt(2.0))) * 0.5;
  const auto i = at::arange(1, n + 1, at::kDouble);
  return std::max(dbl((i / n - cdf).max()), dbl((cdf - (i - 1) / n).max()));
}

inline double ks_bound(int64_t n) { return std::sqrt(std::log(2.0 / kKsAlpha) / (2.0 * n)); }

// A sample of n i.i.d. N(mu, sigma^2) values:
//   mean:  |xbar - mu| <= kZ sigma / sqrt(n)
//   std:   |s - sigma| <= kZ sigma / sqrt(2 (n - 1))       (s is asymptotically N(sigma, sigma^2 / (2(n-1))))
//   shape: |skewness| <= kZ sqrt(6 / n), |excess kurtosis| <= kZ sqrt(24 / n), and the DKW bound on the KS
//          distance to N(mu, sigma^2).
inline void expect_gaussian(const at::Tensor& x, double mu, double sigma, const std::string& what) {
  const Moments m = moments(x);
  const double n = static_cast<double>(m.n);
  EXPECT_LE(std::abs(m.mean - mu), kZ * sigma / std::sqrt(n)) << what << ": mean " << m.mean << " vs " << mu;
  EXPECT_LE(std::abs(m.sd - sigma), kZ * sigma / std::sqrt(2.0 * (n - 1)))
      << what << ": std " << m.sd << " vs " << sigma;
  EXPECT_LE(std::abs(m.skew), kZ * std::sqrt(6.0 / n)) << what << ": skewness " << m.skew;
  EXPECT_LE(std::abs(m.exkurt), kZ * std::sqrt(24.0 / n)) << what << ": excess kurtosis " << m.exkurt;
  const double d = ks_normal(x, mu, sigma);
  EXPECT_LE(d, ks_bound(m.n)) << what << ": KS distance to N(" << mu << ", " << sigma << "^2) = " << d;
}

// Only the spread of an i.i.d. Gaussian sample: |s - sigma| <= kZ sigma / sqrt(2 (n - 1)).
inline void expect_gaussian_std(const at::Tensor& x, double sigma, const std::string& what) {
  const Moments m = moments(x);
  EXPECT_LE(std::abs(m.sd - sigma), kZ * sigma / std::sqrt(2.0 * (m.n - 1.0)))
      << what << ": std " << m.sd << " vs " << sigma;
}

inline sim::MappingConfig rram_mapping() { return sim::preset_config("rram").mapping; }  // g 1 .. 40 uS (NeuRRAM)

// Lognormal programming noise, sigma 0.1, no stuck-at faults.
inline sim::ProgrammingNoiseConfig lognormal_without_faults() {
  sim::ProgrammingNoiseConfig c;
  c.model = sim::ProgrammingNoiseModel::kLognormal;
  c.sigma = 0.1;
  c.p_stuck_off = c.p_stuck_on = 0.0;
  return c;
}

}  // namespace cimtrain::testing_support
