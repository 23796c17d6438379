// Model conversion and chip programming (see convert.h).
#include "nn/convert.h"

#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <stdexcept>

#include "nn/context_override.h"

namespace cimtrain::nn {

std::vector<std::pair<std::string, AnalogLayer*>> analog_layers(torch::nn::Module& model) {
  std::vector<std::pair<std::string, AnalogLayer*>> out;
  if (auto* self = dynamic_cast<AnalogLayer*>(&model)) out.emplace_back("", self);  // a lone layer
  for (const auto& item : model.named_modules("", /*include_self=*/false))
    if (auto* layer = dynamic_cast<AnalogLayer*>(item.value().get())) out.emplace_back(item.key(), layer);
  return out;
}

ConversionReport convert_to_analog(torch::nn::Module& model, std::shared_ptr<AnalogContext> context,
                                   const std::vector<std::string>& digital_layers) {
  TORCH_CHECK(context, "convert_to_analog needs a context");
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    const auto* m = item.value().get();
    if (dynamic_cast<const torch::nn::LinearImpl*>(m) || dynamic_cast<const torch::nn::Conv2dImpl*>(m))
      throw std::invalid_argument("layer '" + item.key() + "' is a plain " + m->name() +
                                  ", which C++ cannot swap inside its owner; build the model from "
                                  "cimtrain::nn::AnalogLinear / AnalogConv2d (drop-ins with the same options)");
  }
  auto layers = analog_layers(model);
  TORCH_CHECK(!layers.empty(), "the model has no AnalogLinear or AnalogConv2d layer to put on the chip");
  std::vector<std::string> digital = digital_layers;
  for (auto& name : digital) {
    if (name == "first") name = layers.front().first;
    if (name == "last") name = layers.back().first;
    const bool known = std::any_of(layers.begin(), layers.end(), [&](const auto& l) { return l.first == name; });
    if (!known) {
      std::string names;
      for (const auto& l : layers) names += (names.empty() ? "" : ", ") + l.first;
      throw std::invalid_argument("no analog layer named '" + name + "' (layers: first, last, " + names + ")");
    }
  }
  ConversionReport report;
  for (auto& [name, layer] : layers) {
    layer->set_context(context);
    const bool keep_digital = std::find(digital.begin(), digital.end(), name) != digital.end();
    layer->set_digital(keep_digital);
    (keep_digital ? report.digital : report.analog).push_back(name);
  }
  return report;
}

std::vector<AnalogLayer*> analog_layer_list(torch::nn::Module& model) {
  std::vector<AnalogLayer*> layers;
  for (auto& named : analog_layers(model)) layers.push_back(named.second);
  return layers;
}

void program_chip(torch::nn::Module& model, at::Generator& gen) { program_chip(analog_layer_list(model), gen); }

void program_chip(const std::vector<AnalogLayer*>& layers, at::Generator& gen) {
  for (auto* layer : layers) layer->program(gen);
}

void program_neft(torch::nn::Module& model, at::Generator& gen, double sigma, double s) {
  program_neft(analog_layer_list(model), gen, sigma, s);
}

void program_neft(const std::vector<AnalogLayer*>& layers, at::Generator& gen, double sigma, double s) {
  for (auto* layer : layers) layer->program_neft(gen, sigma, s);
}

void calibrate_chip(torch::nn::Module& model, const std::function<void()>& forward_calibration_batch,
                    AnalogContext& context, bool output) {
  for (auto& [name, layer] : analog_layers(model))
    TORCH_CHECK(layer->digital() || layer->programmed(), "calibrate_chip: layer '", name, "' is not programmed");
  const bool was_training = model.is_training();
  model.eval();
  {
    ContextOverride calibrating(context);
    calibrating.calibrating(output);
    forward_calibration_batch();
  }
  model.train(was_training);
}

void clear_chip(torch::nn::Module& model) { clear_chip(analog_layer_list(model)); }

void clear_chip(const std::vector<AnalogLayer*>& layers) {
  for (auto* layer : layers) layer->clear_programmed();
}

}  // namespace cimtrain::nn
