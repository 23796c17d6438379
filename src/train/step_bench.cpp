// One mode's training-step cost (see step_bench.h).
#include "train/step_bench.h"

#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/utils.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <tuple>

#include <ATen/CPUGeneratorImpl.h>

#include <functional>

#include "data/text_corpus.h"
#include "models/model_registry.h"
#include "nn/convert.h"
#include "nn/gradient_mode.h"
#include "sim/stage_timer.h"
#include "train/evaluate.h"
#include "train/model_setup.h"
#include "train/neft_method.h"
#include "models/irs_heads.h"
#include "train/neft_method.h"
#include "train/trainer.h"
#include "train/training_task.h"

namespace cimtrain::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Resident set size now (from /proc/self/statm), MiB.
double current_rss_mb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Peak resident set size of the process (VmHWM in /proc/self/status), MiB.
double peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Samples the resident set size every 5 ms on a thread of its own while alive.
class RssSampler {
 public:
  RssSampler() : thread_([this] { loop(); }) {}
  ~RssSampler() { stop(); }
  double stop() {
    if (thread_.joinable()) {
      done_ = true;
      thread_.join();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return count_ ? sum_ / static_cast<double>(count_) : current_rss_mb();
  }

 private:
  void loop() {
    while (!done_) {
      const double r = current_rss_mb();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        sum_ += r;
        ++count_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  double sum_ = 0;
  int64_t count_ = 0;
  std::thread thread_;
};

struct InputShape {
  int64_t channels, size, classes;
};

InputShape input_shape(const StepBenchConfig& c) {
  std::string data = c.data.empty() ? (c.model == "small-cnn" ? "fashion-mnist" : "cifar10") : c.data;
  if (data == "fashion-mnist") return {1, 28, 10};
  return {3, 32, 10};
}

}  // namespace

void StepBenchConfig::validate() const {
  using sim::require;
  auto names = models::model_names();
  const auto& language = models::language_model_names();
  names.insert(names.end(), language.begin(), language.end());
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  require(std::find(names.begin(), names.end(), model) != names.end(),
          "unknown model '" + model + "' (known: " + known + ")");
  require(data.empty() || data == "cifar10" || data == "fashion-mnist",
          "bench data must be cifar10 or fashion-mnist, found '" + data + "'");
  const auto [gradient_mode, method] = split_bench_mode(mode);
  nn::gradient_mode_from_string(gradient_mode);  // throws with the known names
  require(std::find(method_names().begin(), method_names().end(), method) != method_names().end(),
          "unknown training method '" + method + "' in bench mode '" + mode + "' (known: plain, neft-ovf, neft-irs)");
  require(method == "plain" || !models::is_language_model(model),
          "the NeFT methods are for the vision models, not " + model);
  require(method != "neft-irs" || !models::make_model(model, 3, 10)->snapshot_points().empty(),
          "neft-irs needs a model with IRS snapshot points (vgg8, resnet18); " + model + " has none");
  require(batch > 0, "batch must be > 0, found " + std::to_string(batch));
  require(steps > 0, "steps must be > 0, found " + std::to_string(steps));
  require(warmup >= 0, "warmup must be >= 0, found " + std::to_string(warmup));
  require(level >= 0, "level must be >= 0, found " + std::to_string(level));
}

std::pair<std::string, std::string> split_bench_mode(const std::string& mode) {
  const auto plus = mode.find('+');
  if (plus == std::string::npos) return {mode, "plain"};
  return {mode.substr(0, plus), mode.substr(plus + 1)};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

StepBenchResult run_step_bench(const StepBenchConfig& config) {
  config.validate();
  torch::manual_seed(config.seed);
  TrainConfig tc;
  tc.model = config.model;
  std::tie(tc.mode, tc.method) = split_bench_mode(config.mode);
  tc.preset = config.preset;
  tc.chip_config = config.chip_config;
  tc.level = config.level;
  tc.batch = config.batch;
  tc.lr = 0.01;
  tc.seed = config.seed;
  tc.channels_last = config.channels_last;
  const auto shape = input_shape(config);
  if (tc.mode == "gaussian") {
    tc.gaussian_sigma = equivalent_gaussian_sigma(chip_for(tc.preset, tc.chip_config, tc.level), tc.seed);
  }
  // The model on the chip and one step's loss on a fixed synthetic batch.
  std::shared_ptr<torch::nn::Module> module;
  std::shared_ptr<nn::AnalogContext> context;
  std::function<at::Tensor()> loss_of_batch;
  models::IrsHeads heads{nullptr};  // neft-irs
  if (models::is_language_model(config.model)) {
    auto lm_model = build_language_model(tc, 65);  // the default sizes, tiny Shakespeare's 65 characters
    auto lm = lm_model.model;
    context = lm_model.context;
    const auto& o = lm->options();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(config.seed);
    const auto tokens = torch::randint(o.vocab_size, {config.batch, o.context}, torch::kLong);
    at::Tensor input = tokens, target = torch::randint(o.vocab_size, {config.batch, o.context}, torch::kLong);
    if (!lm->causal()) {  // BERT: the masked-character loss
      const auto m = data::mask_characters(tokens, o.vocab_size, lm->mask_id(), gen);
      input = m.input;
      target = m.target;
    }
    loss_of_batch = [lm, input, target] { return task_loss(lm->forward(input), target); };
    module = lm;
  } else {
    auto am = build_model(tc, shape.channels, shape.classes);
    context = am.context;
    const auto images = to_model_layout(tc, torch::randn({config.batch, shape.channels, shape.size, shape.size}));
    const auto labels = torch::randint(shape.classes, {config.batch}, torch::kLong);
    auto classifier = am.model;
    const double beta = default_beta(tc.method, tc.model, config.data);
    if (tc.method == "neft-ovf") {
      loss_of_batch = [classifier, context, images, labels, beta, sigma = tc.neft_sigma] {
        return task_loss(ovf_logits([&] { return classifier->forward(images); }, *context, sigma, beta), labels);
      };
    } else if (tc.method == "neft-irs") {
      heads = make_irs_heads(*classifier, shape.classes, context, tc.neft_sigma);  // as in training
      loss_of_batch = [classifier, heads, images, labels, beta]() mutable {
        return task_loss(irs_logits(*classifier, heads, images, beta), labels);
      };
    } else {
      loss_of_batch = [classifier, images, labels] { return task_loss(classifier->forward(images), labels); };
    }
    module = classifier;
  }
  auto& model = *module;
  model.train();
  auto optimizer = make_optimizer(tc, model, heads ? heads.get() : nullptr);
  const auto mode = context->mode;

  StepBenchResult r;
  r.mode = config.mode;
  r.threads = at::get_num_threads();
  std::map<std::string, std::vector<double>> parts;
  const auto step = [&](int64_t i, bool split) {
    context->gen.set_current_seed(mix_seed({config.seed, static_cast<uint64_t>(i), 7}));  // chip noise, as train()
    if (split) {
      sim::reset_stage_times();
      context->mode = nn::GradientMode::kClean;
      auto t = Clock::now();
      { (void)loss_of_batch().item<double>(); }
      parts["clean_forward"].push_back(seconds_since(t));
      context->mode = mode;
      sim::reset_stage_times();
    }
    auto t = Clock::now();
    optimizer->zero_grad();
    const auto loss = loss_of_batch();
    if (split) {
      (void)loss.item<double>();
      parts["forward"].push_back(seconds_since(t));
      for (const auto& [name, s] : sim::stage_times()) parts["sim." + name].push_back(s);
      t = Clock::now();
    }
    loss.backward();
    if (split) {
      parts["backward"].push_back(seconds_since(t));
      t = Clock::now();
    }
    optimizer->step();
    if (split) parts["optimizer"].push_back(seconds_since(t));
  };

  for (int64_t i = 0; i < config.warmup; ++i) step(i, false);
  RssSampler sampler;
  const double cpu0 = cpu_seconds();
  const auto wall0 = Clock::now();
  for (int64_t i = 0; i < config.steps; ++i) {
    const auto t = Clock::now();
    step(config.warmup + i, false);
    r.step_s.push_back(seconds_since(t));
  }
  const double wall = seconds_since(wall0), cpu = cpu_seconds() - cpu0;
  r.avg_rss_mb = sampler.stop();
  r.peak_rss_mb = peak_rss_mb();
  // The parts are timed on extra steps after the timed ones: splitting a step costs synchronisation and
  // an extra clean forward, which must not count in the step time.
  if (config.breakdown) {
    sim::enable_stage_timing(true);
    for (int64_t i = 0; i < config.steps; ++i) step(config.warmup + config.steps + i, true);
    sim::enable_stage_timing(false);
  }
  r.cpu_util = wall > 0 ? cpu / (wall * std::max(1, r.threads)) : 0;
  r.step_s_median = median(r.step_s);
  r.step_s_min = *std::min_element(r.step_s.begin(), r.step_s.end());
  r.step_s_max = *std::max_element(r.step_s.begin(), r.step_s.end());
  for (const auto& [name, v] : parts) r.breakdown_s[name] = median(v);
  return r;
}

}  // namespace cimtrain::train
