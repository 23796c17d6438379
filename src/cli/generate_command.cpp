// `cimtrain generate` (see generate_command.h): per level, chip instance 0 of that level as `eval --seed`
// draws it, programmed and calibrated once, then seeded sampling.
#include "cli/generate_command.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/utils.h>

#include <functional>

#include "nn/convert.h"
#include "sim/config_util.h"
#include "train/evaluate.h"
#include "train/generate.h"
#include "train/language_model_checkpoint.h"
#include "train/perplexity.h"

namespace cimtrain::cli {

namespace {

struct GenerateCommandOptions {
  std::string checkpoint;
  std::string prompt = "ROMEO:";
  int64_t length = 300;
  std::vector<double> levels = {2};
  bool include_float = false;
  double temperature = 0.8;
  uint64_t seed = 0;
  double time_s = 3600.0;
  std::string preset, chip_config, data_dir;
  int64_t calibration = 64;  // as eval's default for language models
};

void run_generate(const GenerateCommandOptions& o) {
  if (o.length < 0) throw sim::ConfigError("--length must be >= 0, found " + std::to_string(o.length));
  if (o.temperature < 0) throw sim::ConfigError("--temperature must be >= 0, found " + std::to_string(o.temperature));
  if (o.levels.empty() && !o.include_float) throw sim::ConfigError("nothing to run: give --level and/or --float");
  auto lm = train::load_language_model(o.checkpoint, o.preset, o.chip_config);
  auto& model = *lm.am.model;
  auto& context = *lm.am.context;
  context.conditions.time_s = o.time_s;
  context.conditions.validate();
  const train::GenerateOptions go{o.length, o.temperature};
  const auto write = [&](const std::string& title) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(train::mix_seed({o.seed, 4}));
    const auto text = train::generate_text(model, lm.vocab, o.prompt, go, gen);
    fmt::print("=== {} ===\n{}\n\n", title, text);
  };
  fmt::print("{} ({} {}, trained {} at level {}), temperature {}, seed {}\n\n", o.checkpoint, lm.config.model,
             fmt::format("{}x{}", lm.config.layers, lm.config.dim), lm.config.mode, lm.config.level, o.temperature,
             o.seed);
  if (o.include_float) write("float (no chip)");
  at::Tensor calibration;
  if (o.calibration > 0 && !o.levels.empty())
    calibration = train::calibration_windows(model, train::load_model_corpus(lm, o.data_dir).train, o.calibration,
                                             train::mix_seed({o.seed, 3}));
  model.eval();
  std::function<void()> calibrate;
  if (calibration.defined()) calibrate = [&] { model.forward(calibration); };
  for (const double level : o.levels) {
    train::program_instance(model, context, o.seed, level, 0, calibrate);
    write(fmt::format("{} chip, level {}, t = {} s", context.chip.preset, level, o.time_s));
    nn::clear_chip(model);
  }
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateCommandOptions>();
  auto* cmd = app.add_subcommand("generate", "Text written by a trained gpt or bert on simulated chip instances");
  cmd->add_option("--checkpoint", o->checkpoint, "checkpoint.pt of a gpt or bert written by cimtrain train")
      ->required();
  cmd->add_option("--prompt", o->prompt, "text to continue (characters of the model's vocabulary)")
      ->capture_default_str();
  cmd->add_option("--length", o->length, "characters to write")->capture_default_str();
  cmd->add_option("--level", o->levels, "chip noise levels, one chip instance each (comma separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--float", o->include_float, "also write with the float model (no chip)");
  cmd->add_option("--temperature", o->temperature, "sampling temperature (0: always the most likely character)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the chip instances, read noise and sampling")->capture_default_str();
  cmd->add_option("--time", o->time_s, "time since programming, seconds")->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset (default: the one trained with)");
  cmd->add_option("--chip-config", o->chip_config, "chip config JSON (overrides the preset)");
  cmd->add_option("--data-dir", o->data_dir, "folder of the training text (default: the one trained with)");
  cmd->add_option("--calibration", o->calibration,
                  "training windows the chip's input and ADC ranges are calibrated on, once (0: per read)")
      ->capture_default_str();
  cmd->callback([o]() { run_generate(*o); });
}

}  // namespace cimtrain::cli
