// `cimtrain chip`: a chip designer's error budget of one crossbar layer.
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

// Registers the subcommand; the returned callback runs it (after parsing).
void add_chip_command(CLI::App& app);

}  // namespace cimtrain::cli
