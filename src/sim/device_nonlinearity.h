// Cell I-V non-linearity: current is not proportional to read voltage; optional column-current saturation.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace cimtrain::sim {

// I = G * V_r * [(1 - alpha) v + alpha sinh(k v) / sinh(k)], v = V / V_r: the sinh conduction law of
// filamentary RRAM / PCM read characteristics, exact at v = 0 and v = 1, below linear in between.
struct DeviceNonlinearityConfig {
  bool enabled = true;         // false: ohmic cells, no saturation
  double alpha = 0.1;          // fraction of the current that follows the sinh law (0 = ohmic)
  double k = 2.0;              // steepness of the sinh law (dimensionless, at full-scale voltage)
  double saturation_uA = 0.0;  // column current saturation I_sat * tanh(I / I_sat), microamperes; 0 = none

  void validate() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeviceNonlinearityConfig, enabled, alpha, k, saturation_uA)

// Normalised voltage v -> effective normalised voltage f(v) (odd in v, so noise below 0 is handled).
at::Tensor apply_iv_nonlinearity(const at::Tensor& v, const DeviceNonlinearityConfig& cfg);

// Column currents (uA) -> saturated currents (uA).
at::Tensor apply_current_saturation(const at::Tensor& current_uA, const DeviceNonlinearityConfig& cfg);

}  // namespace cimtrain::sim
