// One mode's training-step cost (see step_bench.h).
#include "eval/step_bench.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "common/process_usage.h"
#include "common/stage_timer.h"
#include "models/model_registry.h"
#include "nn/context_override.h"
#include "nn/gradient_mode.h"
#include "train/model_setup.h"
#include "train/neft_method.h"
#include "train/training_step.h"
#include "train/training_task.h"

namespace cimtrain::eval {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct InputShape {
  int64_t channels, size, classes;
};

std::string bench_data(const StepBenchConfig& c) {
  return c.data.empty() ? (c.model == "small-cnn" ? "fashion-mnist" : "cifar10") : c.data;
}

InputShape input_shape(const StepBenchConfig& c) {
  if (bench_data(c) == "fashion-mnist") return {1, 28, 10};
  return {3, 32, 10};
}

// The run a bench step belongs to: the mode and method, the chip, the batch; SGD at a constant 0.01.
train::TrainConfig bench_train_config(const StepBenchConfig& config) {
  train::TrainConfig tc =
      models::is_language_model(config.model) ? train::language_model_defaults() : train::TrainConfig{};
  tc.model = config.model;
  if (!models::is_language_model(config.model)) tc.data = bench_data(config);
  const auto recipe = train::parse_mode_and_method(config.mode);
  tc.mode = recipe.mode;
  tc.method = recipe.method;
  tc.preset = config.preset;
  tc.chip_config = config.chip_config;
  tc.level = config.level;
  tc.batch = config.batch;
  tc.optimizer = train::OptimizerKind::kSgd;
  tc.lr = 0.01;
  tc.weight_decay = 5e-4;
  tc.grad_clip = 0;
  tc.seed = config.seed;
  tc.channels_last = config.channels_last;
  if (tc.mode == nn::GradientMode::kGaussian)
    tc.gaussian_sigma = train::equivalent_gaussian_sigma(train::chip_for(tc.preset, tc.chip_config, tc.level), tc.seed);
  return tc;
}

// The training task on synthetic data of the model's input (the cost does not depend on the data): one batch
// of uniform random pixels (normalised and, for CIFAR-10, augmented by the task's loader) and uniform labels, or of uniform characters of a 65-character vocabulary (tiny
// Shakespeare's size) at the model's context.
std::unique_ptr<train::TrainingTask> synthetic_task(const StepBenchConfig& config, const train::TrainConfig& tc) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(config.seed);
  if (models::is_language_model(config.model)) {
    std::u32string chars;
    for (char32_t c = 32; c < 32 + 65; ++c) chars.push_back(c);
    data::TextCorpus corpus;
    corpus.path = "synthetic characters";
    corpus.vocab = data::Vocabulary::from_text(chars);
    corpus.train = at::randint(65, {4 * tc.batch * tc.context + 1}, gen, at::kLong);
    corpus.validation = at::randint(65, {2 * tc.context + 1}, gen, at::kLong);
    return train::make_text_task(tc, std::move(corpus));
  }
  const auto shape = input_shape(config);
  data::ImageDataset set;
  set.name = "synthetic";
  set.images = at::randint(256, {config.batch, shape.channels, shape.size, shape.size}, gen, at::kLong).to(at::kByte);
  set.labels = at::randint(shape.classes, {config.batch}, gen, at::kLong);
  set.num_classes = shape.classes;
  for (int64_t c = 0; c < shape.classes; ++c) set.class_names.push_back("class " + std::to_string(c));
  return train::make_image_task(tc, set, set);
}

}  // namespace

