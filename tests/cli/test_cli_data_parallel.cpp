// Data-parallel training over two ranks on 127.0.0.1 (`cimtrain --ranks 2 train`): in clean mode two ranks with
// half the batch each equal one process with the whole batch to float tolerance (a GPT: LayerNorm normalises per
// position, so sharding the batch changes nothing but the order of sums), and a run stopped by Ctrl-C and resumed on
// two ranks ends bit for bit where the uninterrupted run ends (STE on the chip, BatchNorm's statistics averaged).
// (A vision model on two ranks is not expected to equal one process: BatchNorm normalises each shard by its own
// batch statistics.)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <functional>
#include <string>

#include "test_support.h"
#include "train/checkpoint.h"
#include "train/language_model_checkpoint.h"
#include "train/model_setup.h"
#include "train/train_config.h"

namespace {

using cimtrain::testing_support::fresh_dir;
using cimtrain::testing_support::interrupt_after_rows;
using cimtrain::testing_support::ProgramRun;
using cimtrain::testing_support::run_cimtrain;

// The named parameters and buffers of two modules: equal within (rtol, atol), or to the bit when both are 0.
void expect_same_tensors(torch::nn::Module& a, torch::nn::Module& b, double rtol, double atol) {
  const auto pa = a.named_parameters(true), pb = b.named_parameters(true);
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    const auto& other = pb[item.key()];
    if (rtol == 0 && atol == 0) {
      EXPECT_TRUE(at::equal(item.value(), other)) << item.key();
    } else {
      EXPECT_TRUE(at::allclose(item.value(), other, rtol, atol))
          << item.key() << ": max difference " << (item.value() - other).abs().max().item<double>();
    }
  }
  const auto ba = a.named_buffers(true), bb = b.named_buffers(true);
  if (rtol == 0 && atol == 0) {
    for (const auto& item : ba) EXPECT_TRUE(at::equal(item.value(), bb[item.key()])) << item.key();
  }
}

TEST(CliDataParallel, CleanTrainingOnTwoRanksEqualsOneProcessWithTheWholeBatch) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_shakespeare(), "shakespeare");
  const std::string dir = fresh_dir("cimtrain_dp_clean");
  const std::string train =
      " train --model gpt --layers 1 --heads 2 --dim 32 --context 32 --batch 8 --subset 40000 "
      "--epochs 1 --steps 12 --mode clean --seed 3 --eval-limit 8 --optimizer sgd --lr 0.05 --quiet --out ";
  // (SGD: Adam divides each step by the gradient's running magnitude, which turns the float noise of a gradient
  // that is zero in exact arithmetic, as that of the key bias, into steps of a full learning rate.)
  const ProgramRun one = run_cimtrain("--threads 1" + train + dir + "/one");
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const ProgramRun two = run_cimtrain("--ranks 2 --threads 2" + train + dir + "/two");
  ASSERT_EQ(two.exit_code, 0) << two.out;
  auto a = cimtrain::train::load_language_model(dir + "/one/checkpoint.pt");
  auto b = cimtrain::train::load_language_model(dir + "/two/checkpoint.pt");
  expect_same_tensors(*a.am.model, *b.am.model, 1e-4, 1e-6);
  // Rank 0 alone wrote the run's files; the record says how many ranks trained it.
  EXPECT_EQ(cimtrain::train::read_checkpoint_meta(dir + "/two/checkpoint.pt")["ranks"], 2);
  std::ifstream steps(dir + "/two/steps.csv");
  int rows = 0;
  for (std::string line; std::getline(steps, line);) rows += !line.empty();
  EXPECT_EQ(rows, 13);  // header + 12 steps, once
  // Resuming on another number of ranks is refused (the shards and chip noise follow the ranks).
  const ProgramRun other = run_cimtrain("--threads 1 train --resume " + dir + "/two --steps 14 --quiet");
  EXPECT_EQ(other.exit_code, 2) << other.out;
  EXPECT_NE(other.out.find("was trained on 2 rank(s): resume it with --ranks 2"), std::string::npos) << other.out;
}

// Every gradient mode and NeFT method trains over two ranks (the chip's, gaussian's and NeFT's noise per rank, OVF's
// extra forwards on each shard, IRS's heads summed with the model's gradients) to a finished checkpoint.
TEST(CliDataParallel, EveryGradientModeAndNeftMethodTrainsOnTwoRanks) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("cimtrain_dp_modes");
  const std::string tiny = "--ranks 2 train --data fashion-mnist --epochs 1 --subset 96 --batch 32 --eval-limit 64 "
                           "--quiet --model ";
  for (const std::string recipe : {"small-cnn --mode full", "small-cnn --mode gaussian", "small-cnn --mode neft",
                                   "small-cnn --method neft-ovf", "vgg8 --method neft-irs", "small-cnn --mode ste"}) {
    const std::string out = dir + "/" + std::to_string(std::hash<std::string>{}(recipe));
    const ProgramRun r = run_cimtrain(tiny + recipe + " --out " + out);
    ASSERT_EQ(r.exit_code, 0) << recipe << "\n" << r.out;
    const auto meta = cimtrain::train::read_checkpoint_meta(out + "/checkpoint.pt");
    EXPECT_TRUE(meta["finished"].get<bool>()) << recipe;
    EXPECT_EQ(meta["progress"]["step"], 3) << recipe;
    EXPECT_EQ(meta["ranks"], 2) << recipe;
  }
}

TEST(CliDataParallel, ResumeAfterCtrlCOnTwoRanksEndsWhereTheUninterruptedRunEnds) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("cimtrain_dp_resume");
  const std::string stopped = dir + "/stopped";
  const std::vector<std::string> train = {
      "--ranks",  "2",      "train",   "--model", "small-cnn", "--data", "fashion-mnist",
      "--subset", "3072",   "--batch", "32",      "--epochs",  "2",      "--eval-limit",
      "64",       "--mode", "ste",     "--seed",  "5",         "--out",  stopped};
  std::string whole =
      "--ranks 2 train --model small-cnn --data fashion-mnist --subset 3072 --batch 32 --epochs 2 "
      "--eval-limit 64 --mode ste --seed 5 --quiet --out " +
      dir + "/whole";
  const ProgramRun uninterrupted = run_cimtrain(whole);
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.out;

  const auto interrupted = interrupt_after_rows(train, stopped, dir + "/stopped.log", 10);
  ASSERT_GE(interrupted.rows, 10) << "the run made no progress";
  const int status = interrupted.status;
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto meta = cimtrain::train::read_checkpoint_meta(stopped + "/checkpoint.pt");
  ASSERT_FALSE(meta["finished"].get<bool>()) << "the run finished before Ctrl-C: nothing was resumed";
  const ProgramRun resumed = run_cimtrain("--ranks 2 train --resume " + stopped + " --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;

  const auto config = cimtrain::train::train_config_from_json(meta["config"]);
  auto a = cimtrain::train::build_model(config, 1, 10).model, b = cimtrain::train::build_model(config, 1, 10).model;
  cimtrain::train::load_checkpoint(dir + "/whole/checkpoint.pt", *a);
  cimtrain::train::load_checkpoint(stopped + "/checkpoint.pt", *b);
  expect_same_tensors(*a, *b, 0, 0);
}

}  // namespace
