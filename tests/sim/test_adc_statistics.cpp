// ADC (sim/adc): full scale, quantisation to the LSB grid and clipping, noisy codes against the exact rounded
// Gaussian, the spread of per-converter offsets and INL, and the INL shape.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "noise_statistics_support.h"
#include "sim/adc.h"
#include "sim/normal_rng.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

// Upper kZ-sigma quantile of chi-square with df degrees of freedom (Wilson-Hilferty).
double chi2_upper(double df) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + kZ * std::sqrt(a), 3);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

AdcConfig quiet_adc(int bits) {
  AdcConfig a;
  a.enabled = true;
  a.bits = bits;
  a.noise_sigma_lsb = a.offset_sigma_lsb = a.inl_lsb = 0.0;
  a.headroom = 1.0;
  return a;
}

AdcStatic zero_static(int64_t converters) { return {at::zeros({1, 1, converters}), at::zeros({1, 1, converters})}; }

// Full scale per slice = headroom x max |I| over row tiles, batch and outputs.
TEST(NoiseStatsAdc, FullScaleIsHeadroomTimesLargestCurrentPerSlice) {
  auto cfg = quiet_adc(8);
  cfg.headroom = 1.5;
  const auto i = random_ints({2, 5, 3, 4}, 100, 21);
  const auto fs = adc_full_scale(i, cfg);
  const auto expected = i.abs().amax({0, 1, 3}) * 1.5;
  EXPECT_TRUE(at::allclose(fs, expected, 1e-6, 0)) << fs << " vs " << expected;
}

// No noise, offset or INL: the result is code x LSB, LSB = full_scale / (2^(bits-1) - 1), the error is at most
// half an LSB inside full scale (its mean square over a fine uniform grid is LSB^2 / 12), and currents beyond
// +-full scale clip to +-full scale; all 2^bits - 1 codes occur.
TEST(NoiseStatsAdc, QuantisesToTheLsbGridAndClipsAtFullScale) {
  for (int bits : {4, 8}) {
    const auto cfg = quiet_adc(bits);
    const double fs = 3.7, qmax = std::ldexp(1.0, bits - 1) - 1, lsb = fs / qmax;
    const int64_t n = 400001;
    const auto i = at::linspace(-2 * fs, 2 * fs, n, at::kFloat);
    auto gen = make_gen(22);
    const auto out =
        adc_convert(i.view({1, n, 1, 1}), at::Tensor(), floats({fs}), cfg, zero_static(1), draw_philox_key(gen))
            .flatten()
            .to(at::kDouble);
    const auto id = i.to(at::kDouble);
    const auto q = out / lsb;
    EXPECT_LT(dbl((q - q.round()).abs().max()), 1e-4) << bits << " bits: not on the LSB grid";
    EXPECT_EQ(std::get<0>(at::_unique(q.round())).numel(), static_cast<int64_t>(2 * qmax + 1)) << bits << " bits";
    const auto inside = id.abs() <= fs;
    const auto err = (out - id).masked_select(inside) / lsb;
    EXPECT_LE(dbl(err.abs().max()), 0.5 + 1e-4) << bits << " bits: error beyond half an LSB";
    EXPECT_NEAR(dbl(err.square().mean()), 1.0 / 12.0, 2e-3) << bits << " bits";
    const auto above = out.masked_select(id > fs * (1 + 1e-6)), below = out.masked_select(id < -fs * (1 + 1e-6));
    EXPECT_LT(dbl((above - fs).abs().max()), 1e-5 * fs) << bits << " bits: no clip at +full scale";
    EXPECT_LT(dbl((below + fs).abs().max()), 1e-5 * fs) << bits << " bits: no clip at -full scale";
  }
}

struct DiscreteLaw {
  int64_t k0 = 0;         // first code of p
  std::vector<double> p;  // P(code = k0 + i)
  double mean = 0, var = 0, m4 = 0;
};

