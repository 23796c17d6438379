// `cimtrain generate` (see generate_command.h): per level, chip instance 0 of that level as `eval --seed`
// draws it, programmed and calibrated once, then seeded sampling.
#include "eval/text_generation.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/utils.h>

#include <functional>

#include "common/errors.h"
#include "common/seed_streams.h"
#include "eval/generate.h"
#include "eval/monte_carlo.h"
#include "eval/perplexity_on_chip.h"
#include "nn/convert.h"
#include "train/language_model_checkpoint.h"

namespace cimtrain::eval {

void run_generate(const GenerateCommandOptions& o) {
  if (o.length < 0) throw common::ConfigError("--length must be >= 0, found " + std::to_string(o.length));
  if (o.temperature < 0)
    throw common::ConfigError("--temperature must be >= 0, found " + std::to_string(o.temperature));
  if (o.levels.empty() && !o.include_float) throw common::ConfigError("nothing to run: give --level and/or --float");
  if (o.calibration < 0)
    throw common::ConfigError("--calibration must be >= 0 windows, found " + std::to_string(o.calibration));
  auto lm = train::load_language_model(o.checkpoint, o.preset, o.chip_config);
  auto& model = *lm.am.model;
  auto& context = *lm.am.context;
  context.set_conditions({o.time_s, context.conditions().temperature_K});
  const eval::GenerateOptions go{o.length, o.temperature};
  const auto write = [&](const std::string& title) {
    auto gen =
        at::make_generator<at::CPUGeneratorImpl>(common::stream_seed(common::SeedStream::kTextSampling, {o.seed}));
    const auto text = eval::generate_text(model, lm.vocab, o.prompt, go, gen);
    fmt::print("=== {} ===\n{}\n\n", title, text);
  };
  fmt::print("{} ({} {}, trained {} at level {}), temperature {}, seed {}\n\n", o.checkpoint, lm.config.model,
             fmt::format("{}x{}", lm.config.layers, lm.config.dim), lm.config.mode, lm.config.level, o.temperature,
             o.seed);
  if (o.include_float) write("float (no chip)");
  at::Tensor calibration;
  if (o.calibration > 0 && !o.levels.empty())
    calibration = eval::calibration_windows(model, train::load_model_corpus(lm, o.data_dir).train, o.calibration,
                                            common::stream_seed(common::SeedStream::kCalibrationWindows, {o.seed}));
  model.eval();
  std::function<void()> calibrate;
  if (calibration.defined()) calibrate = [&] { model.forward(calibration); };
  for (const double level : o.levels) {
    eval::program_instance(model, context, o.seed, level, 0, calibrate);
    write(fmt::format("{} chip, level {}, t = {} s", context.chip_config().preset, level, o.time_s));
    nn::clear_chip(model);
  }
}

}  // namespace cimtrain::eval
