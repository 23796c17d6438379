// `experiment table2` in-process, without training: the plan (every training in order, with its folder and
// config, checked before any work) and the report laid out from hand-made evaluation results (the delta column
// is the method minus the baseline on the same level).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/errors.h"
#include "experiments/table2.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using cimtrain::experiments::plan_table2;
using cimtrain::experiments::report_table2;
using cimtrain::experiments::Table2Entry;
using cimtrain::experiments::Table2Options;
using cimtrain::experiments::Table2Results;

Table2Options small_cnn_options() {
  Table2Options o;
  o.models = {"small-cnn"};
  o.levels = {1, 2};
  o.train_level = "matched";
  o.out = "OUT";
  return o;
}

// An evaluation as `cimtrain eval --json` writes it: accuracy per level over two chip instances.
nlohmann::json fake_eval(double clean, const std::vector<double>& means) {
  nlohmann::json levels = nlohmann::json::array();
  for (size_t i = 0; i < means.size(); ++i) {
    const double m = means[i];
    levels.push_back({{"level", static_cast<double>(i + 1)},
                      {"mean", m},
                      {"std", 0.01},
                      {"ci95", {m - 0.02, m + 0.02}},
                      {"instances", 2},
                      {"values", {m - 0.01, m + 0.01}}});
  }
  return {{"metric", "accuracy"}, {"clean", clean}, {"levels", levels}, {"test_images", 100}};
}

Table2Entry fake_entry(const std::string& method, double train_level, const std::string& dir,
                       const std::vector<double>& means) {
  Table2Entry e;
  e.model = "small-cnn";
  e.method = method;
  e.train_level = train_level;
  e.dir = dir;
  e.train_seconds = 12;
  e.eval = fake_eval(0.9, means);
  return e;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream s(text);
  for (std::string part; std::getline(s, part, separator);) parts.push_back(part);
  return parts;
}

TEST(Table2Plan, CleanFirstThenTheContinuedBaselineThenEachMethodPerLevel) {
  auto o = small_cnn_options();
  o.methods = {"ste", "gaussian"};
  o.fine_tune = 2;
  const auto runs = plan_table2(o);
  ASSERT_EQ(runs.size(), 6u);
  const std::string clean_checkpoint = "OUT/runs/small-cnn-clean/checkpoint.pt";

  const auto& clean = runs[0];
  EXPECT_EQ(clean.entry.model, "small-cnn");
  EXPECT_EQ(clean.entry.method, "clean");
  EXPECT_EQ(clean.entry.dir, "OUT/runs/small-cnn-clean");
  EXPECT_LT(clean.entry.train_level, 0);
  EXPECT_FALSE(clean.entry.continued);
  EXPECT_EQ(cimtrain::common::to_name(clean.config.mode), std::string("clean"));
  EXPECT_EQ(clean.config.init, "");
  EXPECT_EQ(clean.config.epochs, cimtrain::train::TrainConfig{}.epochs);  // the model's usual
  const double fine_tune_lr = clean.config.lr * o.fine_tune_lr;

  const auto& baseline = runs[1];
  EXPECT_EQ(baseline.entry.method, "clean");
  EXPECT_EQ(baseline.entry.dir, "OUT/runs/small-cnn-clean-ft");
  EXPECT_TRUE(baseline.entry.continued);
  EXPECT_EQ(cimtrain::experiments::table2_label(baseline.entry), "clean (+ft)");
  EXPECT_EQ(cimtrain::common::to_name(baseline.config.mode), std::string("clean"));
  EXPECT_EQ(baseline.config.init, clean_checkpoint);
  EXPECT_EQ(baseline.config.epochs, 2);
  EXPECT_DOUBLE_EQ(baseline.config.lr, fine_tune_lr);

  size_t k = 2;
  for (const std::string method : {"ste", "gaussian"})
    for (const double level : {1.0, 2.0}) {
      const auto& run = runs[k++];
      SCOPED_TRACE(method + fmt::format(" at level {:g}", level));
      EXPECT_EQ(run.entry.model, "small-cnn");
      EXPECT_EQ(run.entry.method, method);
      EXPECT_EQ(run.entry.train_level, level);
      EXPECT_EQ(run.entry.dir, fmt::format("OUT/runs/small-cnn-{}-L{:g}", method, level));
      EXPECT_FALSE(run.entry.continued);
      EXPECT_EQ(cimtrain::experiments::table2_label(run.entry), fmt::format("{} (L{:g})", method, level));
      EXPECT_EQ(cimtrain::common::to_name(run.config.mode), std::string(method));
      EXPECT_EQ(cimtrain::common::to_name(run.config.method), std::string("plain"));
      EXPECT_EQ(run.config.level, level);
      EXPECT_EQ(run.config.init, clean_checkpoint);
      EXPECT_EQ(run.config.epochs, 2);
      EXPECT_DOUBLE_EQ(run.config.lr, fine_tune_lr);
    }
}

