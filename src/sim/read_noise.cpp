// Read-noise model (see read_noise.h).
#include "sim/read_noise.h"

#include <algorithm>
#include <cmath>

namespace cimtrain::sim {

void ReadNoiseConfig::validate() const {
  common::require_non_negative("read_noise.sigma", sigma);
  common::require(t_read_s > 0, "read_noise.t_read_s must be > 0 seconds, found " + std::to_string(t_read_s));
}

at::Tensor read_noise_std(const at::Tensor& g_now_uS, const at::Tensor& g_prog_uS, const ReadNoiseConfig& cfg,
                          const MappingConfig& mapping, double level, double time_s) {
  const double s = cfg.sigma * level;
  if (!cfg.enabled || s == 0) return at::Tensor();
  if (cfg.model == ReadNoiseModel::kRelative) return g_now_uS * s;
  const auto r = (g_prog_uS / mapping.g_max_uS).clamp_min(0);
  const auto q = (0.0088 / r.pow(0.65).clamp_min(1e-3)).clamp_max(0.2);
  const double t = std::max(time_s, cfg.t_read_s);  // the 1/f integral needs t + t_read > 2 t_read
  const double spread = std::sqrt(std::log((t + cfg.t_read_s) / (2 * cfg.t_read_s)));
  return g_now_uS * q * (s * spread);
}

}  // namespace cimtrain::sim
