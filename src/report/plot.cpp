// gnuplot-driven PNG plots (see plot.h).
#include "report/plot.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.h"

namespace cimtrain::report {

namespace {

// The data file and the image gnuplot draws into, next to `png_path` and unique to this process: the image is
// renamed over `png_path` only once gnuplot has finished it, so a reader never sees half an image.
struct PlotFiles {
  std::string png;
  std::string data;
  std::string drawing;
};

PlotFiles plot_files_for(const std::string& png_path) {
  const std::string stem = png_path + ".tmp-" + std::to_string(getpid());
  return {png_path, stem + ".dat", stem + ".png"};
}

// Writes the data file (atomically, checked: a full disk or read-only folder is an error naming it), feeds
// `script` to gnuplot, then moves the finished image over the PNG. False with a warning when gnuplot is missing
// or fails; the temporaries are removed either way.
bool run_gnuplot(const std::string& script, const PlotFiles& files, const std::string& data) {
  common::write_file(files.data, data);
  FILE* pipe = popen("gnuplot 1>&2", "w");
  bool ok = pipe != nullptr;
  if (ok) {
    std::fputs(script.c_str(), pipe);
    ok = pclose(pipe) == 0;
  }
  std::error_code ec;
  std::filesystem::remove(files.data, ec);
  ok = ok && std::filesystem::exists(files.drawing);
  if (ok && std::rename(files.drawing.c_str(), files.png.c_str()) != 0) {
    const std::string cause = std::strerror(errno);
    std::filesystem::remove(files.drawing, ec);
    throw std::runtime_error("cannot write '" + files.png + "': " + cause);
  }
  std::filesystem::remove(files.drawing, ec);
  if (!ok)
    fmt::print(stderr, "warning: could not draw '{}' (gnuplot failed or is missing: Debian package gnuplot-nox)\n",
               files.png);
  return ok;
}

// A gnuplot single-quoted string: a quote inside is doubled ("NeFT's" would otherwise end the string).
std::string quoted(const std::string& text) {
  std::string q = "'";
  for (const char c : text) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

// Appends the series to the data file (one gnuplot index each, from `first_index`) and returns the gnuplot
// commands of one panel: its labels, scale and plot line.
std::string panel_script(std::ostringstream& data, const std::string& data_path, const PlotSpec& spec,
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
  const PlotFiles files = plot_files_for(png_path);
  std::string script =
      fmt::format("set terminal pngcairo size 1000,700 noenhanced\nset output {}\n", quoted(files.drawing));
  std::ostringstream data;
  script += panel_script(data, files.data, spec, series, 0);
  return run_gnuplot(script, files, data.str());
}

bool plot_panels_png(const std::string& png_path, const std::string& title, const std::vector<Panel>& panels) {
  const PlotFiles files = plot_files_for(png_path);
  std::string script =
      fmt::format("set terminal pngcairo size {},700 noenhanced\nset output {}\nset multiplot layout 1,{} title {}\n",
                  std::max<size_t>(1000, 700 * panels.size()), quoted(files.drawing), panels.size(), quoted(title));
  std::ostringstream data;
  size_t index = 0;
  for (const auto& p : panels) {
    script += panel_script(data, files.data, p.spec, p.series, index);
    index += p.series.size();
  }
  script += "unset multiplot\n";
  return run_gnuplot(script, files, data.str());
}

bool plot_bars_png(const std::string& png_path, const PlotSpec& spec, const std::vector<std::string>& categories,
                   const std::vector<Series>& series) {
  const PlotFiles files = plot_files_for(png_path);
  std::ostringstream data;
  for (size_t j = 0; j < categories.size(); ++j) {
    data << '"' << categories[j] << '"';
    for (const auto& s : series) data << ' ' << (j < s.y.size() ? s.y[j] : 0.0);
    data << '\n';
  }
  std::string script = fmt::format(
      "set terminal pngcairo size 1000,700 noenhanced\nset output {}\nset title {}\nset xlabel {}\n"
      "set ylabel {}\nset grid ytics\nset key below\nset style data histogram\nset style histogram cluster gap 1\n"
      "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset yrange [0:*]\n",
      quoted(files.drawing), quoted(spec.title), quoted(spec.xlabel), quoted(spec.ylabel));
  std::string plot = "plot ";
  for (size_t i = 0; i < series.size(); ++i)
    plot += fmt::format("{}{} using {}{} title {}", i ? ", " : "", quoted(files.data), i + 2, i ? "" : ":xtic(1)",
                        quoted(series[i].title));
  script += plot + "\n";
  return run_gnuplot(script, files, data.str());
}

}  // namespace cimtrain::report