TEST(Table2Plan, ALevelLessMethodTrainsOnceAndAFixedLevelOncePerMethod) {
  auto o = small_cnn_options();
  o.methods = {"neft", "neft-ovf", "ste+neft-ovf"};
  const auto matched = plan_table2(o);
  ASSERT_EQ(matched.size(), 1u + 1u + 1u + 2u);  // clean, neft, neft-ovf, ste+neft-ovf at levels 1 and 2
  EXPECT_EQ(matched[1].entry.dir, "OUT/runs/small-cnn-neft");
  EXPECT_LT(matched[1].entry.train_level, 0);
  EXPECT_EQ(cimtrain::experiments::table2_label(matched[1].entry), "neft");
  EXPECT_EQ(cimtrain::common::to_name(matched[1].config.mode), std::string("neft"));
  EXPECT_EQ(cimtrain::common::to_name(matched[1].config.method), std::string("plain"));
  EXPECT_EQ(matched[1].config.init, "");  // no fine-tuning: trained from scratch
  EXPECT_EQ(matched[2].entry.dir, "OUT/runs/small-cnn-neft-ovf");
  EXPECT_EQ(cimtrain::common::to_name(matched[2].config.mode), std::string("neft"));
  EXPECT_EQ(cimtrain::common::to_name(matched[2].config.method), std::string("neft-ovf"));
  EXPECT_EQ(matched[3].entry.dir, "OUT/runs/small-cnn-ste_neft-ovf-L1");
  EXPECT_EQ(cimtrain::common::to_name(matched[3].config.mode), std::string("ste"));
  EXPECT_EQ(cimtrain::common::to_name(matched[3].config.method), std::string("neft-ovf"));
  EXPECT_EQ(matched[4].entry.dir, "OUT/runs/small-cnn-ste_neft-ovf-L2");

  o.methods = {"ste"};
  o.train_level = "2";
  o.levels = {1, 3};
  const auto fixed = plan_table2(o);
  ASSERT_EQ(fixed.size(), 2u);
  EXPECT_EQ(fixed[1].entry.dir, "OUT/runs/small-cnn-ste-L2");
  EXPECT_EQ(fixed[1].entry.train_level, 2);
  EXPECT_EQ(fixed[1].config.level, 2);
}

TEST(Table2Plan, BadOptionsAreRefusedBeforeAnyWork) {
  auto o = small_cnn_options();
  o.out = cimtrain::testing_support::fresh_dir("cimtrain_table2_plan_refused", false);
  o.methods = {"ste"};
  o.train_level = "two";
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
  o.train_level = "matched";
  o.methods = {"neft-irs"};  // small-cnn has no IRS snapshot points
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
  o.methods = {"ste"};
  o.instances = 0;
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
  o.instances = 2;
  o.levels.clear();
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
  EXPECT_FALSE(fs::exists(o.out));
}

