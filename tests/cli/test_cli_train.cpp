// End-to-end tests of `cimtrain train` and `cimtrain eval`: the files a run writes, the evaluation JSON, and
// clear errors (non-zero exit) for bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/folder_lock.h"
#include "data/fashion_mnist.h"
#include "test_support.h"
#include "train/checkpoint.h"

namespace {

namespace fs = std::filesystem;

using TrainProgramRun = cimtrain::testing_support::ProgramRun;
using cimtrain::testing_support::interrupt_after_rows;
using cimtrain::testing_support::run_cimtrain;

std::string fresh_dir(const std::string& name) {
  return cimtrain::testing_support::fresh_dir("cimtrain_cli_train_" + name, false);
}

bool have_gnuplot() { return std::system("which gnuplot > /dev/null 2>&1") == 0; }

const std::string kTiny =
    "train --data fashion-mnist --epochs 1 --lr 0.05 --subset 128 --eval-limit 100 --seed 1 --quiet ";

TEST(CliTrain, TrainWritesItsFilesAndEvalPrintsJson) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("run");
  const auto trained = run_cimtrain(kTiny + "--model small-cnn --batch 32 --mode clean --out " + dir);
  ASSERT_EQ(trained.exit_code, 0) << trained.out;
  EXPECT_NE(trained.out.find("finished: 4 steps"), std::string::npos) << trained.out;
  for (const char* f : {"config.json", "checkpoint.pt", "steps.csv", "epochs.csv"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  if (have_gnuplot()) {
    EXPECT_TRUE(fs::exists(dir + "/loss.png"));
    EXPECT_GT(fs::file_size(dir + "/loss.png"), 0u);
  }
  const auto config = nlohmann::json::parse(std::ifstream(dir + "/config.json"));
  EXPECT_EQ(config["model"], "small-cnn");
  EXPECT_EQ(config["subset"], 128);
  int lines = 0;
  {
    std::ifstream in(dir + "/steps.csv");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "step,epoch,loss,accuracy,lr,seconds");
    while (std::getline(in, line)) lines += !line.empty();
  }
  EXPECT_EQ(lines, 4);  // 128 images / batch 32

  const std::string plot = dir + "/eval_plot.png";
  const auto eval = run_cimtrain(
      "eval --checkpoint " + dir + "/checkpoint.pt --level 1,2 --instances 2 --limit 100 --json --plot " + plot,
      /*with_stderr=*/false);
  ASSERT_EQ(eval.exit_code, 0) << eval.out;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(eval.out)) << eval.out;
  EXPECT_EQ(j["metric"], "accuracy");
  EXPECT_GE(j["clean"].get<double>(), 0.0);
  EXPECT_LE(j["clean"].get<double>(), 1.0);
  EXPECT_EQ(j["test_images"], 100);
  ASSERT_EQ(j["levels"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto& l = j["levels"][i];
    EXPECT_EQ(l["level"].get<double>(), i + 1.0);
    EXPECT_EQ(l["instances"], 2);
    ASSERT_EQ(l["values"].size(), 2u);
    const double mean = l["mean"].get<double>();
    EXPECT_GE(mean, 0.0);
    EXPECT_LE(mean, 1.0);
    EXPECT_GE(l["std"].get<double>(), 0.0);
    ASSERT_EQ(l["ci95"].size(), 2u);
    EXPECT_LE(l["ci95"][0].get<double>(), mean);
    EXPECT_GE(l["ci95"][1].get<double>(), mean);
    const double v0 = l["values"][0].get<double>(), v1 = l["values"][1].get<double>();
    EXPECT_NEAR(mean, (v0 + v1) / 2, 1e-12);
  }
  if (have_gnuplot()) {
    EXPECT_TRUE(fs::exists(plot));
  }

  // The accuracy budget of the same checkpoint: the pcm chip's five components, alone and all but each.
  const auto ablation = run_cimtrain("eval --checkpoint " + dir +
                                         "/checkpoint.pt --ablation --preset pcm --level 1 "
                                         "--instances 1 --limit 32 --calibration 16 --json --plot " +
                                         dir + "/abl.png",
                                     /*with_stderr=*/false);
  ASSERT_EQ(ablation.exit_code, 0) << ablation.out;
  const auto a = nlohmann::json::parse(ablation.out);
  EXPECT_EQ(a["format"], "cimtrain.ablation");
  EXPECT_EQ(a["components"].size(), 5u);
  EXPECT_EQ(a["variants"].size(), 12u);
}

TEST(CliTrain, BadInputGetsAClearMessage) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string out = fresh_dir("bad_out");
  auto r = run_cimtrain(kTiny + "--batch 32 --model lenet --out " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("lenet"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("small-cnn, vgg8, vgg11, resnet20, resnet18"), std::string::npos) << r.out;

  r = run_cimtrain(kTiny + "--model small-cnn --batch 32 --mode sideways --out " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("sideways"), std::string::npos) << r.out;

  const std::string empty = fresh_dir("empty_data");
  fs::create_directories(empty);
  r = run_cimtrain(kTiny + "--model small-cnn --batch 32 --mode clean --data-dir " + empty + " --out " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("train-images-idx3-ubyte"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(empty), std::string::npos) << r.out;

  const std::string garbage = fresh_dir("garbage") + ".pt";
  std::ofstream(garbage) << "not a checkpoint at all\n";
  r = run_cimtrain("eval --checkpoint " + garbage + " --level 1 --instances 1 --limit 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("checkpoint"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(garbage), std::string::npos) << r.out;

  r = run_cimtrain("eval --checkpoint " + fresh_dir("nothing") + "/checkpoint.pt --limit 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("not found"), std::string::npos) << r.out;

  const std::string empty_run = fresh_dir("empty_run");
  fs::create_directories(empty_run);
  r = run_cimtrain("train --quiet --resume " + empty_run);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find(empty_run + "/checkpoint.pt"), std::string::npos) << r.out;

  r = run_cimtrain(kTiny + "--model small-cnn --mode clean --batch 0 --out " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--batch: must be a whole number in [1, 65536] examples, found 0"), std::string::npos) << r.out;
}

// Ctrl-C: the program saves its checkpoint, exits with 130, and --resume finishes the run.
TEST(CliTrain, InterruptSavesAndResumeFinishes) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("interrupt");
  // Some steps done (at most 60 s), then Ctrl-C.
  const auto interrupted = interrupt_after_rows({"train", "--model", "small-cnn", "--data", "fashion-mnist", "--subset",
                                                 "4096", "--batch", "32", "--epochs", "1", "--eval-limit", "100",
                                                 "--mode", "ste", "--out", dir},
                                                dir, dir + ".log", 3);
  ASSERT_GE(interrupted.rows, 3) << "the run made no progress";
  const int status = interrupted.status;
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto meta = cimtrain::train::read_checkpoint_meta(dir + "/checkpoint.pt");
  EXPECT_FALSE(meta["finished"].get<bool>());
  const int64_t stopped_at = meta["progress"]["step"].get<int64_t>();
  EXPECT_GE(stopped_at, 2);
  EXPECT_LT(stopped_at, 128) << "it stopped at once, not at the end";
  const auto resumed = run_cimtrain("train --resume " + dir + " --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("finished: 128 steps"), std::string::npos) << resumed.out;
}

// One writer per run folder: a training into a folder another process is writing is refused before any work,
// and leaves that folder as it was.
TEST(CliTrain, ASecondTrainingIntoTheSameFolderIsRefused) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("locked");
  const cimtrain::common::FolderLock held(dir);  // as a running training holds it
  auto r = run_cimtrain(kTiny + "--model small-cnn --batch 32 --mode clean --out " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("is in use by another cimtrain process"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir + "/config.json"));
  EXPECT_FALSE(fs::exists(dir + "/checkpoint.pt"));
}

// A clone without the project's data: every data set's error names $CIMTRAIN_DATA and where to download it.
TEST(CliTrain, MissingDataSaysWhereToGetIt) {
  const std::string env = "CIMTRAIN_DATA=" + cimtrain::testing_support::fresh_dir("cimtrain_no_data");
  auto r = run_cimtrain("train --quiet --model resnet20 --data cifar10 --steps 1 --out " + fresh_dir("no_data_run"),
                        true, env);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("$CIMTRAIN_DATA = "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("https://www.cs.toronto.edu/~kriz/cifar.html"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cifar10/"), std::string::npos) << r.out;
  r = run_cimtrain("train --quiet --model gpt --steps 1 --out " + fresh_dir("no_data_run"), true, env);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("tinyshakespeare/input.txt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("$CIMTRAIN_DATA/shakespeare/"), std::string::npos) << r.out;
}

}  // namespace
