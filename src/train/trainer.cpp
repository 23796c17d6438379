// The training loop (see trainer.h).
#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/atomic_file.h"
#include "common/folder_lock.h"
#include "common/seed_streams.h"
#include "dist/module_sync.h"
#include "dist/ranks.h"
#include "report/csv_columns.h"
#include "report/plot.h"
#include "report/progress_bar.h"
#include "report/report_files.h"
#include "train/checkpoint.h"
#include "train/model_setup.h"
#include "train/training_progress.h"
#include "train/training_step.h"
#include "train/training_task.h"

namespace cimtrain::train {

namespace fs = std::filesystem;

namespace {

// A run file's stream after a write: an error naming the file and the cause (a full disk) when it failed.
void check_written(const std::ofstream& out, const std::string& path) {
  if (!out) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
}

// One invocation of the training loop: the task, its optimiser and the run's files, stepped until the
// run is finished, --steps is reached or `stop` is set.
//
// Data parallel over the ranks of dist::Ranks::world() (docs/distributed.md): every rank builds the same model and
// loads the same batches, rank 0's parameters and buffers are broadcast at the start, each step runs on each rank's
// shard of the batch with its own chip noise (training_step), and after it the BatchNorm running statistics are
// averaged over the ranks, so that every rank holds the same model after every step and a checkpoint is every
// rank's state (resume is exact for the same number of ranks). A stop request on any rank stops all at the same
// step. Rank 0 alone validates and writes the run's files.
class TrainingRun {
 public:
  TrainingRun(const TrainConfig& config, const TrainPaths& paths, Progress progress, bool resuming, bool quiet)
      : config_(config),
        paths_(paths),
        progress_(progress),
        quiet_(quiet || !dist::Ranks::world().writes_outputs()),
        ranks_(dist::Ranks::world()),
        wall_mark_(std::chrono::steady_clock::now()),
        task_(make_training_task(config)) {
    prepare_model(resuming);  // everything that can fail on bad input first: the folder is untouched until here
    if (ranks_.writes_outputs()) open_files(resuming);
  }
  TrainOutcome run(const std::atomic<bool>* stop);

 private:
  void log(const std::string& s) const {
    if (!quiet_) fmt::print(stderr, "{}\n", s);
  }
  void prepare_model(bool resuming);
  void open_files(bool resuming);
  Validation validate();
  void save(bool finished);
  bool step(const TaskBatch& batch, int64_t total_steps, report::ProgressBar& bar, bool stop_asked);
  Validation end_epoch();
  // Adds the wall time since the last call (or since this invocation began) to the progress.
  void count_wall_time() {
    const auto now = std::chrono::steady_clock::now();
    progress_.wall_seconds += std::chrono::duration<double>(now - wall_mark_).count();
    wall_mark_ = now;
  }

