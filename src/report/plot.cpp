// gnuplot-driven PNG plots (see plot.h).
#include "report/plot.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace cimtrain::report {

namespace {

// Feeds `script` to gnuplot, removes the data file, and reports whether the PNG was written.
bool run_gnuplot(const std::string& script, const std::string& png_path, const std::string& data_path) {
  FILE* pipe = popen("gnuplot 1>&2", "w");
  bool ok = pipe != nullptr;
  if (ok) {
    std::fputs(script.c_str(), pipe);
    ok = pclose(pipe) == 0;
  }
  std::error_code ec;
  std::filesystem::remove(data_path, ec);
  if (!ok || !std::filesystem::exists(png_path)) {
    fmt::print(stderr, "warning: could not draw '{}' (is gnuplot installed? Debian package gnuplot-nox)\n", png_path);
    return false;
  }
  return true;
}

// The data file next to `png_path`, whose folder is created (gnuplot would otherwise write the image to its
// standard output).
std::string data_file_for(const std::string& png_path) {
  const auto parent = std::filesystem::path(png_path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  return png_path + ".dat";
}

// A gnuplot single-quoted string: a quote inside is doubled ("NeFT's" would otherwise end the string).
std::string quoted(const std::string& text) {
  std::string q = "'";
  for (const char c : text) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

// Appends the series to the data file (one gnuplot index each, from `first_index`) and returns the gnuplot
// commands of one panel: its labels, scale and plot line.
std::string panel_script(std::ofstream& data, const std::string& data_path, const PlotSpec& spec,
                         const std::vector<Series>& series, size_t first_index) {
  for (const auto& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i)
      data << s.x[i] << ' ' << s.y[i] << ' ' << (i < s.err.size() ? s.err[i] : 0.0) << '\n';
    data << "\n\n";  // gnuplot data-set separator (index)
  }
  std::string script =
      fmt::format("set title {}\nset xlabel {}\nset ylabel {}\nset grid\nset key below\n{}", quoted(spec.title),
                  quoted(spec.xlabel), quoted(spec.ylabel), spec.log_y ? "set logscale y\n" : "unset logscale y\n");
  std::string plot = "plot ";
  for (size_t i = 0; i < series.size(); ++i) {
    const bool bars = spec.points && !series[i].err.empty();
    const bool points = spec.points || series[i].points;
    plot += fmt::format("{}{} index {} using 1:2{} with {} lw 2{}{}{} title {}", i ? ", " : "", quoted(data_path),
                        first_index + i, bars ? ":3" : "",
                        bars     ? "yerrorlines"
                        : points ? "linespoints"
                                 : "lines",
                        points ? " pt 7 ps 1.2" : "", series[i].color > 0 ? fmt::format(" lc {}", series[i].color) : "",
                        series[i].dashed ? " dt 2" : "", quoted(series[i].title));
  }
  return script + plot + "\n";
}

}  // namespace

bool plot_png(const std::string& png_path, const PlotSpec& spec, const std::vector<Series>& series) {
  const std::string data_path = data_file_for(png_path);
  std::string script = fmt::format("set terminal pngcairo size 1000,700 noenhanced\nset output {}\n", quoted(png_path));
  {
    std::ofstream data(data_path);
    script += panel_script(data, data_path, spec, series, 0);
  }
  return run_gnuplot(script, png_path, data_path);
}

bool plot_panels_png(const std::string& png_path, const std::string& title, const std::vector<Panel>& panels) {
  const std::string data_path = data_file_for(png_path);
  std::string script =
      fmt::format("set terminal pngcairo size {},700 noenhanced\nset output {}\nset multiplot layout 1,{} title {}\n",
                  std::max<size_t>(1000, 700 * panels.size()), quoted(png_path), panels.size(), quoted(title));
  {
    std::ofstream data(data_path);
    size_t index = 0;
    for (const auto& p : panels) {
      script += panel_script(data, data_path, p.spec, p.series, index);
      index += p.series.size();
    }
  }
  script += "unset multiplot\n";
  return run_gnuplot(script, png_path, data_path);
}

bool plot_bars_png(const std::string& png_path, const PlotSpec& spec, const std::vector<std::string>& categories,
                   const std::vector<Series>& series) {
  const std::string data_path = data_file_for(png_path);
  {
    std::ofstream data(data_path);
    for (size_t j = 0; j < categories.size(); ++j) {
      data << '"' << categories[j] << '"';
      for (const auto& s : series) data << ' ' << (j < s.y.size() ? s.y[j] : 0.0);
      data << '\n';
    }
  }
  std::string script = fmt::format(
      "set terminal pngcairo size 1000,700 noenhanced\nset output {}\nset title {}\nset xlabel {}\n"
      "set ylabel {}\nset grid ytics\nset key below\nset style data histogram\nset style histogram cluster gap 1\n"
      "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset yrange [0:*]\n",
      quoted(png_path), quoted(spec.title), quoted(spec.xlabel), quoted(spec.ylabel));
  std::string plot = "plot ";
  for (size_t i = 0; i < series.size(); ++i)
    plot += fmt::format("{}{} using {}{} title {}", i ? ", " : "", quoted(data_path), i + 2, i ? "" : ":xtic(1)",
                        quoted(series[i].title));
  script += plot + "\n";
  return run_gnuplot(script, png_path, data_path);
}

}  // namespace cimtrain::report
