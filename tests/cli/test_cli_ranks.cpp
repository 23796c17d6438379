// `cimtrain --ranks N`: Monte-Carlo evaluation spread over two ranks on 127.0.0.1 gives the single rank's result to
// the bit (TCPStore through the launcher, FileStore through an external launch), and a rank that dies makes the
// whole run fail with that rank named.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "test_support.h"

namespace {

using cimtrain::testing_support::fresh_dir;
using cimtrain::testing_support::ProgramRun;
using cimtrain::testing_support::run_cimtrain;

// A small-cnn trained for a few steps on Fashion-MNIST (once per test binary).
const std::string& trained_checkpoint() {
  static const std::string path = [] {
    const std::string dir = fresh_dir("cimtrain_ranks_model", false);
    const ProgramRun r = run_cimtrain(
        "train --data fashion-mnist --model small-cnn --mode clean --epochs 1 --subset 256 --eval-limit 100 --seed 1 "
        "--quiet --out " +
        dir);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return dir + "/checkpoint.pt";
  }();
  return path;
}

const std::string kEval = " eval --level 1,2 --instances 3 --limit 300 --calibration 64 --json --plot ";

// The per-level results of an eval's JSON, after checking that it ran over `ranks` processes (so that a launcher
// that silently ran one process cannot pass the comparison).
nlohmann::json levels_of(const ProgramRun& r, int ranks) {
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(j["ranks"], ranks) << r.out;
  return j["levels"];
}

TEST(CliRanks, EvaluationOverTwoRanksIsTheSingleRanksToTheBit) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("cimtrain_ranks_eval");
  const std::string ck = trained_checkpoint();
  const auto single = levels_of(run_cimtrain("--threads 1" + kEval + dir + "/one.png --checkpoint " + ck, false), 1);
  const auto two =
      levels_of(run_cimtrain("--ranks 2 --threads 2" + kEval + dir + "/two.png --checkpoint " + ck, false), 2);
  ASSERT_EQ(single.size(), 2u);
  EXPECT_EQ(two, single);  // every per-instance value, mean and interval equal (JSON doubles round-trip exactly)
  EXPECT_TRUE(std::filesystem::exists(dir + "/two.png"));  // rank 0 wrote the plot

  // An external launcher: two processes given RANK and WORLD_SIZE by hand, meeting through a FileStore.
  const std::string store = dir + "/store";
  const std::string common_env = "WORLD_SIZE=2 CIMTRAIN_STORE_FILE=" + store;
  const std::string rank1 = "env RANK=1 " + common_env + " " + CIMTRAIN_BINARY + " --threads 1" + kEval + dir +
                            "/ext1.png --checkpoint " + ck + " > /dev/null 2>&1 &";
  ASSERT_EQ(std::system(rank1.c_str()), 0);
  const auto external = levels_of(
      run_cimtrain("--threads 1" + kEval + dir + "/ext.png --checkpoint " + ck, false, "RANK=0 " + common_env), 2);
  EXPECT_EQ(external, single);
}

TEST(CliRanks, OnlyTheCommandsThatSpreadTakeRanks) {
  const ProgramRun r = run_cimtrain("--ranks 2 chip --rows 8");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--ranks spreads `eval` and `train` over ranks; `chip` runs as one process"),
            std::string::npos)
      << r.out;
}

TEST(CliRanks, ARankThatDiesFailsTheRunWithItsName) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const std::string dir = fresh_dir("cimtrain_ranks_failure");
  const std::string out = dir + "/out.txt";
  // Many instances, so that the run is still going when rank 1 is killed.
  const std::string cmd = "(" + std::string(CIMTRAIN_BINARY) + " --ranks 2 eval --level 1,2,3 --instances 200 " +
                          "--limit 300 --plot " + dir + "/p.png --checkpoint " + trained_checkpoint() + " > " + out +
                          " 2>&1; echo \"exit $?\" >> " + out + ") &";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  // Rank 1: the cimtrain process whose environment says RANK=1 and whose store is this run's.
  bool killed = false;
  for (int attempt = 0; attempt < 100 && !killed; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream environ(entry.path() / "environ");
      std::ifstream cmdline(entry.path() / "cmdline");
      const std::string env((std::istreambuf_iterator<char>(environ)), {});
      const std::string args((std::istreambuf_iterator<char>(cmdline)), {});
      if (env.find(std::string("RANK=1") + '\0') == std::string::npos || args.find(dir) == std::string::npos) continue;
      if (env.find("WORLD_SIZE=2") == std::string::npos) continue;
      killed = ::kill(std::stoi(entry.path().filename().string()), SIGKILL) == 0;
      break;
    }
  }
  ASSERT_TRUE(killed) << "rank 1 was not found";
  std::string text;
  for (int attempt = 0; attempt < 300 && text.find("exit ") == std::string::npos; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::ifstream in(out);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(text.find("rank 1 of 2 failed (killed by signal 9"), std::string::npos) << text;
  EXPECT_EQ(text.find("exit 0"), std::string::npos) << text;
}

}  // namespace
