// What every analog layer of a model shares: the gradient mode, the chip (its config and the built
// sim::Chip, rebuilt only when the config changes), the read conditions, the noise settings of the `gaussian`
// and `neft` modes, and the random generator all chip and Gaussian noise is drawn from. Temporary changes go
// through nn::ContextOverride (context_override.h), which restores them when it goes out of scope.
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "nn/gradient_mode.h"
#include "sim/chip.h"
#include "sim/chip_config.h"

namespace cimtrain::nn {

class AnalogContext {
 public:
  // A context whose generator is seeded with `seed` (never from the clock); the chip config is validated.
  AnalogContext(GradientMode mode, sim::ChipConfig chip, uint64_t seed);
  static std::shared_ptr<AnalogContext> make(GradientMode mode, sim::ChipConfig chip, uint64_t seed);

  GradientMode mode() const { return mode_; }
  const sim::Chip& chip() const { return chip_; }  // built once per config: what every layer programs
  const sim::ChipConfig& chip_config() const { return chip_.config(); }
  double level() const { return chip_.config().level; }
  const sim::ReadConditions& conditions() const { return conditions_; }  // time (s) and temperature (K) of reads
  double gaussian_sigma() const { return gaussian_sigma_; }  // `gaussian`: weight noise std, fraction of max|W|
  double neft_sigma() const { return neft_sigma_; }          // `neft`: NeFT's device variation sigma
  double neft_s() const { return neft_s_; }                  // `neft`: its multiplier on mid-range weights
  bool calibrating() const { return calibrating_; }          // eval forwards fix each programmed layer's ranges
  bool calibrating_output() const { return calibrating_output_; }  // ... and its output channels' gain and offset
  // The generator of every draw (a fresh chip instance per training forward, read noise). Copies of a context
  // share its state (at::Generator is a handle).
  at::Generator& generator() { return gen_; }
  void reseed(uint64_t seed) { gen_.set_current_seed(seed); }

  // Lasting settings (the run's setup). Each validates its value and throws common::ConfigError.
  void set_mode(GradientMode mode) { mode_ = mode; }
  void set_level(double level);
  void set_chip_config(sim::ChipConfig config);  // validated; the chip is rebuilt
  void set_conditions(const sim::ReadConditions& conditions);
  void set_gaussian_sigma(double sigma);
  void set_neft(double sigma, double s);
  void set_calibrating(bool on, bool output = false) {
    calibrating_ = on;
    calibrating_output_ = on && output;
  }
  // A user's perturbation of every instance's programmed conductances (sim::ConductanceHook); empty: none.
  void set_conductance_hook(sim::ConductanceHook hook) { conductance_hook_ = std::move(hook); }
  const sim::ConductanceHook& conductance_hook() const { return conductance_hook_; }

 private:
  GradientMode mode_;
  sim::Chip chip_;
  sim::ReadConditions conditions_;
  double gaussian_sigma_ = 0.0;
  double neft_sigma_ = 0.1;
  double neft_s_ = 1.0;
  bool calibrating_ = false;
  bool calibrating_output_ = false;
  sim::ConductanceHook conductance_hook_;
  at::Generator gen_;
};

}  // namespace cimtrain::nn
