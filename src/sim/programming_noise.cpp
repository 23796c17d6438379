// Programming-noise model (see programming_noise.h).
#include "sim/programming_noise.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "sim/normal_rng.h"

namespace cimtrain::sim {

void ProgrammingNoiseConfig::validate() const {
  common::require_non_negative("programming_noise.sigma", sigma);
  common::require_range("programming_noise.p_stuck_off", p_stuck_off, 0.0, 1.0);
  common::require_range("programming_noise.p_stuck_on", p_stuck_on, 0.0, 1.0);
  common::require(p_stuck_off + p_stuck_on <= 1.0, "programming_noise.p_stuck_off + p_stuck_on must be <= 1");
}

double AdditiveNoisePolynomial::std_uS(double g_target_uS, double g_max_uS) const {
  const double r = g_target_uS / g_max_uS;
  return ((((c[4] * r + c[3]) * r + c[2]) * r + c[1]) * r + c[0]) * (g_max_uS / g_ref_uS);
}

const AdditiveNoisePolynomial& additive_noise_polynomial(ProgrammingNoiseModel model) {
  static const AdditiveNoisePolynomial pcm{{0.26348, 1.9650, -1.1731, 0.0, 0.0}, 25.0};
  static const AdditiveNoisePolynomial wan2022{{0.348, 16.030, -43.853, 45.393, -16.815}, 40.0};
  if (model == ProgrammingNoiseModel::kPcm) return pcm;
  if (model == ProgrammingNoiseModel::kWan2022) return wan2022;
  throw common::ConfigError(std::string("programming_noise.model ") + common::to_name(model) + " has no additive polynomial");
}

at::Tensor program_conductances(const at::Tensor& target_uS, const ProgrammingNoiseConfig& cfg,
                                const MappingConfig& mapping, double level, at::Generator& gen) {
  if (!cfg.enabled) return target_uS.clone();
  const double s = cfg.sigma * level;
  at::Tensor g;
  if (cfg.model == ProgrammingNoiseModel::kLognormal) {
    g = s > 0 ? target_uS * at::exp(randn_philox(target_uS.sizes(), gen, target_uS.options()) * s) : target_uS.clone();
  } else {
    const auto& p = additive_noise_polynomial(cfg.model);
    const auto r = target_uS / mapping.g_max_uS;
    const auto std_uS = ((((r * p.c[4] + p.c[3]) * r + p.c[2]) * r + p.c[1]) * r + p.c[0]) * (mapping.g_max_uS / p.g_ref_uS);
    g = target_uS + randn_philox(target_uS.sizes(), gen, target_uS.options()) * std_uS * s;
  }
  // The published additive models clip at 0 only; a lognormal device stays within its window.
  g = cfg.model == ProgrammingNoiseModel::kLognormal ? g.clamp(0.0, mapping.g_max_uS) : g.clamp_min(0.0);
  if (cfg.p_stuck_off > 0 || cfg.p_stuck_on > 0) {
    const auto u = rand_philox(target_uS.sizes(), gen);
    g = at::where(u < cfg.p_stuck_off, at::full_like(g, mapping.g_min_uS), g);
    g = at::where((u >= cfg.p_stuck_off) & (u < cfg.p_stuck_off + cfg.p_stuck_on), at::full_like(g, mapping.g_max_uS),
                  g);
  }
  return g;
}

namespace {

// e^x for |x| < 80 in float: x = n ln 2 + r, |r| <= ln2 / 2, Cephes' degree-5 polynomial (~1 ulp). Plain
// float ops, so loops over it vectorise.
inline float exp_approx(float x) {
  const float n = std::nearbyint(x * 1.44269504088896341f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = static_cast<int32_t>(n) + 127;
  uint32_t bits = static_cast<uint32_t>(e) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

struct CellParams {
  int64_t inputs, outputs, padded_rows;
  int bits_per_cell, mask;
  float g_min, g_step, g_max, g_clip, noise, p_off, p_on_end;  // g_clip: the upper clip (additive: none)
  float poly[5], poly_scale;  // the additive model's s(r) coefficients (uS) and g_max / g_ref
  bool lognormal, additive, faults;
};

// Rows [q0, q1) of the cells, row q = (slice * 2 + sign) * padded_rows + r, each `outputs` cells long, into g;
// wt = the weights transposed [inputs, outputs]; xi and u hold the rows' normals and uniforms.
__attribute__((target_clones("avx2", "default"))) void program_rows(const CellParams& P, const float* __restrict wt,
                                                                    float* __restrict g, const float* __restrict xi,
                                                                    const float* __restrict u, int64_t q0, int64_t q1) {
  const int64_t O = P.outputs;
  for (int64_t q = q0; q < q1; ++q) {
    const int64_t r = q % P.padded_rows, sign = (q / P.padded_rows) % 2, s = q / (2 * P.padded_rows);
    const int shift = P.bits_per_cell * static_cast<int>(s);
    const float sgn = sign == 0 ? 1.0f : -1.0f;
    float* __restrict gr = g + q * O;
    const float* __restrict xr = xi + (q - q0) * O;
    const float* __restrict ur = u + (q - q0) * O;
    if (r >= P.inputs) {  // padding rows hold weight 0: level 0
      for (int64_t o = 0; o < O; ++o) gr[o] = P.g_min;
    } else {
      const float* __restrict wr = wt + r * O;
      for (int64_t o = 0; o < O; ++o) {
        const int32_t mag = static_cast<int32_t>(std::max(sgn * wr[o], 0.0f));
        gr[o] = P.g_min + static_cast<float>((mag >> shift) & P.mask) * P.g_step;
      }
    }
    if (P.lognormal)
      for (int64_t o = 0; o < O; ++o) gr[o] = gr[o] * exp_approx(xr[o] * P.noise);
    if (P.additive)
      for (int64_t o = 0; o < O; ++o) {
        const float t = gr[o], qn = t / P.g_max;
        const float sd = (((P.poly[4] * qn + P.poly[3]) * qn + P.poly[2]) * qn + P.poly[1]) * qn + P.poly[0];
        gr[o] = t + xr[o] * (sd * P.poly_scale) * P.noise;
      }
    for (int64_t o = 0; o < O; ++o) gr[o] = std::min(std::max(gr[o], 0.0f), P.g_clip);
    if (P.faults)
      for (int64_t o = 0; o < O; ++o) gr[o] = ur[o] < P.p_off ? P.g_min : (ur[o] < P.p_on_end ? P.g_max : gr[o]);
  }
}

}  // namespace

at::Tensor program_weights(const at::Tensor& w_int, const MappingConfig& m, const TileLayout& l,
                           const ProgrammingNoiseConfig& cfg, double level, at::Generator& gen) {
  const auto w = checked_weights(w_int, m, l);
  auto g = at::empty({l.slices, 2, l.padded_rows(), l.outputs});
  const int64_t n = g.numel();
  const double sd = cfg.sigma * level;
  CellParams P{l.inputs,
               l.outputs,
               l.padded_rows(),
               m.bits_per_cell,
               m.cell_max_level(),
               static_cast<float>(m.g_min_uS),
               static_cast<float>(m.g_step_uS()),
               static_cast<float>(m.g_max_uS),
               cfg.enabled && cfg.model != ProgrammingNoiseModel::kLognormal ? std::numeric_limits<float>::infinity()
                                                                             : static_cast<float>(m.g_max_uS),
               static_cast<float>(sd),
               static_cast<float>(cfg.p_stuck_off),
               static_cast<float>(cfg.p_stuck_off + cfg.p_stuck_on),
               {0, 0, 0, 0, 0},
               1.0f,
               false,
               false,
               false};
  // The random numbers in program_conductances' order: normals (when drawn), then uniforms (when drawn).
  PhiloxKey normal_key{}, uniform_key{};
  if (cfg.enabled) {
    P.lognormal = cfg.model == ProgrammingNoiseModel::kLognormal && sd > 0;
    P.additive = cfg.model != ProgrammingNoiseModel::kLognormal;
    if (P.additive) {
      const auto& p = additive_noise_polynomial(cfg.model);
      for (int i = 0; i < 5; ++i) P.poly[i] = static_cast<float>(p.c[i]);
      P.poly_scale = static_cast<float>(m.g_max_uS / p.g_ref_uS);
    }
    if (P.lognormal || P.additive) normal_key = draw_philox_key(gen);
    P.faults = cfg.p_stuck_off > 0 || cfg.p_stuck_on > 0;
    if (P.faults) uniform_key = draw_philox_key(gen);
  }
  const auto wt = w.t().contiguous();  // [inputs, outputs]: a cell row is contiguous
  const float* wp = wt.data_ptr<float>();
  float* gp = g.data_ptr<float>();
  const int64_t O = l.outputs, rows = n / O;
  const int64_t block = std::max<int64_t>(1, 4096 / O);  // rows per task: their random numbers are one range
  at::parallel_for(0, (rows + block - 1) / block, 1, [&](int64_t c0, int64_t c1) {
    std::vector<float> xi(block * O), u(block * O);
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t q0 = c * block, q1 = std::min(rows, q0 + block);
      if (P.lognormal || P.additive) fill_normal_isa(xi.data(), (q1 - q0) * O, normal_key, q0 * O, normal_rng_best_isa());
      if (P.faults) fill_uniform(u.data(), (q1 - q0) * O, uniform_key, q0 * O);
      program_rows(P, wp, gp, xi.data(), u.data(), q0, q1);
    }
  });
  return g;
}

}  // namespace cimtrain::sim
