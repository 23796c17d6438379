// `cimtrain eval` (see eval_command.h): table, --json, and an accuracy-vs-level plot.
#include "cli/eval_command.h"

#include <fmt/core.h>
#include <torch/utils.h>

#include <filesystem>

#include "data/dataset_registry.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/plot.h"
#include "train/progress_bar.h"

namespace cimtrain::cli {

namespace {

struct EvalOptions {
  std::string checkpoint;
  std::vector<double> levels = {1, 2, 3};
  int instances = 5;
  double time_s = 3600.0;
  double temperature_K = 300.0;
  std::string preset;  // default: the training preset
  std::string chip_config;
  uint64_t seed = 0;
  std::string data_dir;
  int64_t limit = 0;
  int64_t batch = 256;
  std::string plot;  // default: eval.png next to the checkpoint
  bool json = false;
};

void run_eval(const EvalOptions& o) {
  if (o.instances < 1) throw sim::ConfigError("--instances must be >= 1, found " + std::to_string(o.instances));
  if (o.batch < 1) throw sim::ConfigError("--batch must be >= 1, found " + std::to_string(o.batch));
  if (o.levels.empty()) throw sim::ConfigError("--level needs at least one level");
  const auto meta = train::read_checkpoint_meta(o.checkpoint);
  if (meta.value("kind", std::string()) != "classifier")
    throw std::runtime_error("checkpoint '" + o.checkpoint + "' holds a " + meta.value("kind", std::string("?")) +
                             ", not a classifier");
  auto config = meta.at("config").get<train::TrainConfig>();
  if (!o.preset.empty()) config.preset = o.preset;
  if (!o.chip_config.empty()) config.chip_config = o.chip_config;
  const auto test_set = data::load_image_dataset(config.data, o.data_dir.empty() ? config.data_dir : o.data_dir, false,
                                                 o.limit > 0 ? o.limit : -1);
  data::BatchLoaderOptions opts;
  opts.batch_size = o.batch;
  opts.shuffle = false;
  opts.norm = data::default_normalization(config.data);
  data::BatchLoader loader(test_set, opts);

  auto am = train::build_model(config, meta.at("in_channels").get<int64_t>(), meta.at("num_classes").get<int64_t>());
  train::load_checkpoint(o.checkpoint, *am.model);
  am.context->conditions = {o.time_s, o.temperature_K};
  am.context->conditions.validate();

  const double clean = train::accuracy(*am.model, loader);
  train::ProgressBar bar("eval", static_cast<int>(o.levels.size()) * o.instances, "chips");
  train::ChipEvalOptions eo;
  eo.levels = o.levels;
  eo.instances = o.instances;
  eo.seed = o.seed;
  const auto results = train::evaluate_on_chip(*am.model, *am.context, loader, eo,
                                               [&](int done, int) { bar.update(done); });
  bar.finish();

  const std::string plot_path =
      !o.plot.empty() ? o.plot : (std::filesystem::path(o.checkpoint).parent_path() / "eval.png").string();
  train::Series chip_series{"on the chip (mean, +-1 std)", {}, {}, {}};
  train::Series float_series{"float", {}, {}, {}};
  for (const auto& r : results) {
    chip_series.x.push_back(r.level);
    chip_series.y.push_back(100 * r.mean);
    chip_series.err.push_back(100 * r.std);
    float_series.x.push_back(r.level);
    float_series.y.push_back(100 * clean);
  }
  const bool plotted = train::plot_png(
      plot_path,
      {fmt::format("{} trained {} (level {}), chip {}", config.model, config.mode, config.level, am.context->chip.preset),
       "noise level L", "test accuracy (%)", false, true},
      {chip_series, float_series});

  if (o.json) {
    nlohmann::json levels = nlohmann::json::array();
    for (const auto& r : results) levels.push_back(train::to_json(r));
    nlohmann::json j = {{"metric", "accuracy"},
                        {"clean", clean},
                        {"levels", levels},
                        {"checkpoint", o.checkpoint},
                        {"model", config.model},
                        {"trained_mode", config.mode},
                        {"trained_level", config.level},
                        {"preset", am.context->chip.preset},
                        {"time_s", o.time_s},
                        {"temperature_K", o.temperature_K},
                        {"test_images", test_set.size()},
                        {"seed", o.seed}};
    if (plotted) j["plot"] = plot_path;
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{}: {} trained {} at level {}; chip {}, t = {} s, T = {} K, {} test images, {} instances per level\n",
             o.checkpoint, config.model, config.mode, config.level, am.context->chip.preset, o.time_s, o.temperature_K,
             test_set.size(), o.instances);
  fmt::print("float accuracy: {:.2f}%\n\n", 100 * clean);
  fmt::print("{:>6} {:>10} {:>8} {:>20} {:>10}\n", "level", "accuracy", "std", "95% interval", "vs float");
  for (const auto& r : results)
    fmt::print("{:>6} {:>9.2f}% {:>7.2f} {:>9.2f}..{:<8.2f}% {:>+9.2f}\n", r.level, 100 * r.mean, 100 * r.std,
               100 * r.ci_low, 100 * r.ci_high, 100 * (r.mean - clean));
  if (plotted) fmt::print("\nplot: {}\n", plot_path);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval", "Accuracy of a checkpoint in float and on simulated chip instances");
  cmd->add_option("--checkpoint", o->checkpoint, "checkpoint.pt written by cimtrain train")->required();
  cmd->add_option("--level", o->levels, "noise levels (comma separated)")->delimiter(',')->capture_default_str();
  cmd->add_option("--instances", o->instances, "chip instances per level (Monte-Carlo)")->capture_default_str();
  cmd->add_option("--time", o->time_s, "time since programming, seconds")->capture_default_str();
  cmd->add_option("--temperature", o->temperature_K, "ambient temperature, kelvin")->capture_default_str();
  cmd->add_option("--preset", o->preset, "chip preset (default: the one trained with)");
  cmd->add_option("--chip-config", o->chip_config, "chip config JSON (overrides the preset)");
  cmd->add_option("--seed", o->seed, "seed of the chip instances and read noise")->capture_default_str();
  cmd->add_option("--data-dir", o->data_dir, "data folder (default: the one trained with)");
  cmd->add_option("--limit", o->limit, "evaluate on the first N test images (0: all)");
  cmd->add_option("--batch", o->batch, "images per read batch (the ADC range follows each batch)")->capture_default_str();
  cmd->add_option("--plot", o->plot, "accuracy-vs-level PNG (default: eval.png next to the checkpoint)");
  cmd->add_flag("--json", o->json, "print one JSON object instead of the table");
  cmd->callback([o]() { run_eval(*o); });
}

}  // namespace cimtrain::cli
