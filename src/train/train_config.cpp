// Training configuration checks and the learning-rate schedules (see train_config.h).
#include "train/train_config.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "data/dataset_registry.h"
#include "models/model_registry.h"
#include "nn/gradient_mode.h"
#include "nn/neft_noise.h"
#include "train/neft_method.h"

namespace cimtrain::train {

using common::require;

void TrainConfig::validate() const {
  require(level >= 0 && level <= 10, "level must be in [0, 10], found " + std::to_string(level));
  if (gaussian_sigma)
    require(
        *gaussian_sigma > 0 && *gaussian_sigma < 10,
        "gaussian sigma must be in (0, 10) (unset: measured from the chip), found " + std::to_string(*gaussian_sigma));
  require(epochs >= 1, "epochs must be >= 1, found " + std::to_string(epochs));
  require(batch >= 1, "batch must be >= 1, found " + std::to_string(batch));
  require(lr > 0 && std::isfinite(lr), "lr must be > 0, found " + std::to_string(lr));
  require(weight_decay >= 0, "weight decay must be >= 0, found " + std::to_string(weight_decay));
  require(subset >= 0, "subset must be >= 0, found " + std::to_string(subset));
  require(steps >= 0, "steps must be >= 0, found " + std::to_string(steps));
  require(eval_limit >= 0, "eval limit must be >= 0, found " + std::to_string(eval_limit));
  require(validate_every >= 0, "validate-every must be >= 0 steps, found " + std::to_string(validate_every));
  require(grad_clip >= 0 && std::isfinite(grad_clip), "grad clip must be >= 0, found " + std::to_string(grad_clip));
  try {
    nn::neft_device(neft_device);
  } catch (const std::invalid_argument& e) {
    throw common::ConfigError(e.what());
  }
  require(neft_sigma >= 0 && neft_sigma < 10, "NeFT sigma must be in [0, 10), found " + std::to_string(neft_sigma));
  if (irs_sigma)
    require(*irs_sigma >= 0 && *irs_sigma < 10, "IRS sigma must be in [0, 10), found " + std::to_string(*irs_sigma));
  if (beta) require(*beta >= 0 && std::isfinite(*beta), "beta must be finite and >= 0, found " + std::to_string(*beta));
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
    return normalised.get<TrainConfig>();
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
