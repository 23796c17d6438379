// `cimtrain experiment table3`: the paper's Table III. Runs `cimtrain bench` (each mode in its own process) for
// each model, then lays the results out as the paper does (time per iteration, peak and average memory, CPU
// utilisation) with ratios to the clean baseline, beside the paper's numbers.
#include "experiments/table3.h"

#include <fmt/core.h>

#include <filesystem>

#include "common/atomic_file.h"
#include "common/declared_ranges.h"
#include "common/subprocess.h"
#include "experiments/paper_reference.h"
#include "experiments/run_cache.h"
#include "models/model_registry.h"
#include "report/plot.h"
#include "report/report_files.h"
#include "train/train_config.h"

namespace cimtrain::experiments {

namespace {

namespace fs = std::filesystem;

int64_t batch_for(const Table3Options& o, const std::string& model) {
  return o.batch ? *o.batch : models::is_language_model(model) ? 32 : 128;
}

// The bench request of one model, to tell a cached bench.json from a stale one.
nlohmann::json bench_request(const Table3Options& o, const std::string& model) {
  return {{"model", model},   {"modes", o.modes},   {"batch", batch_for(o, model)},
          {"steps", o.steps}, {"warmup", o.warmup}, {"repeats", o.repeats},
          {"level", o.level}, {"preset", o.preset}, {"seed", o.seed}};
}

// The model's bench.json: cached when it answers the same request, else measured by `cimtrain bench`.
nlohmann::json bench(const Table3Options& o, const std::string& model, std::vector<std::string>& commands) {
  const std::string dir = o.out + "/" + model;
  const auto request = bench_request(o, model);
  const bool cached = fs::exists(dir + "/request.json") && fs::exists(dir + "/bench.json") &&
                      report::read_json_file(dir + "/request.json") == request;
  std::string modes;
  for (const auto& m : o.modes) modes += (modes.empty() ? "" : ",") + m;
  std::vector<std::string> args = {common::self_path(),
                                   "bench",
                                   "--model",
                                   model,
                                   "--modes",
                                   modes,
                                   "--batch",
                                   std::to_string(batch_for(o, model)),
                                   "--steps",
                                   std::to_string(o.steps),
                                   "--warmup",
                                   std::to_string(o.warmup),
                                   "--repeats",
                                   std::to_string(o.repeats),
                                   "--level",
                                   fmt::format("{:g}", o.level),
                                   "--preset",
                                   o.preset,
                                   "--seed",
                                   std::to_string(o.seed),
                                   "--no-breakdown",
                                   "--out",
                                   dir};
  auto shown = args;
  shown[0] = "cimtrain";
  commands.push_back(common::command_line(shown));
  if (cached) {
    fmt::print(stderr, "experiment table3: {}: cached ({}/bench.json)\n", model, dir);
    return report::read_json_file(dir + "/bench.json");
  }
  fmt::print(stderr, "experiment table3: {}\n", common::command_line(shown));
  fs::remove(dir + "/request.json");
  common::run_and_capture(args);
  common::write_file(dir + "/request.json", request.dump(2) + "\n");
  return report::read_json_file(dir + "/bench.json");
}

}  // namespace

void run_table3(const Table3Options& o) {
  if (o.models.empty() || o.modes.empty()) throw common::ConfigError("--models and --modes need at least one entry");
  if (std::find(o.modes.begin(), o.modes.end(), "clean") == o.modes.end())
    throw common::ConfigError("--modes must include clean (the baseline of the ratios)");
  for (const auto& mode : o.modes) train::parse_mode_and_method(mode);  // unknown names, before any work
  common::require_in_range(common::ranges::kRepeats, o.repeats, "--repeats");
  std::vector<std::string> commands;
  std::vector<nlohmann::json> results;
  for (const auto& model : o.models) results.push_back(bench(o, model, commands));

  std::string csv =
      "model,batch,mode,step_s_median,step_s_min,step_s_max,time_vs_clean,peak_rss_mb,peak_vs_clean,"
      "avg_rss_mb,cpu_util\n";
  std::string md = "# Training cost per gradient mode (the paper's Table III)\n\n";
  md += fmt::format("- Command: `{}`\n", report::invocation());
  md += fmt::format("- Machine: {}\n", report::machine_summary());
  md += fmt::format(
      "- Each mode runs in a process of its own (`cimtrain bench`): {} warm-up then {} timed steps, {} repeat(s) "
      "interleaved across modes; time is the median step, memory the process's peak and mean resident set, CPU "
      "utilisation (user + system time) / (wall time x threads). Chip preset {} level {:g}, synthetic batches.\n\n",
      o.warmup, o.steps, o.repeats, o.preset, o.level);
  std::vector<std::vector<std::string>> rows;
  std::vector<report::Series> time_series;
  for (size_t k = 0; k < o.models.size(); ++k) {
    const auto& j = results[k];
    report::Series s{fmt::format("{} (batch {})", o.models[k], batch_for(o, o.models[k])), {}, {}, {}};
    for (const auto& mode : o.modes) {
      const auto& m = j.at("modes").at(mode);
      const auto* paper = paper_table3_row(mode);
      const auto* paper_clean = paper_table3_row("clean");
      rows.push_back({o.models[k], mode, fmt::format("{:.4f}", m.at("step_s_median").get<double>()),
                      fmt::format("{:.2f}x", m.at("time_vs_clean").get<double>()),
                      fmt::format("{:.0f}", m.at("peak_rss_mb").get<double>()),
                      fmt::format("{:.2f}x", m.at("peak_rss_vs_clean").get<double>()),
                      fmt::format("{:.0f}", m.at("avg_rss_mb").get<double>()),
                      fmt::format("{:.0f}%", 100 * m.at("cpu_util").get<double>()),
                      paper ? fmt::format("{} {:.3f} s ({:.2f}x), {:.0f} MB ({:.2f}x)", paper->paper_name,
                                          paper->step_s, paper->step_s / paper_clean->step_s, paper->peak_mb,
                                          paper->peak_mb / paper_clean->peak_mb)
                            : "-"});
      csv += fmt::format(
          "{},{},{},{:.6f},{:.6f},{:.6f},{:.4f},{:.1f},{:.4f},{:.1f},{:.4f}\n", o.models[k], batch_for(o, o.models[k]),
          mode, m.at("step_s_median").get<double>(), m.at("step_s_min").get<double>(), m.at("step_s_max").get<double>(),
          m.at("time_vs_clean").get<double>(), m.at("peak_rss_mb").get<double>(),
          m.at("peak_rss_vs_clean").get<double>(), m.at("avg_rss_mb").get<double>(), m.at("cpu_util").get<double>());
      s.y.push_back(m.at("time_vs_clean").get<double>());
    }
    time_series.push_back(s);
  }
  md += report::markdown_table({"model", "mode", "s per step", "x clean", "peak MiB", "x clean", "avg MiB", "CPU util",
                                "paper (its GPU set-up)"},
                               rows);
  md +=
      "\nThe paper's modes: baseline = `clean`, full = `full`, no_grad = `ste-nograd`, detach = `ste-detach`; `ste` "
      "is cimtrain's fused extended STE (no paper counterpart). The paper measured on a GPU, where memory is the "
      "device's; here it is the process's resident memory on the CPU, so compare ratios, not absolute values.\n";
  const std::string png = o.out + "/table3.png";
  const bool plotted = report::plot_bars_png(
      png, {"training step time relative to clean, per gradient mode", "gradient mode", "time / clean", false, false},
      o.modes, time_series);
  if (plotted) md += "\n![step time relative to clean](table3.png)\n";
  md +=
      "\nFiles: `table3.csv`, `table3.json`, and per model `MODEL/bench.json`, `MODEL/bench.md`, `MODEL/bench.png`.\n";
  md += "\nThe benchmarks (each run by the experiment unless its result was cached):\n\n```\n";
  for (const auto& c : commands) md += c + "\n";
  md += "```\n";
  nlohmann::json j = {{"experiment", "table3"},
                      {"command", report::invocation()},
                      {"machine", report::machine_summary()},
                      {"models", nlohmann::json::object()}};
  for (size_t k = 0; k < o.models.size(); ++k) j["models"][o.models[k]] = results[k];
  report::write_report(o.out, "table3", csv, j, md, plotted ? png : "");
}

}  // namespace cimtrain::experiments
