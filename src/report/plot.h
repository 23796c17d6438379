// PNG plots drawn by gnuplot (Debian's gnuplot-nox): loss curves and accuracy against noise level.
#pragma once

#include <string>
#include <vector>

namespace cimtrain::report {

struct Series {
  std::string title;
  std::vector<double> x, y;
  std::vector<double> err;  // optional error bars (same size as y)
  bool points = false;      // draw points too (a series of one point needs them)
  int color = 0;            // > 0: gnuplot's colour number `color` (series sharing one are drawn alike); 0: next
  bool dashed = false;      // a dashed line
};

struct PlotSpec {
  std::string title, xlabel, ylabel;
  bool log_y = false;
  bool points = false;  // lines with points (and error bars when given) instead of plain lines
};

// Writes `png_path` atomically (gnuplot draws into a temporary image that is renamed over it); returns false (with
// a warning on stderr) when gnuplot is missing or fails: a plot is never worth losing a run for. A file that cannot
// be written (full disk, read-only folder) is an error naming it (std::runtime_error), as for every other output.
bool plot_png(const std::string& png_path, const PlotSpec& spec, const std::vector<Series>& series);

// Several plots side by side in one PNG (e.g. the paper's Figure 1: one panel per model), under `title`.
struct Panel {
  PlotSpec spec;
  std::vector<Series> series;
};
bool plot_panels_png(const std::string& png_path, const std::string& title, const std::vector<Panel>& panels);

// A clustered bar chart: one group of bars per category, one bar per series (series[i].y[j] is the bar
// of category j; x is unused). Same failure rule as plot_png.
bool plot_bars_png(const std::string& png_path, const PlotSpec& spec, const std::vector<std::string>& categories,
                   const std::vector<Series>& series);

}  // namespace cimtrain::report
