// What every analog layer of a model shares: the gradient mode, the chip, the read conditions and the
// random generator all chip and Gaussian noise is drawn from.
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "nn/gradient_mode.h"
#include "sim/chip.h"
#include "sim/chip_config.h"

namespace cimtrain::nn {

struct AnalogContext {
  GradientMode mode = GradientMode::kClean;
  sim::ChipConfig chip;            // the simulated chip, its noise level included (chip.level)
  sim::ReadConditions conditions;  // time since programming (s) and temperature (K) of every read
  double gaussian_sigma = 0.0;     // `gaussian` mode: weight noise std as a fraction of max|W| (per tensor)
  double neft_sigma = 0.1;         // `neft` mode: NeFT's device variation sigma (nn/neft_noise.h)
  double neft_s = 1.0;             // `neft` mode: its multiplier on mid-range weights (device rram1 .. fefet6)
  at::Generator gen;               // CPU generator: a fresh chip instance per training forward, read noise
  bool calibrating = false;        // eval forwards fix each programmed layer's input and ADC ranges (calibrate_chip)

  // A context whose generator is seeded with `seed` (never from the clock).
  static std::shared_ptr<AnalogContext> make(GradientMode mode, sim::ChipConfig chip, uint64_t seed);
};

}  // namespace cimtrain::nn
