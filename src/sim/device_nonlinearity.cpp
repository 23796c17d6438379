// Cell I-V non-linearity model (see device_nonlinearity.h).
#include "sim/device_nonlinearity.h"

#include <cmath>

namespace cimtrain::sim {

void DeviceNonlinearityConfig::validate() const {
  common::require_range("device_nonlinearity.alpha", alpha, 0.0, 1.0);
  common::require(k > 0 && k <= 20, "device_nonlinearity.k must be in (0, 20], found " + std::to_string(k));
  common::require_non_negative("device_nonlinearity.saturation_uA", saturation_uA);
}

at::Tensor apply_iv_nonlinearity(const at::Tensor& v, const DeviceNonlinearityConfig& cfg) {
  if (!cfg.enabled || cfg.alpha == 0) return v;
  return v * (1 - cfg.alpha) + at::sinh(v * cfg.k) * (cfg.alpha / std::sinh(cfg.k));
}

at::Tensor apply_current_saturation(const at::Tensor& current_uA, const DeviceNonlinearityConfig& cfg) {
  if (!cfg.enabled || cfg.saturation_uA == 0) return current_uA;
  return at::tanh(current_uA / cfg.saturation_uA) * cfg.saturation_uA;
}

}  // namespace cimtrain::sim
