// Training configuration checks and the learning-rate schedules (see train_config.h).
#include "train/train_config.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "common/declared_ranges.h"
#include "common/strict_json.h"
#include "data/dataset_registry.h"
#include "models/model_registry.h"
#include "nn/gradient_mode.h"
#include "nn/neft_noise.h"
#include "train/neft_method.h"

namespace cimtrain::train {

using common::require;
using common::require_in_range;

void TrainConfig::validate() const {
  namespace ranges = common::ranges;
  require_in_range(ranges::kLevel, level, "level");
  if (gaussian_sigma) {
    require_in_range(ranges::kNoiseSigma, *gaussian_sigma, "gaussian sigma");
    require(*gaussian_sigma > 0, "gaussian sigma must be > 0 (unset: measured from the chip)");
  }
  require_in_range(ranges::kEpochs, static_cast<double>(epochs), "epochs");
  require_in_range(ranges::kBatch, static_cast<double>(batch), "batch");
  require_in_range(ranges::kLearningRate, lr, "lr");
  require_in_range(ranges::kWeightDecay, weight_decay, "weight decay");
  require_in_range(ranges::kExampleLimit, static_cast<double>(subset), "subset");
  require_in_range(ranges::kTrainSteps, static_cast<double>(steps), "steps");
  require_in_range(ranges::kExampleLimit, static_cast<double>(eval_limit), "eval limit");
  require_in_range(ranges::kValidateEvery, static_cast<double>(validate_every), "validate-every");
  require_in_range(ranges::kGradClip, grad_clip, "grad clip");
  require_in_range(ranges::kSeed, static_cast<double>(seed), "seed");
  try {
    nn::neft_device(neft_device);
  } catch (const std::invalid_argument& e) {
    throw common::ConfigError(e.what());
  }
  require_in_range(ranges::kNoiseSigma, neft_sigma, "NeFT sigma");
  if (irs_sigma) require_in_range(ranges::kNoiseSigma, *irs_sigma, "IRS sigma");
  if (beta) require_in_range(ranges::kBeta, *beta, "beta");
  if (method == TrainingMethod::kNeftOvf)
    require(neft_sigma > 0, "neft-ovf raises the noise relative to the NeFT sigma: it needs --sigma > 0");
  if (method != TrainingMethod::kPlain)
    require(!is_language_model_run(*this),
            "the NeFT methods (" + std::string(common::to_name(method)) + ") are for the vision models, not " + model);
  const auto& images = data::image_dataset_names();
  const bool image_data = std::find(images.begin(), images.end(), data) != images.end();
  if (is_language_model_run(*this)) {
    require(!image_data,
            model + " is a language model: it trains on text (--data shakespeare or a text file), not on " + data);
    require(!channels_last, "--channels-last is for convolutions; " + model + " has none");
    require_in_range(ranges::kContext, static_cast<double>(context), "context");
    require_in_range(ranges::kTransformerLayers, static_cast<double>(layers), "layers");
    require_in_range(ranges::kHeads, static_cast<double>(heads), "heads");
    require_in_range(ranges::kModelWidth, static_cast<double>(dim), "dim");
    models::TransformerOptions o;
    o.context = context;
    o.layers = layers;
    o.heads = heads;
    o.dim = dim;
    try {
      o.validate();
    } catch (const std::invalid_argument& e) {
      throw common::ConfigError(e.what());
    }
  } else {
    require(data != "shakespeare", model + " is a vision model: it trains on cifar10 or fashion-mnist, not on text");
  }
}

ModeAndMethod parse_mode_and_method(const std::string& name) {
  const auto plus = name.find('+');
  if (plus != std::string::npos)
    return {common::parse_choice<nn::GradientMode>(name.substr(0, plus)),
            common::parse_choice<TrainingMethod>(name.substr(plus + 1))};
  if (name == "neft-ovf" || name == "neft-irs")
    return {nn::GradientMode::kNeft, common::parse_choice<TrainingMethod>(name)};
  return {common::parse_choice<nn::GradientMode>(name), TrainingMethod::kPlain};
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw common::ConfigError("a training config must be a JSON object, found " + j.dump());
  auto normalised = j;
  // Before the values were optional, "not set" was a number: gaussian_sigma 0, irs_sigma and beta < 0.
  const auto unset_when = [&](const char* key, bool (*legacy)(double)) {
    if (j.contains(key) && j.at(key).is_number() && legacy(j.at(key).get<double>())) normalised[key] = nullptr;
  };
  unset_when("gaussian_sigma", [](double v) { return v == 0.0; });
  unset_when("irs_sigma", [](double v) { return v < 0.0; });
  unset_when("beta", [](double v) { return v < 0.0; });
  try {
    TrainConfig config = normalised.get<TrainConfig>();
    common::require_numbers_kept(normalised, nlohmann::json(config), "training config");
    return config;
  } catch (const nlohmann::json::exception& e) {
    throw common::ConfigError(std::string("training config: ") + e.what());
  }
}

TrainConfig language_model_defaults() {
  TrainConfig c;
  c.model = "gpt";
  c.data = "shakespeare";
  c.epochs = 5;
  c.batch = 32;
  c.lr = 2e-3;
  c.optimizer = OptimizerKind::kAdam;
  c.weight_decay = 0.0;
  c.grad_clip = 1.0;
  return c;
}

std::string config_differences(const TrainConfig& saved, const TrainConfig& wanted) {
  const nlohmann::json a = saved, b = wanted;
  std::string diff;
  for (const auto& [key, value] : b.items()) {
    if (a.contains(key) && a.at(key) == value) continue;
    diff += fmt::format("{}{}: {} -> {}", diff.empty() ? "" : ", ", key, a.contains(key) ? a.at(key).dump() : "(none)",
                        value.dump());
  }
  return diff;
}

bool is_language_model_run(const TrainConfig& config) { return models::is_language_model(config.model); }

double learning_rate(const TrainConfig& c, int64_t step, int64_t total_steps) {
  const double t = total_steps > 0 ? std::clamp(static_cast<double>(step) / total_steps, 0.0, 1.0) : 0.0;
  switch (c.schedule) {
    case LrSchedule::kCosine:
      return c.lr * 0.5 * (1.0 + std::cos(M_PI * t));
    case LrSchedule::kStep:
      return c.lr * (t < 0.5 ? 1.0 : t < 0.75 ? 0.1 : 0.01);
    case LrSchedule::kNone:
      break;
  }
  return c.lr;
}

}  // namespace cimtrain::train