  TrainConfig config_;
  TrainPaths paths_;
  Progress progress_;
  bool quiet_;
  dist::Ranks& ranks_;
  std::chrono::steady_clock::time_point wall_mark_;  // where count_wall_time last counted to
  std::unique_ptr<TrainingTask> task_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::ofstream steps_out_, epochs_out_, validation_out_;
  int64_t validated_at_ = -1;
  nlohmann::json meta_base_;
};

void TrainingRun::prepare_model(bool resuming) {
  auto& model = task_->model();
  auto& context = task_->context();
  if (context.mode() == nn::GradientMode::kGaussian && !config_.gaussian_sigma) {
    context.set_gaussian_sigma(equivalent_gaussian_sigma(context.chip_config(), config_.seed));
    log(fmt::format("gaussian mode: sigma = {:.4f} x max|W|, measured from the chip at level {}",
                    context.gaussian_sigma(), config_.level));
  }
  auto* auxiliary = task_->auxiliary();
  optimizer_ = make_optimizer(config_, model, auxiliary);
  if (resuming) {
    load_checkpoint(paths_.checkpoint, model, optimizer_.get());
    // A finished IRS run kept no heads (nor their optimiser state): extending it starts new heads.
    if (auxiliary && !load_auxiliary(paths_.checkpoint, *auxiliary))
      log("the checkpoint holds no IRS heads (a finished run): training goes on with new heads");
  } else if (!config_.init.empty()) {
    const auto meta = read_checkpoint_meta(config_.init);
    const auto init_config = meta.value("config", nlohmann::json::object());
    const auto init_model = init_config.value("model", std::string());
    if (init_model != config_.model)
      throw std::runtime_error("--init checkpoint '" + config_.init + "' holds a " + init_model + ", not a " +
                               config_.model);
    const auto init_data = init_config.value("data", config_.data);
    if (init_data != config_.data)
      throw std::runtime_error("--init checkpoint '" + config_.init + "' was trained on " + init_data + ", not on " +
                               config_.data + " (its input and class layers are another data set's)");
    load_checkpoint(config_.init, model, nullptr);
    log("initialised from " + config_.init);
  }
  dist::broadcast_module(ranks_, model);
  if (auxiliary) dist::broadcast_module(ranks_, *auxiliary);
  meta_base_ = task_->meta();
  meta_base_["config"] = config_;
  if (context.mode() == nn::GradientMode::kGaussian) meta_base_["gaussian_sigma"] = context.gaussian_sigma();
  meta_base_["ranks"] = ranks_.size();
}

void TrainingRun::open_files(bool resuming) {
  if (!resuming) {  // a new run: its config, and no log of an earlier run in the folder
    common::write_file(paths_.config, nlohmann::json(config_).dump(2) + "\n");
    fs::remove(paths_.validation_csv);
  }
  trim_csv(paths_.steps_csv, "step,epoch,loss,accuracy,lr,seconds", resuming ? progress_.step : 0);
  trim_csv(paths_.epochs_csv, "epoch,steps,train_loss,train_accuracy," + task_->validation_columns() + ",seconds",
           resuming ? progress_.epoch : 0);
  steps_out_.open(paths_.steps_csv, std::ios::app);
  check_written(steps_out_, paths_.steps_csv);
  epochs_out_.open(paths_.epochs_csv, std::ios::app);
  check_written(epochs_out_, paths_.epochs_csv);
  if (config_.validate_every > 0) {
    trim_csv(paths_.validation_csv, "step,validation_loss," + task_->validation_columns(),
             resuming ? progress_.step : 0);
    validation_out_.open(paths_.validation_csv, std::ios::app);
    check_written(validation_out_, paths_.validation_csv);
  }
}

// Float validation (eval mode, no autograd; draws no random numbers), logged in validation.csv when asked.
Validation TrainingRun::validate() {
  if (!ranks_.writes_outputs()) return {};
  auto v = task_->validate();
  if (validation_out_.is_open() && validated_at_ != progress_.step) {
    std::string values;
    for (double x : v.values) values += fmt::format(",{:.6f}", x);
    validation_out_ << fmt::format("{},{:.6f}{}\n", progress_.step, v.loss, values) << std::flush;
    check_written(validation_out_, paths_.validation_csv);
    validated_at_ = progress_.step;
  }
  return v;
}

void TrainingRun::save(bool finished) {
  count_wall_time();
  if (!ranks_.writes_outputs()) return;
  auto meta = meta_base_;
  meta["progress"] = progress_;
  meta["finished"] = finished;
  // The finished model is the inference model: NeFT's IRS heads are dropped, and with them the optimiser
  // state that holds theirs.
  auto* auxiliary = task_->auxiliary();
  save_checkpoint(paths_.checkpoint, task_->model(), finished && auxiliary ? nullptr : optimizer_.get(), meta,
                  finished ? nullptr : auxiliary);
}

// One optimiser step; true when a rank asked to stop (every rank then stops after this same step).
bool TrainingRun::step(const TaskBatch& batch, int64_t total_steps, report::ProgressBar& bar, bool stop_asked) {
  const auto step_start = std::chrono::steady_clock::now();
  const double lr = learning_rate(config_, progress_.step, total_steps);
  set_learning_rate(*optimizer_, lr);
  const auto r = training_step(*task_, *optimizer_, batch, config_, progress_.step);
  const auto [shard_correct, shard_scored] = task_correct(r.logits, r.target);
  // The whole batch's loss and hits, and whether any rank wants to stop (one all-reduce; nothing for one rank).
  at::Tensor totals = at::tensor(
      {r.loss, static_cast<double>(shard_correct), static_cast<double>(shard_scored), stop_asked ? 1.0 : 0.0},
      at::kDouble);
  ranks_.sum(totals);
  const double loss = totals[0].item<double>();
  const auto correct = static_cast<int64_t>(totals[1].item<double>());
  const auto scored = static_cast<int64_t>(totals[2].item<double>());
  dist::average_buffers(ranks_, task_->model());
  if (auto* auxiliary = task_->auxiliary()) dist::average_buffers(ranks_, *auxiliary);
  if (!std::isfinite(loss))
    throw std::runtime_error(fmt::format("training diverged: loss {} at step {} (lower --lr?)", loss, progress_.step));
  ++progress_.step;
  ++progress_.batch;
  progress_.epoch_loss_sum += loss;
  progress_.epoch_correct += correct;
  progress_.epoch_seen += scored;
  progress_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
  if (ranks_.writes_outputs()) {
    steps_out_ << fmt::format("{},{},{:.6f},{:.4f},{:.6g},{:.3f}\n", progress_.step, progress_.epoch, loss,
                              scored ? static_cast<double>(correct) / scored : 0.0, lr, progress_.seconds)
               << std::flush;  // users (and tests) follow the file while the run goes on
    check_written(steps_out_, paths_.steps_csv);
  }
  bar.update(static_cast<int>(progress_.step), fmt::format("loss {:.3f}", loss));
  if (config_.validate_every > 0 && progress_.step % config_.validate_every == 0 &&
      progress_.batch < task_->steps_per_epoch())
    validate();  // (the epoch's end validates itself)
  count_wall_time();
  return totals[3].item<double>() > 0;
}

// End of an epoch: validate (float), log, and save.
Validation TrainingRun::end_epoch() {
  const double epoch_steps = std::max<int64_t>(1, progress_.batch);
  const auto validation = validate();
  std::string values;
  for (double v : validation.values) values += fmt::format("{:.4f},", v);
  if (ranks_.writes_outputs())
    epochs_out_ << fmt::format(
        "{},{},{:.6f},{:.4f},{}{:.1f}\n", progress_.epoch + 1, progress_.step, progress_.epoch_loss_sum / epoch_steps,
        progress_.epoch_seen ? double(progress_.epoch_correct) / progress_.epoch_seen : 0.0, values, progress_.seconds);
  if (ranks_.writes_outputs()) {
    epochs_out_.flush();
    check_written(epochs_out_, paths_.epochs_csv);
  }
  log(fmt::format("epoch {}/{}: train loss {:.4f}, train accuracy {:.2f}%, {}, {:.0f} s", progress_.epoch + 1,
                  config_.epochs, progress_.epoch_loss_sum / epoch_steps,
                  100.0 * progress_.epoch_correct / std::max<int64_t>(1, progress_.epoch_seen), validation.summary,
                  progress_.seconds));
  ++progress_.epoch;
  progress_.batch = 0;
  progress_.epoch_loss_sum = 0;
  progress_.epoch_correct = progress_.epoch_seen = 0;
  save(progress_.epoch >= config_.epochs);
  return validation;
}

TrainOutcome TrainingRun::run(const std::atomic<bool>* stop) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t per_epoch = task_->steps_per_epoch();
  const int64_t total_steps = per_epoch * config_.epochs;
  const int64_t last_step = config_.steps > 0 ? std::min(config_.steps, total_steps) : total_steps;
  const auto& context = task_->context();
  log(fmt::format("training {} on {}, mode {}, chip {} level {}: {} analog, {} digital layers", config_.model,
                  task_->description(), config_.mode, context.chip_config().preset, config_.level,
                  task_->layers().analog.size(), task_->layers().digital.size()));
  if (context.mode() == nn::GradientMode::kNeft || config_.method != TrainingMethod::kPlain)
    log(fmt::format("NeFT: device {} (s = {:g}), sigma {:g}{}", config_.neft_device, context.neft_s(),
                    config_.neft_sigma, task_->method_summary().empty() ? "" : "; " + task_->method_summary()));
  TrainOutcome outcome;
  report::ProgressBar bar("train", static_cast<int>(last_step), "steps");
  bool interrupted = false;
  task_->model().train();
  while (progress_.step < last_step && progress_.epoch < config_.epochs && !interrupted) {
    task_->start_epoch(progress_.epoch, progress_.batch);
    TaskBatch batch;
    while (progress_.step < last_step && task_->next(progress_.step, batch)) {
      if (step(batch, total_steps, bar, stop && stop->load())) {
        interrupted = true;
        break;
      }
    }
    if (interrupted || progress_.batch < per_epoch) break;  // stopped inside the epoch
    bar.pause();
    const auto validation = end_epoch();
    outcome.test_accuracy = validation.accuracy;
    outcome.validation_perplexity = validation.perplexity;
  }
  bar.finish();
  steps_out_.flush();
  outcome.finished = progress_.epoch >= config_.epochs;
  if (!outcome.finished) save(false);
  if (interrupted)
    log(fmt::format("interrupted at step {}: saved {}; continue with --resume {}", progress_.step, paths_.checkpoint,
                    paths_.dir));
  if (ranks_.writes_outputs()) plot_loss(paths_, config_);
  outcome.steps = progress_.step;
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outcome;
}

}  // namespace

