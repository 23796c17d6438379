// Cached, resumable training runs of the experiments (see run_cache.h).
#include "experiments/run_cache.h"

#include <fmt/core.h>

#include <atomic>
#include <csignal>
#include <filesystem>

#include "report/report_files.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace cimtrain::experiments {

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
    case RunStatus::kCached:
      return "cached";
    case RunStatus::kResumed:
      return "resumed";
    case RunStatus::kTrained:
      return "trained";
  }
  return "?";
}

RunStatus ensure_trained(const train::TrainConfig& config, const std::string& dir) {
  const train::TrainPaths paths(dir);
  bool resume = false;
  if (fs::exists(paths.config)) {
    const auto saved = train::train_config_from_json(report::read_json_file(paths.config));
    const auto diff = config_differences(saved, config);
    if (!diff.empty())
      throw std::runtime_error(fmt::format(
          "'{}' holds a run with another configuration ({}); delete the folder or choose another --out", dir, diff));
    if (fs::exists(paths.checkpoint)) {
      const auto meta = train::read_checkpoint_meta(paths.checkpoint);  // verified: a damaged file throws
      train::check_checkpoint_identity(meta, saved, paths.checkpoint, paths.config);
      if (run_done(config, meta)) return RunStatus::kCached;
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

}  // namespace cimtrain::experiments
