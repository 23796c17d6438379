// `cimtrain train` (see train_command.h): flags -> TrainConfig, Ctrl-C -> a clean stop with a checkpoint.
#include "cli/train_command.h"

#include <fmt/core.h>

#include <atomic>
#include <csignal>

#include "cli/typed_options.h"
#include "train/trainer.h"

namespace cimtrain::cli {

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
  cmd->add_option("--context", c.context, "gpt/bert: characters per window")->capture_default_str();
  cmd->add_option("--layers", c.layers, "gpt/bert: transformer blocks")->capture_default_str();
  cmd->add_option("--heads", c.heads, "gpt/bert: attention heads (divide --dim)")->capture_default_str();
  cmd->add_option("--dim", c.dim, "gpt/bert: model width")->capture_default_str();
  add_choice_option(cmd, "--mode", c.mode, "gradient mode (neft: NeFT's device noise)");
  cmd->add_option("--preset", c.preset, "chip preset: rram (after NeuRRAM), rram-harsh or pcm")->capture_default_str();
  cmd->add_option("--chip-config", c.chip_config, "chip config JSON (overrides --preset)");
  cmd->add_option("--level", c.level, "chip noise level L in training")->capture_default_str();
  add_optional_option(cmd, "--sigma", o->sigma,
                      "noise of the mode: gaussian: weight noise std / max|W| (default or 0: measured from the chip at "
                      "--level); neft and the NeFT methods: NeFT's sigma (default 0.1)");
  add_choice_option(cmd, "--method", c.method,
                    "neft-ovf (3 extra forwards at raised noise) or neft-irs (auxiliary heads): NeFT's negative "
                    "feedback; its noise is --mode's (default neft; ste: the chip)");
  cmd->add_option("--device", c.neft_device, "NeFT device model: rram1, fefet2, rram4, fefet6 (s = 1, 2, 4, 6)")
      ->capture_default_str();
  add_optional_option(
      cmd, "--beta", c.beta,
      "NeFT feedback weight (default: NeFT's for the model: vgg8 ovf 1e-3, irs 1e-1; resnet18 ovf 1e-1, "
      "irs 1e-3)");
  add_optional_option(cmd, "--irs-sigma", c.irs_sigma, "neft-irs: the heads' own NeFT sigma (default: --sigma)");
  cmd->add_option("--digital", c.digital, "layers kept digital: first, last or layer names (comma separated)")
      ->delimiter(',');
  cmd->add_option("--epochs", c.epochs, "epochs (gpt/bert: 5; an epoch is the training text's worth of windows)")
      ->capture_default_str();
  cmd->add_option("--batch", c.batch, "batch size (gpt/bert: 32 windows)")->capture_default_str();
  cmd->add_option("--lr", c.lr, "peak learning rate (gpt/bert: 2e-3)")->capture_default_str();
  add_choice_option(cmd, "--optimizer", c.optimizer, "sgd (momentum 0.9, Nesterov) or adam (gpt/bert: adam)");
  cmd->add_option("--weight-decay", c.weight_decay, "L2 penalty (gpt/bert: 0)")->capture_default_str();
  cmd->add_option("--grad-clip", c.grad_clip, "clip the gradients' global L2 norm to this (0: off; gpt/bert: 1)")
      ->capture_default_str();
  add_choice_option(cmd, "--schedule", c.schedule, "learning rate: cosine, step (x0.1 at 50% and 75%) or none");
  cmd->add_option("--seed", c.seed, "seed of initialisation, data order, augmentation and chip noise")
      ->capture_default_str();
  cmd->add_option("--subset", c.subset, "train on the first N training images (gpt/bert: characters) only (0: all)");
  cmd->add_option("--steps", c.steps, "stop after N optimiser steps in all (the schedule stays that of --epochs)");
  cmd->add_option("--eval-limit", c.eval_limit,
                  "validate each epoch on the first N test images (gpt/bert: windows) (0: all)");
  cmd->add_option("--validate-every", c.validate_every,
                  "also validate every N steps into validation.csv (a validation-loss curve; 0: per epoch only)");
  cmd->add_flag("--channels-last", c.channels_last, "run the convolutions in channels-last memory (faster on CPUs)");
  cmd->add_option("--init", c.init, "start from this checkpoint's weights (e.g. fine-tune a clean model with ste)");
  cmd->add_option("--out", o->out, "output folder: config, metrics CSV, checkpoint, loss plot")->capture_default_str();
  cmd->add_option("--resume", o->resume_dir,
                  "continue the run saved in this folder (its config; --steps may extend it)");
  cmd->add_flag("--quiet", o->quiet, "no progress bar or log lines");
  cmd->callback([o, cmd]() {
    apply_language_model_defaults(*cmd, o->config);
    apply_noise_flags(*cmd, *o);
    run_train(*o);
  });
}

}  // namespace cimtrain::cli