TrainOutcome train(const TrainConfig& config, const std::string& out_dir, const std::atomic<bool>* stop, bool quiet) {
  config.validate();
  const TrainPaths paths(out_dir);
  std::optional<common::FolderLock> lock;  // one writer (rank 0), and a folder it can write, before any work
  if (dist::Ranks::world().writes_outputs()) lock.emplace(paths.dir);
  return TrainingRun(config, paths, Progress{}, false, quiet).run(stop);
}

TrainOutcome resume(const std::string& out_dir, int64_t steps, int64_t epochs, const std::atomic<bool>* stop,
                    bool quiet) {
  const TrainPaths paths(out_dir);
  const auto meta = read_checkpoint_meta(paths.checkpoint);
  std::optional<common::FolderLock> lock;
  if (dist::Ranks::world().writes_outputs()) lock.emplace(paths.dir);
  const int ranks = meta.value("ranks", 1);
  if (ranks != dist::Ranks::world().size())
    throw common::ConfigError(
        fmt::format("'{}' was trained on {} rank(s): resume it with --ranks {} (each rank's "
                    "shard of the batches and chip noise follow the ranks), not on {}",
                    paths.dir, ranks, ranks, dist::Ranks::world().size()));
  TrainConfig config;
  try {
    config = train_config_from_json(meta.at("config"));
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + paths.checkpoint + "': its config is unreadable: " + e.what());
  }
  if (fs::exists(paths.config))  // the folder's own record of the run: the checkpoint must be of it
    check_checkpoint_identity(meta, train_config_from_json(report::read_json_file(paths.config)), paths.checkpoint,
                              paths.config);
  if (steps > 0) config.steps = steps;
  if (epochs > 0) config.epochs = epochs;
  config.validate();
  Progress progress;
  try {
    progress = meta.at("progress").get<Progress>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint '" + paths.checkpoint + "': its progress record is unreadable: " + e.what());
  }
  return TrainingRun(config, paths, progress, true, quiet).run(stop);
}

}  // namespace cimtrain::train
