// The global flag `--ranks N` (before the command): the program starts N ranks of itself on this machine
// (dist/rank_launcher.h) instead of running the command, and returns their joint exit status.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace cimtrain::cli {

// Registers --ranks (for --help and `cimtrain ranges`; the launch itself happens before parsing).
void add_ranks_flag(CLI::App& app, std::optional<int>& ranks);

// When argv asks for --ranks N (N > 1) and this process is not a rank already (no RANK in the environment):
// launches the ranks with argv's command (eval or train: the commands that spread; others are refused) and the
// cores (or --threads T) divided among them, and returns the run's exit status; otherwise nothing (the command
// runs here).
std::optional<int> launch_ranks_if_asked(int argc, char** argv);

}  // namespace cimtrain::cli
