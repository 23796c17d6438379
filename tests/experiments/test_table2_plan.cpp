// `experiment table2` in-process, without training: the plan (every training in order, with its folder and
// config, checked before any work) and the report laid out from hand-made evaluation results (the delta column
// is the method minus the baseline on the same level).
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/errors.h"
#include "experiments/table2.h"
#include "table2_fakes.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using cimtrain::experiments::plan_table2;
using cimtrain::experiments::report_table2;
using cimtrain::experiments::Table2Entry;
using cimtrain::experiments::Table2Options;
using cimtrain::experiments::Table2Results;
using cimtrain::testing_support::fake_entry;
using cimtrain::testing_support::fake_eval;
using cimtrain::testing_support::small_cnn_options;

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

TEST(Table2Plan, SeedsRepeatTheFirstMethodAtItsLevelAndAPinnedMethodTrainsOnce) {
  auto o = small_cnn_options();  // matched, levels 1 and 2
  o.methods = {"ste", "gaussian@2", "neft"};
  o.fine_tune = 1;
  o.seed = 7;
  o.seeds = 3;
  o.seeds_level = 2;
  const auto runs = plan_table2(o);
  std::vector<std::string> dirs;
  for (const auto& r : runs) dirs.push_back(r.entry.dir);
  const std::vector<std::string> expected = {
      "OUT/runs/small-cnn-clean",       "OUT/runs/small-cnn-clean-ft",    "OUT/runs/small-cnn-ste-L1",
      "OUT/runs/small-cnn-ste-L2",      "OUT/runs/small-cnn-ste-L2-seed1", "OUT/runs/small-cnn-ste-L2-seed2",
      "OUT/runs/small-cnn-gaussian-L2", "OUT/runs/small-cnn-neft"};
  EXPECT_EQ(dirs, expected);
  const std::vector<uint64_t> seeds = {7, 7, 7, 7, 8, 9, 7, 7};
  const std::vector<bool> per_level = {false, false, true, true, true, true, false, false};
  for (size_t k = 0; k < runs.size(); ++k) {
    SCOPED_TRACE(dirs[k]);
    EXPECT_EQ(runs[k].config.seed, seeds[k]);
    EXPECT_EQ(runs[k].entry.seed_offset, seeds[k] - 7);
    EXPECT_EQ(runs[k].entry.per_level, per_level[k]);
    if (k > 0) {
      EXPECT_EQ(runs[k].config.init, "OUT/runs/small-cnn-clean/checkpoint.pt");
    }
  }
  EXPECT_EQ(runs[6].config.level, 2);  // gaussian@2: at level 2 although the others are matched
  // A per-level model is evaluated at its own level, the others at every level.
  using cimtrain::experiments::entry_levels;
  EXPECT_EQ(entry_levels(o, runs[2].entry), std::vector<double>{1});
  EXPECT_EQ(entry_levels(o, runs[5].entry), std::vector<double>{2});
  EXPECT_EQ(entry_levels(o, runs[6].entry), (std::vector<double>{1, 2}));
  EXPECT_EQ(entry_levels(o, runs[7].entry), (std::vector<double>{1, 2}));

  o.seeds_level = 3;  // ste does not train at level 3
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
  o.seeds_level = 2;
  o.methods = {"ste", "ste@2"};  // the same run twice
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
  o.methods = {"gaussian@x"};
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
  o.methods = {"ste"};
  o.seeds = 0;
  EXPECT_THROW(plan_table2(o), cimtrain::common::ConfigError);
}

