// Shared experiment machinery (see experiment_support.h).
#include "cli/experiment_support.h"

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/version.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/subprocess.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace cimtrain::cli {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};
void on_interrupt(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills at once
}

bool run_done(const train::TrainConfig& config, const nlohmann::json& meta) {
  if (meta.value("finished", false)) return true;
  return config.steps > 0 && meta.value("progress", nlohmann::json::object()).value("step", int64_t{0}) >= config.steps;
}

}  // namespace

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kCached: return "cached";
    case RunStatus::kResumed: return "resumed";
    case RunStatus::kTrained: return "trained";
  }
  return "?";
}

std::string config_differences(const train::TrainConfig& saved, const train::TrainConfig& wanted) {
  const nlohmann::json a = saved, b = wanted;
  std::string diff;
  for (const auto& [key, value] : b.items()) {
    if (a.contains(key) && a.at(key) == value) continue;
    diff += fmt::format("{}{}: {} -> {}", diff.empty() ? "" : ", ", key, a.contains(key) ? a.at(key).dump() : "(none)",
                        value.dump());
  }
  return diff;
}

RunStatus ensure_trained(const train::TrainConfig& config, const std::string& dir) {
  const train::TrainPaths paths(dir);
  bool resume = false;
  if (fs::exists(paths.config)) {
    const auto saved = read_json_file(paths.config).get<train::TrainConfig>();
    const auto diff = config_differences(saved, config);
    if (!diff.empty())
      throw std::runtime_error(fmt::format(
          "'{}' holds a run with another configuration ({}); delete the folder or choose another --out", dir, diff));
    if (fs::exists(paths.checkpoint)) {
      if (run_done(config, train::read_checkpoint_meta(paths.checkpoint))) return RunStatus::kCached;
      resume = true;
    }
  }
  g_stop = false;
  const auto old_int = std::signal(SIGINT, on_interrupt);
  const auto old_term = std::signal(SIGTERM, on_interrupt);
  const auto outcome = resume ? train::resume(dir, 0, 0, &g_stop) : train::train(config, dir, &g_stop);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  if (g_stop)
    throw std::runtime_error("interrupted: " + dir + " keeps a checkpoint; run the same experiment again to go on");
  if (!outcome.finished && !(config.steps > 0 && outcome.steps >= config.steps))
    throw std::runtime_error("the training in '" + dir + "' stopped before its end");
  return resume ? RunStatus::kResumed : RunStatus::kTrained;
}

namespace {
std::string g_invocation;
}

void set_invocation(int argc, char** argv) {
  std::vector<std::string> args = {"cimtrain"};
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  g_invocation = command_line(args);
}

std::string invocation() { return g_invocation; }

std::string machine_summary() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  const double mem_gib = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) / (1024.0 * 1024 * 1024);
  return fmt::format("{} cores ({}), {:.0f} GiB, LibTorch {} on {} threads", sysconf(_SC_NPROCESSORS_ONLN), cpu,
                     mem_gib, TORCH_VERSION, at::get_num_threads());
}

void write_file(const std::string& path, const std::string& text) {
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write '" + path + "'");
  }
  fs::rename(tmp, path);
}

void write_report(const std::string& out, const std::string& name, const std::string& csv, const nlohmann::json& json,
                  const std::string& md, const std::string& png) {
  write_file(out + "/" + name + ".csv", csv);
  write_file(out + "/" + name + ".json", json.dump(2) + "\n");
  write_file(out + "/summary.md", md);
  fmt::print("{0}\nwrote {1}/summary.md, {1}/{2}.csv, {1}/{2}.json{3}\n", md, out, name, png.empty() ? "" : ", " + png);
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("'" + path + "' is not valid JSON: " + e.what());
  }
}

std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream s;
  s << '|';
  for (const auto& h : header) s << ' ' << h << " |";
  s << "\n|";
  for (size_t i = 0; i < header.size(); ++i) s << "---|";
  s << '\n';
  for (const auto& row : rows) {
    s << '|';
    for (const auto& c : row) s << ' ' << c << " |";
    s << '\n';
  }
  return s.str();
}

}  // namespace cimtrain::cli
