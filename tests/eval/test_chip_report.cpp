// Tests of `cimtrain chip`'s measurement in-process (eval::measure_chip): exact on the ideal chip, a positive
// error on the default rram preset with every non-ideality's share >= 0, the same numbers for the same seed, the
// JSON object, weights from a file, the effective config, and clear errors naming the flag.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"
#include "eval/chip_report.h"
#include "sim/chip_config.h"
#include "sim/presets.h"
#include "test_support.h"

namespace cimtrain::eval {
namespace {

using cimtrain::testing_support::message_of;

// A 32 x 64 random matrix (64 inputs, 32 outputs) read with 16 input vectors: one tile, quick.
ChipOptions small_matrix() {
  ChipOptions o;
  o.rows = 64;
  o.cols = 32;
  o.batch = 16;
  return o;
}

TEST(ChipReport, IdealChipIsExact) {
  auto o = small_matrix();
  o.ideal = true;
  const auto r = measure_chip(o);
  EXPECT_EQ(r.inputs, 64);
  EXPECT_EQ(r.outputs, 32);
  EXPECT_LT(r.budget.total.mean(), 1e-6);
  EXPECT_TRUE(r.budget.breakdown.empty());  // an ideal chip has no component to break down
  EXPECT_EQ(r.json["relative_error"].get<double>(), r.budget.total.mean());
}

TEST(ChipReport, RramHarshPresetHasAnErrorAndEveryNonIdealityItsShare) {
  auto o = small_matrix();
  o.preset = "rram-harsh";  // the preset with every component on
  o.instances = 2;
  const auto r = measure_chip(o);
  EXPECT_GT(r.budget.total.mean(), 0.0);
  ASSERT_EQ(r.budget.total.per_instance.size(), 2u);
  const auto& names = sim::nonideality_names();
  ASSERT_EQ(r.budget.breakdown.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(r.budget.breakdown[i].first, names[i]);
    EXPECT_GE(r.budget.breakdown[i].second.mean(), 0.0) << names[i];
    EXPECT_EQ(r.budget.breakdown[i].second.per_instance.size(), 2u) << names[i];
  }
  EXPECT_EQ(r.config.preset, "rram-harsh");
  EXPECT_EQ(r.config.level, 1.0);
  EXPECT_EQ(r.layout.row_tiles, 1);
}

TEST(ChipReport, PcmBreaksDownIntoThePublishedModelAndAihwkitsIoOnly) {
  auto o = small_matrix();
  o.preset = "pcm";
  const auto r = measure_chip(o);
  std::vector<std::string> names;
  for (const auto& [name, stats] : r.budget.breakdown) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"dac", "adc", "programming_noise", "read_noise", "drift"}));
}

TEST(ChipReport, JsonHoldsTheErrorBudgetAndTheSetup) {
  auto o = small_matrix();
  o.preset = "rram-harsh";
  o.instances = 2;
  o.seed = 4;
  const auto r = measure_chip(o);
  const auto& j = r.json;
  EXPECT_EQ(j["format"], "cimtrain.chip_report");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["relative_error"].get<double>(), r.budget.total.mean());
  EXPECT_EQ(j["relative_error_std"].get<double>(), r.budget.total.stddev());
  EXPECT_EQ(j["relative_error_per_instance"].size(), 2u);
  ASSERT_EQ(j["breakdown"].size(), sim::nonideality_names().size());  // rram-harsh has every component
  for (const auto& [name, stats] : r.budget.breakdown) {
    EXPECT_EQ(j["breakdown"][name].get<double>(), stats.mean()) << name;
    EXPECT_EQ(j["breakdown_std"][name].get<double>(), stats.stddev()) << name;
  }
  EXPECT_EQ(j["shape"]["inputs"], 64);
  EXPECT_EQ(j["shape"]["outputs"], 32);
  EXPECT_EQ(j["shape"]["batch"], 16);
  EXPECT_EQ(j["tiles"]["row_tiles"], r.layout.row_tiles);
  EXPECT_EQ(j["instances"], 2);
  EXPECT_EQ(j["inputs"], "gaussian");
  EXPECT_EQ(j["seed"], 4);
  EXPECT_EQ(j["conditions"]["time_s"].get<double>(), 3600.0);
  EXPECT_EQ(j["config"]["preset"], "rram-harsh");
}

TEST(ChipReport, SameSeedSameNumbers) {
  auto o = small_matrix();
  const auto a = measure_chip(o);
  const auto b = measure_chip(o);
  EXPECT_EQ(a.budget.total.per_instance, b.budget.total.per_instance);
  EXPECT_EQ(a.json, b.json);
  o.seed = 1;
  EXPECT_NE(measure_chip(o).budget.total.mean(), a.budget.total.mean());
}

TEST(ChipReport, WeightsFromAFile) {
  const std::string path = testing_support::fresh_dir("cimtrain_chip_report_weights") + "/weights.txt";
  std::ofstream(path) << "# two outputs, three inputs\n1, -2, 3\n127 0 -127\n";
  auto o = small_matrix();
  o.weights_file = path;
  o.ideal = true;
  const auto r = measure_chip(o);
  EXPECT_EQ(r.inputs, 3);
  EXPECT_EQ(r.outputs, 2);
  EXPECT_LT(r.budget.total.mean(), 1e-6);

  std::ofstream(path) << "1 2 3\n4 5\n";
  EXPECT_NE(message_of<std::runtime_error>([&] { measure_chip(o); }).find(":2: expected 3 values"), std::string::npos);
}

TEST(ChipReport, EffectiveConfigAppliesLevelIrDropAndIdeal) {
  ChipOptions o;
  o.level = 2.5;
  o.ir_drop = sim::IrDropMode::kOff;
  const auto c = chip_report_config(o);
  EXPECT_EQ(c.preset, "rram");
  EXPECT_EQ(c.level, 2.5);
  EXPECT_EQ(c.ir_drop.mode, sim::IrDropMode::kOff);

  ChipOptions ideal;
  ideal.ideal = true;
  EXPECT_EQ(nlohmann::json(chip_report_config(ideal)), nlohmann::json(sim::ideal_config(sim::preset_config("rram"))));
}

TEST(ChipReport, BadOptionsNameTheFlag) {
  auto o = small_matrix();
  o.instances = 0;
  EXPECT_NE(message_of<common::ConfigError>([&] { measure_chip(o); }).find("--instances"), std::string::npos);
  o = small_matrix();
  o.batch = 0;
  EXPECT_NE(message_of<common::ConfigError>([&] { measure_chip(o); }).find("--batch"), std::string::npos);
  o = small_matrix();
  o.rows = 0;
  EXPECT_NE(message_of<common::ConfigError>([&] { measure_chip(o); }).find("--rows"), std::string::npos);
  o = small_matrix();
  o.preset = "rram";
  o.config_file = "chip.json";
  EXPECT_NE(message_of<common::ConfigError>([&] { measure_chip(o); }).find("--preset or --config"), std::string::npos);
  o = small_matrix();
  o.inputs = "sideways";
  const auto message = message_of<std::runtime_error>([&] { measure_chip(o); });
  EXPECT_NE(message.find("--inputs"), std::string::npos) << message;
  EXPECT_NE(message.find("sideways"), std::string::npos) << message;
}

}  // namespace
}  // namespace cimtrain::eval
