// Names of the gradient modes (see gradient_mode.h).
#include "nn/gradient_mode.h"

namespace cimtrain::nn {

std::string to_string(GradientMode mode) { return common::to_name(mode); }

bool uses_chip(GradientMode mode) {
  return mode == GradientMode::kFull || mode == GradientMode::kSte || mode == GradientMode::kSteNograd ||
         mode == GradientMode::kSteDetach;
}

}  // namespace cimtrain::nn
