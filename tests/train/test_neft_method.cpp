// NeFT's training methods (issue 6): the feedback logits against a hand-computed example and their gradients;
// OVF raising the noise of every layer through shared weights; the `neft` gradient mode (fresh noise per
// training forward) and its evaluation draw (fixed per instance); the IRS snapshot points and heads, trained
// but absent from the finished (inference) checkpoint, and an interrupted IRS run resuming exactly; `eval
// --noise neft` and clear errors end to end.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/utils.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/fashion_mnist.h"
#include "eval/monte_carlo.h"
#include "models/irs_heads.h"
#include "models/model_registry.h"
#include "nn/analog_linear.h"
#include "nn/convert.h"
#include "nn/neft_noise.h"
#include "sim/presets.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/neft_method.h"
#include "train/trainer.h"

using namespace cimtrain;

namespace {

namespace fs = std::filesystem;

TEST(NeftMethod, FeedbackLogitsFollowTheFormulaOnAHandExample) {
  const auto out = at::tensor({1.0, 2.0, 3.0}).view({1, 3});
  const std::vector<at::Tensor> extra = {at::tensor({4.0, 5.0, 6.0}).view({1, 3}),
                                         at::tensor({7.0, 8.0, 9.0}).view({1, 3}),
                                         at::tensor({10.0, 11.0, 12.0}).view({1, 3})};
  // (out - 0.5 (e0 + 0.1 e1 + 0.01 e2)) / 4 = ([1, 2, 3] - 0.5 [4.8, 5.91, 7.02]) / 4, by hand:
  const auto z = train::feedback_logits(out, extra, 0.5);
  const auto expected = at::tensor({-0.35, -0.23875, -0.1275}).view({1, 3});
  EXPECT_TRUE(at::allclose(z, expected, 1e-12, 1e-12)) << z;
  // No extra outputs: the output itself; beta 0: the output over N + 1.
  EXPECT_TRUE(at::equal(train::feedback_logits(out, {}, 0.5), out));
  EXPECT_TRUE(at::allclose(train::feedback_logits(out, extra, 0.0), out / 4));
  EXPECT_THROW(train::feedback_logits(out, {at::zeros({1, 4})}, 0.5), c10::Error);
}

TEST(NeftMethod, GradientsFlowThroughEveryFeedbackTerm) {
  const double beta = 0.3;
  auto out = at::randn({4, 5}, at::dtype(at::kDouble)).requires_grad_();
  std::vector<at::Tensor> extra;
  for (int i = 0; i < 3; ++i) extra.push_back(at::randn({4, 5}, at::dtype(at::kDouble)).requires_grad_());
  const auto target = at::tensor({0, 3, 1, 4}, at::kLong);
  const auto z = train::feedback_logits(out, extra, beta);
  const auto loss = at::cross_entropy_loss(z, target);
  loss.backward();
  // dL/dz, then dz/dout = 1/4 and dz/de_i = -beta 10^-i / 4.
  const auto zd = z.detach().requires_grad_();
  at::cross_entropy_loss(zd, target).backward();
  const auto g = zd.grad();
  EXPECT_TRUE(at::allclose(out.grad(), g / 4));
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(at::allclose(extra[i].grad(), g * (-beta * std::pow(10.0, -i) / 4))) << "extra output " << i;
}

// Two analog linear layers sharing one context, as the layers of a model do.
struct TwoLayers : torch::nn::Module {
  TwoLayers() {
    first = register_module("first", nn::AnalogLinear(64, 32));
    second = register_module("second", nn::AnalogLinear(32, 16));
  }
  nn::AnalogLinear first{nullptr}, second{nullptr};
};

TEST(NeftMethod, OvfRaisesTheNoiseOfEveryLayerAndBackpropagatesThroughSharedWeights) {
  torch::manual_seed(1);
  TwoLayers net;
  auto context = nn::AnalogContext::make(nn::GradientMode::kNeft, sim::preset_config("rram"), 3);
  context->set_neft(0.1, 4);
  context->set_level(2);
  nn::convert_to_analog(net, context);
  net.train();
  const auto x1 = at::rand({8, 64}), x2 = at::rand({8, 32});
  at::Tensor clean1, clean2;
  {
    torch::NoGradGuard no_grad;
    clean1 = at::linear(x1, net.first->weight, net.first->bias);
    clean2 = at::linear(x2, net.second->weight, net.second->bias);
  }
  // Per forward of the OVF step (index 0: the normal one, then the three raised): each layer's output error.
  std::vector<std::vector<at::Tensor>> errors1(4), errors2(4);
  std::vector<double> sigmas, levels;
  const int steps = 150;
  for (int step = 0; step < steps; ++step) {
    size_t call = 0;
    const auto forward = [&] {
      sigmas.push_back(context->neft_sigma());
      levels.push_back(context->level());
      const auto y1 = net.first->forward(x1), y2 = net.second->forward(x2);
      errors1[call].push_back((y1 - clean1).detach());
      errors2[call].push_back((y2 - clean2).detach());
      ++call;
      return y2;
    };
    torch::NoGradGuard no_grad;
    train::ovf_logits(forward, *context, 0.1, 1e-3);
    ASSERT_EQ(call, 4u);
  }
  // The noise comes back after the step.
  EXPECT_DOUBLE_EQ(context->neft_sigma(), 0.1);
  EXPECT_DOUBLE_EQ(context->level(), 2);
  const std::vector<double> raised = {0.1, 0.25, 0.2, 0.15};  // sigma, + 0.15, + 0.10, + 0.05
  for (size_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(sigmas[c], raised[c], 1e-12);
    EXPECT_NEAR(levels[c], 2 * raised[c] / 0.1, 1e-12);  // the chip level by the same factor
  }
  // Every layer's output error grows by (sigma + raise) / sigma: 4800 (first) and 2400 (second) values per
  // forward, a relative standard error of the std of 1-1.5%; 6% tolerance.
  const double s0_first = at::cat(errors1[0]).std().item<double>();
  const double s0_second = at::cat(errors2[0]).std().item<double>();
  for (size_t c = 1; c < 4; ++c) {
    EXPECT_NEAR(at::cat(errors1[c]).std().item<double>() / s0_first, raised[c] / 0.1, 0.06 * raised[c] / 0.1) << c;
    EXPECT_NEAR(at::cat(errors2[c]).std().item<double>() / s0_second, raised[c] / 0.1, 0.06 * raised[c] / 0.1) << c;
  }

  // Shared weights, nothing detached: for one linear layer, d(sum z)/dW = (1 - beta (1 + 0.1 + 0.01)) / 4 times
  // the gradient of one clean forward, whatever the noise of each forward.
  const double beta = 0.2;
  net.zero_grad();
  train::ovf_logits([&] { return net.first->forward(x1); }, *context, 0.1, beta).sum().backward();
  const auto expected = at::ones({32, 1}) * x1.sum(0).view({1, 64}) * ((1 - beta * 1.11) / 4);
  EXPECT_TRUE(at::allclose(net.first->weight.grad(), expected, 1e-4, 1e-5));
}

TEST(NeftMethod, NeftModeDrawsAFreshNoisePerTrainingForwardAndOnePerEvaluationInstance) {
  torch::manual_seed(2);
  auto layer = nn::AnalogLinear(128, 64);
  auto context = nn::AnalogContext::make(nn::GradientMode::kNeft, sim::preset_config("rram"), 4);
  context->set_neft(0.1, 4);
  nn::convert_to_analog(*layer, context);
  const auto x = at::rand({16, 128});
  const auto clean = at::linear(x, layer->weight, layer->bias).detach();
  layer->train();
  const auto a = layer->forward(x), b = layer->forward(x);
  EXPECT_FALSE(at::allclose(a, b)) << "a fresh draw per training forward";
  // The gradient is the float layer's at the noisy weights: for a linear layer, x summed over the batch.
  layer->zero_grad();
  layer->forward(x).sum().backward();
  EXPECT_TRUE(at::allclose(layer->weight.grad(), at::ones({64, 1}) * x.sum(0).view({1, 128}), 1e-5, 1e-5));

  layer->eval();
  torch::NoGradGuard no_grad;
  eval::program_neft_instance(*layer, 7, 0.1, 4, 0);
  const auto e0 = layer->forward(x);
  EXPECT_TRUE(at::equal(e0, layer->forward(x))) << "one draw per instance";
  EXPECT_FALSE(at::allclose(e0, clean));
  eval::program_neft_instance(*layer, 7, 0.1, 4, 0);
  EXPECT_TRUE(at::equal(e0, layer->forward(x))) << "instance k is the same draw every time";
  eval::program_neft_instance(*layer, 7, 0.1, 4, 1);
  EXPECT_FALSE(at::allclose(e0, layer->forward(x))) << "another instance, another draw";
  eval::program_neft_instance(*layer, 7, 0.0, 4, 1);
  EXPECT_TRUE(at::allclose(layer->forward(x), clean)) << "sigma 0 is the float layer";
  nn::clear_chip(*layer);
  EXPECT_TRUE(at::allclose(layer->forward(x), clean));
}

TEST(NeftMethod, SnapshotPointsAndHeadsOfVgg8AndResNet18) {
  const auto vgg8 = models::make_model("vgg8", 3, 10);
  const auto points = vgg8->snapshot_points();
  ASSERT_EQ(points.size(), 3u);
  // NeFT's head inputs: 64 x 6^2 = 2304, 128 x 4^2 = 2048, 256 x 3^2 = 2304.
  const std::vector<int64_t> inputs = {2304, 2048, 2304};
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(points[i].channels * points[i].pool * points[i].pool, inputs[i]) << i;
  EXPECT_EQ(points[0].name, "after conv1");
  EXPECT_EQ(points[1].name, "after conv2 + pool");
  EXPECT_EQ(points[2].name, "after conv4 + pool");
  std::vector<at::Tensor> maps;
  vgg8->eval();
  torch::NoGradGuard no_grad;
  const auto images = at::randn({2, 3, 32, 32});
  const auto logits = vgg8->forward_with_snapshots(images, maps);
  EXPECT_TRUE(at::allclose(logits, vgg8->forward(images))) << "snapshots change nothing in the output";
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[0].sizes(), (std::vector<int64_t>{2, 64, 32, 32}));
  EXPECT_EQ(maps[1].sizes(), (std::vector<int64_t>{2, 128, 16, 16}));
  EXPECT_EQ(maps[2].sizes(), (std::vector<int64_t>{2, 256, 8, 8}));
  models::IrsHeads heads(points, 10);
  const auto outs = heads->forward(maps);
  ASSERT_EQ(outs.size(), 3u);
  for (const auto& o : outs) EXPECT_EQ(o.sizes(), (std::vector<int64_t>{2, 10}));

