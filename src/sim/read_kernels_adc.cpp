// The ADC side of the fused read kernels (see read_kernels.h): convert_and_combine (saturation, ADC and the
// digital recombination in one pass over the column currents, with the ADC noise generated in place) and
// max_abs_per_slice (the largest current per slice, which sets the ADC full scale). They apply the reference
// ops of adc.cpp in the same order, so results agree to float rounding (the vectorised common case multiplies
// by reciprocals, which differs from the reference in the last bits; tests/sim/test_read_kernels.cpp bounds it).
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/read_kernels.h"
#include "sim/round_half_even.h"

namespace cimtrain::sim {

namespace {

// A block of rows of the common ADC case: convert and accumulate w x (code x LSB) into y. Row i's inputs
// start at i * stride (current, var, noise) and its outputs at i * y_stride; the converters' static errors
// and column variances are the same for every row.
struct AdcRows {
  const float *current, *var, *colvar, *noise, *offset, *inl, *out_scale;
  float lsb, qmax, sigma2, inl_shape, weight;
  int64_t rows, stride, y_stride;
};

// Compiled for AVX2 and for baseline x86-64, picked at run time (GCC function multi-versioning).
template <bool kVar, bool kColVar, bool kAdcNoise>
__attribute__((target_clones("avx2", "default"))) void adc_rows(const AdcRows& r, float* __restrict y, int64_t n) {
  const float lsb = r.lsb, qmax = r.qmax, inv_lsb = 1.0f / r.lsb, inv_qmax = 1.0f / r.qmax;
  const float inv_lsb2 = inv_lsb * inv_lsb, w = r.weight, shape = r.inl_shape, sigma2 = r.sigma2;
  for (int64_t i = 0; i < r.rows; ++i) {
    const float* __restrict cur = r.current + i * r.stride;
    const float* __restrict var = kVar ? r.var + i * r.stride : nullptr;
    const float* __restrict nz = r.noise + i * r.stride;
    float* __restrict yr = y + i * r.y_stride;
    for (int64_t o = 0; o < n; ++o) {
      float u = cur[o] * inv_lsb;
      const float xq = u * inv_qmax;
      u = u + r.offset[o] + r.inl[o] * shape * xq * (1 - xq * xq);
      if constexpr (kVar || kColVar || kAdcNoise) {
        float nv = 0.0f;
        if constexpr (kVar) nv = var[o];
        if constexpr (kColVar) nv += r.colvar[o];
        nv = nv * inv_lsb2;
        if constexpr (kAdcNoise) nv += sigma2;
        u = u + nz[o] * std::sqrt(nv);
      }
      u = std::min(std::max(u, -qmax), qmax);
      yr[o] += (w * r.out_scale[o]) * (round_half_even(u) * lsb);
    }
  }
}

void adc_rows_dispatch(const AdcRows& r, float* y, int64_t n, bool var, bool colvar, bool adc_noise) {
  const int k = (var ? 4 : 0) + (colvar ? 2 : 0) + (adc_noise ? 1 : 0);
  switch (k) {
    case 0:
      return adc_rows<false, false, false>(r, y, n);
    case 1:
      return adc_rows<false, false, true>(r, y, n);
    case 2:
      return adc_rows<false, true, false>(r, y, n);
    case 3:
      return adc_rows<false, true, true>(r, y, n);
    case 4:
      return adc_rows<true, false, false>(r, y, n);
    case 5:
      return adc_rows<true, false, true>(r, y, n);
    case 6:
      return adc_rows<true, true, false>(r, y, n);
    default:
      return adc_rows<true, true, true>(r, y, n);
  }
}

// Everything the conversion passes need, resolved once from convert_and_combine's arguments (the tensors
// the pointers point into stay alive in convert_and_combine). Tile t of the lists holds currents (and
// variances: var[t], null without them) as rows [M, S * O]; col_var is [row_tiles, S * O] or null.
struct CombinePlan {
  ReadShape sh;
  int64_t M, S, O, SO, B, T, t0, chunk;
  std::vector<const float*> current, var;
  const float *col_var, *out_scale, *coef, *full_scale, *offset, *inl;
  float* y;  // the result [B, O], accumulated into
  PhiloxKey key;
  bool on, adc_noise, has_var, use_noise, saturate, small_codes;
  float qmax, sig2, inl_shape, sat;
};

// Pointers to each listed tile's currents (and variances, when given), checked to be contiguous [M, S O].
void tile_pointers(const std::vector<at::Tensor>& current_uA, const std::vector<at::Tensor>& var_uA2, CombinePlan& P) {
  const int64_t M = P.M, SO = P.SO;
  P.current.assign(static_cast<size_t>(P.T), nullptr);
  P.var.assign(static_cast<size_t>(P.T), nullptr);
  for (int64_t t = 0; t < P.T; ++t) {
    TORCH_CHECK(current_uA[t].is_contiguous() && current_uA[t].numel() == M * SO, "convert_and_combine: tile ", t,
                " currents must be contiguous [", M, ", ", SO, "], found ", current_uA[t].sizes());
    P.current[t] = current_uA[t].data_ptr<float>();
    if (!var_uA2.empty()) {
      TORCH_CHECK(var_uA2[t].is_contiguous() && var_uA2[t].numel() == M * SO, "convert_and_combine: tile ", t,
                  " variances must match the currents ", current_uA[t].sizes());
      P.var[t] = var_uA2[t].data_ptr<float>();
    }
  }
}

// The converter's constants (code range, noise, INL shape, saturation) and the row chunk; needs has_var and
// col_var set.
void set_converter(CombinePlan& P, const AdcConfig& adc, double saturation_uA) {
  P.on = adc.enabled;
  P.qmax = static_cast<float>(adc.code_max());
  P.sig2 = static_cast<float>(adc.noise_sigma_lsb * adc.noise_sigma_lsb);
  P.adc_noise = P.on && adc.noise_sigma_lsb > 0;
  P.use_noise = P.has_var || P.col_var != nullptr || P.adc_noise;
  P.inl_shape = static_cast<float>(1.5 * std::sqrt(3.0));
  P.saturate = saturation_uA > 0;
  P.sat = static_cast<float>(saturation_uA);
  P.small_codes = P.qmax <= 4194304.0f;  // 2^22: round_half_even is exact
  // Rows go in chunks whose noise is one contiguous range of the key (sample index ((t M + m) S + s) O + o).
  P.chunk = std::max<int64_t>(1, 2048 / std::max<int64_t>(1, P.SO));
}

// The cases adc_rows does not cover, element by element: saturation (tanh), the ADC off (currents passed
// through with their noise), or codes beyond 2^22 (rounded by nearbyint). Same rows as adc_rows; the
// reference's divisions are kept as divisions here.
void convert_rows_general(const AdcRows& rows, const CombinePlan& P, float* y, int64_t n) {
  const bool on = P.on, saturate = P.saturate, use_noise = P.use_noise, adc_noise = P.adc_noise;
  const bool has_var = P.has_var, small_codes = P.small_codes;
  const float sat = P.sat, lsb = rows.lsb, qmax = rows.qmax, sig2 = rows.sigma2, inl_shape = rows.inl_shape;
  const float w = rows.weight;
  const float *cvr = rows.colvar, *offr = rows.offset, *inlr = rows.inl, *osp = rows.out_scale;
  for (int64_t bi = 0; bi < rows.rows; ++bi) {
    float* yr = y + bi * rows.y_stride;
    const float* ir = rows.current + bi * rows.stride;
    const float* vr = has_var ? rows.var + bi * rows.stride : nullptr;
    const float* nz = use_noise ? rows.noise + bi * rows.stride : nullptr;
    for (int64_t o = 0; o < n; ++o) {
      float i = ir[o];
      if (saturate) i = std::tanh(i / sat) * sat;
      float r;
      const float extra = (vr ? vr[o] : 0.0f) + (cvr ? cvr[o] : 0.0f);  // uA^2
      if (!on) {
        r = use_noise ? i + nz[o] * std::sqrt(extra) : i;
      } else {
        float u = i / lsb;
        float nv = extra / (lsb * lsb);
        if (adc_noise) nv += sig2;
        const float xq = u / qmax;
        u = u + offr[o] + inlr[o] * inl_shape * xq * (1 - xq * xq);
        if (use_noise) u = u + nz[o] * std::sqrt(nv);
        u = std::min(std::max(u, -qmax), qmax);  // qmax is an integer: clamp, then round
        r = (small_codes ? round_half_even(u) : std::nearbyint(u)) * lsb;
      }
      yr[o] += w * osp[o] * r;
    }
  }
}

// Batch rows [b0, b0 + nb): every listed tile, phase, cycle and slice converted and accumulated into P.y,
// with the chunk's noise drawn into `noise` (nb * S * O floats, or none without noise).
void convert_chunk(const CombinePlan& P, int64_t b0, int64_t nb, float* noise) {
  const ReadShape& sh = P.sh;
  const int64_t M = P.M, S = P.S, O = P.O, SO = P.SO, B = P.B;
  for (int64_t t = 0; t < P.T; ++t)
    for (int64_t p = 0; p < sh.phases; ++p)
      for (int64_t c = 0; c < sh.cycles; ++c) {
        const int64_t tg = P.t0 + t;  // the tile's index in the read (noise, static errors)
        const int64_t m0 = (p * sh.cycles + c) * B + b0;
        if (P.use_noise) fill_normal(noise, nb * SO, P.key, (tg * M + m0) * SO);
        for (int64_t s = 0; s < S; ++s) {
          const float w = P.coef[(p * sh.cycles + c) * S + s];
          const float lsb = P.full_scale[s] / P.qmax;
          const AdcRows rows{P.current[t] + m0 * SO + s * O,
                             P.has_var ? P.var[t] + m0 * SO + s * O : nullptr,
                             P.col_var ? P.col_var + tg * SO + s * O : nullptr,
                             P.use_noise ? noise + s * O : nullptr,
                             P.offset + (tg * S + s) * O,
                             P.inl + (tg * S + s) * O,
                             P.out_scale,
                             lsb,
                             P.qmax,
                             P.sig2,
                             P.inl_shape,
                             w,
                             nb,
                             SO,
                             O};
          float* y = P.y + b0 * O;
          if (P.on && !P.saturate && P.small_codes) {  // the common case: the chunk's rows in one vectorised call
            adc_rows_dispatch(rows, y, O, P.has_var, rows.colvar != nullptr, P.adc_noise);
          } else {
            convert_rows_general(rows, P, y, O);
          }
        }
      }
}

// max |x[i]| over [0, n), in 8 independent lanes so that it vectorises.
__attribute__((target_clones("avx2", "default"))) float max_abs(const float* __restrict x, int64_t n) {
  float m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      const float a = std::fabs(x[i + k]);
      m[k] = m[k] > a ? m[k] : a;
    }
  for (; i < n; ++i) m[0] = std::max(m[0], std::fabs(x[i]));
  float r = 0;
  for (float v : m) r = std::max(r, v);
  return r;
}

}  // namespace

