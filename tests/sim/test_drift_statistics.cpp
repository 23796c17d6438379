// Conductance drift (sim/drift): power-law and pcm drift exponents, the drift and relaxation laws, the per-tile
// pass, and the chip's drifted outputs with and without compensation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "noise_statistics_support.h"
#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/drift.h"
#include "sim/mapping.h"
#include "sim/presets.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

// power_law: nu ~ N(nu_mean, (nu_std L)^2) per cell.
TEST(NoiseStatsDrift, PowerLawExponentsHaveMeanNuAndStdNuTimesLevel) {
  const auto m = rram_mapping();
  DriftConfig d;
  d.model = DriftModel::kPowerLaw;
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
// nu = |N(mu(r), (sd(r) L)^2)| (aihwkit folds the exponent): the folded normal's mean, variance and CDF
// F(x) = Phi((x - mu) / s) + Phi((x + mu) / s) - 1.
TEST(NoiseStatsDrift, PcmExponentsAreTheFoldedClampedFormulas) {
  MappingConfig m = rram_mapping();
  m.g_max_uS = 25.0;
  m.g_min_uS = 0.0;
  DriftConfig d;
  d.model = DriftModel::kPcm;
  uint64_t seed = 64;
  for (double r : {0.001, 0.05, 0.5})
    for (double level : {1.0, 2.0}) {
      const double lr = std::log(r);
      const double mu = std::clamp(-0.0155 * lr + 0.0244, 0.049, 0.1);
      const double s = std::clamp(-0.0125 * lr - 0.0059, 0.008, 0.045) * level;
      const double mean = s * std::sqrt(2 / M_PI) * std::exp(-mu * mu / (2 * s * s)) + mu * std::erf(mu / (s * std::sqrt(2.0)));
      const double var = mu * mu + s * s - mean * mean;
      auto gen = make_gen(++seed);
      const auto nu = sample_drift_exponents(at::full({100000}, r * m.g_max_uS), d, m, level, gen);
      const std::string what = "pcm nu at r = " + std::to_string(r) + ", L = " + std::to_string(level);
      const Moments mo = moments(nu);
      EXPECT_GE(nu.min().item<double>(), 0.0) << what;
      EXPECT_LE(std::abs(mo.mean - mean), kZ * std::sqrt(var / mo.n)) << what << ": mean " << mo.mean << " vs " << mean;
      EXPECT_LE(std::abs(mo.var - var), kZ * std::sqrt((mo.m4 - var * var) / mo.n)) << what << ": var " << mo.var;
      const auto x = std::get<0>(nu.to(at::kDouble).sort());
      const auto phi = [&](const at::Tensor& z) { return at::erfc(-z / std::sqrt(2.0)) * 0.5; };
      const auto cdf = phi((x - mu) / s) + phi((x + mu) / s) - 1;
      const auto i = at::arange(1, mo.n + 1, at::kDouble);
      const double ks = std::max((i / mo.n - cdf).max().item<double>(), (cdf - (i - 1) / mo.n).max().item<double>());
      EXPECT_LE(ks, ks_bound(mo.n)) << what << ": KS distance to the folded normal " << ks;
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
  c.drift.model = DriftModel::kPowerLaw;
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
      << "mean output factor " << ratio << " vs E[(t/t0)^-nu] = " << mean_factor
      << " (exp(-mu a) = " << std::exp(-c.drift.nu_mean * a) << ")";
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

}  // namespace