  const auto resnet18 = models::make_model("resnet18", 3, 10);
  const auto rp = resnet18->snapshot_points();
  ASSERT_EQ(rp.size(), 4u);
  const std::vector<int64_t> rinputs = {2304, 2304, 2048, 2304};
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(rp[i].channels * rp[i].pool * rp[i].pool, rinputs[i]) << i;
  EXPECT_EQ(rp[0].name, "after the stem");
  EXPECT_EQ(rp[3].name, "after layer3");
  std::vector<at::Tensor> rmaps;
  resnet18->eval();
  resnet18->forward_with_snapshots(at::randn({1, 3, 32, 32}), rmaps);
  ASSERT_EQ(rmaps.size(), 4u);
  EXPECT_EQ(rmaps[3].sizes(), (std::vector<int64_t>{1, 256, 8, 8}));
  EXPECT_TRUE(models::make_model("resnet20", 3, 10)->snapshot_points().empty());
}

train::TrainConfig tiny_irs_config() {
  train::TrainConfig c;
  c.model = "vgg8";
  c.data = "fashion-mnist";
  c.data_dir = data::default_fashion_mnist_dir();
  c.method = train::TrainingMethod::kNeftIrs;
  c.mode = nn::GradientMode::kNeft;
  c.neft_device = "rram4";
  c.optimizer = train::OptimizerKind::kAdam;
  c.lr = 1e-3;
  c.epochs = 1;
  c.batch = 16;
  c.subset = 48;  // 3 steps
  c.eval_limit = 32;
  c.seed = 3;
  return c;
}

