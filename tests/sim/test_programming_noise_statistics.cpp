// Programming noise (sim/programming_noise): the lognormal and pcm write-error laws, stuck-at fault fractions,
// and the one-pass programming kernel against the reference chain.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "noise_statistics_support.h"
#include "sim/mapping.h"
#include "sim/programming_noise.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

// Binomial count k of n trials with probability p: |k - n p| <= kZ sqrt(n p (1 - p)).
void expect_binomial(int64_t k, int64_t n, double p, const std::string& what) {
  const double sd = std::sqrt(n * p * (1 - p));
  EXPECT_LE(std::abs(k - n * p), kZ * sd) << what << ": " << k << " of " << n << ", expected p = " << p;
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

// One case of an additive (G-dependent) programming-noise model: G/g_max, level, sigma, g_max (uS).
struct AdditiveCase {
  double r, level, sigma, g_max;
};

// n cells of target r g_max programmed by `model` (no stuck cells), their conductances in uS.
at::Tensor program_additive_case(ProgrammingNoiseModel model, const AdditiveCase& cs, double g_min_uS, int64_t n,
                                 uint64_t seed) {
  MappingConfig m = rram_mapping();
  m.g_max_uS = cs.g_max;
  m.g_min_uS = g_min_uS;
  ProgrammingNoiseConfig cfg;
  cfg.model = model;
  cfg.sigma = cs.sigma;
  cfg.p_stuck_off = cfg.p_stuck_on = 0.0;
  auto gen = make_gen(seed);
  return program_conductances(at::full({n}, cs.r * cs.g_max), cfg, m, cs.level, gen);
}

std::string describe(const std::string& model, const AdditiveCase& cs) {
  return model + " G_p - G_t at r = " + std::to_string(cs.r) + ", L = " + std::to_string(cs.level) +
         ", g_max = " + std::to_string(cs.g_max);
}

// pcm: G_p - G_t = sigma L s(r) xi, s(r) = (0.26348 + 1.9650 r - 1.1731 r^2) g_max / 25 uS, r = G_t / g_max.
// Cases keep the clips at 0 and g_max >= 5.8 std away.
TEST(NoiseStatsProgramming, PcmAdditiveStdFollowsThePolynomial) {
  const std::vector<AdditiveCase> cases = {{0.2, 1.0, 1.0, 25.0},
                                           {0.5, 1.0, 1.0, 25.0},
                                           {0.75, 1.0, 1.0, 25.0},
                                           {0.5, 2.0, 1.0, 25.0},
                                           {0.3, 2.0, 0.5, 50.0}};
  uint64_t seed = 300;
  for (const auto& cs : cases) {
    const auto gp = program_additive_case(ProgrammingNoiseModel::kPcm, cs, 0.0, 200000, ++seed);
    const double s = (0.26348 + 1.9650 * cs.r - 1.1731 * cs.r * cs.r) * cs.g_max / 25.0;
    expect_gaussian(gp.to(at::kDouble) - cs.r * cs.g_max, 0.0, s * cs.sigma * cs.level, describe("pcm", cs));
  }
}

// wan2022: G_p - G_t = sigma L s(r) xi with NeuRRAM's 1-second fit (aihwkit reram.py ReRamWan2022NoiseModel,
// coeff_dic[1.0], in uS at g_max 40 uS): the polynomial written out here, independently of the library's table,
// and its values at the points the fit was read at (docs/rram-sources.md: 0.35 uS at 0, 2.02 at 20, 1.10 at
// 40 uS). Near g_min the clip at 0 cuts the Gaussian: that case tests the clip instead (the fraction of cells at
// exactly 0 against the normal CDF).
TEST(NoiseStatsProgramming, Wan2022AdditiveStdFollowsNeurramsFit) {
  const auto s40 = [](double r) { return 0.348 + 16.030 * r - 43.853 * r * r + 45.393 * r * r * r - 16.815 * r * r * r * r; };
  EXPECT_NEAR(s40(0.0), 0.348, 1e-12);
  EXPECT_NEAR(s40(0.5), 2.022, 1e-3);
  EXPECT_NEAR(s40(1.0), 1.103, 1e-3);
  const auto& poly = additive_noise_polynomial(ProgrammingNoiseModel::kWan2022);
  const std::vector<AdditiveCase> cases = {{0.25, 1.0, 1.0, 40.0}, {0.5, 1.0, 1.0, 40.0}, {0.75, 1.0, 1.0, 40.0},
                                           {1.0, 1.0, 1.0, 40.0},  {0.5, 2.0, 1.0, 40.0}, {0.5, 1.0, 0.5, 80.0}};
  uint64_t seed = 400;
  for (const auto& cs : cases) {
    const double gt = cs.r * cs.g_max;
    const double s = s40(cs.r) * cs.g_max / 40.0;
    EXPECT_NEAR(poly.std_uS(gt, cs.g_max), s, 1e-9);
    const auto gp = program_additive_case(ProgrammingNoiseModel::kWan2022, cs, 1.0, 200000, ++seed);
    expect_gaussian(gp.to(at::kDouble) - gt, 0.0, s * cs.sigma * cs.level, describe("wan2022", cs));
    EXPECT_GT(gp.max().item<double>(), cs.g_max * std::min(1.0, cs.r + 0.01)) << "no clip at g_max (aihwkit clips at 0 only)";
  }
  // At the window's bottom (1 uS, s = 0.72 uS) about 8% of the cells would go negative: they are clipped to 0.
  const int64_t n = 200000;
  const auto gp = program_additive_case(ProgrammingNoiseModel::kWan2022, {1.0 / 40.0, 1.0, 1.0, 40.0},
                                        rram_mapping().g_min_uS, n, 499);
  EXPECT_EQ(gp.min().item<double>(), 0.0);
  const double at_zero = (gp == 0).to(at::kDouble).mean().item<double>();
  const double expected = 0.5 * std::erfc(1.0 / (poly.std_uS(1.0, 40.0) * std::sqrt(2.0)));
  EXPECT_NEAR(at_zero, expected, 5 * std::sqrt(expected * (1 - expected) / n));
}

// The one-pass programming kernel (Chip::program's path) against its simple version, the chain
// weights_to_cell_levels -> cell_levels_to_conductance -> program_conductances, for the same generator state:
// every model, faults, bit slices and the noise-free case; only exp's float rounding may differ.
TEST(NoiseStatsProgramming, FusedProgrammingEqualsTheReferenceChain) {
  struct Case {
    const char* name;
    const char* model;
    double sigma, p_off, p_on, level;
    int bits_per_cell;
    bool enabled;
  };
  const std::vector<Case> cases = {{"lognormal + faults", "lognormal", 0.1, 0.02, 0.01, 2.0, 7, true},
                                   {"lognormal, 3 slices", "lognormal", 0.1, 0.0, 0.0, 1.0, 3, true},
                                   {"pcm", "pcm", 1.0, 0.01, 0.0, 1.5, 7, true},
                                   {"wan2022 + faults", "wan2022", 1.0, 0.001, 0.001, 1.0, 7, true},
                                   {"sigma 0, faults only", "lognormal", 0.0, 0.05, 0.05, 1.0, 7, true},
                                   {"disabled", "lognormal", 0.1, 0.01, 0.01, 1.0, 7, false}};
  auto wgen = make_gen(77);
  const auto w = at::randint(-127, 128, {37, 300}, wgen).to(at::kFloat);  // 300 inputs: two row tiles, padding
  for (const auto& cs : cases) {
    MappingConfig m = rram_mapping();
    m.bits_per_cell = cs.bits_per_cell;
    ProgrammingNoiseConfig cfg;
    cfg.model = cimtrain::common::parse_choice<ProgrammingNoiseModel>(cs.model);
    cfg.sigma = cs.sigma;
    cfg.p_stuck_off = cs.p_off;
    cfg.p_stuck_on = cs.p_on;
    cfg.enabled = cs.enabled;
    const auto l = make_layout(m, w.size(1), w.size(0));
    auto g1 = make_gen(78), g2 = make_gen(78);
    const auto ref =
        program_conductances(cell_levels_to_conductance(weights_to_cell_levels(w, m, l), m), cfg, m, cs.level, g1);
    const auto fast = program_weights(w, m, l, cfg, cs.level, g2);
    ASSERT_EQ(fast.sizes(), ref.sizes()) << cs.name;
    const double rel = ((fast - ref).abs() / ref.abs().clamp_min(1e-6)).max().item<double>();
    EXPECT_LT(rel, 2e-6) << cs.name;
    EXPECT_EQ(g1.current_seed(), g2.current_seed()) << cs.name;
    EXPECT_TRUE(at::equal(at::randn({4}, g1), at::randn({4}, g2))) << cs.name << ": the generators must stay in step";
  }
  EXPECT_THROW(
      program_weights(w * 2, rram_mapping(), make_layout(rram_mapping(), 300, 37), ProgrammingNoiseConfig{}, 1.0, wgen),
      c10::Error);
}

}  // namespace
