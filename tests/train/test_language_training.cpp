// Training the language models (GPT and BERT) with the common trainer: exact resumption with chip noise across
// an epoch boundary, the loss going down, the checkpoint record (vocabulary, sizes) and loading it back, and
// clear errors for text that cannot be trained on.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/errors.h"
#include "data/data_error.h"
#include "eval/perplexity_on_chip.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/language_model_checkpoint.h"
#include "train/trainer.h"
#include "transformer_support.h"

namespace cimtrain::train {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  return testing_support::fresh_dir("cimtrain_lm_training_" + name, false);
}

// In a folder of the current test's own: ctest runs the tests in parallel processes.
std::string tiny_text() {
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(test.begin(), test.end(), '/', '_');
  const std::string path = testing_support::fresh_dir("cimtrain_lm_text_" + test) + "/play.txt";
  testing_support::write_tiny_play(path);
  return path;
}

// One block of width 16 on windows of 16 characters, batch 8, 2048 training characters: 16 steps per epoch.
TrainConfig tiny_lm_config(const std::string& model, const std::string& mode, const std::string& text) {
  TrainConfig c = language_model_defaults();
  c.model = model;
  c.data = text;
  c.mode = cimtrain::common::parse_choice<cimtrain::nn::GradientMode>(mode);
  c.level = 2;
  c.context = 16;
  c.layers = 1;
  c.heads = 2;
  c.dim = 16;
  c.batch = 8;
  c.epochs = 2;
  c.lr = 1e-2;
  c.subset = 2048;
  c.eval_limit = 20;
  c.seed = 3;
  return c;
}

std::vector<std::string> lines_without_seconds(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line.substr(0, line.rfind(',')));
  return out;
}

void expect_same_weights(const std::string& a, const std::string& b) {
  auto la = load_language_model(a), lb = load_language_model(b);
  const auto pb = lb.am.model->named_parameters();
  for (const auto& item : la.am.model->named_parameters())
    EXPECT_TRUE(at::equal(item.value(), pb[item.key()])) << item.key();
}

class LanguageTraining : public ::testing::TestWithParam<std::string> {};

// 20 steps at once vs 7 + 12 (crossing the end of epoch 1 at step 16) + 1: the same windows, masks, chip
// noise, losses and weights.
TEST_P(LanguageTraining, ResumeAcrossAnEpochReproducesTheUninterruptedRun) {
  const auto text = tiny_text();
  auto config = tiny_lm_config(GetParam(), "ste", text);
  config.steps = 20;
  const std::string dir_a = fresh_dir(GetParam() + "_a"), dir_b = fresh_dir(GetParam() + "_b");
  EXPECT_EQ(train(config, dir_a, nullptr, true).steps, 20);
  config.steps = 7;
  train(config, dir_b, nullptr, true);
  EXPECT_EQ(resume(dir_b, 19, 0, nullptr, true).steps, 19);
  EXPECT_EQ(read_checkpoint_meta(dir_b + "/checkpoint.pt")["progress"]["epoch"], 1);
  EXPECT_EQ(resume(dir_b, 20, 0, nullptr, true).steps, 20);
  const auto steps_a = lines_without_seconds(dir_a + "/steps.csv");
  ASSERT_EQ(steps_a.size(), 21u);
  EXPECT_EQ(lines_without_seconds(dir_b + "/steps.csv"), steps_a);
  const auto epochs_a = lines_without_seconds(dir_a + "/epochs.csv");
  ASSERT_EQ(epochs_a.size(), 2u);
  EXPECT_EQ(epochs_a[0], "epoch,steps,train_loss,train_accuracy,validation_loss,validation_perplexity");
  EXPECT_EQ(lines_without_seconds(dir_b + "/epochs.csv"), epochs_a);
  expect_same_weights(dir_a + "/checkpoint.pt", dir_b + "/checkpoint.pt");
}

// The loss falls well below ln(vocabulary) and the validation perplexity follows; the checkpoint holds the
// vocabulary and sizes, and loads back into a model with the same validation perplexity.
TEST_P(LanguageTraining, LearnsAndItsCheckpointLoadsBack) {
  const auto text = tiny_text();
  auto config = tiny_lm_config(GetParam(), "clean", text);
  config.batch = 16;  // 8 steps per epoch
  config.epochs = 20;
  const std::string dir = fresh_dir(GetParam() + "_learn");
  const auto outcome = train(config, dir, nullptr, true);
  EXPECT_TRUE(outcome.finished);
  EXPECT_EQ(outcome.steps, 160);
  EXPECT_LT(outcome.test_accuracy, 0);
  const auto meta = read_checkpoint_meta(dir + "/checkpoint.pt");
  EXPECT_EQ(meta["kind"], "language_model");
  EXPECT_EQ(meta["transformer"]["context"], 16);
  EXPECT_EQ(meta["transformer"]["causal"], GetParam() == "gpt");
  auto lm = load_language_model(dir + "/checkpoint.pt");
  const int64_t vocab = lm.vocab.size();
  EXPECT_EQ(meta["transformer"]["vocab_size"], vocab);
  EXPECT_GT(vocab, 30);
  // An untrained model scores about the vocabulary size; BERT learns from 15% of the positions only.
  EXPECT_LT(outcome.validation_perplexity, (GetParam() == "gpt" ? 0.3 : 0.6) * vocab);
  const auto corpus = load_model_corpus(lm);
  PerplexityOptions po;
  po.batch = config.batch;
  po.max_windows = config.eval_limit;
  po.mask_seed = config.seed;
  EXPECT_NEAR(perplexity(*lm.am.model, corpus.validation, po), outcome.validation_perplexity,
              1e-6 * outcome.validation_perplexity);
  // A text with another vocabulary is refused, naming both files.
  const std::string other = fresh_dir(GetParam() + "_other") + ".txt";
  std::ofstream(other) << std::string(400, 'x') + std::string(400, 'y');
  lm.config.data = other;
  try {
    load_model_corpus(lm);
    FAIL() << "expected a DataError";
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find(other), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("vocabulary"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(GptAndBert, LanguageTraining, ::testing::Values("gpt", "bert"));

TEST(LanguageTrainingErrors, TextThatCannotBeTrainedOnGetsAClearMessage) {
  const std::string dir = testing_support::fresh_dir("cimtrain_lm_errors");
  auto config = tiny_lm_config("gpt", "clean", dir + "/missing.txt");
  try {
    train(config, dir + "/run", nullptr, true);
    FAIL() << "expected a DataError";
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.txt"), std::string::npos) << e.what();
  }
  std::ofstream(dir + "/empty.txt").close();
  config.data = dir + "/empty.txt";
  EXPECT_THROW(train(config, dir + "/run", nullptr, true), data::DataError);
  std::ofstream(dir + "/short.txt") << std::string(150, 'a') + "b";
  config.data = dir + "/short.txt";  // 135 training characters, 16 validation: no window of 16 + 1
  try {
    train(config, dir + "/run", nullptr, true);
    FAIL() << "expected a DataError";
  } catch (const data::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("--context 16"), std::string::npos) << e.what();
  }
  config.data = "cifar10";
  EXPECT_THROW(config.validate(), common::ConfigError);
  config.data = tiny_text();
  config.heads = 3;
  EXPECT_THROW(config.validate(), common::ConfigError);
  config.heads = 2;
  EXPECT_NO_THROW(config.validate());
  TrainConfig vision;
  vision.data = "shakespeare";
  EXPECT_THROW(vision.validate(), common::ConfigError);
}

}  // namespace
}  // namespace cimtrain::train
