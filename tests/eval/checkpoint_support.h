// Shared by the evaluation tests: a small, untrained classifier checkpoint written as `cimtrain train` writes one.
#pragma once

#include <torch/utils.h>

#include <nlohmann/json.hpp>
#include <string>

#include "data/fashion_mnist.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/model_setup.h"
#include "train/train_config.h"

namespace cimtrain::testing_support {

// An untrained small-cnn for Fashion-MNIST (seeded), saved as `cimtrain train` saves a classifier; its path.
inline std::string write_small_cnn_checkpoint(const std::string& name) {
  train::TrainConfig config;
  config.model = "small-cnn";
  config.data = "fashion-mnist";
  config.data_dir = data::default_fashion_mnist_dir();
  config.mode = nn::GradientMode::kClean;
  config.seed = 3;
  torch::manual_seed(3);
  const auto am = train::build_model(config, 1, 10);
  const std::string path = testing_support::fresh_dir("cimtrain_checkpoint_eval_" + name) + "/checkpoint.pt";
  const nlohmann::json meta = {
      {"kind", "classifier"}, {"config", nlohmann::json(config)}, {"in_channels", 1}, {"num_classes", 10}};
  train::save_checkpoint(path, *am.model, nullptr, meta);
  return path;
}

}  // namespace cimtrain::testing_support
