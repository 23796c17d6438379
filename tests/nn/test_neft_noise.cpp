// NeFT's device-variation model: the standard deviation on and off the mid-range mask against the formula,
// the strict mask edges, the device table, and clear errors.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>

#include "nn/neft_noise.h"

using namespace cimtrain;

namespace {

TEST(NeftNoise, RelativeStdFollowsTheFormula) {
  EXPECT_NEAR(nn::neft_relative_std(0.1, 1), 0.1 * std::sqrt(4369.0) / 85, 1e-12);  // s = 1: sigma' = sigma
  EXPECT_NEAR(nn::neft_relative_std(0.1, 4), 0.1 / std::sqrt(0.4 * 16 + 0.6) * 0.7776, 1e-4);
  EXPECT_EQ(nn::neft_device("rram4").s, 4);
  EXPECT_EQ(nn::neft_devices().size(), 4u);
  try {
    nn::neft_device("pcm3");
    FAIL() << "expected an invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rram1, fefet2, rram4, fefet6"), std::string::npos) << e.what();
  }
}

TEST(NeftNoise, StatisticsOnAndOffTheMidRangeMask) {
  // Half the weights at 0.5 max|W| (inside the mask), half at 0.1 (outside), one at the maximum 2.0.
  const int64_t n = 200000;
  auto w = at::full({n}, 0.2);
  w.narrow(0, 0, n / 2).fill_(1.0);
  w[0] = 2.0;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const double sigma = 0.1, s = 4;
  const auto noise = nn::neft_weight_noise(w, sigma, s, gen);
  const double base = nn::neft_relative_std(sigma, s) * 2.0;
  const auto inside = noise.narrow(0, 1, n / 2 - 1), outside = noise.narrow(0, n / 2, n / 2);
  // The sample std of ~1e5 normals is within 1% of the truth (its relative standard error is 0.22%).
  EXPECT_NEAR(inside.std().item<double>(), s * base, 0.01 * s * base);
  EXPECT_NEAR(outside.std().item<double>(), base, 0.01 * base);
  EXPECT_NEAR(inside.mean().item<double>(), 0.0, 0.01 * s * base);
  EXPECT_NEAR(outside.mean().item<double>(), 0.0, 0.01 * base);
}

TEST(NeftNoise, MaskEdgesAreStrictAndSigmaZeroIsSilent) {
  // |w| / max = 0.25 and 0.75 exactly are outside the mask: their noise has the base std.
  const int64_t n = 100000;
  auto w = at::cat({at::full({1}, 4.0), at::full({n}, 1.0), at::full({n}, 3.0)});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto noise = nn::neft_weight_noise(w, 0.2, 6, gen);
  const double base = nn::neft_relative_std(0.2, 6) * 4.0;
  EXPECT_NEAR(noise.narrow(0, 1, n).std().item<double>(), base, 0.015 * base);
  EXPECT_NEAR(noise.narrow(0, 1 + n, n).std().item<double>(), base, 0.015 * base);
  EXPECT_TRUE(nn::neft_weight_noise(w, 0.0, 6, gen).eq(0).all().item<bool>());
  EXPECT_TRUE(nn::neft_weight_noise(at::zeros({5}), 0.1, 2, gen).eq(0).all().item<bool>());
  EXPECT_THROW(nn::neft_weight_noise(w, -0.1, 2, gen), std::invalid_argument);
  EXPECT_THROW(nn::neft_weight_noise(w, 0.1, 0.5, gen), std::invalid_argument);
}

TEST(NeftNoise, SeededAndShaped) {
  const auto w = at::randn({8, 3, 3, 3});
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(9), g2 = at::make_generator<at::CPUGeneratorImpl>(9);
  const auto a = nn::neft_weight_noise(w, 0.1, 2, g1), b = nn::neft_weight_noise(w, 0.1, 2, g2);
  EXPECT_EQ(a.sizes(), w.sizes());
  EXPECT_TRUE(a.equal(b));
}

}  // namespace
