// `cimtrain eval --ablation`: the accuracy budget of a checkpoint on its chip. The checkpoint is evaluated on
// the chip as configured, on the ideal chip, and for every non-ideality the chip has, with that one alone and
// with all but that one, over the same chip instances (seeded by (seed, level, k) as eval): what each
// non-ideality costs the network, beside `cimtrain chip`'s error budget of one layer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/checkpoint_eval.h"
#include "sim/chip_config.h"

namespace cimtrain::eval {

struct AblationVariant {
  std::string kind;       // "all" (the chip as configured), "ideal", "only" or "without"
  std::string component;  // the non-ideality of an "only" / "without" variant (sim::nonideality_names())
  CheckpointResult result;
};

struct AblationResult {
  std::string metric;  // accuracy or perplexity
  sim::ChipConfig chip;
  std::vector<std::string> components;  // the chip's enabled non-idealities
  std::vector<AblationVariant> variants;  // all, ideal, then only / without per component
  double seconds = 0;                     // wall time of all evaluations
};

// The chip a checkpoint is evaluated on: its training preset or chip config, or --preset / --chip-config.
sim::ChipConfig evaluation_chip(const std::string& checkpoint, const EvalOptions& o);

// Evaluates the one checkpoint of `o` (noise chip) on every variant; a progress bar per variant on stderr.
// Throws common::ConfigError for several checkpoints or --noise neft.
AblationResult run_ablation_variants(const EvalOptions& o);

// What a variant's metric lost against the ideal chip at level index i (accuracy: ideal - value; perplexity:
// value - ideal), and what removing a component regained against the whole chip (the other way round).
double lost_vs_ideal(const AblationResult& r, const AblationVariant& v, size_t i);
double regained_vs_all(const AblationResult& r, const AblationVariant& v, size_t i);

// {"format": "cimtrain.ablation", "metric", "checkpoint", "levels", "components", "variants": [{kind,
// component, levels: [{level, mean, std, ci95, instances, values}], lost_vs_ideal, regained_vs_all}], ...}
nlohmann::json ablation_json(const AblationResult& r, const EvalOptions& o);

// The table (per level) and the bar chart of the metric lost per non-ideality (PNG; false when not drawn).
void print_ablation_table(const AblationResult& r, const EvalOptions& o);
bool plot_ablation(const AblationResult& r, const EvalOptions& o, const std::string& png_path);

// Runs the variants and prints the table (or the JSON with --json), writes --json-out and the plot (default
// ablation.png next to the checkpoint).
void run_ablation(const EvalOptions& o);

}  // namespace cimtrain::eval
