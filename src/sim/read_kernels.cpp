// Fused read kernels (see read_kernels.h). They apply the reference ops of dac.cpp, device_nonlinearity.cpp
// and adc.cpp in the same order, so results agree to float rounding (reciprocal multiplies and a Taylor
// series for sinh differ from the reference in the last bits; tests/test_read_kernels.cpp bounds the effect).
#include "sim/read_kernels.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

namespace cimtrain::sim {

namespace {

// Round to nearest, ties to even (as std::nearbyint in the default rounding mode) for |u| <= 2^22, with
// two additions that vectorise (std::nearbyint is a library call on baseline x86-64).
inline float round_half_even(float u) {
  constexpr float kMagic = 12582912.0f;  // 1.5 x 2^23
  return (u + kMagic) - kMagic;
}

// One row of the common ADC case: convert and accumulate w x (code x LSB) into y.
struct AdcRow {
  const float *current, *var, *noise, *offset, *inl;
  float lsb, qmax, sigma2, inl_shape, weight;
};

// Compiled for AVX2 and for baseline x86-64, picked at run time (GCC function multi-versioning).
template <bool kVar, bool kAdcNoise>
__attribute__((target_clones("avx2", "default"))) void adc_row(const AdcRow& r, float* __restrict y, int64_t n) {
  const float lsb = r.lsb, qmax = r.qmax, inv_lsb = 1.0f / r.lsb, inv_qmax = 1.0f / r.qmax;
  for (int64_t o = 0; o < n; ++o) {
    float u = r.current[o] * inv_lsb;
    const float xq = u * inv_qmax;
    u = u + r.offset[o] + r.inl[o] * r.inl_shape * xq * (1 - xq * xq);
    if constexpr (kVar || kAdcNoise) {
      float nv = 0.0f;
      if constexpr (kVar) nv = r.var[o] / (lsb * lsb);
      if constexpr (kAdcNoise) nv += r.sigma2;
      u = u + r.noise[o] * std::sqrt(nv);
    }
    u = std::min(std::max(u, -qmax), qmax);
    y[o] += r.weight * (round_half_even(u) * lsb);
  }
}

// Everything the drive passes need (see drive_word_lines).
struct DriveParams {
  const float* xp;
  float* vp;
  float* v2p;
  const float* inlp;
  int64_t n, tr, M;
  ReadShape sh;
  int bpc;
  bool quantise;
  float levels_per_code, fdac_levels, fumax;
  bool use_inl;
  float inl_scale;
  bool use_noise;
  float noise_sigma;
  PhiloxKey key;
  bool use_nl, nl_poly;
  float k, a1, a2, v_read;
};

// The drive passes for rows [m0, m1), compiled for AVX2 and for baseline x86-64 (picked at run time).
__attribute__((target_clones("avx2", "default"))) void drive_rows(const DriveParams& P, int64_t m0, int64_t m1) {
  const auto& [xp, vp, v2p, inlp, n, tr, M, sh, bpc, quantise, levels_per_code, fdac_levels, fumax, use_inl, inl_scale,
               use_noise, noise_sigma, key, use_nl, nl_poly, k, a1, a2, v_read] = P;
  std::vector<float> noise(use_noise ? n : 0), buf(n);
  float* v = buf.data();
  for (int64_t m = m0; m < m1; ++m) {
    const int64_t p = m / (sh.cycles * sh.batch), c = (m / sh.batch) % sh.cycles, b = m % sh.batch;
    const float* xr = xp + b * n;
    if (p == 0) {
      for (int64_t j = 0; j < n; ++j) v[j] = std::max(xr[j], 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) v[j] = std::max(-xr[j], 0.0f);
    }
    if (bpc > 0)
      for (int64_t j = 0; j < n; ++j)
        v[j] = static_cast<float>((static_cast<int32_t>(v[j]) >> (bpc * c)) & static_cast<int32_t>(sh.u_max));
    if (quantise) {
      for (int64_t j = 0; j < n; ++j) v[j] = round_half_even(v[j] * levels_per_code) / fdac_levels;
    } else {
      for (int64_t j = 0; j < n; ++j) v[j] = v[j] / fumax;
    }
    if (use_inl)
      for (int64_t j = 0; j < n; ++j) v[j] = v[j] + inlp[j] * inl_scale * v[j] * (1 - v[j]);
    if (use_noise) {
      fill_normal(noise.data(), n, key, m * n);
      for (int64_t j = 0; j < n; ++j) v[j] = v[j] + noise[j] * noise_sigma;
    }
    if (use_nl && nl_poly) {
      for (int64_t j = 0; j < n; ++j) {
        const float z = v[j] * k, z2 = z * z;
        float q = 1 + z2 * (1.0f / 156);
        q = 1 + z2 * (1.0f / 110) * q;
        q = 1 + z2 * (1.0f / 72) * q;
        q = 1 + z2 * (1.0f / 42) * q;
        q = 1 + z2 * (1.0f / 20) * q;
        q = 1 + z2 * (1.0f / 6) * q;
        v[j] = v[j] * a1 + (z * q) * a2;
      }
    } else if (use_nl) {
      for (int64_t j = 0; j < n; ++j) v[j] = v[j] * a1 + std::sinh(v[j] * k) * a2;
    }
    for (int64_t t = 0; t < sh.row_tiles; ++t) {
      const int64_t len = std::min(tr, n - t * tr);
      const float* src = v + t * tr;
      float* dst = vp + (t * M + m) * tr;
      for (int64_t r = 0; r < len; ++r) dst[r] = src[r] * v_read;
      for (int64_t r = len; r < tr; ++r) dst[r] = 0.0f;
      if (v2p) {
        float* dst2 = v2p + (t * M + m) * tr;
        for (int64_t r = 0; r < tr; ++r) dst2[r] = dst[r] * dst[r];
      }
    }
  }
}

}  // namespace

at::Tensor drive_word_lines(const at::Tensor& x, const ReadShape& sh, const DacConfig& dac,
                            const DeviceNonlinearityConfig& nl, const at::Tensor& dac_inl_lsb, PhiloxKey key,
                            at::Tensor* v_squared) {
  TORCH_CHECK(x.is_cpu() && x.scalar_type() == at::kFloat && x.is_contiguous() && x.dim() == 2 &&
                  x.size(0) == sh.batch && x.size(1) == sh.inputs,
              "drive_word_lines: expected contiguous CPU float inputs [", sh.batch, ", ", sh.inputs, "], found ",
              x.sizes());
  const int64_t M = sh.rows(), n = sh.inputs, tr = sh.tile_rows;
  auto V = at::empty({sh.row_tiles, M, tr});  // every element is written below, padding rows as 0
  at::Tensor V2;
  if (v_squared) V2 = at::empty({sh.row_tiles, M, tr});
  const float* xp = x.data_ptr<float>();
  float* vp = V.data_ptr<float>();
  float* v2p = V2.defined() ? V2.data_ptr<float>() : nullptr;
  const auto inl = dac_inl_lsb.contiguous();
  const float* inlp = inl.data_ptr<float>();

  const bool on = dac.enabled;
  const int64_t dac_levels = (int64_t{1} << dac.bits) - 1;
  const bool quantise = on && dac_levels < sh.u_max;
  const float fumax = static_cast<float>(sh.u_max);
  const float levels_per_code = static_cast<float>(static_cast<double>(dac_levels) / sh.u_max);
  const float fdac_levels = static_cast<float>(dac_levels);
  const bool use_inl = on && dac.inl_lsb > 0, use_noise = on && dac.noise_sigma > 0;
  const float inl_scale = static_cast<float>(4.0 / dac_levels), noise_sigma = static_cast<float>(dac.noise_sigma);
  const bool use_nl = nl.enabled && nl.alpha != 0;
  const float a1 = static_cast<float>(1 - nl.alpha), k = static_cast<float>(nl.k),
              a2 = static_cast<float>(nl.alpha / std::sinh(nl.k));
  const float v_read = static_cast<float>(dac.v_read_V);
  const int bpc = sh.bits_per_cycle;

  // sinh(z) by its Taylor series (relative error < 4e-6 for |z| <= 3.5), which vectorises; exp otherwise.
  const bool nl_poly = std::abs(k) * 1.25f <= 3.5f;

  // Row by row, in simple passes over a buffer, each of which the compiler vectorises (measured: twice as
  // fast here as one fused loop over the same operations).
  const DriveParams params{
      xp,          vp,    v2p,     inlp,      n,         tr,          M,   sh,     bpc,     quantise, levels_per_code,
      fdac_levels, fumax, use_inl, inl_scale, use_noise, noise_sigma, key, use_nl, nl_poly, k,        a1,
      a2,          v_read};
  at::parallel_for(0, M, 1, [&](int64_t m0, int64_t m1) { drive_rows(params, m0, m1); });
  if (v_squared) *v_squared = V2;
  return V;
}

at::Tensor convert_and_combine(const at::Tensor& current_uA, const at::Tensor& var_uA2, const at::Tensor& full_scale_uA,
                               const ReadShape& sh, const AdcConfig& adc, const AdcStatic& st, double saturation_uA,
                               const at::Tensor& coef, PhiloxKey key) {
  const int64_t M = sh.rows(), S = sh.slices, O = sh.outputs, SO = S * O, B = sh.batch;
  TORCH_CHECK(current_uA.is_contiguous() && current_uA.numel() == sh.row_tiles * M * SO,
              "convert_and_combine: expected contiguous currents [", sh.row_tiles, ", ", M, ", ", SO, "], found ",
              current_uA.sizes());
  TORCH_CHECK(!var_uA2.defined() || (var_uA2.is_contiguous() && var_uA2.sizes() == current_uA.sizes()),
              "convert_and_combine: variances must match the currents' shape ", current_uA.sizes());
  auto y = at::zeros({B, O});
  const float* ip = current_uA.data_ptr<float>();
  const float* vp = var_uA2.defined() ? var_uA2.data_ptr<float>() : nullptr;
  const auto coefc = coef.contiguous();
  const float* cp = coefc.data_ptr<float>();
  const auto fs = full_scale_uA.contiguous();
  const float* fsp = fs.data_ptr<float>();
  const auto off = st.offset_lsb.contiguous(), inl = st.inl_lsb.contiguous();
  const float* offp = off.data_ptr<float>();
  const float* inlp = inl.data_ptr<float>();
  float* yp = y.data_ptr<float>();

  const bool on = adc.enabled;
  const float qmax = static_cast<float>(adc.code_max());
  const float sig2 = static_cast<float>(adc.noise_sigma_lsb * adc.noise_sigma_lsb);
  const bool adc_noise = on && adc.noise_sigma_lsb > 0;
  const bool use_noise = vp != nullptr || adc_noise;
  const float inl_shape = static_cast<float>(1.5 * std::sqrt(3.0));
  const bool saturate = saturation_uA > 0;
  const float sat = static_cast<float>(saturation_uA);
  const bool small_codes = qmax <= 4194304.0f;  // 2^22: round_half_even is exact

  at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> noise(use_noise ? SO : 0);
    for (int64_t b = b0; b < b1; ++b) {
      float* yr = yp + b * O;
      for (int64_t t = 0; t < sh.row_tiles; ++t)
        for (int64_t p = 0; p < sh.phases; ++p)
          for (int64_t c = 0; c < sh.cycles; ++c) {
            const int64_t m = (p * sh.cycles + c) * B + b;
            const int64_t base = (t * M + m) * SO;
            if (use_noise) fill_normal(noise.data(), SO, key, base);
            for (int64_t s = 0; s < S; ++s) {
              const float w = cp[(p * sh.cycles + c) * S + s];
              const float lsb = fsp[s] / qmax;
              const float* ir = ip + base + s * O;
              const float* vr = vp ? vp + base + s * O : nullptr;
              const float* nz = use_noise ? noise.data() + s * O : nullptr;
              const float* offr = offp + (t * S + s) * O;
              const float* inlr = inlp + (t * S + s) * O;
              if (on && !saturate && small_codes) {  // the common case, in a branch-free loop
                const AdcRow row{ir, vr, nz, offr, inlr, lsb, qmax, sig2, inl_shape, w};
                if (vr && adc_noise)
                  adc_row<true, true>(row, yr, O);
                else if (vr)
                  adc_row<true, false>(row, yr, O);
                else if (adc_noise)
                  adc_row<false, true>(row, yr, O);
                else
                  adc_row<false, false>(row, yr, O);
                continue;
              }
              for (int64_t o = 0; o < O; ++o) {
                float i = ir[o];
                if (saturate) i = std::tanh(i / sat) * sat;
                float r;
                if (!on) {
                  r = vr ? i + nz[o] * std::sqrt(vr[o]) : i;
                } else {
                  float u = i / lsb;
                  float nv = vr ? vr[o] / (lsb * lsb) : 0.0f;
                  if (adc_noise) nv += sig2;
                  const float xq = u / qmax;
                  u = u + offr[o] + inlr[o] * inl_shape * xq * (1 - xq * xq);
                  if (use_noise) u = u + nz[o] * std::sqrt(nv);
                  u = std::min(std::max(u, -qmax), qmax);  // qmax is an integer: clamp, then round
                  r = (small_codes ? round_half_even(u) : std::nearbyint(u)) * lsb;
                }
                yr[o] += w * r;
              }
            }
          }
    }
  });
  return y;
}

}  // namespace cimtrain::sim

namespace cimtrain::sim {

at::Tensor max_abs_per_slice(const at::Tensor& current_uA, const ReadShape& sh) {
  const int64_t rows = sh.row_tiles * sh.rows(), S = sh.slices, O = sh.outputs;
  TORCH_CHECK(current_uA.is_contiguous() && current_uA.numel() == rows * S * O,
              "max_abs_per_slice: expected contiguous currents [", sh.row_tiles, ", ", sh.rows(), ", ", S * O,
              "], found ", current_uA.sizes());
  const float* ip = current_uA.data_ptr<float>();
  const int64_t chunks = std::min<int64_t>(rows, 64);
  auto partial = at::zeros({chunks, S});
  float* pp = partial.data_ptr<float>();
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t r = c * rows / chunks; r < (c + 1) * rows / chunks; ++r)
        for (int64_t s = 0; s < S; ++s) {
          const float* x = ip + (r * S + s) * O;
          float m = pp[c * S + s];
          for (int64_t o = 0; o < O; ++o) m = std::max(m, std::abs(x[o]));
          pp[c * S + s] = m;
        }
  });
  return std::get<0>(partial.max(0));
}

}  // namespace cimtrain::sim
