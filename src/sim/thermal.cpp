// Thermal-variation model (see thermal.h).
#include "sim/thermal.h"

#include <fmt/core.h>

namespace cimtrain::sim {

namespace {
constexpr double kBoltzmann_eV_per_K = 8.617333262e-5;
}

void ThermalConfig::validate() const {
  common::require_non_negative("thermal.sigma_K", sigma_K);
  common::require_range("thermal.tcr_per_K", tcr_per_K, -0.1, 0.1);
  common::require(t_ref_K > 0, "thermal.t_ref_K must be > 0 kelvin, found " + std::to_string(t_ref_K));
  common::require_range("thermal.activation_energy_eV", activation_energy_eV, 0.0, 5.0);
}

at::Tensor sample_tile_temperature_offsets(const ThermalConfig& cfg, int64_t row_tiles, int64_t col_tiles, double level,
                                           at::Generator& gen) {
  if (!cfg.enabled || cfg.sigma_K * level == 0) return at::zeros({row_tiles, col_tiles});
  return at::randn({row_tiles, col_tiles}, gen) * (cfg.sigma_K * level);
}

at::Tensor thermal_conductance_factor(const at::Tensor& tile_temperature_K, const ThermalConfig& cfg) {
  if (!cfg.enabled) return at::ones_like(tile_temperature_K);
  return ((tile_temperature_K - cfg.t_ref_K) * cfg.tcr_per_K + 1).clamp_min(0);
}

at::Tensor arrhenius_time_factor(const at::Tensor& tile_temperature_K, const ThermalConfig& cfg) {
  if (!cfg.enabled || cfg.activation_energy_eV == 0) return at::ones_like(tile_temperature_K);
  const double coldest_K = tile_temperature_K.min().item<double>();
  if (!(coldest_K > 0))
    throw common::ConfigError(fmt::format(
        "a tile's temperature came out at {:.1f} K (the ambient plus the tile spread thermal.sigma_K x level): "
        "lower the level, thermal.sigma_K or raise the temperature",
        coldest_K));
  return at::exp((1.0 / cfg.t_ref_K - 1.0 / tile_temperature_K) * (cfg.activation_energy_eV / kBoltzmann_eV_per_K));
}

}  // namespace cimtrain::sim
