// `cimtrain generate`: its flags, turned into eval::GenerateCommandOptions for eval::run_generate
// (src/eval/text_generation.h).
#include "cli/generate_command.h"

#include "cli/ranged_option.h"
#include "common/declared_ranges.h"
#include "eval/text_generation.h"

namespace cimtrain::cli {

namespace ranges = common::ranges;

void add_generate_command(CLI::App& app) {
  auto o = std::make_shared<eval::GenerateCommandOptions>();
  auto* cmd = app.add_subcommand("generate", "Text written by a trained gpt or bert on simulated chip instances");
  cmd->add_option("--checkpoint", o->checkpoint, "checkpoint.pt of a gpt or bert written by cimtrain train")
      ->required();
  cmd->add_option("--prompt", o->prompt, "text to continue (characters of the model's vocabulary)")
      ->capture_default_str();
  add_ranged_option(cmd, "--length", o->length, ranges::kGeneratedLength, "characters to write")->capture_default_str();
  add_ranged_option(cmd, "--level", o->levels, ranges::kLevel,
                    "chip noise levels, one chip instance each (comma separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--float", o->include_float, "also write with the float model (no chip)");
  add_ranged_option(cmd, "--temperature", o->temperature, ranges::kSamplingTemperature,
                    "sampling temperature (0: always the most likely character)")
      ->capture_default_str();
  add_ranged_option(cmd, "--seed", o->seed, ranges::kSeed, "seed of the chip instances, read noise and sampling")
      ->capture_default_str();
  add_ranged_option(cmd, "--time", o->time_s, ranges::kTimeSinceProgramming, "time since programming, seconds")
      ->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset (default: the one trained with)");
  cmd->add_option("--chip-config", o->chip_config, "chip config JSON (overrides the preset)");
  cmd->add_option("--data-dir", o->data_dir, "folder of the training text (default: the one trained with)");
  add_ranged_option(cmd, "--calibration", o->calibration, ranges::kCalibrationExamples,
                    "training windows the chip's input and ADC ranges are calibrated on, once (0: per read)")
      ->capture_default_str();
  cmd->callback([o]() { eval::run_generate(*o); });
}

}  // namespace cimtrain::cli
