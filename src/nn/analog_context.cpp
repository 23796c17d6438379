// The analog layers' shared context (see analog_context.h).
#include "nn/analog_context.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>

#include "common/errors.h"

namespace cimtrain::nn {

AnalogContext::AnalogContext(GradientMode mode, sim::ChipConfig chip, uint64_t seed)
    : mode_(mode), chip_(std::move(chip)), gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

std::shared_ptr<AnalogContext> AnalogContext::make(GradientMode mode, sim::ChipConfig chip, uint64_t seed) {
  return std::make_shared<AnalogContext>(mode, std::move(chip), seed);
}

void AnalogContext::set_level(double level) {
  if (level == chip_.config().level) return;
  auto config = chip_.config();
  config.level = level;
  chip_ = sim::Chip(std::move(config));
}

void AnalogContext::set_chip_config(sim::ChipConfig config) { chip_ = sim::Chip(std::move(config)); }

void AnalogContext::set_conditions(const sim::ReadConditions& conditions) {
  conditions.validate();
  conditions_ = conditions;
}

void AnalogContext::set_gaussian_sigma(double sigma) {
  common::require(sigma >= 0 && std::isfinite(sigma),
                  "the gaussian mode's sigma must be a finite value >= 0, found " + std::to_string(sigma));
  gaussian_sigma_ = sigma;
}

void AnalogContext::set_neft(double sigma, double s) {
  common::require(sigma >= 0 && std::isfinite(sigma), "NeFT's sigma must be >= 0, found " + std::to_string(sigma));
  common::require(s > 0 && std::isfinite(s), "NeFT's multiplier s must be > 0, found " + std::to_string(s));
  neft_sigma_ = sigma;
  neft_s_ = s;
}

}  // namespace cimtrain::nn
