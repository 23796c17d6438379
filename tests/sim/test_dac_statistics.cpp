// DAC (sim/dac): exact and reduced-resolution conversion levels, voltage noise, and the INL spread and bow shape.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>

#include "noise_statistics_support.h"
#include "sim/dac.h"
#include "sim/normal_rng.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

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
    const auto v =
        dac_convert(u, u_max, quiet_dac(bits), at::zeros({u_max + 1}), draw_philox_key(gen)).flatten().to(at::kDouble);
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
    const auto v =
        dac_convert(u, u_max, quiet_dac(bits), at::zeros({u_max + 1}), draw_philox_key(gen)).flatten().to(at::kDouble);
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

}  // namespace
