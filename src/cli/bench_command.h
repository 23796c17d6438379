// `cimtrain bench`: the cost of a training step in each gradient mode (paper Table III), each mode in a
// process of its own; table, --json, a Markdown summary and a bar chart.
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

void add_bench_command(CLI::App& app);

}  // namespace cimtrain::cli
