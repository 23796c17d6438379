// `cimtrain eval`'s report for people: the metric-against-level plot and the printed table, drawn from the
// results of evaluate_checkpoints (eval/checkpoint_eval.h).
#pragma once

#include <string>
#include <vector>

#include "eval/checkpoint_eval.h"

namespace cimtrain::eval {

// Where the plot goes: --plot, or eval.png next to the first checkpoint.
std::string evaluation_plot_path(const EvalOptions& o);

// Draws each checkpoint's metric against the level (NeFT's sigma) on the instances (mean +- std) and in float
// into `png_path`; false (with a warning on stderr) when gnuplot is missing or fails.
bool plot_evaluation(const std::vector<CheckpointResult>& results, const EvalOptions& o, const std::string& png_path);

// Prints the conditions, each checkpoint's float metric, the metric per level (and the deltas against the
// first checkpoint), and for one checkpoint the 95% intervals and the drop from float.
void print_evaluation_table(const std::vector<CheckpointResult>& results, const EvalOptions& o);

}  // namespace cimtrain::eval
