// The STE-vs-simulator gradient analysis (issue 7 groundwork): the bookkeeping (cosine, norms and the
// difference's norm agree for one sample), reproducibility, the context restored, and the alignment falling
// as the chip's noise rises.
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <cmath>
#include <iostream>

#include "eval/gradient_alignment.h"
#include "models/model_registry.h"
#include "nn/convert.h"
#include "sim/presets.h"
#include "train/training_task.h"

using namespace cimtrain;

namespace {

struct Setup {
  std::shared_ptr<models::Classifier> model;
  std::shared_ptr<nn::AnalogContext> context;
  at::Tensor images, labels;
  std::function<at::Tensor()> loss() {
    return [this] { return train::task_loss(model->forward(images), labels); };
  }
};

Setup small_cnn() {
  torch::manual_seed(4);
  Setup s;
  s.model = models::make_model("small-cnn", 1, 10);
  s.context = nn::AnalogContext::make(nn::GradientMode::kClean, sim::preset_config("rram"), 1);
  nn::convert_to_analog(*s.model, s.context);
  s.model->train();
  s.images = at::randn({16, 1, 28, 28});
  s.labels = at::randint(10, {16}, at::kLong);
  return s;
}

TEST(GradientAlignment, OneSampleBookkeepingAndReproducibility) {
  auto s = small_cnn();
  const auto a = eval::gradient_alignment(*s.model, *s.context, s.loss(), {2.0}, 1, 9);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_FALSE(a[0].layers.empty());
  EXPECT_EQ(s.context->mode(), nn::GradientMode::kClean) << "the context's mode is restored";
  EXPECT_DOUBLE_EQ(s.context->level(), 1.0) << "and its level";
  for (const auto& l : a[0].layers) {
    EXPECT_GT(l.ste_norm, 0) << l.layer;
    EXPECT_GT(l.full_norm, 0) << l.layer;
    EXPECT_GE(l.cos_mean, -1.0);
    EXPECT_LE(l.cos_mean, 1.0);
    // One sample: |f - g|^2 = |g|^2 + |f|^2 - 2 cos |g| |f|.
    const double expected =
        l.ste_norm * l.ste_norm + l.full_norm * l.full_norm - 2 * l.cos_mean * l.ste_norm * l.full_norm;
    EXPECT_NEAR(l.delta_norm * l.delta_norm, expected, 1e-6 * (l.ste_norm * l.ste_norm + l.full_norm * l.full_norm))
        << l.layer;
    EXPECT_NEAR(l.predicted_cos, l.ste_norm / std::hypot(l.ste_norm, l.delta_norm), 1e-12);
  }
  // BatchNorm's running statistics changed in between; the gradients use batch statistics only.
  const auto b = eval::gradient_alignment(*s.model, *s.context, s.loss(), {2.0}, 1, 9);
  for (size_t i = 0; i < a[0].layers.size(); ++i)
    EXPECT_NEAR(a[0].layers[i].cos_mean, b[0].layers[i].cos_mean, 1e-9) << a[0].layers[i].layer;
}

TEST(GradientAlignment, FallsAsTheNoiseRises) {
  auto s = small_cnn();
  const auto a = eval::gradient_alignment(*s.model, *s.context, s.loss(), {0.25, 4.0}, 3, 2);
  double low = 0, high = 0;
  for (const auto& l : a[0].layers) low += l.cos_mean / a[0].layers.size();
  for (const auto& l : a[1].layers) high += l.cos_mean / a[1].layers.size();
  std::cout << "mean cosine over layers: " << low << " at level 0.25, " << high << " at level 4\n";
  EXPECT_GT(low, 0.5) << "little noise: the two gradients nearly agree";
  EXPECT_LT(high, low) << "more noise, less alignment";
}

}  // namespace
