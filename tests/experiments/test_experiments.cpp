// End-to-end smoke tests of `cimtrain experiment table2|table3|curves|alignment` at tiny budgets: each writes
// its CSV/JSON, summary.md and image; the numbers in the table are those of the files they come from; a second
// invocation reuses the cached runs; a changed budget in the same folder, and bad options, are refused clearly.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "data/fashion_mnist.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using cimtrain::testing_support::run_cimtrain;

bool have_gnuplot() { return std::system("which gnuplot > /dev/null 2>&1") == 0; }

std::string fresh_dir(const std::string& name) {
  return cimtrain::testing_support::fresh_dir("cimtrain_experiments_" + name, false);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

size_t count_lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

const std::string kTinyTable2 =
    "experiment table2 --models small-cnn --data fashion-mnist --epochs 1 --subset 128 --batch 32 --eval-limit 64 "
    "--instances 2 --levels 1,3 --calibration 32 --out ";

TEST(Experiments, Table2TrainsEvaluatesTabulatesAndCaches) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto out = fresh_dir("table2");
  const auto first = run_cimtrain("--threads 1 " + kTinyTable2 + out + " --fine-tune 1");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  for (const auto* f : {"summary.md", "table2.csv", "table2.json"}) EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  if (have_gnuplot()) {
    EXPECT_TRUE(fs::exists(out + "/table2.png"));
  }
  // The clean run, its continuation (the baseline) and the STE's fine-tuning.
  for (const auto* run : {"small-cnn-clean", "small-cnn-clean-ft", "small-cnn-ste-L2"})
    EXPECT_TRUE(fs::exists(out + "/runs/" + run + "/checkpoint.pt")) << run;
  const auto j = read_json(out + "/table2.json");
  ASSERT_EQ(j["rows"].size(), 3u);  // the clean run, its continuation (the baseline) and ste
  EXPECT_EQ(j["rows"][0]["label"], "clean");
  const auto& base = j["rows"][1];
  const auto& ste = j["rows"][2];
  EXPECT_EQ(base["label"], "clean (+ft)");
  EXPECT_GT(ste["eval_seconds"].get<double>(), 0);
  EXPECT_EQ(ste["method"], "ste");
  EXPECT_EQ(ste["train_level"], 2.0);
  const auto ft = read_json(out + "/runs/small-cnn-ste-L2/config.json");
  EXPECT_EQ(ft["init"], out + "/runs/small-cnn-clean/checkpoint.pt");
  EXPECT_EQ(ft["epochs"], 1);
  // The CSV's numbers are the evaluations' own: one row per model, method and level, delta against the baseline.
  const auto csv = read_text(out + "/table2.csv");
  EXPECT_EQ(count_lines(csv), 1u + 3u * 2u);
  for (size_t i = 0; i < 2; ++i) {
    const double b = base["eval"]["levels"][i]["mean"], s = ste["eval"]["levels"][i]["mean"];
    EXPECT_EQ(ste["eval"]["levels"][i]["values"].size(), 2u);
    EXPECT_NE(csv.find(fmt::format("{:.6f}", s - b)), std::string::npos) << "delta at level index " << i;
  }
  const auto summary = read_text(out + "/summary.md");
  EXPECT_NE(summary.find("| small-cnn | ste (L2) |"), std::string::npos) << summary;
  EXPECT_NE(summary.find("then 1 epoch(s) of fine-tuning"), std::string::npos) << summary;
  EXPECT_NE(summary.find("cimtrain eval --checkpoint " + out + "/runs/small-cnn-ste-L2/checkpoint.pt"),
            std::string::npos)
      << summary;

  // Again: every training and evaluation is cached.
  const auto second = run_cimtrain("--threads 1 " + kTinyTable2 + out + " --fine-tune 1");
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_EQ(second.out.find("training small-cnn"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("small-cnn ste (L2): cached"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("small-cnn-ste-L2/chip-eval.json: evaluation cached"), std::string::npos) << second.out;
  EXPECT_EQ(read_text(out + "/summary.md"), summary);  // the report does not depend on what was cached

  // Another budget in the same folder is refused, naming what differs; nothing is overwritten.
  auto smaller = kTinyTable2;
  smaller.replace(smaller.find("--subset 128"), 12, "--subset 96");
  const auto other = run_cimtrain("--threads 1 " + smaller + out + " --fine-tune 1");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.out.find("another configuration (subset: 128 -> 96"), std::string::npos) << other.out;
  EXPECT_EQ(read_json(out + "/runs/small-cnn-clean/config.json")["subset"], 128);
}

// Ctrl-C during a training leaves its checkpoint; the same command again resumes it and finishes the table.
TEST(Experiments, Table2ResumesAnInterruptedTraining) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto out = fresh_dir("table2_resume");
  const std::string args =
      "--threads 1 experiment table2 --models small-cnn --data fashion-mnist --epochs 2 "
      "--subset 2048 --batch 32 --eval-limit 64 --instances 1 --levels 1 --calibration 32 --out " +
      out;
  const std::string steps_csv = out + "/runs/small-cnn-clean/steps.csv";
  // Start it, wait until the clean run has done a few of its 128 steps, then interrupt it as Ctrl-C would.
  const std::string script =
      std::string(CIMTRAIN_BINARY) + " " + args + " > /dev/null 2>&1 & pid=$!; " + "until [ -f " + steps_csv +
      " ] && [ $(wc -l < " + steps_csv + ") -ge 4 ]; do " +
      "kill -0 $pid 2>/dev/null || break; sleep 0.05; done; kill -INT $pid; wait $pid; echo rc=$?";
  FILE* pipe = popen(script.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string shell_out;
  char buf[256];
  while (fgets(buf, sizeof buf, pipe)) shell_out += buf;
  pclose(pipe);
  EXPECT_NE(shell_out.find("rc=1"), std::string::npos) << shell_out;  // stopped with a message, not killed
  const auto meta_path = out + "/runs/small-cnn-clean/checkpoint.pt";
  ASSERT_TRUE(fs::exists(meta_path));
  const auto stopped_at = count_lines(read_text(steps_csv)) - 1;
  EXPECT_LT(stopped_at, 128u);

  const auto r = run_cimtrain(args);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("small-cnn clean: resumed"), std::string::npos) << r.out;
  const auto steps = read_text(steps_csv);
  EXPECT_EQ(count_lines(steps), 1u + 128u);  // every step once
  EXPECT_NE(steps.find("\n128,"), std::string::npos);
  EXPECT_TRUE(fs::exists(out + "/summary.md"));
}

