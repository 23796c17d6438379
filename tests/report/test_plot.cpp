// The gnuplot plots: text with quotes in it (titles such as "NeFT's device model") draws cleanly.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "report/plot.h"
#include "test_support.h"

namespace {

TEST(Plot, QuotesInTextDrawCleanly) {
  if (std::system("which gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_plot_quotes");
  const cimtrain::report::PlotSpec spec{"accuracy under NeFT's device model", "NeFT's sigma", "it's %", false, true};
  const std::vector<cimtrain::report::Series> series = {{"the model's 'mean'", {0.1, 0.2}, {50, 40}, {1, 2}, true}};
  // gnuplot fails (false) when a quote ends one of its strings early.
  EXPECT_TRUE(cimtrain::report::plot_png(dir + "/lines.png", spec, series));
  EXPECT_TRUE(std::filesystem::exists(dir + "/lines.png"));
  EXPECT_TRUE(cimtrain::report::plot_bars_png(dir + "/bars.png", spec, {"o'clock", "b"}, series));
}

// Panels side by side in one image (the experiments' figures), with colours shared by a pair of series.
TEST(Plot, PanelsDrawIntoOneImageAndMakeTheirFolder) {
  if (std::system("which gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_plot_panels");
  using cimtrain::report::Series;
  const cimtrain::report::Panel a{{"left", "step", "loss", false, false},
                                  {Series{"train", {1, 2, 3}, {3, 2, 1}, {}, false, 1},
                                   Series{"validation", {1, 3}, {3.2, 1.5}, {}, true, 1, true}}};
  const cimtrain::report::Panel b{{"right", "level", "cos", false, true},
                                  {Series{"measured", {1, 2}, {0.9, 0.8}, {0.01, 0.02}}}};
  const std::string png = dir + "/new/panels.png";  // a folder that does not exist yet
  EXPECT_TRUE(cimtrain::report::plot_panels_png(png, "two panels", {a, b}));
  ASSERT_TRUE(std::filesystem::exists(png));
  EXPECT_GT(std::filesystem::file_size(png), 1000u);
  // Only the image is left: the data file and the image gnuplot drew into (renamed over the PNG) are gone.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/new")) files += entry.path() == png ? 0 : 1;
  EXPECT_EQ(files, 0u);
}

// A plot that cannot be written is an error naming the file (as every output), not a warning about gnuplot,
// and the previous image is left as it was.
TEST(Plot, AFileThatCannotBeWrittenIsAnError) {
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_plot_unwritable");
  const std::string not_a_folder = dir + "/file";
  std::ofstream(not_a_folder) << "a file where a folder is expected\n";
  const cimtrain::report::PlotSpec spec{"t", "x", "y", false, true};
  const std::vector<cimtrain::report::Series> series = {{"s", {1, 2}, {1, 2}, {}, true}};
  const auto message = cimtrain::testing_support::message_of<std::runtime_error>(
      [&] { cimtrain::report::plot_png(not_a_folder + "/x.png", spec, series); });
  EXPECT_NE(message.find("cannot write '" + not_a_folder + "/x.png.tmp-"), std::string::npos) << message;
}

}  // namespace