TEST(Table2Report, TheDeltaIsTheMethodMinusTheBaselineOnTheSameInstancesWithItsInterval) {
  auto o = small_cnn_options();
  o.methods = {"ste"};
  o.instances = 2;
  Table2Results results;
  // Matched: each STE model was evaluated at its own level only; its instances spread 0.03 about the mean, the
  // baseline's 0.01, so that the paired differences are 0.05 -+ 0.02 at level 1.
  results.entries = {fake_entry("clean", -1, "OUT/runs/small-cnn-clean", {0.8, 0.7}),
                     fake_entry("ste", 1, "OUT/runs/small-cnn-ste-L1", {0.85, -1}, 0.03),
                     fake_entry("ste", 2, "OUT/runs/small-cnn-ste-L2", {-1, 0.72}, 0.03)};
  results.entries[1].per_level = results.entries[2].per_level = true;
  results.commands = {"cimtrain eval --checkpoint OUT/runs/small-cnn-clean/checkpoint.pt"};
  const auto report = report_table2(o, results);

  const auto lines = split(report.csv, '\n');
  ASSERT_EQ(lines.size(), 1u + 2u + 1u + 1u);  // the header, then one row per entry and evaluated level
  const auto header = split(lines[0], ',');
  ASSERT_EQ(header.size(), 21u);
  EXPECT_EQ(header[11], "delta_vs_baseline");
  EXPECT_EQ(header[12], "delta_ci_low");
  EXPECT_EQ(header[16], "train_seconds");
  EXPECT_EQ(header[17], "train_wall_seconds");
  EXPECT_EQ(header[19], "eval_seconds");
  const std::vector<std::pair<size_t, size_t>> rows = {{0, 0}, {0, 1}, {1, 0}, {2, 1}};  // (entry, level index)
  const auto& baseline = results.entries[0];
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto [e, i] = rows[r];
    SCOPED_TRACE(fmt::format("entry {} level index {}", e, i));
    const auto& entry = results.entries[e];
    const auto cells = split(lines[1 + r], ',');
    ASSERT_EQ(cells.size(), 21u);
    EXPECT_EQ(cells[0], "small-cnn");
    EXPECT_EQ(cells[1], entry.method);
    EXPECT_EQ(cells[3], "0");  // the training seed
    EXPECT_EQ(cells[6], fmt::format("{:g}", o.levels[i]));
    const double mean = entry.eval["levels"][0]["mean"];
    const double baseline_mean = baseline.eval["levels"][i]["mean"];
    if (e > 0) {
      EXPECT_EQ(cells[7], fmt::format("{:.6f}", mean));
    }
    EXPECT_EQ(cells[11], fmt::format("{:.6f}", e > 0 ? mean - baseline_mean : 0.0));
    EXPECT_EQ(cells[14], "2");    // instances
    EXPECT_EQ(cells[15], "100");  // test images
    EXPECT_EQ(cells[16], "10.0");  // the steps' seconds
    EXPECT_EQ(cells[17], "12.0");  // the training's wall seconds
    EXPECT_EQ(cells[18], "0");     // counted from the start
    EXPECT_EQ(cells[19], "3.0");   // evaluation seconds
    EXPECT_EQ(cells[20], entry.dir);
  }
  // ste (L1) at level 1: the differences 0.03 and 0.07: mean 0.05, the interval t(1) x sd / sqrt(2) about it.
  const double half = 12.706 * std::sqrt(2 * 0.02 * 0.02) / std::sqrt(2.0);
  const auto ste1 = split(lines[3], ',');
  EXPECT_EQ(ste1[11], "0.050000");
  EXPECT_EQ(ste1[12], fmt::format("{:.6f}", 0.05 - half));
  EXPECT_EQ(ste1[13], fmt::format("{:.6f}", 0.05 + half));
  EXPECT_EQ(split(lines[4], ',')[11], "0.020000");  // ste (L2) at level 2: 0.72 - 0.70

  // Each STE row shows the level it was trained at, with its paired delta and interval in points.
  const auto& md = report.markdown;
  EXPECT_NE(md.find("| small-cnn | clean | 90.00% | 80.00% +- 1.41% |  | 70.00% +- 1.41% |  | 12 | 3 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find(fmt::format("| small-cnn | ste (L1) | 90.00% | 85.00% +- 4.24% | +5.00 [{:+.2f}, {:+.2f}] |  |  "
                                "| 12 | 3 |",
                                100 * (0.05 - half), 100 * (0.05 + half))),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| small-cnn | ste (L2) | 90.00% |  |  | 72.00% +- 4.24% | +2.00 ["), std::string::npos) << md;
  EXPECT_NE(md.find("| small-cnn | ste - clean | +5.00 ["), std::string::npos) << md;  // the STE against each method
  EXPECT_EQ(md.find("## The spread over training seeds"), std::string::npos);       // one seed
  EXPECT_NE(md.find("cimtrain eval --checkpoint OUT/runs/small-cnn-clean/checkpoint.pt\n"), std::string::npos);
  EXPECT_NE(md.find("Cost: training 36 s (0.01 h), evaluation 9 s (0.00 h); the whole study 0.01 h"),
            std::string::npos)
      << md;
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

  // Evaluations on different numbers of instances cannot be paired: refused, naming both.
  results.entries[1].eval["levels"][0]["values"] = {0.8, 0.85, 0.9};
  try {
    report_table2(o, results);
    ADD_FAILURE() << "unpaired evaluations were accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("small-cnn-ste-L1 and OUT/runs/small-cnn-clean"), std::string::npos)
        << e.what();
  }
}

