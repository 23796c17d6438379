// The float metrics refuse non-finite outputs: a NaN weight (a damaged model, an overflowing chip read) still
// gives an argmax and so a plausible accuracy; it must be an error instead (issue 19 case 8).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "data/batch_loader.h"
#include "data/image_dataset.h"
#include "models/model_registry.h"
#include "test_support.h"
#include "train/metrics.h"

namespace {

using namespace cimtrain;

data::ImageDataset random_images() {
  data::ImageDataset d;
  d.name = "random";
  d.images = at::randint(0, 256, {16, 1, 28, 28}, at::kByte).contiguous();
  d.labels = at::randint(0, 10, {16}, at::kLong);
  d.num_classes = 10;
  for (int k = 0; k < 10; ++k) d.class_names.push_back("c" + std::to_string(k));
  return d;
}

TEST(Metrics, ANonFiniteOutputIsAnErrorNotAnAccuracy) {
  torch::manual_seed(0);
  const auto d = random_images();
  data::BatchLoaderOptions o;
  o.batch_size = 8;
  o.shuffle = false;
  auto model = models::make_model("small-cnn", 1, 10);
  data::BatchLoader loader(d, o);
  const double finite = train::accuracy(*model, loader);
  EXPECT_GE(finite, 0.0);
  {
    torch::NoGradGuard no_grad;
    model->parameters().front().view(-1)[0] = std::nan("");
  }
  const auto message = testing_support::message_of<std::runtime_error>([&] { train::accuracy(*model, loader); });
  EXPECT_NE(message.find("came out non-finite"), std::string::npos) << message;
}

}  // namespace
