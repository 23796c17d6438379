// Tests of checkpoint evaluation in-process (eval::evaluate_checkpoints): a small-cnn checkpoint on Fashion-MNIST
// evaluated in float and on two chip instances per level, the same twice; its JSON object, alone and compared
// with itself; NeFT's sigmas in place of the levels; and bad options rejected, naming the flag, before any
// checkpoint is read.
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"
#include "data/fashion_mnist.h"
#include "eval/checkpoint_eval.h"
#include "eval/checkpoint_support.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/model_setup.h"
#include "train/train_config.h"

namespace cimtrain::eval {
namespace {

using cimtrain::testing_support::message_of;

namespace fs = std::filesystem;

// Levels 1 and 2, two instances each, on the first 64 test images, ranges calibrated on 32 training images.
EvalOptions small_eval(const std::string& checkpoint) {
  EvalOptions o;
  o.checkpoints = {checkpoint};
  o.levels = {1, 2};
  o.instances = 2;
  o.limit = 64;
  o.batch = 32;
  o.calibration = 32;
  o.seed = 7;
  return o;
}

TEST(CheckpointEval, ClassifierInFloatAndOnTwoInstancesPerLevel) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto path = testing_support::write_small_cnn_checkpoint("classifier");
  const auto results = evaluate_checkpoints(small_eval(path));
  ASSERT_EQ(results.size(), 1u);
  const auto& r = results.front();
  EXPECT_EQ(r.path, path);
  EXPECT_EQ(r.metric, "accuracy");
  EXPECT_EQ(r.config.model, "small-cnn");
  EXPECT_EQ(r.preset, "rram");
  EXPECT_EQ(r.test_items, 64);
  EXPECT_EQ(r.calibration, 32);
  EXPECT_GE(r.clean, 0.0);
  EXPECT_LE(r.clean, 1.0);
  ASSERT_EQ(r.levels.size(), 2u);
  for (size_t i = 0; i < r.levels.size(); ++i) {
    const auto& l = r.levels[i];
    EXPECT_EQ(l.level, i + 1.0);
    ASSERT_EQ(l.values.size(), 2u);
    EXPECT_GE(l.mean, 0.0);
    EXPECT_LE(l.mean, 1.0);
    EXPECT_NEAR(l.mean, (l.values[0] + l.values[1]) / 2, 1e-12);
    EXPECT_GE(l.std, 0.0);
    EXPECT_LE(l.ci_low, l.mean);
    EXPECT_GE(l.ci_high, l.mean);
  }
}

TEST(CheckpointEval, SameOptionsSameResults) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto o = small_eval(testing_support::write_small_cnn_checkpoint("deterministic"));
  const auto a = evaluate_checkpoints(o);
  const auto b = evaluate_checkpoints(o);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a.front().clean, b.front().clean);
  ASSERT_EQ(a.front().levels.size(), b.front().levels.size());
  for (size_t i = 0; i < a.front().levels.size(); ++i)
    EXPECT_EQ(a.front().levels[i].values, b.front().levels[i].values) << "level " << a.front().levels[i].level;
  EXPECT_EQ(evaluation_json(a, o), evaluation_json(b, o));
}

TEST(CheckpointEval, JsonOfOneCheckpointAndOfACheckpointComparedWithItself) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto path = testing_support::write_small_cnn_checkpoint("json");
  auto o = small_eval(path);
  const auto one = evaluate_checkpoints(o);
  const auto j = evaluation_json(one, o);
  EXPECT_EQ(j["metric"], "accuracy");
  EXPECT_EQ(j["clean"].get<double>(), one.front().clean);
  EXPECT_EQ(j["checkpoint"], path);
  EXPECT_EQ(j["model"], "small-cnn");
  EXPECT_EQ(j["trained_mode"], "clean");
  EXPECT_EQ(j["noise"], "chip");
  EXPECT_EQ(j["test_images"], 64);
  EXPECT_EQ(j["calibration_images"], 32);
  EXPECT_EQ(j["seed"], 7);
  ASSERT_EQ(j["levels"].size(), 2u);
  EXPECT_EQ(j["levels"][1]["level"].get<double>(), 2.0);
  EXPECT_EQ(j["levels"][1]["instances"], 2);
  EXPECT_FALSE(j.contains("plot"));
  EXPECT_FALSE(j.contains("device"));

  o.checkpoints = {path, path};
  const auto two = evaluate_checkpoints(o);
  ASSERT_EQ(two.size(), 2u);
  const auto jj = evaluation_json(two, o);
  EXPECT_EQ(jj["metric"], "accuracy");
  EXPECT_EQ(jj["checkpoints"].size(), 2u);
  ASSERT_EQ(jj["delta_vs_first"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(jj["delta_vs_first"][i]["level"].get<double>(), i + 1.0);
    EXPECT_EQ(jj["delta_vs_first"][i][path].get<double>(), 0.0);  // the same chip instances: no difference
  }
}

