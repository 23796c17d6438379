// End-to-end tests of the language-model commands: `train --model gpt|bert` (with the language-model
// defaults), `eval` reporting perplexity, `generate` (seeded, on a chip instance and in float), and clear
// errors for text, prompts and checkpoints that do not fit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"
#include "transformer_support.h"

namespace {

namespace fs = std::filesystem;
using cimtrain::testing_support::run_cimtrain;

std::string fresh_dir(const std::string& name) {
  return cimtrain::testing_support::fresh_dir("cimtrain_cli_language_" + name);
}

// A trained tiny model of each kind, in a folder of the current test's own (ctest runs the tests of this file
// in parallel processes: a shared folder would be removed under another test's feet).
std::string tiny_run(const std::string& model) {
  static std::map<std::string, std::string> runs;
  const std::string key = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" + model;
  if (runs.count(key)) return runs[key];
  const std::string dir = fresh_dir(key);
  cimtrain::testing_support::write_tiny_play(dir + "/play.txt");
  const auto r = run_cimtrain("train --quiet --model " + model + " --data " + dir + "/play.txt --mode ste --level 2 " +
                              "--context 16 --layers 1 --heads 2 --dim 16 --batch 8 --subset 1024 --epochs 2 " +
                              "--eval-limit 20 --out " + dir + "/run");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("finished: 16 steps, validation perplexity"), std::string::npos) << r.out;
  return runs[key] = dir;
}

TEST(CliLanguage, TrainTakesTheLanguageModelDefaultsAndWritesItsFiles) {
  const std::string dir = tiny_run("gpt");
  const auto config = nlohmann::json::parse(std::ifstream(dir + "/run/config.json"));
  EXPECT_EQ(config["optimizer"], "adam");
  EXPECT_DOUBLE_EQ(config["lr"].get<double>(), 2e-3);
  EXPECT_DOUBLE_EQ(config["weight_decay"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(config["grad_clip"].get<double>(), 1.0);
  EXPECT_EQ(config["epochs"], 2) << "a given flag wins over the default";
  EXPECT_EQ(config["context"], 16);
  for (const char* f : {"checkpoint.pt", "steps.csv", "epochs.csv"}) EXPECT_TRUE(fs::exists(dir + "/run/" + f)) << f;
}

TEST(CliLanguage, EvalReportsPerplexityOnChipInstances) {
  for (const std::string model : {"gpt", "bert"}) {
    const std::string dir = tiny_run(model);
    const auto r =
        run_cimtrain("eval --checkpoint " + dir + "/run/checkpoint.pt --level 1,3 --instances 2 --limit 10 " +
                         "--calibration 16 --json --plot " + dir + "/eval.png",
                     /*with_stderr=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
    EXPECT_EQ(j["metric"], "perplexity");
    EXPECT_EQ(j["validation_characters"], 160);
    const double clean = j["clean"].get<double>();
    EXPECT_GT(clean, 1.0);
    ASSERT_EQ(j["levels"].size(), 2u);
    for (const auto& l : j["levels"]) {
      EXPECT_EQ(l["values"].size(), 2u);
      for (const auto& v : l["values"]) EXPECT_GT(v.get<double>(), 1.0);
      EXPECT_NE(l["values"][0], l["values"][1]) << "two chip instances differ";
    }
    const auto table =
        run_cimtrain("eval --checkpoint " + dir + "/run/checkpoint.pt --level 2 --instances 1 --limit 10");
    ASSERT_EQ(table.exit_code, 0) << table.out;
    EXPECT_NE(table.out.find("validation perplexity"), std::string::npos) << table.out;
    // One level: gnuplot warns about the empty x range; its messages must not spoil the JSON on stdout.
    const auto one =
        run_cimtrain("eval --checkpoint " + dir + "/run/checkpoint.pt --level 2 --instances 1 --limit 10 " +
                         "--json --plot " + dir + "/one.png",
                     /*with_stderr=*/false);
    ASSERT_EQ(one.exit_code, 0) << one.out;
    EXPECT_NO_THROW(nlohmann::json::parse(one.out)) << one.out;
  }
}

TEST(CliLanguage, GenerateIsSeededAndRunsOnTheChip) {
  for (const std::string model : {"gpt", "bert"}) {
    const std::string ckpt = tiny_run(model) + "/run/checkpoint.pt";
    const std::string args = "generate --checkpoint " + ckpt + " --prompt ROMEO: --length 40 --level 2 --float ";
    const auto a = run_cimtrain(args + "--seed 1", false), b = run_cimtrain(args + "--seed 1", false),
               c = run_cimtrain(args + "--seed 2", false);
    ASSERT_EQ(a.exit_code, 0) << a.out;
    EXPECT_EQ(a.out, b.out);
    EXPECT_NE(a.out, c.out);
    EXPECT_NE(a.out.find("=== float (no chip) ==="), std::string::npos) << a.out;
    EXPECT_NE(a.out.find("=== rram chip, level 2"), std::string::npos) << a.out;
    EXPECT_NE(a.out.find("ROMEO:"), std::string::npos) << a.out;
  }
}

TEST(CliLanguage, BadInputGetsAClearMessage) {
  const std::string ckpt = tiny_run("gpt") + "/run/checkpoint.pt";
  auto r = run_cimtrain("generate --checkpoint " + ckpt + " --prompt 'ROMEO~' --length 5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("'~'"), std::string::npos) << r.out;
  r = run_cimtrain("generate --checkpoint " + ckpt + " --length -3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--length"), std::string::npos) << r.out;

  const std::string dir = fresh_dir("bad");
  std::ofstream(dir + "/empty.txt").close();
  r = run_cimtrain("train --quiet --model gpt --data " + dir + "/empty.txt --out " + dir + "/run");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("empty.txt"), std::string::npos) << r.out;
  r = run_cimtrain("train --quiet --model gpt --data " + dir + "/none.txt --out " + dir + "/run");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("none.txt"), std::string::npos) << r.out;
  r = run_cimtrain("train --quiet --model bert --data cifar10 --out " + dir + "/run");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("language model"), std::string::npos) << r.out;
  r = run_cimtrain("train --quiet --model gpt --heads 3 --dim 16 --out " + dir + "/run");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("heads 3"), std::string::npos) << r.out;
}

}  // namespace
