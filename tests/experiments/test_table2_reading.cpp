// The generated reading of `experiment table2`'s report (src/experiments/table2_reading.cpp) and the report's
// wall time, on hand-made results: which differences exclude zero over the chip instances and over the training
// seeds, the paper's claim, perplexity's direction.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "experiments/table2.h"
#include "table2_fakes.h"

namespace {

using cimtrain::experiments::report_table2;
using cimtrain::experiments::Table2Results;
using cimtrain::testing_support::fake_entry;
using cimtrain::testing_support::small_cnn_options;

// The generated reading: per level whether the STE's gain excludes zero, over the seeds whether it is larger than
// their spread, and the paper's claim for a model in its table.
TEST(Table2Report, TheReadingSaysWhereTheGainIsLargerThanTheSpreadAndWhetherThePapersClaimHolds) {
  auto o = small_cnn_options();
  o.models = {"resnet20"};
  o.levels = {1, 2};
  o.seeds = 3;
  o.methods = {"ste", "gaussian@2"};
  Table2Results results;
  // Chip instances read mean -+ 0.01 (baseline), -+ 0.03 (STE): paired differences mean -+ 0.02, so with two
  // instances the interval is the mean -+ 12.706 x 0.02 = -+ 0.254: nothing excludes zero over the instances...
  results.entries = {fake_entry("clean", -1, "OUT/clean", {0.80, 0.70}),
                     fake_entry("ste", 1, "OUT/ste-L1", {0.83, -1}, 0.03)};
  // ...and over three seeds at level 2 (deltas +3, +4, +5 against the baseline: +4 -+ 4.303 x 1 / sqrt(3) =
  // [+1.52, +6.48], beyond the spread; against gaussian at 0.735: -0.5, +0.5, +1.5: within it).
  for (uint64_t k = 0; k < 3; ++k) {
    results.entries.push_back(fake_entry("ste", 2, fmt::format("OUT/ste-L2-{}", k), {-1, 0.73 + 0.01 * k}, 0.03));
    results.entries.back().seed_offset = k;
  }
  for (auto& e : results.entries) {
    e.model = "resnet20";
    e.per_level = e.method == "ste";
  }
  results.entries.push_back(fake_entry("gaussian", 2, "OUT/gaussian-L2", {0.81, 0.735}));
  results.entries.back().model = "resnet20";
  results.entries.back().gaussian_sigma = 0.0321;
  const auto md = report_table2(o, results).markdown;
  EXPECT_NE(md.find("## Reading"), std::string::npos) << md;
  EXPECT_NE(md.find("- **resnet20**, the STE against clean training (clean, float 90.00%): level 1: not told apart: "
                    "+3.00 ["),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Over the 3 training seeds at level 2: better by +4.00 [+1.52, +6.48] (beyond the spread over "
                    "training seeds)."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("The paper's claim (the STE beats clean training at every level, by +1.43 to +5.30 points) does "
                    "not hold here at any level; the gains here (+3.00, +3.00 points) are within the paper's span."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- **resnet20**, the STE against gaussian (L2): level 1: not told apart: +2.00 ["),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Over the 3 training seeds at level 2: not told apart: +0.50 [-1.98, +2.98] (within the spread "
                    "over training seeds)."),
            std::string::npos)
      << md;
  // The intro names the methods not trained at every level, and gaussian's measured sigma.
  EXPECT_NE(md.find("gaussian at level 2 only, evaluated at every level"), std::string::npos) << md;
  EXPECT_NE(md.find("resnet20's gaussian sigma 0.0321 x max|W|, the weight noise with the output error of the chip at "
                    "level 2 on a random test layer"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("all 100 test images"), std::string::npos) << md;

  // With instances that agree (no spread) the gain excludes zero at each level: the claim holds.
  for (auto& e : results.entries)
    for (auto& l : e.eval["levels"]) l["values"] = {l["mean"].get<double>(), l["mean"].get<double>()};
  const auto agreed = report_table2(o, results).markdown;
  EXPECT_NE(agreed.find("level 1: better by +3.00 [+3.00, +3.00]"), std::string::npos) << agreed;
  EXPECT_NE(agreed.find("holds here at every level"), std::string::npos) << agreed;
  // The STE of level 2 (seed 0) below the baseline there: the claim holds at level 1 only.
  results.entries[2].eval["levels"][0]["values"] = {0.69, 0.69};
  const auto partly = report_table2(o, results).markdown;
  EXPECT_NE(partly.find("holds here at level(s) 1, not at 2; the gains here (+3.00, -1.00 points) are partly or "
                        "wholly below the paper's span."),
            std::string::npos)
      << partly;
  // The paper's claim is about CIFAR-10: not judged on another data set.
  o.data = "fashion-mnist";
  EXPECT_EQ(report_table2(o, results).markdown.find("The paper's claim"), std::string::npos);
}

// Perplexity: lower is better, so an STE whose perplexity is higher on every instance is worse, and no claim of
// the paper's (about CIFAR-10 accuracy) is judged.
TEST(Table2Report, TheReadingOfAPerplexityCallsAHigherOneWorse) {
  auto o = small_cnn_options();
  o.models = {"gpt"};
  o.levels = {1};
  Table2Results results;
  for (const auto& [method, value] : {std::pair<std::string, double>{"clean", 5.0}, {"ste", 5.5}}) {
    auto e = fake_entry(method, method == "ste" ? 1 : -1, "OUT/" + method, {value}, 0.0);
    e.model = "gpt";
    e.eval["metric"] = "perplexity";
    e.eval["clean"] = 4.0;
    e.per_level = method == "ste";
    results.entries.push_back(e);
  }
  const auto md = report_table2(o, results).markdown;
  EXPECT_NE(md.find("- **gpt**, the STE against clean training (clean, float 4.000): level 1: worse by +0.500 "
                    "[+0.500, +0.500]."),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("The paper's claim"), std::string::npos) << md;
}

// A training checkpointed before the wall time was recorded shows its time as a lower bound, and the cost says so.
TEST(Table2Report, AWallTimeCountedFromALaterStepIsALowerBound) {
  auto o = small_cnn_options();
  Table2Results results;
  results.entries = {fake_entry("clean", -1, "OUT/clean", {0.8, 0.7})};
  results.entries[0].wall_since_step = 1200;
  const auto md = report_table2(o, results).markdown;
  EXPECT_NE(md.find("| >= 12 | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("\">=\": a run checkpointed before wall time was recorded"), std::string::npos) << md;
}

}  // namespace
