// Temperature (sim/thermal): tile temperature offsets, the conductance and Arrhenius factors, and their effect
// through the chip (per-tile gains, the drift time stretched by the Arrhenius factor).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "noise_statistics_support.h"
#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/presets.h"
#include "sim/thermal.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

constexpr double kBoltzmann_eV_per_K = 8.617333262e-5;

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
  c.drift.model = DriftModel::kPowerLaw;
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

}  // namespace
