// Training configuration checks and the learning-rate schedules (see train_config.h).
#include "train/train_config.h"

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
  try {
    nn::gradient_mode_from_string(mode);
  } catch (const std::invalid_argument& e) {
    throw common::ConfigError(e.what());
  }
  require(level >= 0 && level <= 10, "level must be in [0, 10], found " + std::to_string(level));
  require(gaussian_sigma >= 0 && gaussian_sigma < 10,
          "gaussian sigma must be in [0, 10), found " + std::to_string(gaussian_sigma));
  require(epochs >= 1, "epochs must be >= 1, found " + std::to_string(epochs));
  require(batch >= 1, "batch must be >= 1, found " + std::to_string(batch));
  require(lr > 0 && std::isfinite(lr), "lr must be > 0, found " + std::to_string(lr));
  require(optimizer == "sgd" || optimizer == "adam", "optimizer must be sgd or adam, found '" + optimizer + "'");
  require(weight_decay >= 0, "weight decay must be >= 0, found " + std::to_string(weight_decay));
  require(schedule == "cosine" || schedule == "step" || schedule == "none",
          "schedule must be cosine, step or none, found '" + schedule + "'");
  require(subset >= 0, "subset must be >= 0, found " + std::to_string(subset));
  require(steps >= 0, "steps must be >= 0, found " + std::to_string(steps));
  require(eval_limit >= 0, "eval limit must be >= 0, found " + std::to_string(eval_limit));
  require(validate_every >= 0, "validate-every must be >= 0 steps, found " + std::to_string(validate_every));
  require(grad_clip >= 0 && std::isfinite(grad_clip), "grad clip must be >= 0, found " + std::to_string(grad_clip));
  require(std::find(method_names().begin(), method_names().end(), method) != method_names().end(),
          "method must be plain, neft-ovf or neft-irs, found '" + method + "'");
  try {
    nn::neft_device(neft_device);
  } catch (const std::invalid_argument& e) {
    throw common::ConfigError(e.what());
  }
  require(neft_sigma >= 0 && neft_sigma < 10, "NeFT sigma must be in [0, 10), found " + std::to_string(neft_sigma));
  require(irs_sigma < 10, "IRS sigma must be < 10, found " + std::to_string(irs_sigma));
  require(std::isfinite(beta), "beta must be finite");
  if (method == "neft-ovf")
    require(neft_sigma > 0, "neft-ovf raises the noise relative to the NeFT sigma: it needs --sigma > 0");
  if (method != "plain")
    require(!is_language_model_run(*this), "the NeFT methods (" + method + ") are for the vision models, not " + model);
  const auto& images = data::image_dataset_names();
  const bool image_data = std::find(images.begin(), images.end(), data) != images.end();
  if (is_language_model_run(*this)) {
    require(!image_data, model + " is a language model: it trains on text (--data shakespeare or a text file), not on " +
                             data);
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

TrainConfig language_model_defaults() {
  TrainConfig c;
  c.model = "gpt";
  c.data = "shakespeare";
  c.epochs = 5;
  c.batch = 32;
  c.lr = 2e-3;
  c.optimizer = "adam";
  c.weight_decay = 0.0;
  c.grad_clip = 1.0;
  return c;
}

bool is_language_model_run(const TrainConfig& config) { return models::is_language_model(config.model); }

double learning_rate(const TrainConfig& c, int64_t step, int64_t total_steps) {
  const double t = total_steps > 0 ? std::clamp(static_cast<double>(step) / total_steps, 0.0, 1.0) : 0.0;
  if (c.schedule == "cosine") return c.lr * 0.5 * (1.0 + std::cos(M_PI * t));
  if (c.schedule == "step") return c.lr * (t < 0.5 ? 1.0 : t < 0.75 ? 0.1 : 0.01);
  return c.lr;
}

}  // namespace cimtrain::train
