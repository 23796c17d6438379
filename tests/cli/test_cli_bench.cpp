// `cimtrain bench` end to end on a small model: one process per mode, the --json shape the issue asks for,
// the files it writes, the ste breakdown, and clear errors for bad options.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

using cimtrain::testing_support::fresh_dir;
using cimtrain::testing_support::run_cimtrain;

namespace {

TEST(CliBench, JsonHasEveryModeAndTheBreakdown) {
  const auto dir = fresh_dir("bench", false);
  const auto r = run_cimtrain(
      "--threads 1 bench --model small-cnn --batch 8 --steps 2 --warmup 1 --modes full,ste,clean "
      "--json --out " +
          dir,
      /*with_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* mode : {"clean", "ste", "full"}) {
    ASSERT_TRUE(j["modes"].contains(mode)) << j.dump();
    const auto& m = j["modes"][mode];
    for (const char* key : {"step_s_median", "peak_rss_mb", "avg_rss_mb", "cpu_util"}) {
      ASSERT_TRUE(m.contains(key)) << mode << " lacks " << key;
      EXPECT_GT(m[key].get<double>(), 0.0) << mode << " " << key;
    }
    EXPECT_EQ(m["steps_timed"].get<int>(), 2);
    EXPECT_NEAR(m["time_vs_clean"].get<double>(),
                m["step_s_median"].get<double>() / j["modes"]["clean"]["step_s_median"].get<double>(), 1e-9);
  }
  // Each mode ran in its own process: clean, run after full, reports its own smaller peak (~180 against
  // ~210 MiB here); sharing one process, it would report full's peak or more.
  EXPECT_LT(j["modes"]["clean"]["peak_rss_mb"].get<double>(), j["modes"]["full"]["peak_rss_mb"].get<double>());
  const auto& parts = j["breakdown"]["ste"];
  for (const char* key : {"forward", "backward", "optimizer", "clean_forward", "sim.read", "sim.program"})
    EXPECT_TRUE(parts.contains(key)) << "breakdown lacks " << key << ": " << parts.dump();
  for (const char* file : {"bench.json", "bench.md"})
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / file)) << file;
}

TEST(CliBench, LanguageModelsToo) {
  const auto dir = fresh_dir("bench_bert", false);
  const auto r = run_cimtrain(
      "--threads 1 bench --model bert --batch 2 --steps 1 --warmup 0 --modes clean,ste "
      "--no-breakdown --json --out " +
          dir,
      /*with_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["modes"]["ste"]["step_s_median"].get<double>(), 0.0);
  EXPECT_EQ(j["config"]["model"], "bert");
}

TEST(CliBench, NeftMethodsAsModePlusMethod) {
  const auto dir = fresh_dir("bench_neft", false);
  const auto r = run_cimtrain(
      "--threads 1 bench --model vgg8 --data fashion-mnist --batch 2 --steps 1 --warmup 0 "
      "--modes neft,neft+neft-ovf,ste+neft-irs --no-breakdown --json --out " +
          dir,
      /*with_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* m : {"neft", "neft+neft-ovf", "ste+neft-irs"})
    EXPECT_GT(j["modes"][m]["step_s_median"].get<double>(), 0.0) << m;
  auto bad = run_cimtrain("bench --model vgg8 --modes neft+neft-sideways --steps 1");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("neft-sideways"), std::string::npos) << bad.out;
  bad = run_cimtrain("bench --model resnet20 --modes clean+neft-irs --steps 1");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("has none"), std::string::npos) << bad.out;
}

TEST(CliBench, BadOptionsAreRejectedBeforeAnyWork) {
  auto r = run_cimtrain("bench --model small-cnn --modes clean,sideways --steps 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("sideways"), std::string::npos) << r.out;
  r = run_cimtrain("bench --model no-such-net --steps 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("no-such-net"), std::string::npos) << r.out;
  r = run_cimtrain("bench --model small-cnn --steps 1 --chip-config /no/such/chip.json");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("/no/such/chip.json"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("worker"), std::string::npos) << "rejected before any worker starts: " << r.out;
  r = run_cimtrain("bench --model small-cnn --steps 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("steps"), std::string::npos) << r.out;
}

}  // namespace
