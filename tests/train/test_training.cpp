// Tests for the training loop: exact resumption (mid-epoch and across epoch boundaries, with chip noise),
// a clean stop with a checkpoint, the loss going down, the summary statistics, and every model's shapes.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/fashion_mnist.h"
#include "models/model_registry.h"
#include "sim/chip_config.h"
#include "sim/presets.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/model_setup.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace cimtrain::train {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  return testing_support::fresh_dir("cimtrain_training_" + name, false);
}

// small-cnn on 256 Fashion-MNIST images, batch 32: 8 steps per epoch.
TrainConfig tiny_config(const std::string& mode) {
  TrainConfig c;
  c.model = "small-cnn";
  c.data = "fashion-mnist";
  c.data_dir = data::default_fashion_mnist_dir();
  c.mode = cimtrain::common::parse_choice<cimtrain::nn::GradientMode>(mode);
  c.level = 1;
  c.epochs = 2;
  c.batch = 32;
  c.lr = 0.05;
  c.seed = 5;
  c.subset = 256;
  c.eval_limit = 100;
  return c;
}

// The rows of a CSV (header dropped), each split into cells.
std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

// The rows without their last column (wall-clock seconds, which differ between runs).
std::vector<std::vector<std::string>> without_seconds(std::vector<std::vector<std::string>> rows) {
  for (auto& r : rows)
    if (!r.empty()) r.pop_back();
  return rows;
}

// Loads the checkpoint into a fresh small-cnn.
std::shared_ptr<models::Classifier> load_small_cnn(const std::string& path) {
  auto model = models::make_model("small-cnn", 1, 10);
  load_checkpoint(path, *model);
  return model;
}

void expect_same_weights(const std::string& a, const std::string& b) {
  const auto ma = load_small_cnn(a), mb = load_small_cnn(b);
  const auto pb = mb->named_parameters();
  for (const auto& item : ma->named_parameters()) EXPECT_TRUE(at::equal(item.value(), pb[item.key()])) << item.key();
  const auto bb = mb->named_buffers();
  for (const auto& item : ma->named_buffers()) EXPECT_TRUE(at::equal(item.value(), bb[item.key()])) << item.key();
}

// Resuming mid-epoch gives exactly what the uninterrupted run gives: losses of the resumed steps, weights.
TEST(Training, ResumeMidEpochReproducesTheUninterruptedRun) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  auto config = tiny_config("ste");  // chip noise in every step
  config.steps = 6;                  // 8 steps per epoch: stops inside the first epoch
  const std::string dir_a = fresh_dir("mid_a"), dir_b = fresh_dir("mid_b");
  const auto a = train(config, dir_a, nullptr, true);
  EXPECT_EQ(a.steps, 6);
  EXPECT_FALSE(a.finished);

  config.steps = 3;
  const auto b1 = train(config, dir_b, nullptr, true);
  EXPECT_EQ(b1.steps, 3);
  const auto progress1 = read_checkpoint_meta(dir_b + "/checkpoint.pt")["progress"];
  EXPECT_EQ(progress1["step"], 3);
  const auto b2 = resume(dir_b, 6, 0, nullptr, true);
  EXPECT_EQ(b2.steps, 6);
  EXPECT_FALSE(b2.finished);
  // The wall time covers more than the steps (start-up, batches, checkpoints) and adds up over invocations.
  const auto progress2 = read_checkpoint_meta(dir_b + "/checkpoint.pt")["progress"];
  EXPECT_EQ(progress2["wall_since_step"], 0);
  EXPECT_GT(progress1["wall_seconds"].get<double>(), progress1["seconds"].get<double>());
  EXPECT_GT(progress2["wall_seconds"].get<double>(),
            progress1["wall_seconds"].get<double>() + progress2["seconds"].get<double>() -
                progress1["seconds"].get<double>());

  const auto rows_a = without_seconds(read_csv(dir_a + "/steps.csv"));
  const auto rows_b = without_seconds(read_csv(dir_b + "/steps.csv"));
  ASSERT_EQ(rows_a.size(), 6u);
  ASSERT_EQ(rows_b.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(rows_b[i][0], std::to_string(i + 1));
    EXPECT_EQ(rows_a[i], rows_b[i]) << "step " << i + 1;  // step, epoch, loss, accuracy, lr
  }
  expect_same_weights(dir_a + "/checkpoint.pt", dir_b + "/checkpoint.pt");
  // The losses are not all the same number (the comparison above means something).
  EXPECT_NE(rows_a[3][2], rows_a[5][2]);
}

