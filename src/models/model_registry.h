// Vision models by name, for the command line and checkpoints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/classifier.h"

namespace cimtrain::models {

const std::vector<std::string>& model_names();  // small-cnn, vgg8, vgg11, resnet20, resnet18
// Throws std::invalid_argument listing the known names.
std::shared_ptr<Classifier> make_model(const std::string& name, int64_t in_channels, int64_t num_classes);

}  // namespace cimtrain::models
