// The gnuplot plots: text with quotes in it (titles such as "NeFT's device model") draws cleanly.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.h"
#include "train/plot.h"

namespace {

TEST(Plot, QuotesInTextDrawCleanly) {
  if (std::system("which gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_plot_quotes");
  const cimtrain::train::PlotSpec spec{"accuracy under NeFT's device model", "NeFT's sigma", "it's %", false, true};
  const std::vector<cimtrain::train::Series> series = {{"the model's 'mean'", {0.1, 0.2}, {50, 40}, {1, 2}, true}};
  // gnuplot fails (false) when a quote ends one of its strings early.
  EXPECT_TRUE(cimtrain::train::plot_png(dir + "/lines.png", spec, series));
  EXPECT_TRUE(std::filesystem::exists(dir + "/lines.png"));
  EXPECT_TRUE(cimtrain::train::plot_bars_png(dir + "/bars.png", spec, {"o'clock", "b"}, series));
}

}  // namespace
