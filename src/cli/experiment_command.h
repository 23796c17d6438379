// `cimtrain experiment table2|table3|curves|alignment`: the reference paper's studies (docs/design.md §6), each one
// command that trains, evaluates or measures what it needs (cached: a finished run is not repeated) and
// writes CSV/JSON, a Markdown summary (summary.md) and images into its --out folder.
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

void add_experiment_command(CLI::App& app);

}  // namespace cimtrain::cli
