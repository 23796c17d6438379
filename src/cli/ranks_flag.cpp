// --ranks N (see ranks_flag.h): read from argv before CLI11 parses it, since the launcher replaces the command.
#include "cli/ranks_flag.h"

#include <fmt/core.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cli/ranged_option.h"
#include "common/declared_ranges.h"
#include "common/errors.h"
#include "dist/rank_launcher.h"

namespace cimtrain::cli {

void add_ranks_flag(CLI::App& app, std::optional<int>& ranks) {
  add_ranged_option(&app, "--ranks", ranks, common::ranges::kRanks,
                    "run the command as N ranks on this machine (the cores divided among them; docs/distributed.md)");
}

std::optional<int> launch_ranks_if_asked(int argc, char** argv) {
  std::optional<std::string> ranks_text, threads_text;
  std::vector<std::string> rest;
  int i = 1;
  for (; i < argc; ++i) {  // the global options come before the command
    const std::string a = argv[i];
    const auto value_of = [&](const std::string& flag) -> std::optional<std::string> {
      if (a == flag && i + 1 < argc) return std::string(argv[++i]);
      if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
      return std::nullopt;
    };
    if (auto v = value_of("--ranks")) {
      ranks_text = v;
    } else if (auto t = value_of("--threads")) {
      threads_text = t;
    } else {
      break;
    }
  }
  if (!ranks_text || std::getenv("RANK")) return std::nullopt;
  if (const auto why = common::text_range_violation(common::ranges::kRanks, *ranks_text))
    throw common::ConfigError("--ranks: " + *why);
  const int ranks = std::stoi(*ranks_text);
  if (ranks == 1) return std::nullopt;
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads_text) {
    if (const auto why = common::text_range_violation(common::ranges::kThreads, *threads_text))
      throw common::ConfigError("--threads: " + *why);
    threads = std::stoi(*threads_text);
  }
  for (; i < argc; ++i) rest.emplace_back(argv[i]);
  if (rest.empty()) throw common::ConfigError("--ranks " + *ranks_text + " needs a command to run");
  if (rest.front().rfind("-", 0) == 0) return std::nullopt;  // --help, or a flag CLI11 will explain
  if (rest.front() != "eval" && rest.front() != "train")
    throw common::ConfigError("--ranks spreads `eval` and `train` over ranks; `" + rest.front() +
                              "` runs as one process (experiment table2 takes its own --ranks for its evaluations)");
  return dist::run_ranks(rest, ranks, std::max(1, threads / ranks));
}

}  // namespace cimtrain::cli
