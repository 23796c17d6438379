// `cimtrain chip`: programs a matrix on simulated chip instances, reads random inputs, and reports the
// error of the analog product against the ideal integer product, in total and per non-ideality.
#include "eval/chip_report.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "common/declared_ranges.h"
#include "common/errors.h"
#include "common/read_file.h"
#include "nn/quantize.h"
#include "report/progress_bar.h"
#include "report/report_files.h"
#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/error_budget.h"
#include "sim/presets.h"

namespace cimtrain::eval {

namespace {

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

// The --json object.
nlohmann::json chip_report_json(const ChipReport& r, const ChipOptions& o) {
  const auto& budget = r.budget;
  const auto& layout = r.layout;
  nlohmann::json j;
  j["format"] = "cimtrain.chip_report";
  j["version"] = 1;
  j["relative_error"] = budget.total.mean();
  j["relative_error_std"] = budget.total.stddev();
  j["relative_error_per_instance"] = budget.total.per_instance;
  j["breakdown"] = nlohmann::json::object();  // the chip's enabled non-idealities (none for an ideal chip)
  j["breakdown_std"] = nlohmann::json::object();
  for (const auto& [name, stats] : budget.breakdown) {
    j["breakdown"][name] = stats.mean();
    j["breakdown_std"][name] = stats.stddev();
  }
  j["shape"] = {{"inputs", r.inputs}, {"outputs", r.outputs}, {"batch", o.batch}};
  j["tiles"] = {{"row_tiles", layout.row_tiles}, {"col_tiles", layout.col_tiles}, {"slices", layout.slices}};
  j["instances"] = o.instances;
  j["inputs"] = o.inputs;
  j["seed"] = o.seed;
  j["conditions"] = r.conditions;
  j["config"] = r.config;
  return j;
}

// One row of the table: the mean relative error (+- std over instances) and the SNR it means.
void print_error_row(const std::string& name, const sim::ErrorStats& s) {
  const double m = s.mean();
  const std::string val =
      s.per_instance.size() > 1 ? fmt::format("{:.3e} +- {:.1e}", m, s.stddev()) : fmt::format("{:.3e}", m);
  const std::string snr = m > 0 ? fmt::format("{:.1f}", -20 * std::log10(m)) : "inf";
  fmt::print("{:<22} {:>22} {:>9}\n", name, val, snr);
}

}  // namespace

at::Tensor read_weights_file(const std::string& path, int weight_max) {
  std::istringstream in(common::read_file(path, "weights file"));
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

sim::ChipConfig chip_report_config(const ChipOptions& o) {
  using namespace cimtrain::sim;
  ChipConfig cfg;
  if (o.config) {
    cfg = *o.config;
  } else if (!o.config_file.empty()) {
    if (o.preset) throw common::ConfigError("give either --preset or --config (whose 'preset' field names its base)");
    cfg = chip_config_from_file(o.config_file);
  } else {
    cfg = preset_config(o.preset.value_or("rram"));
  }
  if (o.level) cfg.level = *o.level;
  if (o.ir_drop) cfg.ir_drop.mode = *o.ir_drop;
  if (o.ideal) cfg = ideal_config(cfg);
  cfg.validate();
  return cfg;
}

ChipReport measure_chip(const ChipOptions& o) {
  using namespace cimtrain::sim;
  ChipReport r;
  r.config = chip_report_config(o);
  const auto& cfg = r.config;
  ReadConditions cond{o.time_s, o.temperature_K};
  cond.validate();
  r.conditions = cond;
  common::require_in_range(common::ranges::kInstances, o.instances, "--instances");
  common::require_in_range(common::ranges::kReadBatch, static_cast<double>(o.batch), "--batch");
  common::require_in_range(common::ranges::kTimeSinceProgramming, o.time_s, "--time");
  common::require_in_range(common::ranges::kAmbientTemperature, o.temperature_K, "--temperature");

  auto gen = at::detail::createCPUGenerator(o.seed);
  at::Tensor w;
  if (o.weights.defined()) {
    if (o.weights.dim() != 2 || o.weights.numel() == 0)
      throw common::ConfigError(fmt::format("weights must be a non-empty matrix [outputs, inputs], found shape [{}]",
                                            fmt::join(o.weights.sizes(), ", ")));
    w = nn::quantize_per_row(o.weights.detach().to(at::kCPU, at::kFloat), cfg.mapping.weight_max()).values;
  } else if (!o.weights_file.empty()) {
    w = read_weights_file(o.weights_file, cfg.mapping.weight_max());
  } else {
    common::require_in_range(common::ranges::kMatrixSize, static_cast<double>(o.rows), "--rows");
    common::require_in_range(common::ranges::kMatrixSize, static_cast<double>(o.cols), "--cols");
    w = quantised_gaussian({o.cols, o.rows}, cfg.mapping.weight_max(), true, gen);
  }
  const auto x = make_inputs(o.inputs, o.batch, w.size(1), cfg.mapping.input_max(), gen);
  r.inputs = w.size(1);
  r.outputs = w.size(0);

  report::ProgressBar bar("chip", static_cast<int>(enabled_nonidealities(cfg).size()) + 1, "configs");
  r.budget = measure_error_budget(cfg, w, x, cond, o.instances, o.seed + 1, [&](int done, int) { bar.update(done); });
  bar.finish();
  for (const auto& [name, stats] : r.budget.breakdown)
    for (const double e : stats.per_instance)
      if (!std::isfinite(e))
        throw std::runtime_error(
            fmt::format("the chip's reads with {} came out non-finite ({}): a setting beyond "
                        "what its model holds (check that section of the config)",
                        name, e));
  for (const double e : r.budget.total.per_instance)
    if (!std::isfinite(e))
      throw std::runtime_error(
          fmt::format("the chip's reads came out non-finite ({}): a setting beyond what its "
                      "model holds (check the config)",
                      e));
  r.layout = make_layout(cfg.mapping, w.size(1), w.size(0));
  r.json = chip_report_json(r, o);
  return r;
}

void print_chip_report(const ChipReport& measured, const ChipOptions& o) {
  const auto& cfg = measured.config;
  const auto& cond = measured.conditions;
  const auto& layout = measured.layout;
  fmt::print(
      "cimtrain chip: preset {}{}, level {}, {} inputs x {} outputs, batch {} ({} inputs), t = {} s, "
      "T = {} K, seed {}\n",
      cfg.preset, o.ideal ? " (ideal)" : "", cfg.level, measured.inputs, measured.outputs, o.batch, o.inputs,
      cond.time_s, cond.temperature_K, o.seed);
  fmt::print(
      "mapping: {} x {} tiles of {} x {} cells, {} slice(s) of {} bit(s) per weight sign, {}-bit DAC{}, "
      "{}-bit ADC, IR drop {} ({} ohm)\n\n",
      layout.row_tiles, layout.col_tiles, cfg.mapping.tile_rows, cfg.mapping.tile_cols, layout.slices,
      cfg.mapping.bits_per_cell, cfg.dac.bits,
      cfg.dac.input_bits_per_cycle > 0 ? fmt::format(" ({} bit(s) per cycle)", cfg.dac.input_bits_per_cycle)
                                       : std::string(),
      cfg.adc.bits, common::to_name(cfg.ir_drop.mode), cfg.ir_drop.r_wire_ohm);
  const std::string spread = o.instances > 1 ? fmt::format(" (mean +- std over {} instances)", o.instances) : "";
  fmt::print("{:<22} {:>22} {:>9}\n", "non-ideality alone", "relative error" + std::string(), "SNR dB");
  for (const auto& [name, stats] : measured.budget.breakdown) print_error_row(name, stats);
  fmt::print("{}\n", std::string(55, '-'));
  print_error_row("all together", measured.budget.total);
  if (!spread.empty()) fmt::print("{}\n", spread.substr(1));
  fmt::print("relative error = ||y_chip - y_ideal|| / ||y_ideal|| over the batch; y_ideal = the integer product\n");
}

void run_chip(const ChipOptions& o) {
  if (o.print_config) {
    fmt::print("{}\n", nlohmann::json(chip_report_config(o)).dump(2));
    return;
  }
  const auto measured = measure_chip(o);
  if (o.json) {
    fmt::print("{}\n", measured.json.dump(2));
    return;
  }
  print_chip_report(measured, o);
}

}  // namespace cimtrain::eval
