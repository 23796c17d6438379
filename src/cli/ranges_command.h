// `cimtrain ranges`: the declared range of every numeric flag (docs/options.md is its output).
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

// Registers the subcommand; it walks `app`'s commands, so it is added after all the others.
void add_ranges_command(CLI::App& app);

}  // namespace cimtrain::cli
