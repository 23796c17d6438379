// `cimtrain chip`: programs a matrix on simulated chip instances, reads random inputs, and reports the
// error of the analog product against the ideal integer product, in total and per non-ideality.
#include "eval/chip_report.h"

#include "report/report_files.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "sim/chip.h"
#include "sim/error_budget.h"
#include "sim/presets.h"
#include "report/progress_bar.h"

namespace cimtrain::eval {

namespace {


// Reads a text matrix (one output per line, values separated by spaces or commas, '#' comments).
at::Tensor read_weights_file(const std::string& path, int weight_max) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open weights file '" + path + "'");
  std::vector<std::vector<double>> rows;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    for (char& ch : line)
      if (ch == ',' || ch == ';' || ch == '\t') ch = ' ';
    std::istringstream ss(line);
    std::vector<double> row;
    std::string tok;
    while (ss >> tok) {
      char* end = nullptr;
      const double v = std::strtod(tok.c_str(), &end);
      if (end == tok.c_str() || *end != '\0')
        throw std::runtime_error(fmt::format("{}:{}: expected a number, found '{}'", path, line_no, tok));
      if (v != std::round(v) || std::abs(v) > weight_max)
        throw std::runtime_error(fmt::format("{}:{}: expected an integer weight in [{}, {}], found {}", path, line_no,
                                             -weight_max, weight_max, tok));
      row.push_back(v);
    }
    if (row.empty()) continue;
    if (!rows.empty() && row.size() != rows.front().size())
      throw std::runtime_error(fmt::format("{}:{}: expected {} values (as on the first row), found {}", path, line_no,
                                           rows.front().size(), row.size()));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw std::runtime_error("weights file '" + path + "' holds no numbers");
  auto w = at::empty({static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows.front().size())}, at::kFloat);
  auto acc = w.accessor<float, 2>();
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) acc[i][j] = static_cast<float>(rows[i][j]);
  return w;
}

// Gaussian values quantised symmetrically so that the largest magnitude of each row is `max_value`
// (per output channel for weights; per tensor when rows = 1 view), as an int8-quantised layer would be.
at::Tensor quantised_gaussian(at::IntArrayRef shape, int max_value, bool per_row, at::Generator& gen) {
  auto g = at::randn(shape, gen);
  const auto scale = per_row ? g.abs().amax({1}, true) : g.abs().max();
  return (g / scale.clamp_min(1e-12) * max_value).round();
}

at::Tensor make_inputs(const std::string& kind, int64_t batch, int64_t rows, int input_max, at::Generator& gen) {
  if (kind == "gaussian") return quantised_gaussian({batch, rows}, input_max, false, gen);
  if (kind == "relu") return quantised_gaussian({batch, rows}, input_max, false, gen).clamp_min(0);
  if (kind == "uniform") return at::randint(-input_max, input_max + 1, {batch, rows}, gen).to(at::kFloat);
  throw std::runtime_error("--inputs must be gaussian, relu or uniform, found '" + kind + "'");
}

}  // namespace