void StepBenchConfig::validate() const {
  using common::require;
  auto names = models::model_names();
  const auto& language = models::language_model_names();
  names.insert(names.end(), language.begin(), language.end());
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  require(std::find(names.begin(), names.end(), model) != names.end(),
          "unknown model '" + model + "' (known: " + known + ")");
  require(data.empty() || data == "cifar10" || data == "fashion-mnist",
          "bench data must be cifar10 or fashion-mnist, found '" + data + "'");
  const auto method = train::parse_mode_and_method(mode).method;  // throws with the known names
  require(method == train::TrainingMethod::kPlain || !models::is_language_model(model),
          "the NeFT methods are for the vision models, not " + model);
  require(method != train::TrainingMethod::kNeftIrs || !models::make_model(model, 3, 10)->snapshot_points().empty(),
          "neft-irs needs a model with IRS snapshot points (vgg8, resnet18); " + model + " has none");
  require(batch > 0, "batch must be > 0, found " + std::to_string(batch));
  require(steps > 0, "steps must be > 0, found " + std::to_string(steps));
  require(warmup >= 0, "warmup must be >= 0, found " + std::to_string(warmup));
  require(level >= 0, "level must be >= 0, found " + std::to_string(level));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

namespace {

// One step's parts, timed on a step of its own: a clean forward of the same batch for reference, then the
// step with its forward, backward and optimiser timed apart, and the simulator's stages of the forward.
void time_step_parts(train::TrainingTask& task, torch::optim::Optimizer& optimizer, const train::TaskBatch& batch,
                     const train::TrainConfig& tc, int64_t step, std::map<std::string, std::vector<double>>& parts) {
  auto& context = task.context();
  common::reset_stage_times();
  {
    nn::ContextOverride in_clean(context);
    in_clean.mode(nn::GradientMode::kClean);
    const auto t = Clock::now();
    (void)train::task_loss(task.training_forward(batch.input), batch.target).item<double>();
    parts["clean_forward"].push_back(seconds_since(t));
  }
  common::reset_stage_times();
  train::StepTimes times;
  train::training_step(task, optimizer, batch, tc, step, &times);
  parts["forward"].push_back(times.forward);
  parts["backward"].push_back(times.backward);
  parts["optimizer"].push_back(times.optimizer);
  for (const auto& [name, s] : common::stage_times()) parts["sim." + name].push_back(s);
}

}  // namespace

StepBenchResult run_step_bench(const StepBenchConfig& config) {
  config.validate();
  const auto tc = bench_train_config(config);
  auto task = synthetic_task(config, tc);
  task->start_epoch(0, 0);
  train::TaskBatch batch;
  task->next(0, batch);
  auto& model = task->model();
  model.train();
  auto optimizer = train::make_optimizer(tc, model, task->auxiliary());

  StepBenchResult r;
  r.mode = config.mode;
  r.threads = at::get_num_threads();
  for (int64_t i = 0; i < config.warmup; ++i) train::training_step(*task, *optimizer, batch, tc, i);
  common::RssSampler sampler;
  const double cpu0 = common::cpu_seconds();
  const auto wall0 = Clock::now();
  for (int64_t i = 0; i < config.steps; ++i) {
    const auto t = Clock::now();
    train::training_step(*task, *optimizer, batch, tc, config.warmup + i);
    r.step_s.push_back(seconds_since(t));
  }
  const double wall = seconds_since(wall0), cpu = common::cpu_seconds() - cpu0;
  r.avg_rss_mb = sampler.stop();
  r.peak_rss_mb = common::peak_rss_mb();
  // The parts are timed on extra steps after the timed ones: splitting a step costs synchronisation and
  // an extra clean forward, which must not count in the step time.
  if (config.breakdown) {
    std::map<std::string, std::vector<double>> parts;
    common::enable_stage_timing(true);
    for (int64_t i = 0; i < config.steps; ++i)
      time_step_parts(*task, *optimizer, batch, tc, config.warmup + config.steps + i, parts);
    common::enable_stage_timing(false);
    for (const auto& [name, v] : parts) r.breakdown_s[name] = median(v);
  }
  r.cpu_util = wall > 0 ? cpu / (wall * std::max(1, r.threads)) : 0;
  r.step_s_median = median(r.step_s);
  r.step_s_min = *std::min_element(r.step_s.begin(), r.step_s.end());
  r.step_s_max = *std::max_element(r.step_s.begin(), r.step_s.end());
  return r;
}

}  // namespace cimtrain::eval
