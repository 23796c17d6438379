// Thermal variation: each tile runs at its own temperature, which scales conductance and speeds drift.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace cimtrain::sim {

struct ThermalConfig {
  bool enabled = true;                // false: conductance and drift independent of temperature
  double sigma_K = 5.0;               // std of a tile's temperature around the ambient at level 1, kelvin
  double tcr_per_K = 0.002;           // temperature coefficient of conductance: G(T) = G (1 + tcr (T - t_ref)), 1/K
  double t_ref_K = 300.0;             // temperature the cells were programmed at, kelvin
  double activation_energy_eV = 1.0;  // Arrhenius energy of retention loss: time runs exp(Ea/k (1/t_ref - 1/T))
                                      // faster at T; electronvolts, 0 = no acceleration

  void validate() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ThermalConfig, enabled, sigma_K, tcr_per_K, t_ref_K,
                                                activation_energy_eV)

// Per-tile temperature offsets (K), sampled once per chip instance, shape [row_tiles, col_tiles].
at::Tensor sample_tile_temperature_offsets(const ThermalConfig& cfg, int64_t row_tiles, int64_t col_tiles, double level,
                                           at::Generator& gen);

// Tile temperatures (K) -> conductance factor 1 + tcr (T - t_ref), floored at 0 (1 when disabled).
at::Tensor thermal_conductance_factor(const at::Tensor& tile_temperature_K, const ThermalConfig& cfg);

// Tile temperatures (K) -> factor by which time since programming is stretched (1 when disabled).
at::Tensor arrhenius_time_factor(const at::Tensor& tile_temperature_K, const ThermalConfig& cfg);

}  // namespace cimtrain::sim