// Resuming across and after an epoch boundary: 10 steps at once vs 6 + 3 (crossing the end of epoch 1 at
// step 8) + 1, and vs 8 (stopping exactly at the boundary) + 2.
TEST(Training, ResumeAcrossEpochBoundariesReproducesTheUninterruptedRun) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  auto config = tiny_config("ste");
  config.steps = 10;
  const std::string dir_a = fresh_dir("epoch_a"), dir_b = fresh_dir("epoch_b"), dir_c = fresh_dir("epoch_c");
  const auto a = train(config, dir_a, nullptr, true);
  EXPECT_EQ(a.steps, 10);

  config.steps = 6;
  train(config, dir_b, nullptr, true);
  EXPECT_EQ(resume(dir_b, 9, 0, nullptr, true).steps, 9);
  const auto meta9 = read_checkpoint_meta(dir_b + "/checkpoint.pt");
  EXPECT_EQ(meta9["progress"]["epoch"], 1);
  EXPECT_EQ(meta9["progress"]["batch"], 1);
  EXPECT_EQ(resume(dir_b, 10, 0, nullptr, true).steps, 10);

  config.steps = 8;
  train(config, dir_c, nullptr, true);
  const auto meta8 = read_checkpoint_meta(dir_c + "/checkpoint.pt");
  EXPECT_EQ(meta8["progress"]["epoch"], 1);
  EXPECT_EQ(meta8["progress"]["batch"], 0);
  EXPECT_EQ(meta8["finished"], false);
  EXPECT_EQ(resume(dir_c, 10, 0, nullptr, true).steps, 10);

  const auto steps_a = without_seconds(read_csv(dir_a + "/steps.csv"));
  ASSERT_EQ(steps_a.size(), 10u);
  const auto epochs_a = without_seconds(read_csv(dir_a + "/epochs.csv"));
  ASSERT_EQ(epochs_a.size(), 1u);  // epoch 1 complete, epoch 2 stopped at its second step
  for (const auto& dir : {dir_b, dir_c}) {
    EXPECT_EQ(without_seconds(read_csv(dir + "/steps.csv")), steps_a) << dir;
    EXPECT_EQ(without_seconds(read_csv(dir + "/epochs.csv")), epochs_a) << dir;
    expect_same_weights(dir_a + "/checkpoint.pt", dir + "/checkpoint.pt");
  }
}

// --validate-every: a float validation every N steps (and at each epoch's end, once) into validation.csv; the
// same rows after an interruption and resume; the epoch-end row agrees with epochs.csv.
TEST(Training, ValidateEveryWritesValidationRowsThatSurviveResume) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  auto config = tiny_config("ste");
  config.validate_every = 3;
  config.steps = 10;  // 8 steps per epoch: validations at 3, 6, 8 (epoch end), 9
  const std::string dir_a = fresh_dir("validate_a"), dir_b = fresh_dir("validate_b");
  train(config, dir_a, nullptr, true);
  config.steps = 7;
  train(config, dir_b, nullptr, true);
  EXPECT_EQ(resume(dir_b, 10, 0, nullptr, true).steps, 10);

  const auto rows = read_csv(dir_a + "/validation.csv");
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<std::string> steps = {"3", "6", "8", "9"};
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], steps[i]);
    ASSERT_EQ(rows[i].size(), 3u);  // step, validation_loss, test_accuracy
    EXPECT_GT(std::stod(rows[i][1]), 0.0);
  }
  EXPECT_NE(rows[0][1], rows[3][1]);  // training moved the model
  EXPECT_EQ(read_csv(dir_b + "/validation.csv"), rows);
  const auto epochs = read_csv(dir_a + "/epochs.csv");
  ASSERT_EQ(epochs.size(), 1u);
  EXPECT_NEAR(std::stod(epochs[0][4]), std::stod(rows[2][2]), 1e-4);  // test accuracy at the epoch's end
}

