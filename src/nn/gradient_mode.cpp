// Names of the gradient modes (see gradient_mode.h).
#include "nn/gradient_mode.h"

#include <stdexcept>

namespace cimtrain::nn {

const std::vector<std::string>& gradient_mode_names() {
  static const std::vector<std::string> names = {"clean", "gaussian", "full", "ste", "ste-nograd", "ste-detach", "neft"};
  return names;
}

std::string to_string(GradientMode mode) { return gradient_mode_names().at(static_cast<size_t>(mode)); }

GradientMode gradient_mode_from_string(const std::string& name) {
  const auto& names = gradient_mode_names();
  std::string known;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<GradientMode>(i);
    known += (i ? ", " : "") + names[i];
  }
  throw std::invalid_argument("unknown gradient mode '" + name + "' (known: " + known + ")");
}

bool uses_chip(GradientMode mode) {
  return mode == GradientMode::kFull || mode == GradientMode::kSte || mode == GradientMode::kSteNograd ||
         mode == GradientMode::kSteDetach;
}

}  // namespace cimtrain::nn
