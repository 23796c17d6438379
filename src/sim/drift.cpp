// Retention and drift model (see drift.h).
#include "sim/drift.h"

#include "sim/normal_rng.h"

namespace cimtrain::sim {

void DriftConfig::validate() const {
  require(model == "power_law" || model == "pcm", "drift.model must be 'power_law' or 'pcm', found '" + model + "'");
  require_range("drift.nu_mean", nu_mean, -1.0, 1.0);
  require_non_negative("drift.nu_std", nu_std);
  require(t0_s > 0, "drift.t0_s must be > 0 seconds, found " + std::to_string(t0_s));
  require_non_negative("drift.relaxation_tau_s", relaxation_tau_s);
  require(relaxation_beta > 0 && relaxation_beta <= 1,
          "drift.relaxation_beta must be in (0, 1], found " + std::to_string(relaxation_beta));
  require_range("drift.relaxation_rest_fraction", relaxation_rest_fraction, 0.0, 1.0);
}

at::Tensor sample_drift_exponents(const at::Tensor& g_prog_uS, const DriftConfig& cfg, const MappingConfig& mapping,
                                  double level, at::Generator& gen) {
  if (!cfg.enabled) return at::Tensor();
  const auto xi = randn_philox(g_prog_uS.sizes(), gen);
  if (cfg.model == "power_law") return xi * (cfg.nu_std * level) + cfg.nu_mean;
  const auto log_r = (g_prog_uS / mapping.g_max_uS).clamp_min(1e-6).log();
  const auto mu = (log_r * -0.0155 + 0.0244).clamp(0.049, 0.1);
  const auto sd = (log_r * -0.0125 - 0.0059).clamp(0.008, 0.045);
  return mu + sd * level * xi;
}

at::Tensor drifted_conductances(const at::Tensor& g_prog_uS, const at::Tensor& nu, const at::Tensor& time_s,
                                const DriftConfig& cfg, const MappingConfig& mapping) {
  if (!cfg.enabled) return g_prog_uS;
  const auto ratio = (time_s / cfg.t0_s).clamp_min(1.0);  // no drift before t0
  auto g = g_prog_uS * at::pow(ratio, -nu);
  if (cfg.relaxation_tau_s > 0) {
    const double g_rest = mapping.g_min_uS + cfg.relaxation_rest_fraction * (mapping.g_max_uS - mapping.g_min_uS);
    const auto keep = at::exp(-at::pow(time_s / cfg.relaxation_tau_s, cfg.relaxation_beta));
    g = (g - g_rest) * keep + g_rest;
  }
  return g.clamp_min(0);
}

}  // namespace cimtrain::sim
