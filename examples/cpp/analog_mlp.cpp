// A model of the user's own, made of cimtrain's analog layers: a two-layer perceptron that learns two Gaussian
// clusters with the extended STE against a level-2 RRAM chip (a fresh chip instance per step), then is
// programmed onto one chip instance and evaluated there, as deployed. Exits 1 if it did not learn.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <cstdio>

#include "nn/analog_context.h"
#include "nn/analog_linear.h"
#include "nn/convert.h"
#include "sim/presets.h"

namespace {

struct Mlp : torch::nn::Module {
  Mlp() : hidden(register_module("hidden", cimtrain::nn::AnalogLinear(16, 32))),
          out(register_module("out", cimtrain::nn::AnalogLinear(32, 2))) {}
  at::Tensor forward(const at::Tensor& x) { return out->forward(at::relu(hidden->forward(x))); }
  cimtrain::nn::AnalogLinear hidden, out;
};

// n points per class: class c is centred at +-1.5 along every axis.
std::pair<at::Tensor, at::Tensor> clusters(int64_t n, at::Generator& gen) {
  const auto labels = at::cat({at::zeros({n}, at::kLong), at::ones({n}, at::kLong)});
  const auto centres = (labels.to(at::kFloat) * 3.0 - 1.5).unsqueeze(1).expand({2 * n, 16});
  return {centres + at::randn({2 * n, 16}, gen), labels};
}

double accuracy(Mlp& model, const at::Tensor& x, const at::Tensor& y) {
  torch::NoGradGuard no_grad;
  return model.forward(x).argmax(1).eq(y).to(at::kFloat).mean().item<double>();
}

}  // namespace

int main() {
  torch::manual_seed(0);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto [x, y] = clusters(256, gen);
  const auto [x_test, y_test] = clusters(256, gen);

  Mlp model;
  auto context = cimtrain::nn::AnalogContext::make(cimtrain::nn::GradientMode::kSte,
                                                   cimtrain::sim::preset_config("rram"), /*seed=*/2);
  context->set_level(2);
  const auto layers = cimtrain::nn::convert_to_analog(model, context);
  torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  model.train();
  double first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    optimizer.zero_grad();
    const auto loss = at::cross_entropy_loss(model.forward(x), y);
    loss.backward();
    optimizer.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  model.eval();
  const double float_accuracy = accuracy(model, x_test, y_test);
  auto chip_gen = at::make_generator<at::CPUGeneratorImpl>(3);
  cimtrain::nn::program_chip(model, chip_gen);  // one deployed chip instance
  const double chip_accuracy = accuracy(model, x_test, y_test);
  std::printf("%zu analog layers; STE training loss %.3f -> %.3f; test accuracy %.1f%% in float, %.1f%% on a "
              "level-2 chip instance\n",
              layers.analog.size(), first, last, 100 * float_accuracy, 100 * chip_accuracy);
  return last < first && chip_accuracy > 0.9 ? 0 : 1;
}
