// Programming noise: each cell misses its target conductance once per programming (chip instance).
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/choice.h"
#include "common/errors.h"
#include "sim/mapping.h"

namespace cimtrain::sim {

enum class ProgrammingNoiseModel { kLognormal, kPcm, kWan2022 };
CIMTRAIN_CHOICE(ProgrammingNoiseModel, "programming_noise.model", {ProgrammingNoiseModel::kLognormal, "lognormal"},
                {ProgrammingNoiseModel::kPcm, "pcm"}, {ProgrammingNoiseModel::kWan2022, "wan2022"})

// The additive models' std of the programmed conductance, s(r) = (c0 + c1 r + ... + c4 r^4) g_max / g_ref uS
// with r = G_target / g_max: a polynomial fitted in uS to a device measured with full scale g_ref.
struct AdditiveNoisePolynomial {
  double c[5];       // uS at g_max = g_ref
  double g_ref_uS;   // the full scale the fit was made at, uS
  double std_uS(double g_target_uS, double g_max_uS) const;
};
// pcm: Joshi et al. 2020 (aihwkit pcm.py PCMLikeNoiseModel.prog_coeff, g_max 25 uS);
// wan2022: NeuRRAM's 1-second write-verify spread, Wan et al. 2022 Extended Data Fig. 3 as fitted by aihwkit
// (reram.py ReRamWan2022NoiseModel coeff_dic[1.0], g_max 40 uS). Throws for lognormal.
const AdditiveNoisePolynomial& additive_noise_polynomial(ProgrammingNoiseModel model);

struct ProgrammingNoiseConfig {
  bool enabled = true;
  // lognormal: G_p = G_t exp(sigma L xi)  (multiplicative, the paper's "log-normal noise level");
  // pcm:       G_p = max(G_t + sigma L s(G_t/g_max) xi, 0), s(r) = (0.26348 + 1.9650 r - 1.1731 r^2) g_max/25 uS
  //            (Joshi et al., Nat. Commun. 2020, as in aihwkit inference/noise/pcm.py: clipped at 0 only);
  // wan2022:   the same form with NeuRRAM's fit, s(r) = (0.348 + 16.030 r - 43.853 r^2 + 45.393 r^3
  //            - 16.815 r^4) g_max/40 uS (Wan et al., Nature 2022, as in aihwkit inference/noise/reram.py).
  // lognormal conductances are clipped to [0, g_max] (a device's window); the additive models at 0 only.
  ProgrammingNoiseModel model = ProgrammingNoiseModel::kLognormal;
  double sigma = 0.1;          // lognormal: std of ln G at level 1; pcm, wan2022: multiplier of s(r) (1 = published)
  double p_stuck_off = 0.001;  // probability a cell is stuck at g_min (not scaled by the level)
  double p_stuck_on = 0.0005;  // probability a cell is stuck at g_max (not scaled by the level)

  void validate() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProgrammingNoiseConfig, enabled, model, sigma, p_stuck_off, p_stuck_on)

// Target conductances (uS) -> programmed conductances (uS), clipped to [0, g_max]; `level` is L. Cell i uses
// normal i of one Philox key and (for faults) uniform i of a second key, both drawn from `gen`.
at::Tensor program_conductances(const at::Tensor& target_uS, const ProgrammingNoiseConfig& cfg,
                                const MappingConfig& mapping, double level, at::Generator& gen);

// The fast path of programming: integer weights [outputs, inputs] -> programmed conductances
// [S, 2, padded_rows, outputs] (uS) in one pass over the cells. Gives what
// program_conductances(cell_levels_to_conductance(weights_to_cell_levels(w))) gives for the same generator
// state (the same random numbers; float rounding of exp aside). CPU tensors.
at::Tensor program_weights(const at::Tensor& w_int, const MappingConfig& mapping, const TileLayout& layout,
                           const ProgrammingNoiseConfig& cfg, double level, at::Generator& gen);

}  // namespace cimtrain::sim