TEST(NeftMethod, IrsHeadsTrainButTheFinishedCheckpointIsTheInferenceModelAlone) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto dir = testing_support::fresh_dir("cimtrain_neft_irs", false);
  const auto stopped = testing_support::fresh_dir("cimtrain_neft_irs_stopped", false);
  auto config = tiny_irs_config();
  const auto full = train::train(config, dir, nullptr, true);
  ASSERT_TRUE(full.finished);
  // The finished checkpoint: the plain VGG-8's tensors only; no heads, no optimiser state holding theirs.
  auto model = models::make_model("vgg8", 1, 10);
  train::load_checkpoint(dir + "/checkpoint.pt", *model);
  for (const auto& p : model->named_parameters()) EXPECT_EQ(p.key().find("head"), std::string::npos) << p.key();
  models::IrsHeads heads(model->snapshot_points(), 10);
  EXPECT_FALSE(train::load_auxiliary(dir + "/checkpoint.pt", *heads));

  // Stopped after 2 of 3 steps: the heads are kept (resume needs them), and resuming gives the same run.
  config.steps = 2;
  const auto part = train::train(config, stopped, nullptr, true);
  ASSERT_FALSE(part.finished);
  EXPECT_TRUE(train::load_auxiliary(stopped + "/checkpoint.pt", *heads));
  const auto rest = train::resume(stopped, 3, 0, nullptr, true);
  ASSERT_TRUE(rest.finished);
  EXPECT_FALSE(train::load_auxiliary(stopped + "/checkpoint.pt", *heads));
  auto resumed = models::make_model("vgg8", 1, 10);
  train::load_checkpoint(stopped + "/checkpoint.pt", *resumed);
  const auto rp = resumed->named_parameters();
  for (const auto& p : model->named_parameters())
    EXPECT_TRUE(at::allclose(p.value(), rp[p.key()], 1e-5, 1e-6)) << p.key();

  // A finished run extended by another epoch goes on with new heads.
  const auto extended = train::resume(dir, 0, 2, nullptr, true);
  EXPECT_TRUE(extended.finished);
  EXPECT_EQ(extended.steps, 6);
}

