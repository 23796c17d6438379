// `cimtrain bench`: its flags, turned into eval::BenchOptions for eval::run_bench (src/eval/mode_bench.h).
#include "cli/bench_command.h"

#include "cli/ranged_option.h"
#include "common/declared_ranges.h"
#include "eval/mode_bench.h"

namespace cimtrain::cli {

namespace ranges = common::ranges;

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<eval::BenchOptions>();
  auto* cmd =
      app.add_subcommand("bench", "cost of a training step per gradient mode (time, memory, CPU; paper Table III)");
  auto& s = o->step;
  cmd->add_option("--model", s.model, "small-cnn, vgg8, vgg11, resnet20, resnet18, gpt or bert")->capture_default_str();
  cmd->add_option("--data", s.data, "input shape of cifar10 or fashion-mnist (default: the model's usual)");
  cmd->add_option("--modes", o->modes,
                  "gradient modes, comma separated; MODE+METHOD for a NeFT method (neft+neft-ovf, ste+neft-irs)")
      ->delimiter(',')
      ->capture_default_str();
  add_ranged_option(cmd, "--batch", s.batch, ranges::kBatch, "batch size")->capture_default_str();
  add_ranged_option(cmd, "--steps", s.steps, ranges::kTimedSteps, "timed steps per mode and repeat")
      ->capture_default_str();
  add_ranged_option(cmd, "--warmup", s.warmup, ranges::kWarmupSteps, "untimed steps first")->capture_default_str();
  add_ranged_option(cmd, "--repeats", o->repeats, ranges::kRepeats,
                    "run every mode this many times, interleaved (medians pool them)")
      ->capture_default_str();
  cmd->add_option("--preset", s.preset, "chip preset: rram (after NeuRRAM), rram-harsh or pcm")->capture_default_str();
  cmd->add_option("--chip-config", s.chip_config, "chip config JSON (overrides --preset)");
  add_ranged_option(cmd, "--level", s.level, ranges::kLevel, "chip noise level L")->capture_default_str();
  add_ranged_option(cmd, "--seed", s.seed, ranges::kSeed, "seed of initialisation, data and chip noise")
      ->capture_default_str();
  cmd->add_flag("--channels-last", s.channels_last, "run the convolutions in channels-last memory (all modes)");
  cmd->add_flag("!--no-breakdown", o->breakdown, "skip the per-part timing of an ste step");
  cmd->add_flag("--json", o->json, "print the results as one JSON object (the table goes to stderr)");
  cmd->add_option("--out", o->out, "folder for bench.json, bench.md and bench.png (default: runs/bench-<model>)");
  cmd->add_option("--worker", o->worker, "internal: run one mode in this process")->group("");
  cmd->callback([o]() { eval::run_bench(*o); });
}

}  // namespace cimtrain::cli