at::Tensor convert_and_combine(const std::vector<at::Tensor>& current_uA, const std::vector<at::Tensor>& var_uA2,
                               const at::Tensor& col_var_uA2, const at::Tensor& full_scale_uA, const ReadShape& sh,
                               const AdcConfig& adc, const AdcStatic& st, double saturation_uA, const at::Tensor& coef,
                               PhiloxKey key, int64_t first_tile, at::Tensor* accumulate, const at::Tensor& out_scale) {
  const int64_t M = sh.rows(), S = sh.slices, O = sh.outputs, SO = S * O, B = sh.batch;
  const int64_t T = static_cast<int64_t>(current_uA.size()), t0 = first_tile;
  TORCH_CHECK(T >= 1 && t0 >= 0 && t0 + T <= sh.row_tiles && (var_uA2.empty() || var_uA2.size() == current_uA.size()),
              "convert_and_combine: expected tiles [", t0, ", ", t0 + T, ") of ", sh.row_tiles,
              " row tiles of currents (and as many of variances, or none), found ", current_uA.size(), " and ",
              var_uA2.size());
  CombinePlan P{};
  P.sh = sh, P.M = M, P.S = S, P.O = O, P.SO = SO, P.B = B, P.T = T, P.t0 = t0, P.key = key;
  tile_pointers(current_uA, var_uA2, P);
  P.has_var = !var_uA2.empty();
  const auto colv = col_var_uA2.defined() ? col_var_uA2.contiguous() : at::Tensor();
  TORCH_CHECK(!colv.defined() || colv.numel() == sh.row_tiles * SO, "convert_and_combine: column variances must be [",
              sh.row_tiles, ", ", SO, "], found ", col_var_uA2.sizes());
  P.col_var = colv.defined() ? colv.data_ptr<float>() : nullptr;
  at::Tensor y = accumulate ? *accumulate : at::zeros({B, O});
  const auto oscale = out_scale.defined() ? out_scale.to(at::kFloat).contiguous() : at::ones({O});
  TORCH_CHECK(oscale.numel() == O, "convert_and_combine: expected ", O, " output scales, found ", out_scale.sizes());
  P.out_scale = oscale.data_ptr<float>();
  TORCH_CHECK(y.is_contiguous() && y.scalar_type() == at::kFloat && y.numel() == B * O,
              "convert_and_combine: the accumulator must be a contiguous float [", B, ", ", O, "], found ", y.sizes());
  P.y = y.data_ptr<float>();
  const auto coefc = coef.contiguous(), fs = full_scale_uA.contiguous();
  const auto off = st.offset_lsb.contiguous(), inl = st.inl_lsb.contiguous();
  P.coef = coefc.data_ptr<float>();
  P.full_scale = fs.data_ptr<float>();
  P.offset = off.data_ptr<float>();
  P.inl = inl.data_ptr<float>();
  set_converter(P, adc, saturation_uA);

  at::parallel_for(0, (B + P.chunk - 1) / P.chunk, 1, [&](int64_t q0, int64_t q1) {
    std::vector<float> noise(P.use_noise ? P.chunk * SO : 0);
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t b0 = q * P.chunk;
      convert_chunk(P, b0, std::min(P.chunk, B - b0), noise.data());
    }
  });
  return y;
}

