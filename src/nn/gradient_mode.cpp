// Names of the gradient modes (see gradient_mode.h).
#include "nn/gradient_mode.h"


namespace cimtrain::nn {

const std::vector<std::string>& gradient_mode_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [mode, name] : choice_names(GradientMode{})) n.emplace_back(name);
    return n;
  }();
  return names;
}

std::string to_string(GradientMode mode) { return common::to_name(mode); }

GradientMode gradient_mode_from_string(const std::string& name) { return common::parse_choice<GradientMode>(name); }

bool uses_chip(GradientMode mode) {
  return mode == GradientMode::kFull || mode == GradientMode::kSte || mode == GradientMode::kSteNograd ||
         mode == GradientMode::kSteDetach;
}

}  // namespace cimtrain::nn
