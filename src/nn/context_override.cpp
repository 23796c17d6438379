// Scoped changes of an analog context (see context_override.h).
#include "nn/context_override.h"

#include <stdexcept>
#include <string>

namespace cimtrain::nn {

ContextOverride::ContextOverride(AnalogContext& context)
    : context_(context),
      mode_(context.mode()),
      conditions_(context.conditions()),
      gaussian_sigma_(context.gaussian_sigma()),
      neft_sigma_(context.neft_sigma()),
      neft_s_(context.neft_s()),
      calibrating_(context.calibrating()),
      calibrating_output_(context.calibrating_output()) {}

ContextOverride::~ContextOverride() {
  context_.set_mode(mode_);
  if (level_) context_.set_level(*level_);  // a level that was valid before: cannot throw
  context_.set_conditions(conditions_);
  context_.set_gaussian_sigma(gaussian_sigma_);
  context_.set_neft(neft_sigma_, neft_s_);
  context_.set_calibrating(calibrating_, calibrating_output_);
}

ContextOverride& ContextOverride::mode(GradientMode mode) {
  context_.set_mode(mode);
  return *this;
}

ContextOverride& ContextOverride::level(double level) {
  if (!level_) level_ = context_.level();
  context_.set_level(level);
  return *this;
}

ContextOverride& ContextOverride::raise_noise(double raise, double reference_sigma) {
  if (!(reference_sigma > 0))
    throw std::invalid_argument("raising the noise needs a NeFT sigma > 0, found " + std::to_string(reference_sigma));
  const double factor = (reference_sigma + raise) / reference_sigma;
  context_.set_neft(context_.neft_sigma() + raise, context_.neft_s());
  context_.set_gaussian_sigma(context_.gaussian_sigma() * factor);
  return level(context_.level() * factor);
}

ContextOverride& ContextOverride::conditions(const sim::ReadConditions& conditions) {
  context_.set_conditions(conditions);
  return *this;
}

ContextOverride& ContextOverride::calibrating(bool output) {
  context_.set_calibrating(true, output);
  return *this;
}

}  // namespace cimtrain::nn
