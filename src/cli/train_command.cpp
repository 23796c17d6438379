// `cimtrain train` (see train_command.h): flags -> TrainConfig, Ctrl-C -> a clean stop with a checkpoint.
#include "cli/train_command.h"

#include <fmt/core.h>

#include <atomic>
#include <csignal>

#include "cli/ranged_option.h"
#include "cli/typed_options.h"
#include "common/declared_ranges.h"
#include "train/trainer.h"

namespace cimtrain::cli {

namespace ranges = common::ranges;

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_interrupt(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills at once
}

struct TrainOptions {
  train::TrainConfig config;
  std::optional<double> sigma;  // --sigma: the gaussian mode's, else NeFT's
  std::string out = "runs/train";
  std::string resume_dir;
  bool quiet = false;
};

// A language-model run takes language_model_defaults() for every flag the user did not give.
void apply_language_model_defaults(const CLI::App& cmd, train::TrainConfig& c) {
  if (!train::is_language_model_run(c)) return;
  const auto d = train::language_model_defaults();
  const auto given = [&](const char* flag) { return cmd.count(flag) > 0; };
  if (!given("--data")) c.data = d.data;
  if (!given("--epochs")) c.epochs = d.epochs;
  if (!given("--batch")) c.batch = d.batch;
  if (!given("--lr")) c.lr = d.lr;
  if (!given("--optimizer")) c.optimizer = d.optimizer;
  if (!given("--weight-decay")) c.weight_decay = d.weight_decay;
  if (!given("--grad-clip")) c.grad_clip = d.grad_clip;
}

// --sigma is the noise of the mode trained with: `gaussian`'s std / max|W|, else NeFT's sigma. The NeFT methods
// train under NeFT's device model unless --mode says otherwise.
void apply_noise_flags(const CLI::App& cmd, TrainOptions& o) {
  auto& c = o.config;
  if (c.method != train::TrainingMethod::kPlain && cmd.count("--mode") == 0) c.mode = nn::GradientMode::kNeft;
  if (!o.sigma) return;
  if (c.mode == nn::GradientMode::kGaussian) {
    if (*o.sigma != 0) c.gaussian_sigma = *o.sigma;  // 0: measured from the chip, as when not given
  } else {
    c.neft_sigma = *o.sigma;
  }
}

// --resume continues a run as its folder's config.json describes it: a flag that would change the run is refused
// (silently ignoring it would train something else than asked); --steps may extend it, --quiet and --threads apply.
void refuse_flags_resume_cannot_honour(const CLI::App& cmd) {
  std::string given;
  for (const CLI::Option* option : cmd.get_options()) {
    const std::string name = option->get_name();
    if (option->count() == 0 || name == "--resume" || name == "--steps" || name == "--quiet") continue;
    given += (given.empty() ? "" : ", ") + name;
  }
  if (!given.empty())
    throw common::ConfigError("--resume continues the run as its config.json says; it cannot take " + given +
                              " (only --steps, to extend it, and --quiet): start a new run with --init to change it");
}

void run_train(TrainOptions& o) {
  g_stop = false;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const auto outcome = o.resume_dir.empty() ? train::train(o.config, o.out, &g_stop, o.quiet)
                                            : train::resume(o.resume_dir, o.config.steps, 0, &g_stop, o.quiet);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const std::string dir = o.resume_dir.empty() ? o.out : o.resume_dir;
  if (outcome.validation_perplexity >= 0)
    fmt::print("{}: {} steps, validation perplexity {:.3f} (float), {:.0f} s; checkpoint {}/checkpoint.pt\n",
               outcome.finished ? "finished" : "stopped", outcome.steps, outcome.validation_perplexity, outcome.seconds,
               dir);
  else if (outcome.test_accuracy >= 0)
    fmt::print("{}: {} steps, test accuracy {:.2f}% (float), {:.0f} s; checkpoint {}/checkpoint.pt\n",
               outcome.finished ? "finished" : "stopped", outcome.steps, 100 * outcome.test_accuracy, outcome.seconds,
               dir);
  else
    fmt::print("{}: {} steps, {:.0f} s; checkpoint {}/checkpoint.pt\n", outcome.finished ? "finished" : "stopped",
               outcome.steps, outcome.seconds, dir);
  if (g_stop) std::exit(130);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  auto& c = o->config;
  auto* cmd = app.add_subcommand("train", "Train a vision or language model against the simulated chip");
  cmd->add_option("--model", c.model, "small-cnn, vgg8, vgg11, resnet20, resnet18; gpt or bert (character level)")
      ->capture_default_str();
  cmd->add_option("--data", c.data,
                  "cifar10 or fashion-mnist; for gpt and bert: shakespeare (the default) or a UTF-8 text file")
      ->capture_default_str();
  cmd->add_option("--data-dir", c.data_dir, "data folder (default: the data set's usual place)");
  add_ranged_option(cmd, "--context", c.context, ranges::kContext, "gpt/bert: characters per window")
      ->capture_default_str();
  add_ranged_option(cmd, "--layers", c.layers, ranges::kTransformerLayers, "gpt/bert: transformer blocks")
      ->capture_default_str();
  add_ranged_option(cmd, "--heads", c.heads, ranges::kHeads, "gpt/bert: attention heads (divide --dim)")
      ->capture_default_str();
  add_ranged_option(cmd, "--dim", c.dim, ranges::kModelWidth, "gpt/bert: model width")->capture_default_str();
  add_choice_option(cmd, "--mode", c.mode, "gradient mode (neft: NeFT's device noise)");
  cmd->add_option("--preset", c.preset, "chip preset: rram (after NeuRRAM), rram-harsh or pcm")->capture_default_str();
  cmd->add_option("--chip-config", c.chip_config, "chip config JSON (overrides --preset)");
  add_ranged_option(cmd, "--level", c.level, ranges::kLevel, "chip noise level L in training")->capture_default_str();
  add_ranged_option(cmd, "--sigma", o->sigma, ranges::kNoiseSigma,
                    "noise of the mode: gaussian: weight noise std / max|W| (default or 0: measured from the chip at "
                    "--level); neft and the NeFT methods: NeFT's sigma (default 0.1)");
  add_choice_option(cmd, "--method", c.method,
                    "neft-ovf (3 extra forwards at raised noise) or neft-irs (auxiliary heads): NeFT's negative "
                    "feedback; its noise is --mode's (default neft; ste: the chip)");
  cmd->add_option("--device", c.neft_device, "NeFT device model: rram1, fefet2, rram4, fefet6 (s = 1, 2, 4, 6)")
      ->capture_default_str();
  add_ranged_option(cmd, "--beta", c.beta, ranges::kBeta,
                    "NeFT feedback weight (default: NeFT's for the model: vgg8 ovf 1e-3, irs 1e-1; resnet18 ovf 1e-1, "
                    "irs 1e-3)");
  add_ranged_option(cmd, "--irs-sigma", c.irs_sigma, ranges::kNoiseSigma,
                    "neft-irs: the heads' own NeFT sigma (default: --sigma)");
  cmd->add_option("--digital", c.digital, "layers kept digital: first, last or layer names (comma separated)")
      ->delimiter(',');
  add_ranged_option(cmd, "--epochs", c.epochs, ranges::kEpochs,
                    "epochs (gpt/bert: 5; an epoch is the training text's worth of windows)")
      ->capture_default_str();
  add_ranged_option(cmd, "--batch", c.batch, ranges::kBatch, "batch size (gpt/bert: 32 windows)")
      ->capture_default_str();
  add_ranged_option(cmd, "--lr", c.lr, ranges::kLearningRate, "peak learning rate (gpt/bert: 2e-3)")
      ->capture_default_str();
  add_choice_option(cmd, "--optimizer", c.optimizer, "sgd (momentum 0.9, Nesterov) or adam (gpt/bert: adam)");
  add_ranged_option(cmd, "--weight-decay", c.weight_decay, ranges::kWeightDecay, "L2 penalty (gpt/bert: 0)")
      ->capture_default_str();
  add_ranged_option(cmd, "--grad-clip", c.grad_clip, ranges::kGradClip,
                    "clip the gradients' global L2 norm to this (0: off; gpt/bert: 1)")
      ->capture_default_str();
  add_choice_option(cmd, "--schedule", c.schedule, "learning rate: cosine, step (x0.1 at 50% and 75%) or none");
  add_ranged_option(cmd, "--seed", c.seed, ranges::kSeed,
                    "seed of initialisation, data order, augmentation and chip noise")
      ->capture_default_str();
  add_ranged_option(cmd, "--subset", c.subset, ranges::kExampleLimit,
                    "train on the first N training images (gpt/bert: characters) only (0: all)");
  add_ranged_option(cmd, "--steps", c.steps, ranges::kTrainSteps,
                    "stop after N optimiser steps in all (the schedule stays that of --epochs)");
  add_ranged_option(cmd, "--eval-limit", c.eval_limit, ranges::kExampleLimit,
                    "validate each epoch on the first N test images (gpt/bert: windows) (0: all)");
  add_ranged_option(cmd, "--validate-every", c.validate_every, ranges::kValidateEvery,
                    "also validate every N steps into validation.csv (a validation-loss curve; 0: per epoch only)");
  cmd->add_flag("--channels-last", c.channels_last, "run the convolutions in channels-last memory (faster on CPUs)");
  cmd->add_option("--init", c.init, "start from this checkpoint's weights (e.g. fine-tune a clean model with ste)");
  cmd->add_option("--out", o->out, "output folder: config, metrics CSV, checkpoint, loss plot")->capture_default_str();
  cmd->add_option("--resume", o->resume_dir,
                  "continue the run saved in this folder (its config; --steps may extend it)");
  cmd->add_flag("--quiet", o->quiet, "no progress bar or log lines");
  cmd->callback([o, cmd]() {
    if (!o->resume_dir.empty()) refuse_flags_resume_cannot_honour(*cmd);
    apply_language_model_defaults(*cmd, o->config);
    apply_noise_flags(*cmd, *o);
    run_train(*o);
  });
}

}  // namespace cimtrain::cli
