// Device non-linearity (sim/device_nonlinearity): the I-V curve and current saturation formulas, and the curve
// applied to the word-line voltage through the chip.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "noise_statistics_support.h"
#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/device_nonlinearity.h"
#include "sim/presets.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

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
  ChipConfig c = only_nonideality(preset_config("rram-harsh"), "device_nonlinearity");  // rram's I-V is linear
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