TEST(Table2Report, TheDeltaIsTheMethodMinusTheBaselineOnTheSameLevel) {
  auto o = small_cnn_options();
  o.methods = {"ste"};
  o.instances = 2;
  Table2Results results;
  results.entries = {fake_entry("clean", -1, "OUT/runs/small-cnn-clean", {0.8, 0.7}),
                     fake_entry("ste", 1, "OUT/runs/small-cnn-ste-L1", {0.85, 0.6}),
                     fake_entry("ste", 2, "OUT/runs/small-cnn-ste-L2", {0.75, 0.72})};
  results.commands = {"cimtrain eval --checkpoint OUT/runs/small-cnn-clean/checkpoint.pt"};
  const auto report = report_table2(o, results);

  const auto lines = split(report.csv, '\n');
  ASSERT_EQ(lines.size(), 1u + 3u * 2u);  // the header, then one row per entry and level
  const auto header = split(lines[0], ',');
  ASSERT_EQ(header.size(), 15u);
  EXPECT_EQ(header[10], "delta_vs_baseline");
  const auto& baseline = results.entries[0];
  for (size_t e = 0; e < results.entries.size(); ++e)
    for (size_t i = 0; i < 2; ++i) {
      SCOPED_TRACE(fmt::format("entry {} level index {}", e, i));
      const auto& entry = results.entries[e];
      const auto cells = split(lines[1 + 2 * e + i], ',');
      ASSERT_EQ(cells.size(), 15u);
      EXPECT_EQ(cells[0], "small-cnn");
      EXPECT_EQ(cells[1], entry.method);
      EXPECT_EQ(cells[5], fmt::format("{:g}", o.levels[i]));
      const double mean = entry.eval["levels"][i]["mean"], baseline_mean = baseline.eval["levels"][i]["mean"];
      EXPECT_EQ(cells[6], fmt::format("{:.6f}", mean));
      EXPECT_EQ(cells[10], fmt::format("{:.6f}", mean - baseline_mean));
      EXPECT_EQ(cells[11], "2");    // instances
      EXPECT_EQ(cells[12], "100");  // test images
      EXPECT_EQ(cells[14], entry.dir);
    }
  EXPECT_EQ(split(lines[3], ',')[10], "0.050000");   // ste (L1) at level 1: 0.85 - 0.80
  EXPECT_EQ(split(lines[4], ',')[10], "-0.100000");  // ste (L1) at level 2: 0.60 - 0.70

  // Matched: each method's row shows the level it was trained at, with its delta in points.
  const auto& md = report.markdown;
  EXPECT_NE(md.find("| small-cnn | clean | 90.00% | 80.00% +- 1.00% |  | 70.00% +- 1.00% |  | 12 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| small-cnn | ste (L1) | 90.00% | 85.00% +- 1.00% | +5.00 |  |  | 12 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| small-cnn | ste (L2) | 90.00% |  |  | 72.00% +- 1.00% | +2.00 | 12 |"), std::string::npos) << md;
  EXPECT_NE(md.find("cimtrain eval --checkpoint OUT/runs/small-cnn-clean/checkpoint.pt\n"), std::string::npos);
  EXPECT_NE(md.find("Training time of the tabulated runs: 36 s in all"), std::string::npos) << md;
  EXPECT_EQ(md.find("table2.png"), std::string::npos);           // not plotted
  EXPECT_EQ(md.find("## Beside the paper"), std::string::npos);  // small-cnn is not in the paper
  EXPECT_NE(report_table2(o, results, true).markdown.find("](table2.png)"), std::string::npos);

  const auto& j = report.json;
  EXPECT_EQ(j["experiment"], "table2");
  EXPECT_EQ(j["train_level"], "matched");
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][1]["label"], "ste (L1)");
  EXPECT_EQ(j["rows"][1]["run_dir"], "OUT/runs/small-cnn-ste-L1");
  EXPECT_EQ(j["rows"][1]["eval"], results.entries[1].eval);
}

TEST(Table2Report, WithFineTuningTheContinuedBaselineIsTabulatedAndItsStartNamed) {
  auto o = small_cnn_options();
  o.fine_tune = 2;
  Table2Results results;
  auto continued = fake_entry("clean", -1, "OUT/runs/small-cnn-clean-ft", {0.8, 0.7});
  continued.continued = true;
  auto pretraining = fake_entry("clean", -1, "OUT/runs/small-cnn-clean", {0.8, 0.7});
  pretraining.train_seconds = 30;
  results.entries = {continued, fake_entry("ste", 1, "OUT/runs/small-cnn-ste-L1", {0.85, 0.6})};
  results.pretraining = {pretraining};
  const auto report = report_table2(o, results);
  const auto lines = split(report.csv, '\n');
  ASSERT_EQ(lines.size(), 1u + 2u * 2u);
  EXPECT_EQ(split(lines[1], ',')[1], "clean (+ft)");
  EXPECT_EQ(split(lines[3], ',')[10], "0.050000");
  EXPECT_NE(report.markdown.find("then 2 epoch(s) of fine-tuning at 0.2x the learning rate"), std::string::npos);
  EXPECT_NE(report.markdown.find(" The clean trainings the fine-tunings start from: small-cnn 30 s.\n"),
            std::string::npos)
      << report.markdown;
  EXPECT_EQ(report.json["rows"][0]["label"], "clean (+ft)");
}

}  // namespace