TEST(NeftMethod, CommandLineTrainsEvaluatesUnderNeftNoiseAndRejectsBadInput) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const auto dir = testing_support::fresh_dir("cimtrain_neft_cli", false);
  const std::string tiny = "train --data fashion-mnist --epochs 1 --subset 64 --batch 32 --eval-limit 64 --quiet ";
  auto r = testing_support::run_cimtrain(tiny + "--model small-cnn --method neft-ovf --device fefet2 --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto config = nlohmann::json::parse(std::ifstream(dir + "/config.json"));
  EXPECT_EQ(config["mode"], "neft") << "the NeFT methods train under NeFT's noise by default";
  EXPECT_EQ(config["method"], "neft-ovf");
  EXPECT_EQ(config["neft_device"], "fefet2");

  r = testing_support::run_cimtrain("eval --checkpoint " + dir +
                                        "/checkpoint.pt --noise neft --device rram4 --sigma 0,0.1 --instances 2 "
                                        "--limit 64 --json",
                                    false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["noise"], "neft");
  EXPECT_EQ(j["device"], "rram4");
  EXPECT_EQ(j["s"], 4.0);
  ASSERT_EQ(j["levels"].size(), 2u);
  EXPECT_EQ(j["levels"][1]["level"], 0.1);
  EXPECT_EQ(j["levels"][0]["instances"], 2);
  // sigma 0 is the float model on every instance.
  for (const auto& v : j["levels"][0]["values"]) EXPECT_DOUBLE_EQ(v.get<double>(), j["clean"].get<double>());

  const auto fails_with = [&](const std::string& args, const std::string& message) {
    const auto bad = testing_support::run_cimtrain(args);
    EXPECT_NE(bad.exit_code, 0) << args;
    EXPECT_NE(bad.out.find(message), std::string::npos) << args << "\n" << bad.out;
  };
  const auto out = testing_support::fresh_dir("cimtrain_neft_cli_bad", false);
  fails_with(tiny + "--model resnet20 --method neft-irs --out " + out, "has none");
  fails_with(tiny + "--model small-cnn --method neft-sideways --out " + out,
             "--method: method must be one of plain, neft-ovf, neft-irs; found 'neft-sideways'");
  fails_with(tiny + "--model small-cnn --mode neft --device pcm3 --out " + out, "unknown NeFT device 'pcm3'");
  fails_with("train --model gpt --method neft-ovf --epochs 1 --out " + out, "for the vision models");
  fails_with("eval --checkpoint " + dir + "/checkpoint.pt --noise thermal",
             "--noise must be one of chip, neft; found 'thermal'");
  fails_with("eval --checkpoint " + dir + "/checkpoint.pt --noise neft --sigma -0.1",
             "--sigma: must be a finite number in [0, 10], found -0.1");
  fails_with("eval --checkpoint " + dir + "/checkpoint.pt --noise neft --level 2", "not at chip --level values");
}

}  // namespace