TEST(Training, StopFlagStopsAfterOneStepWithAnUnfinishedCheckpoint) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("stop");
  const std::atomic<bool> stop{true};
  const auto outcome = train(tiny_config("clean"), dir, &stop, true);
  EXPECT_EQ(outcome.steps, 1);
  EXPECT_FALSE(outcome.finished);
  const auto meta = read_checkpoint_meta(dir + "/checkpoint.pt");
  EXPECT_EQ(meta["finished"], false);
  EXPECT_EQ(meta["progress"]["step"], 1);
  EXPECT_EQ(meta["config"]["model"], "small-cnn");
  EXPECT_EQ(read_csv(dir + "/steps.csv").size(), 1u);
  EXPECT_TRUE(fs::exists(dir + "/config.json"));
  EXPECT_FALSE(fs::exists(dir + "/checkpoint.pt.tmp"));
}

TEST(Training, LossGoesDownOnATinySubset) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("loss");
  auto config = tiny_config("clean");
  config.epochs = 3;
  const auto outcome = train(config, dir, nullptr, true);
  EXPECT_TRUE(outcome.finished);
  EXPECT_EQ(outcome.steps, 24);
  EXPECT_GE(outcome.test_accuracy, 0.0);
  EXPECT_LE(outcome.test_accuracy, 1.0);
  const auto epochs = read_csv(dir + "/epochs.csv");
  ASSERT_EQ(epochs.size(), 3u);
  const double first = std::stod(epochs[0][2]), last = std::stod(epochs[2][2]);
  EXPECT_LT(last, first) << "epoch mean loss " << first << " -> " << last;
  EXPECT_LT(last, 0.9 * first);
  EXPECT_EQ(read_checkpoint_meta(dir + "/checkpoint.pt")["finished"], true);
}

TEST(Training, EveryModelMapsImagesToLogits) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  const auto x = at::randn({2, 3, 32, 32});
  for (const auto& name : models::model_names()) {
    auto model = models::make_model(name, 3, 10);
    model->eval();
    const auto y = model->forward(x);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 10})) << name;
    EXPECT_TRUE(y.isfinite().all().item<bool>()) << name;
  }
  auto small = models::make_model("small-cnn", 1, 10);
  small->eval();
  EXPECT_EQ(small->forward(at::randn({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 10}));
  auto seven = models::make_model("resnet20", 1, 7);
  seven->eval();
  EXPECT_EQ(seven->forward(at::randn({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 7}));
  try {
    models::make_model("lenet", 1, 10);
    ADD_FAILURE() << "an unknown model name should throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("small-cnn, vgg8, vgg11, resnet20, resnet18"), std::string::npos) << e.what();
  }
}

}  // namespace

// The gaussian baseline's sigma is measured from the chip: zero for an ideal chip, growing with the level,
// and of the size of the chip's relative error (0.157 at level 1 for 256-input layers, README).
TEST(Training, EquivalentGaussianSigmaFollowsTheChip) {
  auto chip = sim::preset_config("rram");
  EXPECT_LT(equivalent_gaussian_sigma(sim::ideal_config(chip), 1), 1e-6);
  double last = 0;
  for (double level : {1.0, 2.0, 3.0}) {
    chip.level = level;
    const double sigma = equivalent_gaussian_sigma(chip, 1);
    EXPECT_GT(sigma, last * 1.15) << "level " << level;
    EXPECT_GT(sigma, 0.01);
    EXPECT_LT(sigma, 0.3);
    last = sigma;
  }
}

}  // namespace cimtrain::train
