// End-to-end tests of `cimtrain chip`: the JSON report, the error growing with the level, and clear errors
// for bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"

namespace {

using cimtrain::testing_support::ProgramRun;
using cimtrain::testing_support::run_cimtrain;

nlohmann::json chip_json(const std::string& args) {
  const ProgramRun r = run_cimtrain("chip --json --rows 96 --cols 40 --batch 16 " + args);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return nlohmann::json::parse(r.out);
}

TEST(Cli, IdealChipIsExact) {
  const auto j = chip_json("--ideal");
  EXPECT_LT(j["relative_error"].get<double>(), 1e-6);
  for (const auto& [name, value] : j["breakdown"].items()) EXPECT_LT(value.get<double>(), 1e-6) << name;
}

TEST(Cli, ErrorGrowsWithLevelAndEveryNonIdealityShows) {
  const auto l1 = chip_json("--preset rram-harsh --level 1 --instances 2");  // rram-harsh has all 8
  const auto l3 = chip_json("--preset rram-harsh --level 3 --instances 2");
  EXPECT_GT(l3["relative_error"].get<double>(), l1["relative_error"].get<double>());
  EXPECT_EQ(l1["breakdown"].size(), 8u);
  for (const auto& [name, value] : l1["breakdown"].items()) EXPECT_GT(value.get<double>(), 1e-4) << name;
  EXPECT_EQ(l1["relative_error_per_instance"].size(), 2u);
  EXPECT_EQ(l1["config"]["level"], 1.0);
}

TEST(Cli, WeightsFromAFile) {
  const std::string path = ::testing::TempDir() + "cimtrain_weights.txt";
  std::ofstream(path) << "# two outputs, three inputs\n1, -2, 3\n127 0 -127\n";
  const ProgramRun r = run_cimtrain("chip --json --ideal --batch 4 --weights " + path);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["shape"]["inputs"], 3);
  EXPECT_EQ(j["shape"]["outputs"], 2);
  EXPECT_LT(j["relative_error"].get<double>(), 1e-6);
}

TEST(Cli, BadInputGetsAClearMessage) {
  const std::string path = ::testing::TempDir() + "cimtrain_bad_weights.txt";
  std::ofstream(path) << "1 2 3\n4 5\n";
  ProgramRun r = run_cimtrain("chip --weights " + path);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find(":2: expected 3 values (as on the first row), found 2"), std::string::npos) << r.out;

  std::ofstream(path) << "1 2 300\n";
  r = run_cimtrain("chip --weights " + path);
  EXPECT_NE(r.out.find("expected an integer weight in [-127, 127], found 300"), std::string::npos) << r.out;

  r = run_cimtrain("chip --weights /nonexistent/w.txt");
  EXPECT_NE(r.out.find("cannot read weights file '/nonexistent/w.txt': No such file or directory"), std::string::npos)
      << r.out;

  r = run_cimtrain("chip --preset sram");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown preset 'sram' (known: rram, rram-harsh, pcm)"), std::string::npos) << r.out;

  r = run_cimtrain("chip --level -1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--level: must be a finite number in [0, 10], found -1"), std::string::npos) << r.out;

  r = run_cimtrain("chip --ir-drop sideways");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--ir-drop"), std::string::npos) << r.out;

  const std::string cfg = ::testing::TempDir() + "cimtrain_bad_config.json";
  std::ofstream(cfg) << R"({"adc": {"bits": 0}})";
  r = run_cimtrain("chip --config " + cfg);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("adc.bits must be a whole number in [2, 24], found 0"), std::string::npos) << r.out;
}

TEST(Cli, ConfigFileRoundTrip) {
  const ProgramRun printed = run_cimtrain("chip --preset pcm --level 2 --print-config");
  ASSERT_EQ(printed.exit_code, 0) << printed.out;
  const std::string cfg = ::testing::TempDir() + "cimtrain_pcm.json";
  std::ofstream(cfg) << printed.out;
  const ProgramRun again = run_cimtrain("chip --config " + cfg + " --print-config");  // level 2 from the file
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(nlohmann::json::parse(again.out), nlohmann::json::parse(printed.out));
  EXPECT_EQ(nlohmann::json::parse(again.out)["level"], 2.0);
  const ProgramRun both = run_cimtrain("chip --preset rram --config " + cfg);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("give either --preset or --config"), std::string::npos) << both.out;
}

}  // namespace
