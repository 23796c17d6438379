// Building a vision model on a simulated chip from a training config: the model, its shared analog
// context (mode, chip, noise generator) and which layers are analog or digital.
#pragma once

#include <memory>

#include "models/classifier.h"
#include "models/transformer.h"
#include "nn/analog_context.h"
#include "nn/convert.h"
#include "train/train_config.h"

namespace cimtrain::train {

struct AnalogModel {
  std::shared_ptr<models::Classifier> model;
  std::shared_ptr<nn::AnalogContext> context;
  nn::ConversionReport layers;
};

// A language model on the chip (its vocabulary size comes from the text).
struct AnalogLanguageModel {
  std::shared_ptr<models::Transformer> model;
  std::shared_ptr<nn::AnalogContext> context;
  nn::ConversionReport layers;
};

// The chip of a run: the preset (or a chip config file) at noise level `level`.
sim::ChipConfig chip_for(const std::string& preset, const std::string& chip_config_file, double level);

// The model (initialised from torch's global generator, seeded by the caller) converted to analog.
AnalogModel build_model(const TrainConfig& config, int64_t in_channels, int64_t num_classes);

// The run's sizes as transformer options (config.context, layers, heads, dim).
models::TransformerOptions transformer_options(const TrainConfig& config, int64_t vocab_size);

// The language model of config.model (initialised from torch's global generator) converted to analog.
AnalogLanguageModel build_language_model(const TrainConfig& config, int64_t vocab_size);

// Images in the memory layout the model runs in (channels-last when config.channels_last).
at::Tensor to_model_layout(const TrainConfig& config, const at::Tensor& images);

// The relative weight-noise std (fraction of max|W|) that gives the same output error as `chip` on a random
// layer: how the `gaussian` baseline is calibrated to the chip (docs/design.md §2). Measured on `rows x cols` int8
// weights and ReLU-like inputs over `instances` chip instances.
double equivalent_gaussian_sigma(const sim::ChipConfig& chip, uint64_t seed, int64_t rows = 256, int64_t cols = 128,
                                 int instances = 4);

}  // namespace cimtrain::train
