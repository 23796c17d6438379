// Retention and drift: conductances move after programming; optional global drift compensation.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/choice.h"
#include "common/errors.h"
#include "sim/mapping.h"

namespace cimtrain::sim {

enum class DriftModel { kPowerLaw, kPcm };
CIMTRAIN_CHOICE(DriftModel, "drift.model", {DriftModel::kPowerLaw, "power_law"}, {DriftModel::kPcm, "pcm"})

// How the global drift compensation measures the array: the summed |output| of an all-ones input read, or
// (aihwkit's GlobalDriftCompensation) the mean |output| of one-hot reads of every input, i.e. the mean |W| cell.
enum class CompensationRead { kAllOnes, kOneHot };
CIMTRAIN_CHOICE(CompensationRead, "drift.compensation_read", {CompensationRead::kAllOnes, "all_ones"},
                {CompensationRead::kOneHot, "one_hot"})

struct DriftConfig {
  bool enabled = true;
  // power_law: G(t) = G_p max(t / t0, 1)^(-nu), nu ~ N(nu_mean, nu_std L) per cell (no drift before t0);
  // pcm:       G(t) = G_p ((t + t0) / t0)^(-nu), nu = |N(mu(r), sigma(r) L)|, r = G_target / g_max,
  //            mu = clamp(-0.0155 ln r + 0.0244, 0.049, 0.1), sigma = clamp(-0.0125 ln r - 0.0059, 0.008, 0.045)
  //            (Joshi et al. 2020 as aihwkit pcm.py implements it: exponent from the target conductance, folded,
  //            time counted from t0 before programming ends).
  DriftModel model = DriftModel::kPowerLaw;
  double nu_mean = 0.02;  // power_law: mean drift exponent (dimensionless)
  double nu_std = 0.005;  // power_law: std of the drift exponent at level 1
  double t0_s = 20.0;     // time after programming at which drift starts to count, seconds
  // Stretched-exponential relaxation towards a rest state, applied after the drift:
  // G(t) = G_rest + (G - G_rest) exp(-(t / tau)^beta), G_rest = g_min + rest_fraction (g_max - g_min).
  double relaxation_tau_s = 0.0;          // relaxation time constant at t_ref, seconds; 0 = no relaxation
  double relaxation_beta = 0.5;           // stretch exponent (0, 1]
  double relaxation_rest_fraction = 0.5;  // rest state as a fraction of the conductance window
  bool compensation = true;               // global drift compensation: a reference read rescales the outputs
  CompensationRead compensation_read = CompensationRead::kAllOnes;  // what the reference read measures

  void validate() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DriftConfig, enabled, model, nu_mean, nu_std, t0_s, relaxation_tau_s,
                                                relaxation_beta, relaxation_rest_fraction, compensation,
                                                compensation_read)

// Per-cell drift exponents, sampled once per chip instance (undefined tensor when drift is off); `g_uS` is the
// conductance the pcm model takes nu from (the target conductances; unused by power_law).
at::Tensor sample_drift_exponents(const at::Tensor& g_uS, const DriftConfig& cfg, const MappingConfig& mapping,
                                  double level, at::Generator& gen);

// Conductances (uS) after `time_s` seconds of effective (temperature-stretched) time; time_s broadcasts.
at::Tensor drifted_conductances(const at::Tensor& g_prog_uS, const at::Tensor& nu, const at::Tensor& time_s,
                                const DriftConfig& cfg, const MappingConfig& mapping);

// The conductances now, in one pass: drifted_conductances(g_prog, nu, t_eff) x gain for cells [S, 2,
// padded_rows, outputs] whose effective time t_eff and thermal gain are per physical tile ([row_tiles,
// col_tiles]), without per-cell maps of them. Without relaxation (else use the tensor version). CPU float.
at::Tensor drifted_conductances_per_tile(const at::Tensor& g_prog_uS, const at::Tensor& nu,
                                         const at::Tensor& t_eff_per_tile, const at::Tensor& gain_per_tile,
                                         const DriftConfig& cfg, const TileLayout& layout);

}  // namespace cimtrain::sim
