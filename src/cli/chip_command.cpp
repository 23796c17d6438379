// `cimtrain chip`: its flags, turned into eval::ChipOptions for eval::run_chip (src/eval/chip_report.h).
#include "cli/chip_command.h"

#include "cli/typed_options.h"
#include "eval/chip_report.h"

namespace cimtrain::cli {

void add_chip_command(CLI::App& app) {
  auto o = std::make_shared<eval::ChipOptions>();
  auto* cmd = app.add_subcommand("chip", "Error budget of one layer on a simulated chip: total and per non-ideality");
  add_optional_option(cmd, "--preset", o->preset, "chip preset: rram (after NeuRRAM), rram-harsh or pcm (default rram)");
  cmd->add_option("--config", o->config_file, "chip config JSON (starts from its 'preset'; overrides --preset)");
  cmd->add_option("--level", o->level, "noise level L (scales the stochastic device noise; default: the config's, 1)");
  cmd->add_option("--rows", o->rows, "inputs (word lines) of the random weight matrix")->capture_default_str();
  cmd->add_option("--cols", o->cols, "outputs of the random weight matrix")->capture_default_str();
  cmd->add_option("--batch", o->batch, "input vectors read per instance")->capture_default_str();
  cmd->add_option("--time", o->time_s, "time since programming, seconds")->capture_default_str();
  cmd->add_option("--temperature", o->temperature_K, "ambient temperature, kelvin")->capture_default_str();
  cmd->add_option("--seed", o->seed, "random seed (weights, inputs and chip instances)")->capture_default_str();
  cmd->add_flag("--ideal", o->ideal, "every non-ideality off and exact converters");
  add_choice_option(cmd, "--ir-drop", o->ir_drop, "IR-drop model (default: the preset's)");
  cmd->add_option("--instances", o->instances, "chip instances (Monte-Carlo)")->capture_default_str();
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
