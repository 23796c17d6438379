// Turning a model's layers analog with one configuration, keeping chosen layers digital, and programming
// every analog layer of a model onto a chip instance for evaluation.
#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/analog_context.h"
#include "nn/analog_layer.h"

namespace cimtrain::nn {

// The model's analog-capable layers (AnalogLinear, AnalogConv2d) with their names, in registration order.
std::vector<std::pair<std::string, AnalogLayer*>> analog_layers(torch::nn::Module& model);

struct ConversionReport {
  std::vector<std::string> analog;   // layers now computed on the chip
  std::vector<std::string> digital;  // layers kept digital
};

// Gives every analog-capable layer of `model` the shared `context`, and keeps the layers named in
// `digital_layers` digital ("first" and "last" name the first and last such layer). Unknown names are
// rejected with the list of layer names. A plain torch::nn::Linear or Conv2d in the model cannot be swapped
// in C++ (its owner calls it through a typed member) and is rejected with a message saying to build the
// model from AnalogLinear / AnalogConv2d, which are drop-ins (same options and parameter names).
ConversionReport convert_to_analog(torch::nn::Module& model, std::shared_ptr<AnalogContext> context,
                                   const std::vector<std::string>& digital_layers = {});

// The analog layers of analog_layers(model), without their names.
std::vector<AnalogLayer*> analog_layer_list(torch::nn::Module& model);

// Programs every analog layer onto one chip instance drawn from `gen` (eval-mode forwards read it).
void program_chip(torch::nn::Module& model, at::Generator& gen);
// The same for layers listed by the caller (e.g. a Python model's), programmed from `gen` in this order.
void program_chip(const std::vector<AnalogLayer*>& layers, at::Generator& gen);
// Draws NeFT device noise (sigma, multiplier s; nn/neft_noise.h) once for every analog layer from `gen`:
// eval-mode forwards add it to the weights (`eval --noise neft`).
void program_neft(torch::nn::Module& model, at::Generator& gen, double sigma, double s);
void program_neft(const std::vector<AnalogLayer*>& layers, at::Generator& gen, double sigma, double s);
// Calibrates the programmed chip on `images` (eval mode, no autograd): each analog layer fixes its input
// quantisation scale and its ADC full scales from this batch, as a deployed chip is calibrated once; with
// `output`, also its output channels' gain and offset against the float layer.
void calibrate_chip(torch::nn::Module& model, const std::function<void()>& forward_calibration_batch,
                    AnalogContext& context, bool output = false);
// Forgets the programmed instances: eval-mode forwards compute the float model again.
void clear_chip(torch::nn::Module& model);
void clear_chip(const std::vector<AnalogLayer*>& layers);

}  // namespace cimtrain::nn