// code = round(mu + sigma xi): P(k) = Phi((k + 1/2 - mu) / sigma) - Phi((k - 1/2 - mu) / sigma).
DiscreteLaw rounded_gaussian(double mu, double sigma) {
  DiscreteLaw d;
  d.k0 = static_cast<int64_t>(std::floor(mu - 12 * sigma)) - 1;
  const int64_t k1 = static_cast<int64_t>(std::ceil(mu + 12 * sigma)) + 1;
  for (int64_t k = d.k0; k <= k1; ++k)
    d.p.push_back(normal_cdf((k + 0.5 - mu) / sigma) - normal_cdf((k - 0.5 - mu) / sigma));
  for (size_t i = 0; i < d.p.size(); ++i) d.mean += d.p[i] * (d.k0 + static_cast<double>(i));
  for (size_t i = 0; i < d.p.size(); ++i) {
    const double c = d.k0 + static_cast<double>(i) - d.mean;
    d.var += d.p[i] * c * c;
    d.m4 += d.p[i] * c * c * c * c;
  }
  return d;
}

// Constant input u0 (LSB), Gaussian noise of std sigma (ADC noise, plus read noise var_uA2 / LSB^2 when given):
// the codes follow the rounded Gaussian exactly. Checked: mean and variance against the exact law
// (SE sqrt(var / n) and sqrt((mu4 - var^2) / n)), a chi-square goodness of fit over cells with >= 20 expected
// counts (tails merged) at the Wilson-Hilferty kZ quantile, and, for sigma >= 0.5 LSB, the dithered
// quantisation approximation var = sigma^2 + 1/12 (Sheppard), whose exact error is below 0.008 LSB^2 at
// sigma = 0.5 and below 1e-7 at sigma = 1 for any u0. At sigma = 0.3 the approximation fails (by up to 0.08) and
// only the exact law is checked.
TEST(NoiseStatsAdc, NoisyCodesFollowTheRoundedGaussian) {
  struct Case {
    double adc_sigma, read_var_lsb2, u0;
  };
  const std::vector<Case> cases = {{0.5, 0, 10.3}, {1.0, 0, -20.65}, {0.3, 0, 5.45}, {0.5, 0.1875, 7.8}};
  const int64_t rows = 1000, conv = 1000, n = rows * conv;
  uint64_t seed = 30;
  for (const auto& cs : cases) {
    auto cfg = quiet_adc(8);
    cfg.noise_sigma_lsb = cs.adc_sigma;
    const double lsb = 2.0, fs = lsb * cfg.code_max();
    const auto i = at::full({1, rows, 1, conv}, cs.u0 * lsb);
    const auto var = cs.read_var_lsb2 > 0 ? at::full_like(i, cs.read_var_lsb2 * lsb * lsb) : at::Tensor();
    auto gen = make_gen(++seed);
    const auto codes = (adc_convert(i, var, floats({fs}), cfg, zero_static(conv), draw_philox_key(gen)) / lsb)
                           .round()
                           .to(at::kLong)
                           .flatten();
    const double sigma = std::sqrt(cs.adc_sigma * cs.adc_sigma + cs.read_var_lsb2);
    const DiscreteLaw law = rounded_gaussian(cs.u0, sigma);
    const Moments mo = moments(codes);
    const std::string what = "sigma = " + std::to_string(sigma) + ", u0 = " + std::to_string(cs.u0);
    EXPECT_LE(std::abs(mo.mean - law.mean), kZ * std::sqrt(law.var / n)) << what << ": mean";
    EXPECT_LE(std::abs(mo.var - law.var), kZ * std::sqrt((law.m4 - law.var * law.var) / n))
        << what << ": variance " << mo.var << " vs exact " << law.var;
    if (sigma >= 0.5) {
      EXPECT_NEAR(law.var, sigma * sigma + 1.0 / 12.0, 0.008) << what << ": Sheppard approximation";
    }

    // Chi-square goodness of fit.
    const int64_t nk = static_cast<int64_t>(law.p.size());
    const auto counts = at::bincount(codes - law.k0, {}, nk);
    ASSERT_EQ(counts.numel(), nk) << what << ": codes outside the law's support";
    std::vector<double> obs, expct;
    double o_acc = 0, e_acc = 0;
    for (int64_t k = 0; k < nk; ++k) {
      o_acc += counts[k].item<double>();
      e_acc += law.p[k] * n;
      if (e_acc >= 20) {
        obs.push_back(o_acc);
        expct.push_back(e_acc);
        o_acc = e_acc = 0;
      }
    }
    obs.back() += o_acc;
    expct.back() += e_acc;
    double chi2 = 0;
    for (size_t k = 0; k < obs.size(); ++k) chi2 += (obs[k] - expct[k]) * (obs[k] - expct[k]) / expct[k];
    const double df = static_cast<double>(obs.size()) - 1;
    EXPECT_LE(chi2, chi2_upper(df)) << what << ": chi2 = " << chi2 << " with " << df << " dof";
  }
}

