// `cimtrain bench` (see bench_command.h). The parent re-runs this program as `bench --worker MODE` once per
// mode and repeat, reads the worker's one JSON line from a pipe, and aggregates.
#include "eval/mode_bench.h"

#include <ATen/Parallel.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

#include "common/atomic_file.h"
#include "common/declared_ranges.h"
#include "common/subprocess.h"
#include "eval/step_bench.h"
#include "nn/gradient_mode.h"
#include "report/plot.h"
#include "report/report_files.h"
#include "train/model_setup.h"

namespace cimtrain::eval {

namespace {

std::vector<std::string> worker_args(const BenchOptions& o, const std::string& mode, bool breakdown) {
  const auto& s = o.step;
  std::vector<std::string> a = {common::self_path(),
                                "--threads",
                                std::to_string(at::get_num_threads()),
                                "bench",
                                "--worker",
                                mode,
                                "--model",
                                s.model,
                                "--batch",
                                std::to_string(s.batch),
                                "--steps",
                                std::to_string(s.steps),
                                "--warmup",
                                std::to_string(s.warmup),
                                "--preset",
                                s.preset,
                                "--level",
                                fmt::format("{}", s.level),
                                "--seed",
                                std::to_string(s.seed)};
  if (!s.data.empty()) a.insert(a.end(), {"--data", s.data});
  if (!s.chip_config.empty()) a.insert(a.end(), {"--chip-config", s.chip_config});
  if (!breakdown) a.push_back("--no-breakdown");
  if (s.channels_last) a.push_back("--channels-last");
  return a;
}

struct ModeSummary {
  std::string mode;
  std::vector<double> step_s;  // pooled over repeats
  std::vector<double> peak, avg, util;
  std::map<std::string, double> breakdown;
  double median_s() const { return eval::median(step_s); }
  double peak_mb() const { return eval::median(peak); }
  double avg_mb() const { return eval::median(avg); }
  double cpu() const { return eval::median(util); }
};

const ModeSummary* find_mode(const std::vector<ModeSummary>& modes, const std::string& name) {
  for (const auto& m : modes)
    if (m.mode == name) return &m;
  return nullptr;
}

std::string ratio(double a, double b) { return b > 0 ? fmt::format("{:.2f}x", a / b) : "-"; }

nlohmann::json summary_json(const BenchOptions& o, const std::vector<ModeSummary>& modes) {
  nlohmann::json j;
  j["format_version"] = 1;
  j["config"] = o.step;
  j["repeats"] = o.repeats;
  j["threads"] = at::get_num_threads();
  j["modes"] = nlohmann::json::object();
  const ModeSummary* clean = find_mode(modes, "clean");
  const ModeSummary* full = find_mode(modes, "full");
  for (const auto& m : modes) {
    auto e = nlohmann::json{{"step_s_median", m.median_s()},
                            {"step_s_min", *std::min_element(m.step_s.begin(), m.step_s.end())},
                            {"step_s_max", *std::max_element(m.step_s.begin(), m.step_s.end())},
                            {"steps_timed", m.step_s.size()},
                            {"peak_rss_mb", m.peak_mb()},
                            {"avg_rss_mb", m.avg_mb()},
                            {"cpu_util", m.cpu()}};
    if (clean) {
      e["time_vs_clean"] = m.median_s() / clean->median_s();
      e["peak_rss_vs_clean"] = m.peak_mb() / clean->peak_mb();
    }
    if (full) {
      e["time_vs_full"] = m.median_s() / full->median_s();
      e["peak_rss_vs_full"] = m.peak_mb() / full->peak_mb();
    }
    j["modes"][m.mode] = e;
    if (!m.breakdown.empty()) j["breakdown"][m.mode] = m.breakdown;
  }
  return j;
}

std::string modes_markdown(const BenchOptions& o, const std::vector<ModeSummary>& modes) {
  const ModeSummary* clean = find_mode(modes, "clean");
  const ModeSummary* full = find_mode(modes, "full");
  const ModeSummary* nograd = find_mode(modes, "ste-nograd");
  std::ostringstream s;
  s << fmt::format(
      "{} batch {}{}, preset {} level {}, {} threads, {} timed steps x {} repeat(s) per mode after {} warm-up\n\n",
      o.step.model, o.step.batch, o.step.channels_last ? " (channels-last)" : "",
      o.step.chip_config.empty() ? o.step.preset : o.step.chip_config, o.step.level, at::get_num_threads(),
      o.step.steps, o.repeats, o.step.warmup);
  s << "| mode | step s (median) | min - max | x clean | x full | x ste-nograd | peak MiB | peak x clean | avg MiB "
       "| CPU util |\n";
  s << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& m : modes) {
    const double t = m.median_s();
    s << fmt::format("| {} | {:.4f} | {:.4f} - {:.4f} | {} | {} | {} | {:.0f} | {} | {:.0f} | {:.0f}% |\n", m.mode, t,
                     *std::min_element(m.step_s.begin(), m.step_s.end()),
                     *std::max_element(m.step_s.begin(), m.step_s.end()), clean ? ratio(t, clean->median_s()) : "-",
                     full ? ratio(t, full->median_s()) : "-", nograd ? ratio(t, nograd->median_s()) : "-", m.peak_mb(),
                     clean ? ratio(m.peak_mb(), clean->peak_mb()) : "-", m.avg_mb(), 100 * m.cpu());
  }
  for (const auto& m : modes) {
    if (m.breakdown.empty()) continue;
    s << fmt::format("\nWhere one `{}` step's time goes (median seconds per step, measured on {} extra steps):\n\n",
                     m.mode, o.step.steps);
    s << "| part | seconds | share of forward + backward + optimizer |\n|---|---|---|\n";
    const auto get = [&](const char* k) { return m.breakdown.count(k) ? m.breakdown.at(k) : 0.0; };
    const double total = get("forward") + get("backward") + get("optimizer");
    for (const auto& [name, sec] : m.breakdown) {
      const bool in_total = name == "forward" || name == "backward" || name == "optimizer";
      s << fmt::format("| {} | {:.4f} | {} |\n", name, sec,
                       in_total && total > 0 ? fmt::format("{:.0f}%", 100 * sec / total) : "");
    }
  }
  return s.str();
}

// A progress line: on stdout, or on stderr under --json (stdout then holds the JSON only).
void log_line(const BenchOptions& o, const std::string& line) { fmt::print(o.json ? stderr : stdout, "{}\n", line); }

// Runs each mode's worker once per repeat (all modes in turn, then again) and pools what they measured; the
// `ste` worker of the first repeat also measures the breakdown when asked.
std::vector<ModeSummary> measure_modes(const BenchOptions& o) {
  std::vector<ModeSummary> modes;
  for (const auto& m : o.modes) modes.push_back({m, {}, {}, {}, {}, {}});
  for (int r = 0; r < o.repeats; ++r) {
    for (auto& m : modes) {
      const bool breakdown = o.breakdown && r == 0 && m.mode == "ste";
      const auto t0 = std::chrono::steady_clock::now();
      const auto out = common::run_and_capture(worker_args(o, m.mode, breakdown));
      eval::StepBenchResult res;
      try {
        res = nlohmann::json::parse(out.substr(std::min(out.size(), out.find('{')))).get<eval::StepBenchResult>();
      } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("bench worker for mode {} printed no result: {}", m.mode, e.what()));
      }
      m.step_s.insert(m.step_s.end(), res.step_s.begin(), res.step_s.end());
      m.peak.push_back(res.peak_rss_mb);
      m.avg.push_back(res.avg_rss_mb);
      m.util.push_back(res.cpu_util);
      if (breakdown) m.breakdown = res.breakdown_s;
      log_line(
          o, fmt::format("[{}/{}] {:<10} step {:.4f} s (median of {}), peak {:.0f} MiB, CPU {:.0f}%  ({:.0f} s)", r + 1,
                         o.repeats, m.mode, res.step_s_median, res.step_s.size(), res.peak_rss_mb, 100 * res.cpu_util,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
    }
  }
  return modes;
}

// Writes bench.json, bench.md and bench.png into the output folder and prints the table (and the JSON under
// --json) and the files written.
void write_bench_report(const BenchOptions& o, const std::vector<ModeSummary>& modes) {
  const std::string dir = o.out.empty() ? "runs/bench-" + o.step.model : o.out;
  const auto j = summary_json(o, modes);
  const auto table = modes_markdown(o, modes);
  common::write_file(dir + "/bench.json", j.dump(2) + "\n");
  common::write_file(dir + "/bench.md", "# cimtrain bench\n\n" + table);
  std::vector<std::string> names;
  report::Series time{"step time / clean", {}, {}, {}, false}, peak{"peak memory / clean", {}, {}, {}, false};
  for (const auto& m : modes) {
    names.push_back(m.mode);
    time.y.push_back(j["modes"][m.mode].value("time_vs_clean", 0.0));
    peak.y.push_back(j["modes"][m.mode].value("peak_rss_vs_clean", 0.0));
  }
  const bool plotted = report::plot_bars_png(
      dir + "/bench.png",
      {fmt::format("{} batch {}: training step cost relative to clean", o.step.model, o.step.batch), "gradient mode",
       "ratio to clean", false, false},
      names, {time, peak});
  fmt::print(o.json ? stderr : stdout, "\n{}\n", table);
  if (o.json) fmt::print("{}\n", j.dump(2));
  log_line(
      o, fmt::format("wrote {0}/bench.json, {0}/bench.md{1}", dir, plotted ? fmt::format(", {}/bench.png", dir) : ""));
}

}  // namespace

void run_bench(const BenchOptions& o) {
  if (!o.worker.empty()) {  // one mode, here
    auto c = o.step;
    c.mode = o.worker;
    c.breakdown = o.breakdown;
    fmt::print("{}\n", nlohmann::json(eval::run_step_bench(c)).dump());
    return;
  }
  o.step.validate();
  common::require_in_range(common::ranges::kRepeats, o.repeats, "--repeats");
  common::check_writable_folder(o.out.empty() ? "runs/bench-" + o.step.model : o.out);  // before the measuring
  for (const auto& m : o.modes) {  // reject unknown modes before any work
    auto c = o.step;
    c.mode = m;
    c.validate();
  }
  (void)train::chip_for(o.step.preset, o.step.chip_config, o.step.level);  // and a bad preset or chip config
  write_bench_report(o, measure_modes(o));
}

}  // namespace cimtrain::eval