TEST(Experiments, CurvesWriteEveryStepAndTheValidationPoints) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto out = fresh_dir("curves");
  const auto r = run_cimtrain(
      "--threads 1 experiment curves --models small-cnn --data fashion-mnist --steps 4 "
      "--validate-every 2 --eval-limit 64 --batch 16 --out " +
      out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto csv = read_text(out + "/curves.csv");
  EXPECT_EQ(count_lines(csv), 1u + 3u * 4u);  // clean, full, ste x 4 steps
  // Validation at steps 2 and 4 of each mode: the rows of those steps end with a number, the others empty.
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  int validated = 0;
  while (std::getline(lines, line)) {
    const bool has_value = line.back() != ',';
    const std::string step = line.substr(line.find(',', line.find(',') + 1) + 1, 1);
    EXPECT_EQ(has_value, step == "2" || step == "4") << line;
    validated += has_value;
  }
  EXPECT_EQ(validated, 6);
  const auto j = read_json(out + "/curves.json");
  ASSERT_EQ(j["runs"].size(), 3u);
  for (const auto& run : j["runs"]) {
    EXPECT_EQ(run["validation_steps"], nlohmann::json({2.0, 4.0}));
    EXPECT_GT(run["seconds_per_step"].get<double>(), 0.0);
  }
  const auto summary = read_text(out + "/summary.md");
  EXPECT_NE(summary.find("| small-cnn | full |"), std::string::npos);
  EXPECT_NE(summary.find("ste vs full"), std::string::npos);
  if (have_gnuplot()) {
    EXPECT_TRUE(fs::exists(out + "/curves.png"));
  }
}