TEST(CheckpointEval, NeftNoiseEvaluatesAtTheSigmas) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  auto o = small_eval(testing_support::write_small_cnn_checkpoint("neft"));
  o.noise = EvalNoise::kNeft;
  o.device = "fefet2";
  o.sigmas = {0.05};
  EXPECT_EQ(evaluated_levels(o), std::vector<double>{0.05});
  EXPECT_EQ(axis_name(o), "sigma");
  const auto results = evaluate_checkpoints(o);
  ASSERT_EQ(results.size(), 1u);
  const auto& r = results.front();
  EXPECT_EQ(r.calibration, 0);  // NeFT's device model has no converters to calibrate
  ASSERT_EQ(r.levels.size(), 1u);
  EXPECT_EQ(r.levels[0].level, 0.05);
  EXPECT_EQ(r.levels[0].values.size(), 2u);
  EXPECT_GE(r.levels[0].mean, 0.0);
  EXPECT_LE(r.levels[0].mean, 1.0);
  const auto j = evaluation_json(results, o);
  EXPECT_EQ(j["device"], "fefet2");
  EXPECT_EQ(j["s"].get<double>(), 2.0);
  EXPECT_EQ(j["levels_are"], "NeFT sigma");
  EXPECT_EQ(j["noise"], "neft");
}

TEST(CheckpointEval, BadOptionsNameTheFlagBeforeAnyCheckpointIsRead) {
  const std::string missing = testing_support::fresh_dir("cimtrain_checkpoint_eval_missing") + "/checkpoint.pt";
  const auto rejects = [&](const std::function<void(EvalOptions&)>& change, const std::string& expected) {
    auto o = small_eval(missing);
    change(o);
    const auto message = message_of<common::ConfigError>([&] { evaluate_checkpoints(o); });
    EXPECT_NE(message.find(expected), std::string::npos) << "expected '" << expected << "' in: " << message;
  };
  rejects([](EvalOptions& o) { o.instances = 0; }, "--instances");
  rejects([](EvalOptions& o) { o.calibration = -3; }, "--calibration");
  EXPECT_THROW(common::parse_choice<EvalNoise>("foo"), common::ConfigError);
  rejects([](EvalOptions& o) { o.batch = 0; }, "--batch");
  rejects([](EvalOptions& o) { o.levels.clear(); }, "--level");
  rejects([](EvalOptions& o) { o.checkpoints.clear(); }, "--checkpoint");
  rejects(
      [](EvalOptions& o) {
        o.noise = EvalNoise::kNeft;
        o.sigmas.clear();
      },
      "--sigma");
  rejects(
      [](EvalOptions& o) {
        o.noise = EvalNoise::kNeft;
        o.sigmas = {20.0};
      },
      "--sigma");
  rejects(
      [](EvalOptions& o) {
        o.noise = EvalNoise::kNeft;
        o.device = "bogus";
      },
      "bogus");

  auto o = small_eval(missing);
  EXPECT_NO_THROW(validate_eval_options(o));
  const auto message = message_of<std::runtime_error>([&] { evaluate_checkpoints(o); });
  EXPECT_NE(message.find(missing), std::string::npos) << message;
}

}  // namespace
}  // namespace cimtrain::eval
