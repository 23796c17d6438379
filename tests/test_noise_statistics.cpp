// Statistics of every noise source (mean, spread, distribution shape) against its formula, with fixed seeds and
// bounds derived from the sample size (kZ standard errors), plus the deterministic laws each source documents.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sim/adc.h"
#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/dac.h"
#include "sim/device_nonlinearity.h"
#include "sim/drift.h"
#include "sim/normal_rng.h"
#include "sim/presets.h"
#include "sim/programming_noise.h"
#include "sim/read_noise.h"
#include "sim/thermal.h"

using namespace cimtrain::sim;

namespace {

// Every statistical bound is kZ standard errors: a two-sided Gaussian tail of 5.7e-7 per check.
constexpr double kZ = 5.0;
// Kolmogorov-Smirnov bound by the Dvoretzky-Kiefer-Wolfowitz inequality P(sup|F_n - F| > e) <= 2 exp(-2 n e^2),
// at this false-alarm probability.
constexpr double kKsAlpha = 1e-6;
constexpr double kBoltzmann_eV_per_K = 8.617333262e-5;

at::Generator make_gen(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

at::Tensor random_ints(at::IntArrayRef shape, int max_value, uint64_t seed) {
  auto gen = make_gen(seed);
  return at::randint(-max_value, max_value + 1, shape, gen).to(at::kFloat);
}

at::Tensor floats(const std::vector<double>& v) { return at::tensor(v, at::kDouble).to(at::kFloat); }

double dbl(const at::Tensor& t) { return t.item<double>(); }

struct Moments {
  int64_t n = 0;
  double mean = 0, var = 0, sd = 0, skew = 0, exkurt = 0, m4 = 0;  // var with n - 1; m4 central
};

Moments moments(const at::Tensor& t) {
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
double ks_normal(const at::Tensor& t, double mu, double sigma) {
  const auto x = std::get<0>(t.to(at::kDouble).flatten().sort());
  const int64_t n = x.numel();
  const auto cdf = at::erfc(-(x - mu) / (sigma * std::sqrt(2.0))) * 0.5;
  const auto i = at::arange(1, n + 1, at::kDouble);
  return std::max(dbl((i / n - cdf).max()), dbl((cdf - (i - 1) / n).max()));
}

double ks_bound(int64_t n) { return std::sqrt(std::log(2.0 / kKsAlpha) / (2.0 * n)); }

// A sample of n i.i.d. N(mu, sigma^2) values:
//   mean:  |xbar - mu| <= kZ sigma / sqrt(n)
//   std:   |s - sigma| <= kZ sigma / sqrt(2 (n - 1))       (s is asymptotically N(sigma, sigma^2 / (2(n-1))))
//   shape: |skewness| <= kZ sqrt(6 / n), |excess kurtosis| <= kZ sqrt(24 / n), and the DKW bound on the KS
//          distance to N(mu, sigma^2).
void expect_gaussian(const at::Tensor& x, double mu, double sigma, const std::string& what) {
  const Moments m = moments(x);
  const double n = static_cast<double>(m.n);
  EXPECT_LE(std::abs(m.mean - mu), kZ * sigma / std::sqrt(n)) << what << ": mean " << m.mean << " vs " << mu;
  EXPECT_LE(std::abs(m.sd - sigma), kZ * sigma / std::sqrt(2.0 * (n - 1))) << what << ": std " << m.sd << " vs "
                                                                              << sigma;
  EXPECT_LE(std::abs(m.skew), kZ * std::sqrt(6.0 / n)) << what << ": skewness " << m.skew;
  EXPECT_LE(std::abs(m.exkurt), kZ * std::sqrt(24.0 / n)) << what << ": excess kurtosis " << m.exkurt;
  const double d = ks_normal(x, mu, sigma);
  EXPECT_LE(d, ks_bound(m.n)) << what << ": KS distance to N(" << mu << ", " << sigma << "^2) = " << d;
}

// Only the spread of an i.i.d. Gaussian sample: |s - sigma| <= kZ sigma / sqrt(2 (n - 1)).
void expect_gaussian_std(const at::Tensor& x, double sigma, const std::string& what) {
  const Moments m = moments(x);
  EXPECT_LE(std::abs(m.sd - sigma), kZ * sigma / std::sqrt(2.0 * (m.n - 1.0)))
      << what << ": std " << m.sd << " vs " << sigma;
}

// Upper kZ-sigma quantile of chi-square with df degrees of freedom (Wilson-Hilferty).
double chi2_upper(double df) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + kZ * std::sqrt(a), 3);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Binomial count k of n trials with probability p: |k - n p| <= kZ sqrt(n p (1 - p)).
void expect_binomial(int64_t k, int64_t n, double p, const std::string& what) {
  const double sd = std::sqrt(n * p * (1 - p));
  EXPECT_LE(std::abs(k - n * p), kZ * sd) << what << ": " << k << " of " << n << ", expected p = " << p;
}

MappingConfig rram_mapping() { return preset_config("rram").mapping; }  // g 0.5 .. 50 uS, 127 levels

// ---------------------------------------------------------------------------------------------------------
// 1. Programming noise
// ---------------------------------------------------------------------------------------------------------

ProgrammingNoiseConfig lognormal_without_faults() {
  ProgrammingNoiseConfig c;
  c.model = "lognormal";
  c.sigma = 0.1;
  c.p_stuck_off = c.p_stuck_on = 0.0;
  return c;
}

// lognormal: ln(G_p / G_t) = sigma L xi, xi ~ N(0, 1): mean 0, std sigma L, Gaussian shape, for every target.
// Targets <= 5 uS keep the clip at g_max = 50 uS ln(10) / (0.1 * 3) = 7.7 std away at L = 3 (no bias).
TEST(NoiseStatsProgramming, LognormalLogRatioIsGaussianWithStdSigmaTimesLevel) {
  const auto m = rram_mapping();
  const auto cfg = lognormal_without_faults();
  const int64_t per_target = 100000;
  const std::vector<double> targets = {0.5, 2.0, 5.0};
  for (double level : {1.0, 3.0}) {
    std::vector<at::Tensor> parts;
    for (double g : targets) parts.push_back(at::full({per_target}, g));
    const auto target = at::cat(parts);
    auto gen = make_gen(101 + static_cast<uint64_t>(level));
    const auto gp = program_conductances(target, cfg, m, level, gen);
    ASSERT_LT(dbl(gp.max()), m.g_max_uS) << "the clip at g_max acted: the check would be biased";
    const auto lr = (gp.to(at::kDouble) / target.to(at::kDouble)).log();
    const double sigma = cfg.sigma * level;
    const std::string what = "ln(G_p/G_t) at L = " + std::to_string(level);
    expect_gaussian(lr, 0.0, sigma, what);
    for (size_t i = 0; i < targets.size(); ++i)  // multiplicative at every conductance, not only on average
      expect_gaussian_std(lr.narrow(0, i * per_target, per_target), sigma,
                          what + ", G_t = " + std::to_string(targets[i]));
  }
}

// Stuck-at faults: P(G_p == g_min) = p_stuck_off, P(G_p == g_max) = p_stuck_on at every level (not scaled by
// L); the counts are binomial. Target 5 uS: the lognormal part never reaches g_min or g_max exactly.
TEST(NoiseStatsProgramming, StuckFaultFractionsMatchProbabilitiesAndIgnoreLevel) {
  const auto m = rram_mapping();
  auto cfg = lognormal_without_faults();
  cfg.p_stuck_off = 0.01;
  cfg.p_stuck_on = 0.005;
  const int64_t n = 1000000;
  const auto target = at::full({n}, 5.0);
  for (double level : {1.0, 3.0}) {
    auto gen = make_gen(202 + static_cast<uint64_t>(level));
    const auto gp = program_conductances(target, cfg, m, level, gen);
    const int64_t off = (gp == static_cast<float>(m.g_min_uS)).sum().item<int64_t>();
    const int64_t on = (gp == static_cast<float>(m.g_max_uS)).sum().item<int64_t>();
    const std::string at_level = " at L = " + std::to_string(level);
    expect_binomial(off, n, cfg.p_stuck_off, "stuck at g_min" + at_level);
    expect_binomial(on, n, cfg.p_stuck_on, "stuck at g_max" + at_level);
    // The other cells keep the lognormal law.
    const auto ok = (gp != static_cast<float>(m.g_min_uS)) & (gp != static_cast<float>(m.g_max_uS));
    expect_gaussian_std((gp.masked_select(ok).to(at::kDouble) / 5.0).log(), cfg.sigma * level,
                        "ln ratio of healthy cells" + at_level);
  }
}

// pcm: G_p - G_t = sigma L s(r) xi, s(r) = (0.26348 + 1.9650 r - 1.1731 r^2) g_max / 25 uS, r = G_t / g_max.
// Cases keep the clips at 0 and g_max >= 5.8 std away.
TEST(NoiseStatsProgramming, PcmAdditiveStdFollowsThePolynomial) {
  struct Case { double r, level, sigma, g_max; };
  const std::vector<Case> cases = {{0.2, 1.0, 1.0, 25.0}, {0.5, 1.0, 1.0, 25.0}, {0.75, 1.0, 1.0, 25.0},
                                   {0.5, 2.0, 1.0, 25.0}, {0.3, 2.0, 0.5, 50.0}};
  const int64_t n = 200000;
  uint64_t seed = 300;
  for (const auto& cs : cases) {
    MappingConfig m = rram_mapping();
    m.g_max_uS = cs.g_max;
    m.g_min_uS = 0.0;
    ProgrammingNoiseConfig cfg;
    cfg.model = "pcm";
    cfg.sigma = cs.sigma;
    cfg.p_stuck_off = cfg.p_stuck_on = 0.0;
    const double gt = cs.r * cs.g_max;
    const auto target = at::full({n}, gt);
    auto gen = make_gen(++seed);
    const auto gp = program_conductances(target, cfg, m, cs.level, gen);
    const double s = (0.26348 + 1.9650 * cs.r - 1.1731 * cs.r * cs.r) * cs.g_max / 25.0;
    expect_gaussian(gp.to(at::kDouble) - gt, 0.0, s * cs.sigma * cs.level,
                    "pcm G_p - G_t at r = " + std::to_string(cs.r) + ", L = " + std::to_string(cs.level) +
                        ", g_max = " + std::to_string(cs.g_max));
  }
}

// The one-pass programming kernel (Chip::program's path) against its simple version, the chain
// weights_to_cell_levels -> cell_levels_to_conductance -> program_conductances, for the same generator state:
// every model, faults, bit slices and the noise-free case; only exp's float rounding may differ.
TEST(NoiseStatsProgramming, FusedProgrammingEqualsTheReferenceChain) {
  struct Case { const char* name; const char* model; double sigma, p_off, p_on, level; int bits_per_cell; bool enabled; };
  const std::vector<Case> cases = {{"lognormal + faults", "lognormal", 0.1, 0.02, 0.01, 2.0, 7, true},
                                   {"lognormal, 3 slices", "lognormal", 0.1, 0.0, 0.0, 1.0, 3, true},
                                   {"pcm", "pcm", 1.0, 0.01, 0.0, 1.5, 7, true},
                                   {"sigma 0, faults only", "lognormal", 0.0, 0.05, 0.05, 1.0, 7, true},
                                   {"disabled", "lognormal", 0.1, 0.01, 0.01, 1.0, 7, false}};
  auto wgen = make_gen(77);
  const auto w = at::randint(-127, 128, {37, 300}, wgen).to(at::kFloat);  // 300 inputs: two row tiles, padding
  for (const auto& cs : cases) {
    MappingConfig m = rram_mapping();
    m.bits_per_cell = cs.bits_per_cell;
    ProgrammingNoiseConfig cfg;
    cfg.model = cs.model;
    cfg.sigma = cs.sigma;
    cfg.p_stuck_off = cs.p_off;
    cfg.p_stuck_on = cs.p_on;
    cfg.enabled = cs.enabled;
    const auto l = make_layout(m, w.size(1), w.size(0));
    auto g1 = make_gen(78), g2 = make_gen(78);
    const auto ref = program_conductances(cell_levels_to_conductance(weights_to_cell_levels(w, m, l), m), cfg, m,
                                          cs.level, g1);
    const auto fast = program_weights(w, m, l, cfg, cs.level, g2);
    ASSERT_EQ(fast.sizes(), ref.sizes()) << cs.name;
    const double rel = ((fast - ref).abs() / ref.abs().clamp_min(1e-6)).max().item<double>();
    EXPECT_LT(rel, 2e-6) << cs.name;
    EXPECT_EQ(g1.current_seed(), g2.current_seed()) << cs.name;
    EXPECT_TRUE(at::equal(at::randn({4}, g1), at::randn({4}, g2))) << cs.name << ": the generators must stay in step";
  }
  EXPECT_THROW(program_weights(w * 2, rram_mapping(), make_layout(rram_mapping(), 300, 37), ProgrammingNoiseConfig{},
                               1.0, wgen),
               c10::Error);
}

// ---------------------------------------------------------------------------------------------------------
// 2. Read noise
// ---------------------------------------------------------------------------------------------------------

// Through the whole chip (ideal otherwise, ADC off so the result is the analog value), the same input read n
// times. Output k in integer units is Gaussian with
//   mean  = x . w_k (the noiseless product),
//   var_k = sum_j (sigma L V_j)^2 (G+_jk^2 + G-_jk^2) / unit^2,
// V_j = |x_j| / input_max * v_read (each phase drives only its sign's inputs, so the two phases' variances add
// to this), G+- = g_min + level+- g_step, unit = g_step v_read / input_max (uA per integer unit, chip.cpp).
// Bounds: mean kZ sqrt(var_k / n); (n - 1) s_k^2 / var_k ~ chi2(n - 1), |s_k^2 / var_k - 1| <= kZ sqrt(2 / (n - 1));
// the pooled statistic over all outputs, chi2(K (n - 1)), to kZ sqrt(2 / (K (n - 1))); standardised residuals
// Gaussian in shape.
TEST(NoiseStatsRead, ChipOutputVarianceMatchesTheSumOfCellVariances) {
  struct Case { double level; bool reference; };
  for (const Case cs : {Case{1.0, false}, Case{2.5, false}, Case{1.0, true}}) {
    ChipConfig c = ideal_config(preset_config("rram"));
    c.read_noise.enabled = true;
    c.read_noise.model = "relative";
    c.read_noise.sigma = 0.02;
    c.level = cs.level;
    const int64_t inputs = 300, outputs = 12;  // two row tiles of 256
    const auto w = random_ints({outputs, inputs}, 127, 11);
    const auto x = random_ints({1, inputs}, 127, 12);
    auto gen = make_gen(13);
    const auto inst = Chip(c).program(w, gen);
    const int64_t batch = 4000, calls = 10, n = batch * calls;
    const auto xb = x.expand({batch, inputs}).contiguous();
    std::vector<at::Tensor> ys;
    for (int64_t i = 0; i < calls; ++i)
      ys.push_back((cs.reference ? inst.infer_reference(xb, gen) : inst.infer(xb, gen)).to(at::kDouble));
    ASSERT_FALSE(at::equal(ys[0], ys[1])) << "two reads of the same input must see fresh noise";
    const auto y = at::cat(ys);  // [n, outputs]

    const auto& m = c.mapping;
    const auto wd = w.to(at::kDouble), xd = x.to(at::kDouble);
    const auto gpos = wd.clamp_min(0) * m.g_step_uS() + m.g_min_uS;   // [outputs, inputs]
    const auto gneg = (-wd).clamp_min(0) * m.g_step_uS() + m.g_min_uS;
    const auto v = xd.abs() / m.input_max() * c.dac.v_read_V;         // [1, inputs]
    const double s = c.read_noise.sigma * cs.level;
    const double unit = m.g_step_uS() * c.dac.v_read_V / m.input_max();
    const auto var = ((gpos.square() + gneg.square()) * v.square()).sum(1) * (s * s / (unit * unit));  // [outputs]
    const auto ideal = at::matmul(xd, wd.t()).squeeze(0);

    const std::string what = std::string(cs.reference ? "infer_reference" : "infer") + " at L = " +
                             std::to_string(cs.level);
    const auto mean = y.mean(0), svar = y.var(0);
    double pooled = 0;
    for (int64_t k = 0; k < outputs; ++k) {
      const double vk = dbl(var[k]);
      EXPECT_LE(std::abs(dbl(mean[k]) - dbl(ideal[k])), kZ * std::sqrt(vk / n)) << what << ", output " << k;
      const double ratio = dbl(svar[k]) / vk;
      EXPECT_LE(std::abs(ratio - 1.0), kZ * std::sqrt(2.0 / (n - 1))) << what << ", output " << k
                                                                       << ": var ratio " << ratio;
      pooled += ratio;
    }
    pooled /= outputs;
    EXPECT_LE(std::abs(pooled - 1.0), kZ * std::sqrt(2.0 / (outputs * (n - 1.0)))) << what << ": pooled var ratio "
                                                                                     << pooled;
    expect_gaussian((y - ideal) / var.sqrt(), 0.0, 1.0, what + ": standardised output noise");
  }
}

// pcm read noise, per cell: s = sigma L G_now Q_s sqrt(ln((t + t_read) / (2 t_read))),
// Q_s = min(0.0088 / max(r^0.65, 1e-3), 0.2), r = G_prog / g_max; relative: s = sigma L G_now.
TEST(NoiseStatsRead, ReadNoiseStdMatchesTheModelFormulas) {
  MappingConfig m = rram_mapping();
  m.g_max_uS = 25.0;
  m.g_min_uS = 0.0;
  const std::vector<double> gp = {0.0, 0.01, 0.1, 1.0, 5.0, 12.5, 25.0};  // r from 0 (Q_s capped) to 1
  std::vector<double> gn;
  for (double g : gp) gn.push_back(0.9 * g + 0.01);
  const auto g_prog = floats(gp), g_now = floats(gn);
  ReadNoiseConfig pcm;
  pcm.model = "pcm";
  pcm.sigma = 1.0;
  pcm.t_read_s = 250e-9;
  for (double level : {1.0, 2.0})
    for (double t : {1.0, 3600.0, 1e7}) {
      const auto sd = read_noise_std(g_now, g_prog, pcm, m, level, t);
      ASSERT_TRUE(sd.defined());
      for (size_t i = 0; i < gp.size(); ++i) {
        const double r = gp[i] / m.g_max_uS;
        const double q = std::min(0.0088 / std::max(std::pow(r, 0.65), 1e-3), 0.2);
        const double expected =
            pcm.sigma * level * gn[i] * q * std::sqrt(std::log((t + pcm.t_read_s) / (2 * pcm.t_read_s)));
        EXPECT_NEAR(dbl(sd[i]), expected, 1e-5 * expected) << "pcm r = " << r << ", L = " << level << ", t = " << t;
      }
    }
  ReadNoiseConfig rel;
  rel.model = "relative";
  rel.sigma = 0.02;
  for (double level : {1.0, 3.0}) {
    const auto sd = read_noise_std(g_now, g_prog, rel, m, level, 3600.0);
    EXPECT_TRUE(at::allclose(sd, g_now * (0.02 * level), 1e-6, 0)) << "relative at L = " << level;
  }
  rel.enabled = false;
  EXPECT_FALSE(read_noise_std(g_now, g_prog, rel, m, 1.0, 3600.0).defined());
}

// ---------------------------------------------------------------------------------------------------------
// 3. ADC
// ---------------------------------------------------------------------------------------------------------

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
    const auto out = adc_convert(i.view({1, n, 1, 1}), at::Tensor(), floats({fs}), cfg, zero_static(1),
                                 draw_philox_key(gen))
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
  int64_t k0 = 0;            // first code of p
  std::vector<double> p;     // P(code = k0 + i)
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
  struct Case { double adc_sigma, read_var_lsb2, u0; };
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
    if (sigma >= 0.5)
      EXPECT_NEAR(law.var, sigma * sigma + 1.0 / 12.0, 0.008) << what << ": Sheppard approximation";

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

// ---------------------------------------------------------------------------------------------------------
// 4. DAC
// ---------------------------------------------------------------------------------------------------------

DacConfig quiet_dac(int bits) {
  DacConfig d;
  d.enabled = true;
  d.bits = bits;
  d.noise_sigma = 0.0;
  d.inl_lsb = 0.0;
  return d;
}

// Exact (v = u / u_max) when the DAC has at least u_max levels.
TEST(NoiseStatsDac, ExactWhenTheDacHasEnoughLevels) {
  for (int64_t u_max : {int64_t{127}, int64_t{3}})
    for (int bits : {7, 8, 12}) {
      const int b = u_max == 3 ? bits - 5 : bits;  // 2..7 bits for u_max = 3
      const auto u = at::arange(0, u_max + 1, at::kFloat).view({1, u_max + 1});
      auto gen = make_gen(50);
      const auto v = dac_convert(u, u_max, quiet_dac(b), at::zeros({u_max + 1}), draw_philox_key(gen));
      EXPECT_LT(dbl((v - u / static_cast<double>(u_max)).abs().max()), 1e-7) << b << " bits, u_max " << u_max;
    }
}

// With fewer levels than codes, dac.cpp keeps the top `bits` bits: levels at multiples of
// step = 2^(ceil(log2(u_max + 1)) - bits) codes, 2^bits of them (0 .. 2^bits - 1 steps); codes below the top
// level's upper half-step are within half a step of their level.
TEST(NoiseStatsDac, FewerBitsQuantiseToTheDacLevels) {
  // With 2^bits - 1 < u_max the DAC rounds u / u_max to the nearest level k / (2^bits - 1): every level is
  // used and the voltages lie on that grid.
  const int64_t u_max = 127;
  for (int bits : {3, 4, 5, 6}) {
    const double levels = std::ldexp(1.0, bits) - 1;
    const auto u = at::arange(0, u_max + 1, at::kFloat).view({1, u_max + 1});
    auto gen = make_gen(51);
    const auto v = dac_convert(u, u_max, quiet_dac(bits), at::zeros({u_max + 1}), draw_philox_key(gen))
                       .flatten()
                       .to(at::kDouble);
    const auto level = v * levels;
    EXPECT_LT(dbl((level - level.round()).abs().max()), 1e-4) << bits << " bits: off the level grid";
    EXPECT_EQ(std::get<0>(at::_unique(level.round())).numel(), int64_t{1} << bits) << bits << " bits";
  }
}

// The levels span the full scale (code u_max gives v_read) and no code is more than half a level away.
TEST(NoiseStatsDac, FewerBitsLevelsSpanTheFullScale) {
  const int64_t u_max = 127;
  for (int bits : {3, 4, 5, 6}) {
    const double levels = std::ldexp(1.0, bits) - 1;
    const auto u = at::arange(0, u_max + 1, at::kFloat).view({1, u_max + 1});
    auto gen = make_gen(52);
    const auto v = dac_convert(u, u_max, quiet_dac(bits), at::zeros({u_max + 1}), draw_philox_key(gen))
                       .flatten()
                       .to(at::kDouble);
    EXPECT_NEAR(dbl(v[u_max]), 1.0, 1e-6) << bits << " bits: the full-scale code must give v_read";
    const double err = dbl((v - u.flatten().to(at::kDouble) / u_max).abs().max());
    EXPECT_LE(err, 0.5 / levels + 1e-6) << bits << " bits: error " << err * levels << " steps";
  }
}

// Voltage noise: v - u / u_max ~ N(0, noise_sigma^2) (fraction of full scale), fresh per element.
TEST(NoiseStatsDac, NoiseStdIsNoiseSigmaOfFullScale) {
  for (double sigma : {0.002, 0.01}) {
    DacConfig d = quiet_dac(8);
    d.noise_sigma = sigma;
    const auto u = at::full({1000, 1000}, 64.0f);
    auto gen = make_gen(53);
    const auto v = dac_convert(u, 127, d, at::zeros({1000}), draw_philox_key(gen));
    expect_gaussian(v.to(at::kDouble) - 64.0 / 127.0, 0.0, sigma, "DAC noise " + std::to_string(sigma));
  }
}

// INL amplitudes per DAC ~ N(0, inl_lsb^2); the INL adds inl 4 v (1 - v) LSB (LSB = 1 / (2^bits - 1)):
// zero at v = 0 and v = 1, +inl LSB at v = 1/2.
TEST(NoiseStatsDac, InlSpreadAndBowShape) {
  DacConfig d = quiet_dac(8);
  d.inl_lsb = 0.25;
  auto gen = make_gen(54);
  expect_gaussian(sample_dac_inl(d, 200000, gen), 0.0, 0.25, "DAC INL amplitudes");
  d.enabled = false;
  EXPECT_EQ(dbl(sample_dac_inl(d, 100, gen).abs().max()), 0.0);

  d = quiet_dac(8);
  d.inl_lsb = 0.25;
  const auto inl = floats({3.0, -2.0});
  const auto u = at::cat({at::arange(0, 128, at::kFloat), floats({63.5})}).view({-1, 1}).expand({-1, 2}).contiguous();
  const auto v = dac_convert(u, 127, d, inl, draw_philox_key(gen)).to(at::kDouble);
  const auto v0 = u.to(at::kDouble) / 127.0;
  const double lsb = 1.0 / 255.0;
  const auto expected = v0 + inl.to(at::kDouble) * (4.0 * lsb) * v0 * (1 - v0);
  EXPECT_LT(dbl((v - expected).abs().max()), 1e-6);
  EXPECT_EQ(dbl(v[0][0]), 0.0);
  EXPECT_NEAR(dbl(v[127][0]), 1.0, 1e-7);
  EXPECT_NEAR(dbl(v[127][1]), 1.0, 1e-7);
  EXPECT_NEAR(dbl(v[128][0]) - 0.5, 3.0 * lsb, 1e-6) << "peak at v = 1/2 must be inl LSB";
  EXPECT_NEAR(dbl(v[128][1]) - 0.5, -2.0 * lsb, 1e-6);
}

// ---------------------------------------------------------------------------------------------------------
// 5. Drift
// ---------------------------------------------------------------------------------------------------------

// power_law: nu ~ N(nu_mean, (nu_std L)^2) per cell.
TEST(NoiseStatsDrift, PowerLawExponentsHaveMeanNuAndStdNuTimesLevel) {
  const auto m = rram_mapping();
  DriftConfig d;
  d.model = "power_law";
  d.nu_mean = 0.02;
  d.nu_std = 0.005;
  const auto g = at::cat({at::full({100000}, 1.0), at::full({100000}, 40.0)});
  for (double level : {1.0, 3.0}) {
    auto gen = make_gen(60 + static_cast<uint64_t>(level));
    expect_gaussian(sample_drift_exponents(g, d, m, level, gen), 0.02, 0.005 * level,
                    "power-law nu at L = " + std::to_string(level));
  }
  d.enabled = false;
  auto gen = make_gen(63);
  EXPECT_FALSE(sample_drift_exponents(g, d, m, 1.0, gen).defined());
}

// pcm: nu ~ N(mu(r), (sd(r) L)^2), mu = clamp(-0.0155 ln r + 0.0244, 0.049, 0.1),
// sd = clamp(-0.0125 ln r - 0.0059, 0.008, 0.045). r = 0.001 hits both upper clamps (0.131 -> 0.1,
// 0.080 -> 0.045), r = 0.05 neither (0.0708, 0.0316), r = 0.5 both lower clamps (0.035 -> 0.049,
// 0.0028 -> 0.008).
TEST(NoiseStatsDrift, PcmExponentsFollowTheClampedFormulas) {
  MappingConfig m = rram_mapping();
  m.g_max_uS = 25.0;
  m.g_min_uS = 0.0;
  DriftConfig d;
  d.model = "pcm";
  uint64_t seed = 64;
  for (double r : {0.001, 0.05, 0.5})
    for (double level : {1.0, 2.0}) {
      const double lr = std::log(r);
      const double mu = std::clamp(-0.0155 * lr + 0.0244, 0.049, 0.1);
      const double sd = std::clamp(-0.0125 * lr - 0.0059, 0.008, 0.045);
      auto gen = make_gen(++seed);
      const auto nu = sample_drift_exponents(at::full({100000}, r * m.g_max_uS), d, m, level, gen);
      expect_gaussian(nu, mu, sd * level, "pcm nu at r = " + std::to_string(r) + ", L = " + std::to_string(level));
    }
}

// G(t) = G_p (t / t0)^-nu for t >= t0, G_p before t0.
// The one-pass drift + temperature of Chip::set_conditions against drifted_conductances x gain with per-cell
// maps of the per-tile time and gain (several tiles, before and after t0, drift off).
TEST(NoiseStatsDrift, PerTilePassEqualsTheCellMaps) {
  MappingConfig m = rram_mapping();
  m.tile_rows = 32;
  m.tile_cols = 20;
  const auto l = make_layout(m, 70, 23);  // 3 x 3 tiles, padding rows, a partly used column tile
  auto gen = make_gen(91);
  const auto g = at::rand({l.slices, 2, l.padded_rows(), l.outputs}, gen) * 50;
  DriftConfig d;
  const auto nu = sample_drift_exponents(g, d, m, 2.0, gen);
  const auto gain = at::rand({l.row_tiles, l.col_tiles}, gen) * 0.2 + 0.9;
  for (double t : {5.0, 3600.0, 1e7}) {  // 5 s < t0: no drift yet
    const auto t_eff = (at::rand({l.row_tiles, l.col_tiles}, gen) + 0.5) * t;
    for (bool enabled : {true, false}) {
      d.enabled = enabled;
      const auto ref =
          drifted_conductances(g, nu, tile_values_to_cells(t_eff, l), d, m) * tile_values_to_cells(gain, l);
      const auto fast = drifted_conductances_per_tile(g, nu, t_eff, gain, d, l);
      EXPECT_LT(((fast - ref).abs() / ref.abs().clamp_min(1e-3)).max().item<double>(), 2e-6)
          << "t = " << t << (enabled ? "" : ", drift off");
    }
  }
}

TEST(NoiseStatsDrift, DriftedConductancesFollowThePowerLawAfterT0) {
  const auto m = rram_mapping();
  DriftConfig d;
  d.t0_s = 20.0;
  d.relaxation_tau_s = 0.0;
  const std::vector<double> g = {1.0, 10.0, 40.0}, nu = {0.02, 0.05, -0.01};
  const std::vector<double> times = {0.0, 1.0, 19.9, 20.0, 100.0, 3600.0, 3.15e7};
  const auto out = drifted_conductances(floats(g), floats(nu), floats(times).view({-1, 1}), d, m);
  ASSERT_EQ(out.sizes(), at::IntArrayRef({7, 3}));
  for (size_t ti = 0; ti < times.size(); ++ti)
    for (size_t i = 0; i < g.size(); ++i) {
      const double expected = g[i] * std::pow(std::max(times[ti] / d.t0_s, 1.0), -nu[i]);
      EXPECT_NEAR(dbl(out[ti][i]), expected, 2e-6 * expected) << "t = " << times[ti] << ", nu = " << nu[i];
    }
  d.enabled = false;
  EXPECT_TRUE(at::equal(drifted_conductances(floats(g), floats(nu), floats({1e6}), d, m), floats(g)));
}

// Relaxation after the drift: G = G_rest + (G_drift - G_rest) exp(-(t / tau)^beta),
// G_rest = g_min + rest_fraction (g_max - g_min).
TEST(NoiseStatsDrift, RelaxationFollowsTheStretchedExponential) {
  const auto m = rram_mapping();
  DriftConfig d;
  d.t0_s = 20.0;
  d.relaxation_tau_s = 1000.0;
  d.relaxation_beta = 0.5;
  d.relaxation_rest_fraction = 0.3;
  const double g_rest = m.g_min_uS + 0.3 * (m.g_max_uS - m.g_min_uS);
  const std::vector<double> g = {0.5, 10.0, 50.0}, nu = {0.03, 0.0, 0.06};
  const std::vector<double> times = {0.0, 10.0, 100.0, 1000.0, 1e5};
  const auto out = drifted_conductances(floats(g), floats(nu), floats(times).view({-1, 1}), d, m);
  for (size_t ti = 0; ti < times.size(); ++ti)
    for (size_t i = 0; i < g.size(); ++i) {
      const double t = times[ti];
      const double gd = g[i] * std::pow(std::max(t / d.t0_s, 1.0), -nu[i]);
      const double expected = g_rest + (gd - g_rest) * std::exp(-std::pow(t / d.relaxation_tau_s, 0.5));
      EXPECT_NEAR(dbl(out[ti][i]), expected, 2e-6 * std::abs(expected) + 1e-6) << "t = " << t << ", g = " << g[i];
    }
}

// Through the chip, drift only, no compensation, all weights 127 (G+ = g_max, G- = g_min) and inputs 127:
// the result over all N cells per sign is ideal x mean of (G+ f+ - G- f-) / (G+ - G-), f = (t/t0)^-nu lognormal
// with log-mean -mu a and log-std s = sigma L a, a = ln(t / t0):
//   E[f] = exp(-mu a + s^2 / 2),  relative SE = sqrt((exp(s^2) - 1) (G+^2 + G-^2) / N) / (G+ - G-).
// (mu 0.05, sigma 0.02, L 2, t 1e7 s: the s^2/2 term is +14%, 60 SE.) With compensation the uniform-weight chip
// is restored exactly (the reference read sees the same factor), to float rounding.
TEST(NoiseStatsDrift, ChipOutputsShrinkByTheLognormalMeanAndCompensationRestoresThem) {
  ChipConfig c = ideal_config(preset_config("rram"));
  c.drift.enabled = true;
  c.drift.model = "power_law";
  c.drift.nu_mean = 0.05;
  c.drift.nu_std = 0.02;
  c.drift.t0_s = 20.0;
  c.drift.relaxation_tau_s = 0.0;
  c.drift.compensation = false;
  c.level = 2.0;
  ReadConditions rc;
  rc.time_s = 1e7;
  const int64_t inputs = 512, outputs = 256;
  const auto w = at::full({outputs, inputs}, 127.0f);
  const auto x = at::full({1, inputs}, 127.0f);
  const double ideal = 127.0 * 127.0 * inputs;
  const auto& m = c.mapping;
  const double gp = m.g_max_uS, gn = m.g_min_uS, a = std::log(rc.time_s / c.drift.t0_s);
  const double s = c.drift.nu_std * c.level * a;
  const double mean_factor = std::exp(-c.drift.nu_mean * a + s * s / 2);
  const double n_cells = static_cast<double>(inputs * outputs);
  const double rel_se = std::sqrt((std::exp(s * s) - 1) * (gp * gp + gn * gn) / n_cells) / (gp - gn);

  auto gen = make_gen(70);
  const auto inst = Chip(c).program(w, gen, rc);
  EXPECT_EQ(inst.drift_compensation(), 1.0);
  const auto y = inst.infer(x, gen).to(at::kDouble);
  const double ratio = dbl(y.mean()) / ideal;
  EXPECT_LE(std::abs(ratio / mean_factor - 1), kZ * rel_se)
      << "mean output factor " << ratio << " vs E[(t/t0)^-nu] = " << mean_factor << " (exp(-mu a) = "
      << std::exp(-c.drift.nu_mean * a) << ")";
  // Given the sampled exponents, the chip's outputs are exactly the drifted sums.
  const auto nu = inst.drift_exponents().to(at::kDouble);  // [1, 2, rows, outputs]
  const auto f = at::pow(rc.time_s / c.drift.t0_s, -nu);
  const auto per_output = (f[0][0] * gp - f[0][1] * gn).sum(0) / ((gp - gn) * inputs) * ideal;
  EXPECT_LT(dbl(((y.squeeze(0) - per_output) / per_output).abs().max()), 1e-5);

  c.drift.compensation = true;
  auto gen2 = make_gen(70);
  const auto comp = Chip(c).program(w, gen2, rc);
  const auto yc = comp.infer(x, gen2).to(at::kDouble);
  EXPECT_NEAR(dbl(yc.mean()) / ideal, 1.0, 1e-5) << "compensation must restore the uniform chip's scale";
}

// Random weights and signed inputs, the rram drift (nu ~ N(0.02, 0.005), t = 1 h, L = 1): without compensation
// the least-squares scale of outputs on the ideal product is E[f] = exp(-mu a + s^2/2) = 0.901; with it, 1.
// The per-cell spread sd(f)/E[f] = 2.6% enters the compensation ratio and the fit through sums over
// 65536 cells per sign with cancelling signs, ~0.2% each; tolerance 1% (about 5 of those errors).
TEST(NoiseStatsDrift, CompensationRestoresTheMeanScaleForRandomWeights) {
  ChipConfig c = ideal_config(preset_config("rram"));
  c.drift = preset_config("rram").drift;
  c.drift.relaxation_tau_s = 0.0;
  ReadConditions rc;
  rc.time_s = 3600.0;
  const int64_t inputs = 256, outputs = 256;
  const auto w = random_ints({outputs, inputs}, 127, 71);
  const auto x = random_ints({64, inputs}, 127, 72);
  const auto ideal = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
  const double a = std::log(rc.time_s / c.drift.t0_s), s = c.drift.nu_std * c.level * a;
  const double mean_factor = std::exp(-c.drift.nu_mean * a + s * s / 2);
  for (bool compensation : {false, true}) {
    c.drift.compensation = compensation;
    auto gen = make_gen(73);
    const auto inst = Chip(c).program(w, gen, rc);
    const auto y = inst.infer(x, gen).to(at::kDouble);
    const double slope = dbl((y * ideal).sum() / ideal.square().sum());
    EXPECT_NEAR(slope, compensation ? 1.0 : mean_factor, 0.01) << "compensation " << compensation;
  }
}

// ---------------------------------------------------------------------------------------------------------
// 6. Thermal
// ---------------------------------------------------------------------------------------------------------

TEST(NoiseStatsThermal, TileOffsetsHaveStdSigmaTimesLevel) {
  ThermalConfig t;
  t.sigma_K = 5.0;
  for (double level : {1.0, 3.0}) {
    auto gen = make_gen(80 + static_cast<uint64_t>(level));
    const auto dT = sample_tile_temperature_offsets(t, 400, 250, level, gen);
    ASSERT_EQ(dT.sizes(), at::IntArrayRef({400, 250}));
    expect_gaussian(dT, 0.0, 5.0 * level, "tile dT at L = " + std::to_string(level));
  }
}

// G factor = 1 + tcr (T - t_ref); time factor = exp(Ea / k_B (1 / t_ref - 1 / T)), k_B = 8.617333262e-5 eV/K.
TEST(NoiseStatsThermal, ConductanceAndArrheniusFactorsMatchTheirFormulas) {
  ThermalConfig t;
  t.tcr_per_K = 0.002;
  t.t_ref_K = 300.0;
  t.activation_energy_eV = 1.0;
  const std::vector<double> temps = {250.0, 290.0, 300.0, 310.0, 350.0};
  const auto T = floats(temps);
  const auto g = thermal_conductance_factor(T, t), a = arrhenius_time_factor(T, t);
  for (size_t i = 0; i < temps.size(); ++i) {
    EXPECT_NEAR(dbl(g[i]), 1 + 0.002 * (temps[i] - 300.0), 1e-6) << temps[i];
    const double arr = std::exp(1.0 / kBoltzmann_eV_per_K * (1.0 / 300.0 - 1.0 / temps[i]));
    EXPECT_NEAR(dbl(a[i]), arr, 2e-5 * arr) << temps[i];
  }
  t.activation_energy_eV = 0.0;
  EXPECT_TRUE(at::equal(arrhenius_time_factor(T, t), at::ones_like(T)));
  t.enabled = false;
  EXPECT_TRUE(at::equal(thermal_conductance_factor(T, t), at::ones_like(T)));
  EXPECT_TRUE(at::equal(arrhenius_time_factor(T, t), at::ones_like(T)));
}

// Thermal only, sigma_K = 0, ambient t_ref + 10 K: every output is exactly (1 + 10 tcr) x the product.
TEST(NoiseStatsThermal, ChipTenKelvinAboveReferenceScalesOutputsByOnePlusTenTcr) {
  ChipConfig c = ideal_config(preset_config("rram"));
  c.thermal.enabled = true;
  c.thermal.sigma_K = 0.0;
  ReadConditions rc;
  rc.temperature_K = c.thermal.t_ref_K + 10.0;
  const auto w = random_ints({40, 300}, 127, 81);
  const auto x = random_ints({16, 300}, 127, 82);
  const auto ideal = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
  for (double level : {1.0, 3.0}) {
    c.level = level;
    auto gen = make_gen(83);
    const auto y = Chip(c).program(w, gen, rc).infer(x, gen).to(at::kDouble);
    const auto expected = ideal * (1 + 10 * c.thermal.tcr_per_K);
    EXPECT_LT(dbl((y - expected).norm() / expected.norm()), 1e-6) << "L = " << level;
  }
}

// Each tile scales its own partial sum by 1 + tcr (T_amb + dT_tile - t_ref).
TEST(NoiseStatsThermal, ChipAppliesEachTilesOwnTemperature) {
  ChipConfig c = ideal_config(preset_config("rram"));
  c.mapping.tile_rows = 32;
  c.mapping.tile_cols = 32;  // 16 outputs per tile
  c.thermal.enabled = true;
  c.thermal.sigma_K = 5.0;
  c.level = 2.0;
  ReadConditions rc;
  rc.temperature_K = 305.0;
  const int64_t inputs = 96, outputs = 32;
  const auto w = random_ints({outputs, inputs}, 127, 84).to(at::kDouble);
  const auto x = random_ints({8, inputs}, 127, 85).to(at::kDouble);
  auto gen = make_gen(86);
  const auto inst = Chip(c).program(w, gen, rc);
  const auto dT = inst.tile_temperature_offsets().to(at::kDouble);
  ASSERT_EQ(dT.sizes(), at::IntArrayRef({3, 2}));
  EXPECT_GT(dbl(dT.abs().min()), 0.0);
  const auto y = inst.infer(x, gen).to(at::kDouble);
  auto expected = at::zeros({8, outputs}, at::kDouble);
  for (int64_t rt = 0; rt < 3; ++rt) {
    const auto part = at::matmul(x.narrow(1, rt * 32, 32), w.narrow(1, rt * 32, 32).t());  // [8, outputs]
    const auto gain = (dT[rt].repeat_interleave(16) + (rc.temperature_K - c.thermal.t_ref_K)) * c.thermal.tcr_per_K + 1;
    expected += part * gain;
  }
  EXPECT_LT(dbl((y - expected).norm() / expected.norm()), 1e-6);
}

// Thermal (tcr = 0, sigma_K = 0) + drift with a fixed exponent: at T the drift sees time t x Arrhenius factor,
// so every output is exactly (t A(T) / t0)^-nu x the product.
TEST(NoiseStatsThermal, ChipArrheniusFactorStretchesTheDriftTime) {
  ChipConfig c = ideal_config(preset_config("rram"));
  c.thermal.enabled = true;
  c.thermal.sigma_K = 0.0;
  c.thermal.tcr_per_K = 0.0;
  c.thermal.activation_energy_eV = 1.0;
  c.drift.enabled = true;
  c.drift.model = "power_law";
  c.drift.nu_mean = 0.05;
  c.drift.nu_std = 0.0;
  c.drift.relaxation_tau_s = 0.0;
  c.drift.compensation = false;
  ReadConditions rc;
  rc.time_s = 3600.0;
  rc.temperature_K = 320.0;
  const auto w = random_ints({20, 100}, 127, 87);
  const auto x = random_ints({4, 100}, 127, 88);
  const auto ideal = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
  auto gen = make_gen(89);
  const auto y = Chip(c).program(w, gen, rc).infer(x, gen).to(at::kDouble);
  const double A = std::exp(1.0 / kBoltzmann_eV_per_K * (1.0 / 300.0 - 1.0 / 320.0));
  const double factor = std::pow(rc.time_s * A / c.drift.t0_s, -0.05);
  EXPECT_LT(dbl((y - ideal * factor).norm() / (ideal * factor).norm()), 1e-5) << "expected factor " << factor;
}

// ---------------------------------------------------------------------------------------------------------
// 7. Noise level
// ---------------------------------------------------------------------------------------------------------

// One chip instance per level with programming (lognormal, no faults), thermal and drift on; 2 x 2-cell tiles
// so that there are 45000 tiles. Measured from the instance: std ln(G_p/G_t) = 0.1 L, std nu = 0.005 L,
// std dT = 5 L (kZ-SE bounds); at L = 0 all three are exactly zero. Read noise std is linear in L exactly.
TEST(NoiseStatsLevel, StochasticStdsScaleLinearlyWithLevel) {
  ChipConfig c = ideal_config(preset_config("rram"));
  c.mapping.tile_rows = 2;
  c.mapping.tile_cols = 2;
  c.programming_noise = lognormal_without_faults();
  c.programming_noise.enabled = true;
  c.thermal.enabled = true;
  c.thermal.sigma_K = 5.0;
  c.drift.enabled = true;
  c.drift.model = "power_law";
  c.drift.relaxation_tau_s = 0.0;
  const int64_t inputs = 300, outputs = 300;
  const auto w = random_ints({outputs, inputs}, 60, 90);  // |w| <= 60: the clip at g_max is 8 std away at L = 3
  const auto& m = c.mapping;
  const auto wt = w.t().to(at::kDouble);
  const auto target = at::stack({wt.clamp_min(0), (-wt).clamp_min(0)}) * m.g_step_uS() + m.g_min_uS;  // [2, in, out]
  for (double level : {0.0, 0.5, 1.0, 2.0, 3.0}) {
    c.level = level;
    auto gen = make_gen(91);
    const auto inst = Chip(c).program(w, gen);
    const auto lr = (inst.programmed_conductances()[0].to(at::kDouble) / target).log();
    const auto nu = inst.drift_exponents();
    const auto dT = inst.tile_temperature_offsets();
    ASSERT_EQ(dT.numel(), 150 * 300);
    const std::string at_level = " at L = " + std::to_string(level);
    if (level == 0) {
      EXPECT_LT(dbl(lr.abs().max()), 1e-6) << "programming" << at_level;  // float rounding of the targets only
      EXPECT_LT(dbl((nu - c.drift.nu_mean).abs().max()), 1e-8) << "drift" << at_level;
      EXPECT_EQ(dbl(dT.abs().max()), 0.0) << "thermal" << at_level;
      continue;
    }
    expect_gaussian_std(lr, c.programming_noise.sigma * level, "programming ln ratio" + at_level);
    expect_gaussian_std(nu, c.drift.nu_std * level, "drift exponent" + at_level);
    expect_gaussian_std(dT, c.thermal.sigma_K * level, "tile dT" + at_level);
  }
  const auto g = floats({0.5, 5.0, 25.0});
  ReadNoiseConfig rel;
  ReadNoiseConfig pcm;
  pcm.model = "pcm";
  pcm.sigma = 1.0;
  const auto rel1 = read_noise_std(g, g, rel, m, 1.0, 3600.0), pcm1 = read_noise_std(g, g, pcm, m, 1.0, 3600.0);
  for (double level : {0.5, 2.0, 3.0}) {
    EXPECT_TRUE(at::allclose(read_noise_std(g, g, rel, m, level, 3600.0), rel1 * level, 1e-6, 0)) << level;
    EXPECT_TRUE(at::allclose(read_noise_std(g, g, pcm, m, level, 3600.0), pcm1 * level, 1e-6, 0)) << level;
  }
}

// DAC and ADC (resolution, their noise and static errors), the I-V non-linearity and IR drop do not depend on
// the level: with the same seeds the chip returns bit-identical results at L = 1 and L = 3 (and each effect is
// really on: the result differs from the integer product).
TEST(NoiseStatsLevel, DeterministicEffectsDoNotChangeWithLevel) {
  const auto w = random_ints({24, 300}, 127, 92);
  const auto x = random_ints({8, 300}, 127, 93);
  const auto ideal = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
  for (const std::string name : {"dac", "adc", "device_nonlinearity", "ir_drop"}) {
    ChipConfig c = only_nonideality(preset_config("rram"), name);
    std::vector<at::Tensor> ys;
    for (double level : {1.0, 3.0}) {
      c.level = level;
      auto gen = make_gen(94);
      ys.push_back(Chip(c).program(w, gen).infer(x, gen));
    }
    EXPECT_TRUE(at::equal(ys[0], ys[1])) << name << " changed with the level";
    EXPECT_GT(dbl((ys[0].to(at::kDouble) - ideal).abs().max()), 0.5) << name << " had no effect";
  }
}

// ---------------------------------------------------------------------------------------------------------
// 8. Device non-linearity
// ---------------------------------------------------------------------------------------------------------

// f(v) = (1 - alpha) v + alpha sinh(k v) / sinh(k): f(0) = 0, f(1) = 1, f(-v) = -f(v), f(v) < v on (0, 1).
TEST(NoiseStatsNonlinearity, IvCurveMatchesTheFormulaIsExactAtTheEndsAndOdd) {
  const auto half = at::linspace(0.0, 1.0, 1001, at::kFloat);
  const auto v = at::cat({-half.flip(0), half.narrow(0, 1, 1000)});  // exactly symmetric, v[1000] = 0
  const auto vd = v.to(at::kDouble);
  for (const auto& [alpha, k] : std::vector<std::pair<double, double>>{{0.1, 2.0}, {0.3, 5.0}, {1.0, 0.5}}) {
    DeviceNonlinearityConfig d;
    d.alpha = alpha;
    d.k = k;
    const auto f = apply_iv_nonlinearity(v, d).to(at::kDouble);
    const auto expected = vd * (1 - alpha) + at::sinh(vd * k) * (alpha / std::sinh(k));
    const std::string what = "alpha " + std::to_string(alpha) + ", k " + std::to_string(k);
    EXPECT_LT(dbl((f - expected).abs().max()), 2e-6) << what;
    const auto ends = apply_iv_nonlinearity(floats({0.0, 1.0, -1.0}), d);
    EXPECT_EQ(dbl(ends[0]), 0.0) << what;
    EXPECT_NEAR(dbl(ends[1]), 1.0, 1e-6) << what;
    EXPECT_NEAR(dbl(ends[2]), -1.0, 1e-6) << what;
    EXPECT_EQ(dbl((f + f.flip(0)).abs().max()), 0.0) << what << ": not odd";
    const auto inner = f.narrow(0, 1001, 999) - vd.narrow(0, 1001, 999);
    EXPECT_LT(dbl(inner.max()), 0.0) << what << ": must be below linear on (0, 1)";
  }
  DeviceNonlinearityConfig d;
  d.alpha = 0.0;
  EXPECT_TRUE(at::equal(apply_iv_nonlinearity(v, d), v));
  d.alpha = 0.1;
  d.enabled = false;
  EXPECT_TRUE(at::equal(apply_iv_nonlinearity(v, d), v));
  d.enabled = true;
  d.saturation_uA = 20.0;
  const auto i = floats({-100.0, -5.0, 0.0, 5.0, 100.0});
  EXPECT_TRUE(at::allclose(apply_current_saturation(i, d), at::tanh(i / 20.0) * 20.0, 1e-6, 1e-6));
}

// Through the chip (fused kernels), non-linearity only, all inputs equal to a: y = product x f(a/127) / (a/127).
TEST(NoiseStatsNonlinearity, ChipAppliesTheIvCurveToTheWordLineVoltage) {
  ChipConfig c = only_nonideality(preset_config("rram"), "device_nonlinearity");
  const auto w = random_ints({16, 200}, 127, 95);
  const auto& d = c.device_nonlinearity;
  auto gen = make_gen(96);
  const auto inst = Chip(c).program(w, gen);
  for (double a : {127.0, 64.0, 13.0}) {
    const auto x = at::full({1, 200}, static_cast<float>(a));
    const auto y = inst.infer(x, gen).to(at::kDouble);
    const double vn = a / 127.0;
    const double f = (1 - d.alpha) * vn + d.alpha * std::sinh(d.k * vn) / std::sinh(d.k);
    const auto expected = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t()) * (f / vn);
    EXPECT_LT(dbl((y - expected).norm() / expected.norm()), 1e-5) << "a = " << a;
  }
}

}  // namespace
