// Model construction for training and evaluation (see model_setup.h).
#include "train/model_setup.h"

#include <ATen/CPUGeneratorImpl.h>

#include <fstream>

#include "models/model_registry.h"
#include "nn/neft_noise.h"
#include "sim/presets.h"

namespace cimtrain::train {

sim::ChipConfig chip_for(const std::string& preset, const std::string& chip_config_file, double level) {
  sim::ChipConfig chip;
  if (!chip_config_file.empty()) {
    chip = sim::chip_config_from_file(chip_config_file);
  } else {
    chip = sim::preset_config(preset);
  }
  chip.level = level;
  chip.validate();
  return chip;
}

namespace {
std::shared_ptr<nn::AnalogContext> context_for(const TrainConfig& config) {
  auto context =
      nn::AnalogContext::make(config.mode, chip_for(config.preset, config.chip_config, config.level), config.seed);
  context->set_gaussian_sigma(config.gaussian_sigma.value_or(0.0));  // unset: measured by the trainer
  context->set_neft(config.neft_sigma, nn::neft_device(config.neft_device).s);
  return context;
}
}  // namespace

AnalogModel build_model(const TrainConfig& config, int64_t in_channels, int64_t num_classes) {
  AnalogModel m;
  m.model = models::make_model(config.model, in_channels, num_classes);
  m.context = context_for(config);
  m.layers = nn::convert_to_analog(*m.model, m.context, config.digital);
  if (config.channels_last) {
    torch::NoGradGuard no_grad;
    for (auto& p : m.model->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  return m;
}

models::TransformerOptions transformer_options(const TrainConfig& config, int64_t vocab_size) {
  models::TransformerOptions o;
  o.vocab_size = vocab_size;
  o.context = config.context;
  o.layers = config.layers;
  o.heads = config.heads;
  o.dim = config.dim;
  return o;
}

AnalogLanguageModel build_language_model(const TrainConfig& config, int64_t vocab_size) {
  AnalogLanguageModel m;
  m.model = models::make_language_model(config.model, transformer_options(config, vocab_size));
  m.context = context_for(config);
  m.layers = nn::convert_to_analog(*m.model, m.context, config.digital);
  return m;
}

at::Tensor to_model_layout(const TrainConfig& config, const at::Tensor& images) {
  return config.channels_last && images.dim() == 4 ? images.contiguous(at::MemoryFormat::ChannelsLast) : images;
}

double equivalent_gaussian_sigma(const sim::ChipConfig& chip, uint64_t seed, int64_t rows, int64_t cols,
                                 int instances) {
  // With W_eff = W + E, E iid with std sigma * max|W|, the output error of one column has variance
  // sigma^2 max|W|^2 sum_j x_j^2; so sigma^2 = mean(err^2) / (max|W|^2 mean_b(sum_j x_bj^2)).
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double wmax = chip.mapping.weight_max(), xmax = chip.mapping.input_max();
  const sim::Chip c(chip);
  double err2 = 0, norm = 0;
  for (int k = 0; k < instances; ++k) {
    const auto w = (at::randn({cols, rows}, gen) * (wmax / 3)).round().clamp(-wmax, wmax);
    const auto x = (at::randn({64, rows}, gen) * (xmax / 3)).clamp_min(0).round().clamp_max(xmax);
    auto inst = c.program(w, gen);
    const auto y = inst.infer(x, gen);
    const auto ideal = at::mm(x, w.t());
    err2 += (y - ideal).square().mean().item<double>();
    norm += w.abs().max().square().item<double>() * x.square().sum(1).mean().item<double>();
  }
  return std::sqrt(err2 / norm);
}

}  // namespace cimtrain::train
