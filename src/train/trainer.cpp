// The training loop (see trainer.h).
#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/dataset_registry.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/plot.h"
#include "train/progress_bar.h"

namespace cimtrain::train {

namespace fs = std::filesystem;

TrainPaths::TrainPaths(std::string d)
    : dir(std::move(d)),
      config(dir + "/config.json"),
      checkpoint(dir + "/checkpoint.pt"),
      steps_csv(dir + "/steps.csv"),
      epochs_csv(dir + "/epochs.csv"),
      loss_png(dir + "/loss.png") {}

namespace {

// Where a run stands: saved in the checkpoint record.
struct Progress {
  int64_t epoch = 0;          // current epoch
  int64_t batch = 0;          // next batch of that epoch
  int64_t step = 0;           // optimiser steps done
  double epoch_loss_sum = 0;  // over the current epoch's steps so far
  int64_t epoch_correct = 0, epoch_seen = 0;
  double seconds = 0;  // training time so far, all invocations
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Progress, epoch, batch, step, epoch_loss_sum, epoch_correct, epoch_seen, seconds)

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

// Keeps the rows of a CSV whose first column is <= `last` (the rows an interrupted run wrote after its
// checkpoint are dropped on resume); writes the header when the file is new.
void trim_csv(const std::string& path, const std::string& header, int64_t last) {
  std::vector<std::string> keep = {header};
  std::ifstream in(path);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      first = false;
      continue;
    }
    if (line.empty()) continue;
    if (std::stoll(line.substr(0, line.find(','))) <= last) keep.push_back(line);
  }
  in.close();
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : keep) out << l << '\n';
}

std::vector<std::vector<double>> read_csv_columns(const std::string& path, std::vector<int> columns) {
  std::vector<std::vector<double>> out(columns.size());
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    for (size_t i = 0; i < columns.size(); ++i)
      out[i].push_back(columns[i] < static_cast<int>(cells.size()) ? std::stod(cells[columns[i]]) : 0.0);
  }
  return out;
}

void plot_loss(const TrainPaths& p, const TrainConfig& c) {
  const auto steps = read_csv_columns(p.steps_csv, {0, 2});
  if (steps[0].empty()) return;
  std::vector<Series> series = {{"training loss per step", steps[0], steps[1], {}}};
  // A centred moving average over ~2% of the run (at least 5 steps) shows the trend through the batch noise.
  const int64_t n = static_cast<int64_t>(steps[1].size());
  const int64_t half = std::max<int64_t>(2, n / 100);
  Series smooth{fmt::format("moving average ({} steps)", 2 * half + 1), {}, {}, {}};
  for (int64_t i = half; i + half < n; ++i) {
    double sum = 0;
    for (int64_t k = i - half; k <= i + half; ++k) sum += steps[1][k];
    smooth.x.push_back(steps[0][i]);
    smooth.y.push_back(sum / (2 * half + 1));
  }
  if (!smooth.x.empty()) series.push_back(smooth);
  const auto epochs = read_csv_columns(p.epochs_csv, {1, 2});
  if (!epochs[0].empty()) series.push_back({"epoch mean (at its last step)", epochs[0], epochs[1], {}, true});
  plot_png(p.loss_png,
           {fmt::format("{} on {}, mode {} (level {})", c.model, c.data, c.mode, c.level), "step", "cross-entropy loss",
            true, false},
           series);
}

