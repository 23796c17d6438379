// The accuracy budget (eval::run_ablation_variants): the checkpoint on its chip, on the ideal chip, and with each
// enabled non-ideality alone and all but it, over the same instances as a plain evaluation; its JSON; bad options.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/errors.h"
#include "eval/ablation.h"
#include "eval/checkpoint_support.h"
#include "sim/presets.h"
#include "test_support.h"

namespace cimtrain::eval {
namespace {

EvalOptions tiny(const std::string& checkpoint) {
  EvalOptions o;
  o.checkpoints = {checkpoint};
  o.levels = {2};
  o.instances = 1;
  o.limit = 48;
  o.batch = 48;
  o.calibration = 16;
  o.seed = 5;
  return o;
}

TEST(Ablation, EveryEnabledNonIdealityAloneAndAllButItOnTheSameInstances) {
  CIMTRAIN_REQUIRE_DATA(testing_support::have_fashion_mnist(), "fashion-mnist");
  auto o = tiny(testing_support::write_small_cnn_checkpoint("ablation"));
  o.preset = "pcm";  // five components: dac, adc, programming_noise, read_noise, drift
  const auto r = run_ablation_variants(o);
  EXPECT_EQ(r.components, (std::vector<std::string>{"dac", "adc", "programming_noise", "read_noise", "drift"}));
  ASSERT_EQ(r.variants.size(), 2 + 2 * r.components.size());
  EXPECT_EQ(r.variants[0].kind, "all");
  EXPECT_EQ(r.variants[1].kind, "ideal");
  for (size_t i = 0; i < r.components.size(); ++i) {
    EXPECT_EQ(r.variants[2 + 2 * i].kind, "only");
    EXPECT_EQ(r.variants[3 + 2 * i].kind, "without");
    EXPECT_EQ(r.variants[2 + 2 * i].component, r.components[i]);
  }
  // The "all" variant is the plain evaluation: the same instances, the same numbers.
  const auto plain = evaluate_checkpoint(o.checkpoints.front(), o);
  EXPECT_EQ(r.variants[0].result.levels[0].values, plain.levels[0].values);
  EXPECT_EQ(lost_vs_ideal(r, r.variants[1], 0), 0.0);
  EXPECT_EQ(regained_vs_all(r, r.variants[0], 0), 0.0);
  EXPECT_DOUBLE_EQ(lost_vs_ideal(r, r.variants[0], 0),
                   r.variants[1].result.levels[0].mean - r.variants[0].result.levels[0].mean);
  const auto j = ablation_json(r, o);
  EXPECT_EQ(j["format"], "cimtrain.ablation");
  EXPECT_EQ(j["variants"].size(), r.variants.size());
  EXPECT_EQ(j["components"].size(), 5u);
  EXPECT_EQ(j["chip"]["preset"], "pcm");
}

TEST(Ablation, OneCheckpointOnTheChip) {
  auto o = tiny("/no/such/checkpoint.pt");
  o.checkpoints.push_back("/no/other.pt");
  EXPECT_NE(testing_support::message_of<common::ConfigError>([&] { run_ablation_variants(o); }).find("one checkpoint"),
            std::string::npos);
  o = tiny("/no/such/checkpoint.pt");
  o.noise = EvalNoise::kNeft;
  EXPECT_NE(testing_support::message_of<common::ConfigError>([&] { run_ablation_variants(o); }).find("--noise chip"),
            std::string::npos);
}

}  // namespace
}  // namespace cimtrain::eval