TEST(Experiments, AlignmentReportsEveryLayerAtEveryLevel) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto out = fresh_dir("alignment");
  const auto r = run_cimtrain(
      "--threads 1 experiment alignment --model small-cnn --data fashion-mnist --batch 16 "
      "--samples 2 --levels 0.5,3 --out " +
      out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = read_json(out + "/alignment.json");
  ASSERT_EQ(j["levels"].size(), 2u);
  for (const auto& level : j["levels"]) {
    ASSERT_EQ(level["layers"].size(), 4u);  // small-cnn: conv1, conv2, fc1, fc2
    for (const auto& a : level["layers"]) {
      EXPECT_GE(a["cos_mean"].get<double>(), -1.0);
      EXPECT_LE(a["cos_mean"].get<double>(), 1.0);
      EXPECT_GT(a["predicted_cos"].get<double>(), 0.0);
      EXPECT_LE(a["predicted_cos"].get<double>(), 1.0);
      EXPECT_GT(a["delta_norm"].get<double>(), 0.0);  // the chip's noise makes the two gradients differ
    }
  }
  EXPECT_EQ(count_lines(read_text(out + "/alignment.csv")), 1u + 2u * 4u);
  EXPECT_NE(read_text(out + "/summary.md").find("| 0.5 | conv1 |"), std::string::npos);
  if (have_gnuplot()) {
    EXPECT_TRUE(fs::exists(out + "/alignment.png"));
  }
}

TEST(Experiments, Table3BenchesEachModelAndCaches) {
  const auto out = fresh_dir("table3");
  const std::string args =
      "--threads 1 experiment table3 --models small-cnn --modes clean,ste --batch 8 --steps 1 "
      "--warmup 0 --repeats 1 --out " +
      out;
  const auto r = run_cimtrain(args);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = read_json(out + "/table3.json");
  const auto& modes = j["models"]["small-cnn"]["modes"];
  EXPECT_DOUBLE_EQ(modes["clean"]["time_vs_clean"].get<double>(), 1.0);
  EXPECT_GT(modes["ste"]["step_s_median"].get<double>(), 0.0);
  EXPECT_EQ(count_lines(read_text(out + "/table3.csv")), 3u);
  const auto summary = read_text(out + "/summary.md");
  EXPECT_NE(summary.find("baseline 0.136 s (1.00x)"), std::string::npos) << summary;
  EXPECT_NE(summary.find("cimtrain bench --model small-cnn --modes clean,ste"), std::string::npos) << summary;
  const auto again = run_cimtrain(args);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("small-cnn: cached"), std::string::npos) << again.out;
  EXPECT_EQ(read_text(out + "/summary.md"), summary);
}

TEST(Experiments, BadOptionsAreRefusedBeforeAnyWork) {
  const auto out = fresh_dir("bad");
  const auto no_clean = run_cimtrain("experiment table3 --modes ste,full --out " + out);
  EXPECT_EQ(no_clean.exit_code, 2);
  EXPECT_NE(no_clean.out.find("--modes must include clean"), std::string::npos) << no_clean.out;
  const auto level = run_cimtrain("experiment table2 --models small-cnn --train-level high --out " + out);
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_NE(level.out.find("--train-level must be a level (a number in [0, 10]) or 'matched', found 'high'"),
            std::string::npos)
      << level.out;
  const auto method = run_cimtrain("experiment table2 --models small-cnn --methods sideways --out " + out);
  EXPECT_EQ(method.exit_code, 2);
  EXPECT_NE(method.out.find("sideways"), std::string::npos) << method.out;
  const auto irs = run_cimtrain("experiment table2 --models vgg8,resnet20 --methods neft-irs --out " + out);
  EXPECT_EQ(irs.exit_code, 2);
  EXPECT_NE(irs.out.find("neft-irs needs a model with IRS snapshot points (vgg8, resnet18); resnet20 has none"),
            std::string::npos)
      << irs.out;
  const auto samples = run_cimtrain("experiment alignment --samples 0 --out " + out);
  EXPECT_EQ(samples.exit_code, 2);
  EXPECT_NE(samples.out.find("--samples: must be a whole number in [1, 100000] instances, found 0"), std::string::npos)
      << samples.out;
  const auto steps = run_cimtrain("experiment curves --steps 0 --out " + out);
  EXPECT_EQ(steps.exit_code, 2);
  EXPECT_FALSE(fs::exists(out + "/runs"));  // nothing was trained
}

}  // namespace
