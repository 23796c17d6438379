// The training loop (see trainer.h).
#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/utils.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "train/checkpoint.h"
#include "train/csv_columns.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/plot.h"
#include "train/progress_bar.h"
#include "train/training_task.h"

namespace cimtrain::train {

namespace fs = std::filesystem;

TrainPaths::TrainPaths(std::string d)
    : dir(std::move(d)),
      config(dir + "/config.json"),
      checkpoint(dir + "/checkpoint.pt"),
      steps_csv(dir + "/steps.csv"),
      epochs_csv(dir + "/epochs.csv"),
      validation_csv(dir + "/validation.csv"),
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

void plot_loss(const TrainPaths& p, const TrainConfig& c) {
  const auto steps = read_csv_columns(p.steps_csv, {0, 2});
  if (steps[0].empty()) return;
  std::vector<Series> series = {{"training loss per step", steps[0], steps[1], {}}};
  // A centred moving average over ~2% of the run (at least 5 steps) shows the trend through the batch noise.
  const int64_t half = std::max<int64_t>(2, static_cast<int64_t>(steps[1].size()) / 100);
  const Series smooth{fmt::format("moving average ({} steps)", 2 * half + 1), steps[0], moving_average(steps[1], half),
                      {}};
  if (!smooth.x.empty()) series.push_back(smooth);
  const auto epochs = read_csv_columns(p.epochs_csv, {1, 2});
  if (!epochs[0].empty()) series.push_back({"epoch mean (at its last step)", epochs[0], epochs[1], {}, true});
  if (fs::exists(p.validation_csv)) {
    const auto v = read_csv_columns(p.validation_csv, {0, 1});
    if (!v[0].empty()) series.push_back({"validation loss (float)", v[0], v[1], {}, true});
  }
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
  auto task = make_training_task(config);
  auto& model = task->model();
  auto& context = task->context();
  if (context.mode == nn::GradientMode::kGaussian && context.gaussian_sigma == 0) {
    context.gaussian_sigma = equivalent_gaussian_sigma(context.chip, config.seed);
    log(fmt::format("gaussian mode: sigma = {:.4f} x max|W|, measured from the chip at level {}",
                    context.gaussian_sigma, config.level));
  }
  auto* auxiliary = task->auxiliary();
  auto optimizer = make_optimizer(config, model, auxiliary);
  const auto trained = optimizer->param_groups().front().params();  // the model's and the auxiliary modules'
  if (resuming) {
    load_checkpoint(paths.checkpoint, model, optimizer.get());
    // A finished IRS run kept no heads (nor their optimiser state): extending it starts new heads.
    if (auxiliary && !load_auxiliary(paths.checkpoint, *auxiliary))
      log("the checkpoint holds no IRS heads (a finished run): training goes on with new heads");
  } else if (!config.init.empty()) {
    const auto meta = read_checkpoint_meta(config.init);
    const auto init_model = meta.value("config", nlohmann::json::object()).value("model", std::string());
    if (init_model != config.model)
      throw std::runtime_error("--init checkpoint '" + config.init + "' holds a " + init_model + ", not a " +
                               config.model);
    load_checkpoint(config.init, model, nullptr);
    log("initialised from " + config.init);
  }

  const int64_t per_epoch = task->steps_per_epoch();
  const int64_t total_steps = per_epoch * config.epochs;
  const int64_t last_step = config.steps > 0 ? std::min(config.steps, total_steps) : total_steps;
  const std::string steps_header = "step,epoch,loss,accuracy,lr,seconds";
  const std::string epochs_header = "epoch,steps,train_loss,train_accuracy," + task->validation_columns() + ",seconds";
  trim_csv(paths.steps_csv, steps_header, resuming ? progress.step : 0);
  trim_csv(paths.epochs_csv, epochs_header, resuming ? progress.epoch : 0);
  std::ofstream steps_out(paths.steps_csv, std::ios::app), epochs_out(paths.epochs_csv, std::ios::app);
  std::ofstream validation_out;
  if (config.validate_every > 0) {
    trim_csv(paths.validation_csv, "step,validation_loss," + task->validation_columns(), resuming ? progress.step : 0);
    validation_out.open(paths.validation_csv, std::ios::app);
  }
  // Float validation (eval mode, no autograd; draws no random numbers), logged in validation.csv when asked.
  int64_t validated_at = -1;
  const auto validate = [&]() {
    auto v = task->validate();
    if (validation_out.is_open() && validated_at != progress.step) {
      std::string values;
      for (double x : v.values) values += fmt::format(",{:.6f}", x);
      validation_out << fmt::format("{},{:.6f}{}\n", progress.step, v.loss, values) << std::flush;
      validated_at = progress.step;
    }
    return v;
  };

  nlohmann::json meta_base = task->meta();
  meta_base["config"] = config;
  const auto save = [&](bool finished) {
    auto meta = meta_base;
    meta["progress"] = progress;
    meta["finished"] = finished;
    // The finished model is the inference model: NeFT's IRS heads are dropped, and with them the optimiser
    // state that holds theirs.
    save_checkpoint(paths.checkpoint, model, finished && auxiliary ? nullptr : optimizer.get(), meta,
                    finished ? nullptr : auxiliary);
  };

  log(fmt::format("training {} on {}, mode {}, chip {} level {}: {} analog, {} digital layers", config.model,
                  task->description(), config.mode, context.chip.preset, config.level, task->layers().analog.size(),
                  task->layers().digital.size()));
  if (context.mode == nn::GradientMode::kNeft || config.method != "plain")
    log(fmt::format("NeFT: device {} (s = {:g}), sigma {:g}{}", config.neft_device, context.neft_s, config.neft_sigma,
                    task->method_summary().empty() ? "" : "; " + task->method_summary()));
  TrainOutcome outcome;
  ProgressBar bar("train", static_cast<int>(last_step), "steps");
  bool interrupted = false;
  model.train();
  while (progress.step < last_step && progress.epoch < config.epochs && !interrupted) {
    task->start_epoch(progress.epoch, progress.batch);
    TaskBatch batch;
    while (progress.step < last_step && task->next(progress.step, batch)) {
      const auto step_start = std::chrono::steady_clock::now();
      const double lr = learning_rate(config, progress.step, total_steps);
      set_lr(*optimizer, lr);
      context.gen.set_current_seed(mix_seed({config.seed, uint64_t(progress.step), 7}));  // chip noise
      optimizer->zero_grad();
      const auto logits = task->training_forward(batch.input);
      const auto loss = task_loss(logits, batch.target);
      loss.backward();
      if (config.grad_clip > 0) torch::nn::utils::clip_grad_norm_(trained, config.grad_clip);
      optimizer->step();
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value))
        throw std::runtime_error(
            fmt::format("training diverged: loss {} at step {} (lower --lr?)", loss_value, progress.step));
      const auto [correct, scored] = task_correct(logits, batch.target);
      ++progress.step;
      ++progress.batch;
      progress.epoch_loss_sum += loss_value;
      progress.epoch_correct += correct;
      progress.epoch_seen += scored;
      progress.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
      steps_out << fmt::format("{},{},{:.6f},{:.4f},{:.6g},{:.3f}\n", progress.step, progress.epoch, loss_value,
                               scored ? static_cast<double>(correct) / scored : 0.0, lr, progress.seconds)
                << std::flush;  // users (and tests) follow the file while the run goes on
      bar.update(static_cast<int>(progress.step), fmt::format("loss {:.3f}", loss_value));
      if (config.validate_every > 0 && progress.step % config.validate_every == 0 && progress.batch < per_epoch)
        validate();  // (the epoch's end validates below)
      if (stop && stop->load()) {
        interrupted = true;
        break;
      }
    }
    if (interrupted || progress.batch < per_epoch) break;  // stopped inside the epoch
    // End of an epoch: validate (float) and save.
    const double epoch_steps = std::max<int64_t>(1, progress.batch);
    const auto validation = validate();
    outcome.test_accuracy = validation.accuracy;
    outcome.validation_perplexity = validation.perplexity;
    std::string values;
    for (double v : validation.values) values += fmt::format("{:.4f},", v);
    epochs_out << fmt::format("{},{},{:.6f},{:.4f},{}{:.1f}\n", progress.epoch + 1, progress.step,
                              progress.epoch_loss_sum / epoch_steps,
                              progress.epoch_seen ? double(progress.epoch_correct) / progress.epoch_seen : 0.0, values,
                              progress.seconds);
    epochs_out.flush();
    bar.pause();
    log(fmt::format("epoch {}/{}: train loss {:.4f}, train accuracy {:.2f}%, {}, {:.0f} s", progress.epoch + 1,
                    config.epochs, progress.epoch_loss_sum / epoch_steps,
                    100.0 * progress.epoch_correct / std::max<int64_t>(1, progress.epoch_seen), validation.summary,
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
  fs::remove(paths.validation_csv);
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

std::unique_ptr<TrainingTask> make_training_task(const TrainConfig& config) {
  return is_language_model_run(config) ? make_text_task(config) : make_image_task(config);
}

at::Tensor task_loss(const at::Tensor& logits, const at::Tensor& target) {
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), target.reshape({-1}), {}, at::Reduction::Mean,
                                -100);
}

std::pair<int64_t, int64_t> task_correct(const at::Tensor& logits, const at::Tensor& target) {
  const auto flat = target.reshape({-1});
  const auto scored = flat.ne(-100);
  const auto hits = logits.reshape({-1, logits.size(-1)}).argmax(1).eq(flat).logical_and(scored);
  return {hits.sum().item<int64_t>(), scored.sum().item<int64_t>()};
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, torch::nn::Module& model,
                                                        torch::nn::Module* auxiliary) {
  auto params = model.parameters();
  if (auxiliary)
    for (auto& p : auxiliary->parameters()) params.push_back(p);
  if (c.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(c.lr).momentum(0.9).nesterov(true).weight_decay(c.weight_decay));
}

}  // namespace cimtrain::train