void run_chip(const ChipOptions& o) {
  using namespace cimtrain::sim;
  ChipConfig cfg;
  if (!o.config_file.empty()) {
    if (o.preset_given) throw common::ConfigError("give either --preset or --config (whose 'preset' field names its base)");
    cfg = chip_config_from_file(o.config_file);
  } else {
    cfg = preset_config(o.preset);
  }
  if (o.level) cfg.level = *o.level;
  if (!o.ir_drop.empty()) cfg.ir_drop.mode = o.ir_drop;
  if (o.ideal) cfg = ideal_config(cfg);
  cfg.validate();
  if (o.print_config) {
    fmt::print("{}\n", nlohmann::json(cfg).dump(2));
    return;
  }
  ReadConditions cond{o.time_s, o.temperature_K};
  cond.validate();
  if (o.instances < 1) throw common::ConfigError("--instances must be >= 1, found " + std::to_string(o.instances));
  if (o.batch < 1) throw common::ConfigError("--batch must be >= 1, found " + std::to_string(o.batch));

  auto gen = at::detail::createCPUGenerator(o.seed);
  at::Tensor w;
  if (!o.weights_file.empty()) {
    w = read_weights_file(o.weights_file, cfg.mapping.weight_max());
  } else {
    if (o.rows < 1 || o.cols < 1)
      throw common::ConfigError(fmt::format("--rows and --cols must be >= 1, found {} x {}", o.rows, o.cols));
    w = quantised_gaussian({o.cols, o.rows}, cfg.mapping.weight_max(), true, gen);
  }
  const auto x = make_inputs(o.inputs, o.batch, w.size(1), cfg.mapping.input_max(), gen);

  report::ProgressBar bar("chip", static_cast<int>(nonideality_names().size()) + 1, "configs");
  const auto budget =
      measure_error_budget(cfg, w, x, cond, o.instances, o.seed + 1, [&](int done, int) { bar.update(done); });
  bar.finish();
  const auto layout = make_layout(cfg.mapping, w.size(1), w.size(0));

  if (o.json) {
    nlohmann::json j;
    j["format"] = "cimtrain.chip_report";
    j["version"] = 1;
    j["relative_error"] = budget.total.mean();
    j["relative_error_std"] = budget.total.stddev();
    j["relative_error_per_instance"] = budget.total.per_instance;
    for (const auto& [name, stats] : budget.breakdown) {
      j["breakdown"][name] = stats.mean();
      j["breakdown_std"][name] = stats.stddev();
    }
    j["shape"] = {{"inputs", w.size(1)}, {"outputs", w.size(0)}, {"batch", o.batch}};
    j["tiles"] = {{"row_tiles", layout.row_tiles}, {"col_tiles", layout.col_tiles}, {"slices", layout.slices}};
    j["instances"] = o.instances;
    j["inputs"] = o.inputs;
    j["seed"] = o.seed;
    j["conditions"] = cond;
    j["config"] = cfg;
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print(
      "cimtrain chip: preset {}{}, level {}, {} inputs x {} outputs, batch {} ({} inputs), t = {} s, "
      "T = {} K, seed {}\n",
      cfg.preset, o.ideal ? " (ideal)" : "", cfg.level, w.size(1), w.size(0), o.batch, o.inputs, cond.time_s,
      cond.temperature_K, o.seed);
  fmt::print(
      "mapping: {} x {} tiles of {} x {} cells, {} slice(s) of {} bit(s) per weight sign, {}-bit DAC{}, "
      "{}-bit ADC, IR drop {} ({} ohm)\n\n",
      layout.row_tiles, layout.col_tiles, cfg.mapping.tile_rows, cfg.mapping.tile_cols, layout.slices,
      cfg.mapping.bits_per_cell, cfg.dac.bits,
      cfg.dac.input_bits_per_cycle > 0 ? fmt::format(" ({} bit(s) per cycle)", cfg.dac.input_bits_per_cycle)
                                       : std::string(),
      cfg.adc.bits, cfg.ir_drop.mode, cfg.ir_drop.r_wire_ohm);
  const std::string spread = o.instances > 1 ? fmt::format(" (mean +- std over {} instances)", o.instances) : "";
  fmt::print("{:<22} {:>22} {:>9}\n", "non-ideality alone", "relative error" + std::string(), "SNR dB");
  auto row = [](const std::string& name, const ErrorStats& s) {
    const double m = s.mean();
    const std::string val =
        s.per_instance.size() > 1 ? fmt::format("{:.3e} +- {:.1e}", m, s.stddev()) : fmt::format("{:.3e}", m);
    const std::string snr = m > 0 ? fmt::format("{:.1f}", -20 * std::log10(m)) : "inf";
    fmt::print("{:<22} {:>22} {:>9}\n", name, val, snr);
  };
  for (const auto& [name, stats] : budget.breakdown) row(name, stats);
  fmt::print("{}\n", std::string(55, '-'));
  row("all together", budget.total);
  if (!spread.empty()) fmt::print("{}\n", spread.substr(1));
  fmt::print("relative error = ||y_chip - y_ideal|| / ||y_ideal|| over the batch; y_ideal = the integer product\n");
}

}  // namespace cimtrain::eval
