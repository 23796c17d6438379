// `cimtrain experiment table2|table3|curves|alignment`: the reference paper's studies (DESIGN §6), each one
// command that trains, evaluates or measures what it needs (cached: a finished run is not repeated) and
// writes CSV/JSON, a Markdown summary (summary.md) and images into its --out folder.
#pragma once

#include <CLI/CLI.hpp>

namespace cimtrain::cli {

void add_experiment_command(CLI::App& app);

// The four experiments, each in its own file, registered under `experiment`.
void add_table2_experiment(CLI::App& experiment);     // experiment_table2.cpp: accuracy under noise
void add_table3_experiment(CLI::App& experiment);     // experiment_table3.cpp: training cost
void add_curves_experiment(CLI::App& experiment);     // experiment_curves.cpp: loss curves
void add_alignment_experiment(CLI::App& experiment);  // experiment_alignment.cpp: gradient alignment

}  // namespace cimtrain::cli
