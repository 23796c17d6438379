// A scoped change of an analog context: every temporary change of the mode, the chip's level, the noise
// (NeFT's OVF raise), the read conditions or the calibration flag goes through one of these, and the context
// is as it was when the override goes out of scope (exceptions included).
//
//   {
//     nn::ContextOverride in_clean(context);
//     in_clean.mode(nn::GradientMode::kClean);
//     ...  // forwards in clean mode
//   }  // the run's mode again
#pragma once

#include <optional>

#include "nn/analog_context.h"

namespace cimtrain::nn {

class ContextOverride {
 public:
  explicit ContextOverride(AnalogContext& context);
  ~ContextOverride();
  ContextOverride(const ContextOverride&) = delete;
  ContextOverride& operator=(const ContextOverride&) = delete;

  ContextOverride& mode(GradientMode mode);
  ContextOverride& level(double level);
  // NeFT's OVF forward at raised noise: NeFT's sigma + `raise`, and the gaussian sigma and the chip's level
  // scaled by the same relative factor (reference_sigma + raise) / reference_sigma. reference_sigma > 0.
  ContextOverride& raise_noise(double raise, double reference_sigma);
  ContextOverride& conditions(const sim::ReadConditions& conditions);
  // Eval-mode forwards fix each programmed layer's input scale and ADC full scales (deployment calibration);
  // with `output`, also each output channel's gain and offset against the float layer (AnalogLayer).
  ContextOverride& calibrating(bool output = false);

 private:
  AnalogContext& context_;
  GradientMode mode_;
  std::optional<double> level_;  // the saved level, once the level was changed
  sim::ReadConditions conditions_;
  double gaussian_sigma_, neft_sigma_, neft_s_;
  bool calibrating_, calibrating_output_;
};

}  // namespace cimtrain::nn