// Per-converter offsets and INL amplitudes are N(0, offset_sigma^2) and N(0, inl^2); the offset shifts every
// conversion of its converter: with sigma = 1 LSB dither the mean code is u0 + offset (the dither bias is
// ~exp(-2 pi^2) < 1e-8 LSB), each to kZ sqrt((1 + 1/12) / M) over M conversions.
TEST(NoiseStatsAdc, StaticOffsetsAndInlHaveTheirSpreadAndOffsetsAreApplied) {
  AdcConfig cfg = quiet_adc(8);
  cfg.offset_sigma_lsb = 0.2;
  cfg.inl_lsb = 0.25;
  auto gen = make_gen(40);
  const auto st = sample_adc_static(cfg, {4, 5, 5000}, gen);
  ASSERT_EQ(st.offset_lsb.sizes(), at::IntArrayRef({4, 5, 5000}));
  expect_gaussian(st.offset_lsb, 0.0, 0.2, "ADC offsets");
  expect_gaussian(st.inl_lsb, 0.0, 0.25, "ADC INL amplitudes");
  AdcConfig off = cfg;
  off.enabled = false;
  const auto zero = sample_adc_static(off, {10}, gen);
  EXPECT_EQ(dbl(zero.offset_lsb.abs().max()) + dbl(zero.inl_lsb.abs().max()), 0.0);

  AdcConfig only_offset = quiet_adc(8);
  only_offset.offset_sigma_lsb = 0.2;
  only_offset.noise_sigma_lsb = 1.0;
  const int64_t conv = 200, reps = 5000;
  AdcStatic st2 = sample_adc_static(only_offset, {1, 1, conv}, gen);
  const double u0 = 10.3;
  const auto i = at::full({1, reps, 1, conv}, u0);
  const auto codes = adc_convert(i, at::Tensor(), floats({only_offset.code_max()}), only_offset, st2,
                                 draw_philox_key(gen))
                         .to(at::kDouble)
                         .squeeze();  // [reps, conv], LSB = 1
  const auto shift = codes.mean(0) - u0;
  const auto off_c = st2.offset_lsb.flatten().to(at::kDouble);
  const double bound = kZ * std::sqrt((1.0 + 1.0 / 12.0) / reps);
  EXPECT_LE(dbl((shift - off_c).abs().max()), bound) << "mean code - u0 must equal the converter's offset";
}

// INL: inl (3 sqrt(3) / 2) x (1 - x^2) LSB, x = I / full scale: zero at 0 and +-full scale, peak +inl at
// x = 1/sqrt(3), odd. With a 40 LSB amplitude and no noise the code is within half an LSB of
// clamp(u + INL(x), -qmax, qmax).
TEST(NoiseStatsAdc, InlHasTheDocumentedSShape) {
  const auto cfg = quiet_adc(8);
  const double qmax = cfg.code_max(), amp = 40.0;
  const AdcStatic st{at::zeros({1, 1, 1}), at::full({1, 1, 1}, amp)};
  const int64_t n = 2541;
  const auto u = at::linspace(-qmax, qmax, n, at::kFloat);
  auto gen = make_gen(41);
  auto convert = [&](const at::Tensor& cur) {
    return adc_convert(cur.view({1, cur.numel(), 1, 1}), at::Tensor(), floats({qmax}), cfg, st, draw_philox_key(gen))
        .flatten()
        .to(at::kDouble);
  };
  const auto code = convert(u);
  const auto x = u.to(at::kDouble) / qmax;
  const auto expected = (u.to(at::kDouble) + amp * 1.5 * std::sqrt(3.0) * x * (1 - x.square())).clamp(-qmax, qmax);
  EXPECT_LE(dbl((code - expected).abs().max()), 0.5 + 1e-3) << "INL shape";
  EXPECT_TRUE(at::equal(convert(-u), -code)) << "INL must be odd";
  const auto ends = convert(floats({0.0, qmax, -qmax, qmax / std::sqrt(3.0)}));
  EXPECT_EQ(dbl(ends[0]), 0.0);
  EXPECT_EQ(dbl(ends[1]), qmax);
  EXPECT_EQ(dbl(ends[2]), -qmax);
  EXPECT_LE(std::abs(dbl(ends[3]) - (qmax / std::sqrt(3.0) + amp)), 0.5) << "peak must be +inl at 1/sqrt(3)";
}

}  // namespace
