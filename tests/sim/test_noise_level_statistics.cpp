// The noise level L across sources: the stochastic sources' stds scale linearly with L, and the deterministic
// effects (DAC, ADC, device non-linearity, IR drop) do not change with it.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "noise_statistics_support.h"
#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/presets.h"
#include "sim/read_noise.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

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
  c.drift.model = DriftModel::kPowerLaw;
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
  pcm.model = ReadNoiseModel::kPcm;
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
    ChipConfig c = only_nonideality(preset_config("rram-harsh"), name);  // every effect on
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

}  // namespace
