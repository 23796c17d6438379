// Models by name, for the command line and checkpoints: vision models and the language models.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/classifier.h"
#include "models/transformer.h"

namespace cimtrain::models {

const std::vector<std::string>& model_names();  // small-cnn, vgg8, vgg11, resnet20, resnet18
// Throws std::invalid_argument listing the known names.
std::shared_ptr<Classifier> make_model(const std::string& name, int64_t in_channels, int64_t num_classes);

// The language models: gpt, bert.
const std::vector<std::string>& language_model_names();
bool is_language_model(const std::string& name);
// Throws std::invalid_argument listing the known names.
std::shared_ptr<Transformer> make_language_model(const std::string& name, const TransformerOptions& options);

}  // namespace cimtrain::models
