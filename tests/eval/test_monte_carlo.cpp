// The Monte-Carlo summary statistics of chip evaluation: mean, sample standard deviation and the Student-t
// 95% interval over instances, and their JSON form.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/monte_carlo.h"

using namespace cimtrain::eval;

namespace {

TEST(MonteCarlo, SummarizeMatchesHandComputedStatistics) {
  // mean 0.80; deviations 0, .02, -.02, .05, -.05: sum of squares 0.0058, sample variance 0.00145.
  const auto r = summarize(2.0, {0.80, 0.82, 0.78, 0.85, 0.75});
  EXPECT_EQ(r.level, 2.0);
  EXPECT_EQ(r.values.size(), 5u);
  EXPECT_NEAR(r.mean, 0.80, 1e-12);
  EXPECT_NEAR(r.std, 0.0380788655293, 1e-10);
  const double half = 2.776 * 0.0380788655293 / std::sqrt(5.0);  // t(4) = 2.776
  EXPECT_NEAR(r.ci_low, 0.80 - half, 1e-6);
  EXPECT_NEAR(r.ci_high, 0.80 + half, 1e-6);

  const auto two = summarize(1.0, {0.5, 0.7});  // t(1) = 12.706, std = 0.1414..
  EXPECT_NEAR(two.mean, 0.6, 1e-12);
  EXPECT_NEAR(two.std, std::sqrt(0.02), 1e-12);
  EXPECT_NEAR(two.ci_high - two.mean, 12.706 * std::sqrt(0.02) / std::sqrt(2.0), 1e-6);

  const auto one = summarize(3.0, {0.9});
  EXPECT_EQ(one.mean, 0.9);
  EXPECT_EQ(one.std, 0.0);
  EXPECT_EQ(one.ci_low, 0.9);
  EXPECT_EQ(one.ci_high, 0.9);

  const auto j = to_json(r);
  EXPECT_EQ(j["level"], 2.0);
  EXPECT_EQ(j["instances"], 5);
  EXPECT_NEAR(j["ci95"][0].get<double>(), r.ci_low, 1e-15);
  EXPECT_NEAR(j["ci95"][1].get<double>(), r.ci_high, 1e-15);
}

}  // namespace
