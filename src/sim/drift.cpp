// Retention and drift model (see drift.h).
#include "sim/drift.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

#include "sim/normal_rng.h"

namespace cimtrain::sim {

void DriftConfig::validate() const {
  common::require_range("drift.nu_mean", nu_mean, -1.0, 1.0);
  common::require_non_negative("drift.nu_std", nu_std);
  common::require(t0_s > 0, "drift.t0_s must be > 0 seconds, found " + std::to_string(t0_s));
  common::require_non_negative("drift.relaxation_tau_s", relaxation_tau_s);
  common::require(relaxation_beta > 0 && relaxation_beta <= 1,
                  "drift.relaxation_beta must be in (0, 1], found " + std::to_string(relaxation_beta));
  common::require_range("drift.relaxation_rest_fraction", relaxation_rest_fraction, 0.0, 1.0);
}

at::Tensor sample_drift_exponents(const at::Tensor& g_uS, const DriftConfig& cfg, const MappingConfig& mapping,
                                  double level, at::Generator& gen) {
  if (!cfg.enabled) return at::Tensor();
  const auto xi = randn_philox(g_uS.sizes(), gen);
  if (cfg.model == DriftModel::kPowerLaw) return xi * (cfg.nu_std * level) + cfg.nu_mean;
  const auto log_r = (g_uS / mapping.g_max_uS).clamp_min(1e-7).log();  // aihwkit pcm.py: |G / g_max| >= 1e-7
  const auto mu = (log_r * -0.0155 + 0.0244).clamp(0.049, 0.1);
  const auto sd = (log_r * -0.0125 - 0.0059).clamp(0.008, 0.045);
  return (mu + sd * level * xi).abs();  // aihwkit folds the exponent: PCM cells never drift upwards
}


at::Tensor drifted_conductances(const at::Tensor& g_prog_uS, const at::Tensor& nu, const at::Tensor& time_s,
                                const DriftConfig& cfg, const MappingConfig& mapping) {
  if (!cfg.enabled) return g_prog_uS;
  const auto ratio = cfg.model == DriftModel::kPcm ? (time_s + cfg.t0_s) / cfg.t0_s
                                                   : (time_s / cfg.t0_s).clamp_min(1.0);  // no drift before t0
  auto g = g_prog_uS * at::pow(ratio, -nu);
  if (cfg.relaxation_tau_s > 0) {
    const double g_rest = mapping.g_min_uS + cfg.relaxation_rest_fraction * (mapping.g_max_uS - mapping.g_min_uS);
    const auto keep = at::exp(-at::pow(time_s / cfg.relaxation_tau_s, cfg.relaxation_beta));
    g = (g - g_rest) * keep + g_rest;
  }
  return g.clamp_min(0);
}

at::Tensor drifted_conductances_per_tile(const at::Tensor& g_prog_uS, const at::Tensor& nu,
                                         const at::Tensor& t_eff_per_tile, const at::Tensor& gain_per_tile,
                                         const DriftConfig& cfg, const TileLayout& l) {
  TORCH_CHECK(!cfg.enabled || cfg.relaxation_tau_s <= 0, "drifted_conductances_per_tile: no relaxation model");
  const int64_t Rp = l.padded_rows(), O = l.outputs, planes = g_prog_uS.numel() / (Rp * O);
  TORCH_CHECK(g_prog_uS.numel() == planes * Rp * O && g_prog_uS.size(-1) == O && g_prog_uS.size(-2) == Rp,
              "drifted_conductances_per_tile: cells must be [..., ", Rp, ", ", O, "], found ", g_prog_uS.sizes());
  const auto g = g_prog_uS.to(at::kFloat).contiguous();
  const bool drift = cfg.enabled && nu.defined();
  const auto n = drift ? nu.to(at::kFloat).contiguous() : at::Tensor();
  // Per tile: ln of the drift's time ratio (max(t / t0, 1); pcm: (t + t0) / t0) and the thermal gain.
  const auto t_eff = t_eff_per_tile.to(at::kDouble);
  const auto ratio = cfg.model == DriftModel::kPcm ? (t_eff + cfg.t0_s) / cfg.t0_s : (t_eff / cfg.t0_s).clamp_min(1.0);
  const auto log_ratio = ratio.log().to(at::kFloat).contiguous();
  const auto gain = gain_per_tile.to(at::kFloat).contiguous();
  auto out = at::empty_like(g);
  const float* gp = g.data_ptr<float>();
  const float* np = drift ? n.data_ptr<float>() : nullptr;
  const float* lr = log_ratio.data_ptr<float>();
  const float* gn = gain.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t ct = l.col_tiles, opt = l.outputs_per_tile, tr = l.tile_rows;
  at::parallel_for(0, planes * Rp, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t rt = (r % Rp) / tr;
      for (int64_t o = 0; o < O; ++o) {
        const int64_t tile = rt * ct + o / opt;
        const int64_t i = r * O + o;
        float v = gp[i];
        if (np) v = v * std::exp(-np[i] * lr[tile]);  // ratio^-nu
        op[i] = std::max(v, 0.0f) * gn[tile];
      }
    }
  });
  return out;
}

}  // namespace cimtrain::sim