TrainOutcome run(const TrainConfig& config, const TrainPaths& paths, Progress progress, bool resuming,
                 const std::atomic<bool>* stop, bool quiet) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto log = [&](const std::string& s) {
    if (!quiet) fmt::print(stderr, "{}\n", s);
  };
  const auto train_set =
      data::load_image_dataset(config.data, config.data_dir, true, config.subset > 0 ? config.subset : -1);
  const auto test_set =
      data::load_image_dataset(config.data, config.data_dir, false, config.eval_limit > 0 ? config.eval_limit : -1);
  const auto norm = data::default_normalization(config.data);
  data::BatchLoaderOptions train_opts;
  train_opts.batch_size = config.batch;
  train_opts.shuffle = true;
  train_opts.augment = config.data == "cifar10";  // pad-4 crop + flip (Fashion-MNIST: none)
  train_opts.norm = norm;
  train_opts.seed = config.seed;
  train_opts.drop_last = train_set.size() > config.batch;
  data::BatchLoader train_loader(train_set, train_opts);
  data::BatchLoaderOptions test_opts;
  test_opts.batch_size = 256;
  test_opts.shuffle = false;
  test_opts.norm = norm;
  data::BatchLoader test_loader(test_set, test_opts);

  torch::manual_seed(config.seed);  // parameter initialisation
  auto am = build_model(config, train_set.images.size(1), train_set.num_classes);
  auto& model = *am.model;
  if (am.context->mode == nn::GradientMode::kGaussian && am.context->gaussian_sigma == 0) {
    am.context->gaussian_sigma = equivalent_gaussian_sigma(am.context->chip, config.seed);
    log(fmt::format("gaussian mode: sigma = {:.4f} x max|W|, measured from the chip at level {}",
                    am.context->gaussian_sigma, config.level));
  }
  auto optimizer = make_optimizer(config, model);
  if (resuming) {
    load_checkpoint(paths.checkpoint, model, optimizer.get());
  } else if (!config.init.empty()) {
    const auto meta = read_checkpoint_meta(config.init);
    const auto init_model = meta.value("config", nlohmann::json::object()).value("model", std::string());
    if (init_model != config.model)
      throw std::runtime_error("--init checkpoint '" + config.init + "' holds a " + init_model + ", not a " +
                               config.model);
    load_checkpoint(config.init, model, nullptr);
    log("initialised from " + config.init);
  }

  const int64_t per_epoch = train_loader.batches_per_epoch();
  const int64_t total_steps = per_epoch * config.epochs;
  const int64_t last_step = config.steps > 0 ? std::min(config.steps, total_steps) : total_steps;
  const std::string steps_header = "step,epoch,loss,accuracy,lr,seconds";
  const std::string epochs_header = "epoch,steps,train_loss,train_accuracy,test_accuracy,seconds";
  trim_csv(paths.steps_csv, steps_header, resuming ? progress.step : 0);
  trim_csv(paths.epochs_csv, epochs_header, resuming ? progress.epoch : 0);
  std::ofstream steps_out(paths.steps_csv, std::ios::app), epochs_out(paths.epochs_csv, std::ios::app);

  nlohmann::json meta_base = {{"kind", "classifier"},
                              {"config", config},
                              {"in_channels", train_set.images.size(1)},
                              {"num_classes", train_set.num_classes},
                              {"class_names", train_set.class_names},
                              {"analog_layers", am.layers.analog},
                              {"digital_layers", am.layers.digital}};
  const auto save = [&](bool finished) {
    auto meta = meta_base;
    meta["progress"] = progress;
    meta["finished"] = finished;
    save_checkpoint(paths.checkpoint, model, optimizer.get(), meta);
  };

  log(fmt::format(
      "training {} on {} ({} images, {} steps/epoch), mode {}, chip {} level {}: {} analog, {} digital layers",
      config.model, config.data, train_set.size(), per_epoch, config.mode, am.context->chip.preset, config.level,
      am.layers.analog.size(), am.layers.digital.size()));
  TrainOutcome outcome;
  ProgressBar bar("train", static_cast<int>(last_step), "steps");
  bool interrupted = false;
  double last_test_accuracy = -1;
  model.train();
  while (progress.step < last_step && progress.epoch < config.epochs && !interrupted) {
    train_loader.start_epoch(progress.epoch, progress.batch);
    data::Batch batch;
    while (progress.step < last_step && train_loader.next(batch)) {
      const auto step_start = std::chrono::steady_clock::now();
      const double lr = learning_rate(config, progress.step, total_steps);
      set_lr(*optimizer, lr);
      am.context->gen.set_current_seed(mix_seed({config.seed, uint64_t(progress.step), 7}));  // chip noise
      optimizer->zero_grad();
      const auto logits = model.forward(to_model_layout(config, batch.images));
      const auto loss = at::cross_entropy_loss(logits, batch.labels);
      loss.backward();
      optimizer->step();
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value))
        throw std::runtime_error(
            fmt::format("training diverged: loss {} at step {} (lower --lr?)", loss_value, progress.step));
      const int64_t correct = logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
      ++progress.step;
      ++progress.batch;
      progress.epoch_loss_sum += loss_value;
      progress.epoch_correct += correct;
      progress.epoch_seen += batch.labels.size(0);
      progress.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
      steps_out << fmt::format("{},{},{:.6f},{:.4f},{:.6g},{:.3f}\n", progress.step, progress.epoch, loss_value,
                               static_cast<double>(correct) / batch.labels.size(0), lr, progress.seconds)
                << std::flush;  // users (and tests) follow the file while the run goes on
      bar.update(static_cast<int>(progress.step), fmt::format("loss {:.3f}", loss_value));
      if (stop && stop->load()) {
        interrupted = true;
        break;
      }
    }
    if (interrupted || progress.batch < per_epoch) break;  // stopped inside the epoch
    // End of an epoch: validate (float accuracy) and save.
    const double epoch_steps = std::max<int64_t>(1, progress.batch);
    const double test_acc = accuracy(model, test_loader);
    last_test_accuracy = test_acc;
    epochs_out << fmt::format(
        "{},{},{:.6f},{:.4f},{:.4f},{:.1f}\n", progress.epoch + 1, progress.step, progress.epoch_loss_sum / epoch_steps,
        progress.epoch_seen ? double(progress.epoch_correct) / progress.epoch_seen : 0.0, test_acc, progress.seconds);
    epochs_out.flush();
    bar.pause();
    log(fmt::format("epoch {}/{}: train loss {:.4f}, train accuracy {:.2f}%, test accuracy {:.2f}% (float), {:.0f} s",
                    progress.epoch + 1, config.epochs, progress.epoch_loss_sum / epoch_steps,
                    100.0 * progress.epoch_correct / std::max<int64_t>(1, progress.epoch_seen), 100 * test_acc,
                    progress.seconds));
    ++progress.epoch;
    progress.batch = 0;
    progress.epoch_loss_sum = 0;
    progress.epoch_correct = progress.epoch_seen = 0;
    save(progress.epoch >= config.epochs);
  }
  bar.finish();
  steps_out.flush();
  outcome.finished = progress.epoch >= config.epochs;
  if (!outcome.finished) save(false);
  if (interrupted)
    log(fmt::format("interrupted at step {}: saved {}; continue with --resume {}", progress.step, paths.checkpoint,
                    paths.dir));
  plot_loss(paths, config);
  outcome.steps = progress.step;
  outcome.test_accuracy = last_test_accuracy;
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outcome;
}

}  // namespace