at::Tensor max_abs_per_slice(const std::vector<at::Tensor>& current_uA, const ReadShape& sh) {
  const int64_t M = sh.rows(), S = sh.slices, O = sh.outputs, T = sh.row_tiles;
  TORCH_CHECK(static_cast<int64_t>(current_uA.size()) == T, "max_abs_per_slice: expected ", T,
              " row tiles of currents, found ", current_uA.size());
  for (const auto& c : current_uA)
    TORCH_CHECK(c.is_contiguous() && c.numel() == M * S * O, "max_abs_per_slice: expected contiguous currents [", M,
                ", ", S * O, "] per tile, found ", c.sizes());
  const int64_t rows = T * M, chunks = std::min<int64_t>(rows, 64);
  auto partial = at::zeros({chunks, S});
  float* pp = partial.data_ptr<float>();
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t r = c * rows / chunks; r < (c + 1) * rows / chunks;) {
        const int64_t t = r / M, end = std::min((c + 1) * rows / chunks, (t + 1) * M);
        const float* x = current_uA[t].data_ptr<float>() + (r % M) * S * O;
        if (S == 1) {  // one contiguous run
          pp[c] = std::max(pp[c], max_abs(x, (end - r) * O));
        } else {
          for (int64_t i = 0; i < end - r; ++i)
            for (int64_t s = 0; s < S; ++s) pp[c * S + s] = std::max(pp[c * S + s], max_abs(x + (i * S + s) * O, O));
        }
        r = end;
      }
  });
  return std::get<0>(partial.max(0));
}

}  // namespace cimtrain::sim
