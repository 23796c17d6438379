// BatchNorm re-estimation: the running statistics become the equal-weight average of the batch statistics
// (computed here by hand), everything else stays in eval mode, modes and momenta come back, and the backup
// restores the trained statistics, also when an exception leaves the scope.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "nn/batchnorm_reestimation.h"

using namespace cimtrain;

namespace {

struct Net : torch::nn::Module {
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn1{nullptr};
  Net() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 3).padding(1)));
    bn = register_module("bn", torch::nn::BatchNorm2d(3));
    drop = register_module("drop", torch::nn::Dropout(0.5));
    fc = register_module("fc", torch::nn::Linear(3 * 4 * 4, 5));
    bn1 = register_module("bn1", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(5).momentum(0.3)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = bn->forward(conv->forward(x));
    return bn1->forward(fc->forward(drop->forward(h.flatten(1))));
  }
};

}  // namespace

TEST(BatchNormReestimation, StatisticsAreTheAverageOfTheBatchStatistics) {
  torch::manual_seed(3);
  Net net;
  net.eval();
  const std::vector<torch::Tensor> batches = {torch::randn({8, 2, 4, 4}) * 2 + 1, torch::randn({8, 2, 4, 4}) - 3};
  // By hand: the conv output's per-channel batch mean and unbiased variance, averaged over the two batches.
  torch::Tensor mean = torch::zeros({3}), var = torch::zeros({3});
  {
    torch::NoGradGuard no_grad;
    for (const auto& b : batches) {
      const auto h = net.conv->forward(b).transpose(0, 1).flatten(1);  // [C, N H W]
      mean += h.mean(1) / 2;
      var += h.var(1, /*unbiased=*/true) / 2;
    }
  }
  const int n = nn::reestimate_batchnorm(net, [&] {
    for (const auto& b : batches) net.forward(b);
  });
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(torch::allclose(net.bn->running_mean, mean, 1e-5, 1e-5)) << net.bn->running_mean << mean;
  EXPECT_TRUE(torch::allclose(net.bn->running_var, var, 1e-4, 1e-5)) << net.bn->running_var << var;
  EXPECT_EQ(net.bn->num_batches_tracked.item<int64_t>(), 2);
  EXPECT_FALSE(net.is_training());
  EXPECT_FALSE(net.bn->is_training());
  EXPECT_FALSE(net.drop->is_training());
  EXPECT_DOUBLE_EQ(net.bn->options.momentum().value(), 0.1);
  EXPECT_DOUBLE_EQ(net.bn1->options.momentum().value(), 0.3);
}

TEST(BatchNormReestimation, DropoutStaysOffAndATrainingModelStaysInTraining) {
  torch::manual_seed(4);
  Net net;
  net.train();
  const auto x = torch::randn({6, 2, 4, 4});
  // With dropout off the two passes see the same activations: the same statistics twice.
  nn::reestimate_batchnorm(net, [&] { net.forward(x); });
  const auto once = net.bn1->running_mean.clone();
  nn::reestimate_batchnorm(net, [&] { net.forward(x); });
  EXPECT_TRUE(torch::equal(once, net.bn1->running_mean)) << "dropout must be off while re-estimating";
  EXPECT_TRUE(net.is_training());
  EXPECT_TRUE(net.drop->is_training());
  EXPECT_TRUE(net.bn->is_training());
}

TEST(BatchNormReestimation, BackupRestoresTheTrainedStatisticsAlsoOnAnException) {
  torch::manual_seed(5);
  Net net;
  net.eval();
  {
    torch::NoGradGuard no_grad;
    net.bn->running_mean.fill_(0.25);
    net.bn->running_var.fill_(4.0);
    net.bn->num_batches_tracked.fill_(17);
  }
  try {
    nn::BatchNormStatsBackup trained(net);
    nn::reestimate_batchnorm(net, [&] { net.forward(torch::randn({4, 2, 4, 4})); });
    EXPECT_FALSE(torch::allclose(net.bn->running_mean, torch::full({3}, 0.25)));
    throw std::runtime_error("leave the scope");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(torch::equal(net.bn->running_mean, torch::full({3}, 0.25)));
  EXPECT_TRUE(torch::equal(net.bn->running_var, torch::full({3}, 4.0)));
  EXPECT_EQ(net.bn->num_batches_tracked.item<int64_t>(), 17);
}

TEST(BatchNormReestimation, AModelWithoutBatchNormRunsNothing) {
  torch::nn::Sequential plain(torch::nn::Linear(3, 2),
                              torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(2).track_running_stats(false)));
  bool ran = false;
  EXPECT_EQ(nn::reestimate_batchnorm(*plain, [&] { ran = true; }), 0);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(nn::batchnorm_layers(*plain).empty());
}