TrainOutcome train(const TrainConfig& config, const std::string& out_dir, const std::atomic<bool>* stop, bool quiet) {
  config.validate();
  const TrainPaths paths(out_dir);
  fs::create_directories(paths.dir);
  {
    std::ofstream out(paths.config + ".tmp");
    out << nlohmann::json(config).dump(2) << '\n';
  }
  fs::rename(paths.config + ".tmp", paths.config);
  fs::remove(paths.steps_csv);
  fs::remove(paths.epochs_csv);
  return run(config, paths, Progress{}, false, stop, quiet);
}

TrainOutcome resume(const std::string& out_dir, int64_t steps, int64_t epochs, const std::atomic<bool>* stop,
                    bool quiet) {
  const TrainPaths paths(out_dir);
  const auto meta = read_checkpoint_meta(paths.checkpoint);
  TrainConfig config;
  try {
    config = meta.at("config").get<TrainConfig>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint '" + paths.checkpoint + "': its config is unreadable: " + e.what());
  }
  if (steps > 0) config.steps = steps;
  if (epochs > 0) config.epochs = epochs;
  config.validate();
  Progress progress = meta.at("progress").get<Progress>();
  return run(config, paths, progress, true, stop, quiet);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, torch::nn::Module& model) {
  if (c.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(model.parameters(),
                                                torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::SGD>(
      model.parameters(), torch::optim::SGDOptions(c.lr).momentum(0.9).nesterov(true).weight_decay(c.weight_decay));
}

}  // namespace cimtrain::train
