// Programming-noise model (see programming_noise.h).
#include "sim/programming_noise.h"

#include "sim/normal_rng.h"

namespace cimtrain::sim {

void ProgrammingNoiseConfig::validate() const {
  require(model == "lognormal" || model == "pcm",
          "programming_noise.model must be 'lognormal' or 'pcm', found '" + model + "'");
  require_non_negative("programming_noise.sigma", sigma);
  require_range("programming_noise.p_stuck_off", p_stuck_off, 0.0, 1.0);
  require_range("programming_noise.p_stuck_on", p_stuck_on, 0.0, 1.0);
  require(p_stuck_off + p_stuck_on <= 1.0, "programming_noise.p_stuck_off + p_stuck_on must be <= 1");
}

at::Tensor program_conductances(const at::Tensor& target_uS, const ProgrammingNoiseConfig& cfg,
                                const MappingConfig& mapping, double level, at::Generator& gen) {
  if (!cfg.enabled) return target_uS.clone();
  const double s = cfg.sigma * level;
  at::Tensor g;
  if (cfg.model == "lognormal") {
    g = s > 0 ? target_uS * at::exp(randn_philox(target_uS.sizes(), gen, target_uS.options()) * s) : target_uS.clone();
  } else {
    const auto r = target_uS / mapping.g_max_uS;
    const auto std_uS = (0.26348 + 1.9650 * r - 1.1731 * r.square()) * (mapping.g_max_uS / 25.0);
    g = target_uS + randn_philox(target_uS.sizes(), gen, target_uS.options()) * std_uS * s;
  }
  g = g.clamp(0.0, mapping.g_max_uS);
  if (cfg.p_stuck_off > 0 || cfg.p_stuck_on > 0) {
    const auto u = at::rand(target_uS.sizes(), gen);
    g = at::where(u < cfg.p_stuck_off, at::full_like(g, mapping.g_min_uS), g);
    g = at::where((u >= cfg.p_stuck_off) & (u < cfg.p_stuck_off + cfg.p_stuck_on),
                  at::full_like(g, mapping.g_max_uS), g);
  }
  return g;
}

}  // namespace cimtrain::sim