TEST(Table2Report, TheSeedsSpreadIsOverTheSeedsMeansAndItsIntervalOverSeeds) {
  auto o = small_cnn_options();
  o.levels = {1, 2};
  o.train_level = "2";
  o.seeds = 3;
  Table2Results results;
  results.entries = {fake_entry("clean", -1, "OUT/runs/small-cnn-clean", {0.80, 0.70})};
  const std::vector<double> level2 = {0.73, 0.75, 0.77};  // the seeds' means at level 2: deltas +3, +5, +7
  for (uint64_t k = 0; k < 3; ++k) {
    results.entries.push_back(fake_entry("ste", 2, fmt::format("OUT/runs/s{}", k), {0.8, level2[k]}, 0.02));
    results.entries.back().seed_offset = k;
  }
  EXPECT_EQ(cimtrain::experiments::table2_label(results.entries[2]), "ste (L2, seed +1)");
  const auto md = report_table2(o, results).markdown;
  // Level 2: mean 75%, std over seeds 2%, std over chips 0.02 x sqrt(2); the mean delta +5 with t(2) x 2 / sqrt(3).
  const double half = 4.303 * 2.0 / std::sqrt(3.0);
  EXPECT_NE(md.find(fmt::format("| small-cnn | ste (L2) | 2 | 3 | 75.00% | 2.00% | 2.83% | +3.00, +5.00, +7.00 | "
                                "+5.00 [{:+.2f}, {:+.2f}] |",
                                5 - half, 5 + half)),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| small-cnn | ste (L2) | 1 | 3 | 80.00% | 0.00% |"), std::string::npos) << md;
  EXPECT_NE(md.find("Training seeds: 3 for ste at --seeds-level 2 (seeds 0..2)"), std::string::npos) << md;
  EXPECT_NE(md.find("| small-cnn | ste - clean | +0.00 ["), std::string::npos) << md;  // seed 0 only
}

TEST(Table2Report, WithFineTuningTheContinuedBaselineIsTabulatedAndItsStartNamed) {
  auto o = small_cnn_options();
  o.fine_tune = 2;
  Table2Results results;
  auto continued = fake_entry("clean", -1, "OUT/runs/small-cnn-clean-ft", {0.8, 0.7});
  continued.continued = true;
  auto pretraining = fake_entry("clean", -1, "OUT/runs/small-cnn-clean", {0.8, 0.7});
  pretraining.train_wall_seconds = 30;
  pretraining.eval = fake_eval(0.9, {0.78, 0.69});
  results.entries = {pretraining, continued, fake_entry("ste", 1, "OUT/runs/small-cnn-ste-L1", {0.85, 0.6})};
  results.pretraining = {pretraining};
  const auto report = report_table2(o, results);
  const auto lines = split(report.csv, '\n');
  ASSERT_EQ(lines.size(), 1u + 3u * 2u);
  EXPECT_EQ(split(lines[1], ',')[1], "clean");
  EXPECT_EQ(split(lines[1], ',')[11], "-0.020000");  // the clean run against its continuation, the baseline
  EXPECT_EQ(split(lines[3], ',')[1], "clean (+ft)");
  EXPECT_EQ(split(lines[3], ',')[11], "0.000000");
  EXPECT_EQ(split(lines[5], ',')[11], "0.050000");
  EXPECT_NE(report.markdown.find("then 2 epoch(s) of fine-tuning at 0.2x the learning rate"), std::string::npos);
  EXPECT_NE(report.markdown.find("Cost: training 54 s"), std::string::npos) << report.markdown;
  EXPECT_NE(report.markdown.find("| small-cnn | ste - clean (+ft) | +5.00 ["), std::string::npos) << report.markdown;
  EXPECT_NE(report.markdown.find("| small-cnn | ste - clean | +7.00 ["), std::string::npos) << report.markdown;
  EXPECT_EQ(report.markdown.find("## The spread over training seeds"), std::string::npos);  // clean is no seed
  EXPECT_EQ(report.json["rows"][0]["label"], "clean");
  EXPECT_EQ(report.json["rows"][1]["label"], "clean (+ft)");
}

}  // namespace
