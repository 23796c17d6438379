// `cimtrain chip`: its flags, turned into eval::ChipOptions for eval::run_chip (src/eval/chip_report.h).
#include "cli/chip_command.h"

#include "cli/ranged_option.h"
#include "cli/typed_options.h"
#include "common/declared_ranges.h"
#include "eval/chip_report.h"

namespace cimtrain::cli {

namespace ranges = common::ranges;

void add_chip_command(CLI::App& app) {
  auto o = std::make_shared<eval::ChipOptions>();
  auto* cmd = app.add_subcommand("chip", "Error budget of one layer on a simulated chip: total and per non-ideality");
  add_optional_option(cmd, "--preset", o->preset,
                      "chip preset: rram (after NeuRRAM), rram-harsh or pcm (default rram)");
  cmd->add_option("--config", o->config_file, "chip config JSON (starts from its 'preset'; overrides --preset)");
  add_ranged_option(cmd, "--level", o->level, ranges::kLevel,
                    "noise level L (scales the stochastic device noise; default: the config's, 1)");
  add_ranged_option(cmd, "--rows", o->rows, ranges::kMatrixSize, "inputs (word lines) of the random weight matrix")
      ->capture_default_str();
  add_ranged_option(cmd, "--cols", o->cols, ranges::kMatrixSize, "outputs of the random weight matrix")
      ->capture_default_str();
  add_ranged_option(cmd, "--batch", o->batch, ranges::kReadBatch, "input vectors read per instance")
      ->capture_default_str();
  add_ranged_option(cmd, "--time", o->time_s, ranges::kTimeSinceProgramming, "time since programming, seconds")
      ->capture_default_str();
  add_ranged_option(cmd, "--temperature", o->temperature_K, ranges::kAmbientTemperature, "ambient temperature, kelvin")
      ->capture_default_str();
  add_ranged_option(cmd, "--seed", o->seed, ranges::kSeed, "random seed (weights, inputs and chip instances)")
      ->capture_default_str();
  cmd->add_flag("--ideal", o->ideal, "every non-ideality off and exact converters");
  add_choice_option(cmd, "--ir-drop", o->ir_drop, "IR-drop model (default: the preset's)");
  add_ranged_option(cmd, "--instances", o->instances, ranges::kInstances, "chip instances (Monte-Carlo)")
      ->capture_default_str();
  cmd->add_option("--weights", o->weights_file,
                  "text file of integer weights, one output per line (overrides --rows/--cols)");
  cmd->add_option("--inputs", o->inputs, "random inputs: gaussian (signed), relu (non-negative) or uniform")
      ->capture_default_str()
      ->check(CLI::IsMember({"gaussian", "relu", "uniform"}));
  cmd->add_flag("--json", o->json, "print one JSON object instead of the table");
  cmd->add_flag("--print-config", o->print_config, "print the effective chip config as JSON and exit");
  cmd->callback([o]() { eval::run_chip(*o); });
}

}  // namespace cimtrain::cli
