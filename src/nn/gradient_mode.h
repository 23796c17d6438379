// The gradient modes of an analog layer (docs/design.md §2): how its forward and backward treat the chip.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/choice.h"

namespace cimtrain::nn {

enum class GradientMode {
  kClean,      // float layer, no chip: the no-noise baseline
  kGaussian,   // W + sigma max|W| xi, differentiable: standard noise-injection training
  kFull,       // the chip simulator's value, gradient through a differentiable model of the programmed chip
  kSte,        // fused STE: forward = chip only; backward = the clean layer's, from saved x and W
  kSteNograd,  // Algorithm 1 literally: clean forward + chip under NoGradGuard, y_clean + delta.detach()
  kSteDetach,  // Algorithm 1 with the chip path recorded by autograd, then detached
  kNeft,       // W + NeFT device-variation noise (nn/neft_noise.h), differentiable: NeFT's published model
};

CIMTRAIN_CHOICE(GradientMode, "mode", {GradientMode::kClean, "clean"}, {GradientMode::kGaussian, "gaussian"},
                {GradientMode::kFull, "full"}, {GradientMode::kSte, "ste"}, {GradientMode::kSteNograd, "ste-nograd"},
                {GradientMode::kSteDetach, "ste-detach"}, {GradientMode::kNeft, "neft"})

std::string to_string(GradientMode mode);
// True for the modes whose training forward runs the chip simulator.
bool uses_chip(GradientMode mode);

}  // namespace cimtrain::nn
