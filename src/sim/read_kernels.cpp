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
    case 0: return adc_rows<false, false, false>(r, y, n);
    case 1: return adc_rows<false, false, true>(r, y, n);
    case 2: return adc_rows<false, true, false>(r, y, n);
    case 3: return adc_rows<false, true, true>(r, y, n);
    case 4: return adc_rows<true, false, false>(r, y, n);
    case 5: return adc_rows<true, false, true>(r, y, n);
    case 6: return adc_rows<true, true, false>(r, y, n);
    default: return adc_rows<true, true, true>(r, y, n);
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

// Everything the drive passes need (see drive_word_lines).
struct DriveParams {
  ReadShape sh;
  bool scaled;              // inputs are float: codes = round(clamp(x * inv_scale, +-code_max))
  float inv_scale, code_max;
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

// Input values xr[0, n) of read phase p, cycle c -> normalised DAC voltages after the I-V law, v[0, n).
// INL amplitude: inl[j] per element, or the constant inl_c when inl is null. DAC noise (word-line model):
// normals [first_noise, first_noise + n) of the key, drawn into `noise`. Simple passes over the buffer,
// each of which the compiler vectorises (measured: twice as fast here as one fused loop).
__attribute__((target_clones("avx2", "default"))) void encode_inputs(const DriveParams& P, const float* xr, float* v,
                                                                      int64_t n, int64_t p, int64_t c,
                                                                      const float* inl, float inl_c, float* noise,
                                                                      int64_t first_noise) {
  if (P.scaled) {
    const float inv = P.inv_scale, cm = P.code_max;
    for (int64_t j = 0; j < n; ++j) v[j] = round_half_even(std::min(std::max(xr[j] * inv, -cm), cm));
    xr = v;
  }
  if (p == 0) {
    for (int64_t j = 0; j < n; ++j) v[j] = std::max(xr[j], 0.0f);
  } else {
    for (int64_t j = 0; j < n; ++j) v[j] = std::max(-xr[j], 0.0f);
  }
  if (P.bpc > 0)
    for (int64_t j = 0; j < n; ++j)
      v[j] = static_cast<float>((static_cast<int32_t>(v[j]) >> (P.bpc * c)) & static_cast<int32_t>(P.sh.u_max));
  if (P.quantise) {
    for (int64_t j = 0; j < n; ++j) v[j] = round_half_even(v[j] * P.levels_per_code) / P.fdac_levels;
  } else {
    for (int64_t j = 0; j < n; ++j) v[j] = v[j] / P.fumax;
  }
  if (P.use_inl) {
    if (inl) {
      for (int64_t j = 0; j < n; ++j) v[j] = v[j] + inl[j] * P.inl_scale * v[j] * (1 - v[j]);
    } else {
      const float a = inl_c * P.inl_scale;
      for (int64_t j = 0; j < n; ++j) v[j] = v[j] + a * v[j] * (1 - v[j]);
    }
  }
  if (P.use_noise) {
    fill_normal(noise, n, P.key, first_noise);
    for (int64_t j = 0; j < n; ++j) v[j] = v[j] + noise[j] * P.noise_sigma;
  }
  if (P.use_nl && P.nl_poly) {
    const float k = P.k, a1 = P.a1, a2 = P.a2;
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
  } else if (P.use_nl) {
    for (int64_t j = 0; j < n; ++j) v[j] = v[j] * P.a1 + std::sinh(v[j] * P.k) * P.a2;
  }
  const float vr = P.v_read;
  for (int64_t j = 0; j < n; ++j) v[j] = v[j] * vr;
}

DriveParams drive_params(const ReadShape& sh, const DacConfig& dac, const DeviceNonlinearityConfig& nl, PhiloxKey key) {
  DriveParams P{};
  P.sh = sh;
  P.bpc = sh.bits_per_cycle;
  const bool on = dac.enabled;
  const int64_t dac_levels = (int64_t{1} << dac.bits) - 1;
  P.quantise = on && dac_levels < sh.u_max;
  P.fumax = static_cast<float>(sh.u_max);
  P.levels_per_code = static_cast<float>(static_cast<double>(dac_levels) / sh.u_max);
  P.fdac_levels = static_cast<float>(dac_levels);
  P.use_inl = on && dac.inl_lsb > 0;
  P.use_noise = dac.word_line_noise();
  P.inl_scale = static_cast<float>(4.0 / dac_levels);
  P.noise_sigma = static_cast<float>(dac.noise_sigma);
  P.key = key;
  P.use_nl = nl.enabled && nl.alpha != 0;
  P.a1 = static_cast<float>(1 - nl.alpha);
  P.k = static_cast<float>(nl.k);
  P.a2 = static_cast<float>(nl.alpha / std::sinh(nl.k));
  P.v_read = static_cast<float>(dac.v_read_V);
  // sinh(z) by its Taylor series (relative error < 4e-6 for |z| <= 3.5), which vectorises; exp otherwise.
  P.nl_poly = std::abs(P.k) * 1.25f <= 3.5f;
  return P;
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
  const DriveParams P = drive_params(sh, dac, nl, key);
  at::parallel_for(0, M, 1, [&](int64_t m0, int64_t m1) {
    std::vector<float> noise(P.use_noise ? n : 0), buf(n);
    float* v = buf.data();
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t p = m / (sh.cycles * sh.batch), c = (m / sh.batch) % sh.cycles, b = m % sh.batch;
      encode_inputs(P, xp + b * n, v, n, p, c, inlp, 0.0f, noise.data(), m * n);
      for (int64_t t = 0; t < sh.row_tiles; ++t) {
        const int64_t len = std::min(tr, n - t * tr);
        float* dst = vp + (t * M + m) * tr;
        std::copy(v + t * tr, v + t * tr + len, dst);
        std::fill(dst + len, dst + tr, 0.0f);
        if (v2p) {
          float* dst2 = v2p + (t * M + m) * tr;
          for (int64_t r = 0; r < tr; ++r) dst2[r] = dst[r] * dst[r];
        }
      }
    }
  });
  if (v_squared) *v_squared = V2;
  return V;
}

at::Tensor drive_input_map(const at::Tensor& x, double input_scale, int64_t code_max, const ReadShape& sh,
                           const DacConfig& dac, const DeviceNonlinearityConfig& nl, const at::Tensor& inl_per_channel,
                           at::Tensor* v_squared) {
  const bool nhwc = x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
  TORCH_CHECK(x.is_cpu() && x.scalar_type() == at::kFloat && x.dim() == 4 && x.size(0) == sh.batch &&
                  (x.is_contiguous() || nhwc),
              "drive_input_map: expected contiguous or channels-last CPU float input maps [", sh.batch,
              ", C, H, W], found ", x.sizes());
  TORCH_CHECK(!dac.word_line_noise(), "drive_input_map: word-line DAC noise needs the im2col read");
  const int64_t C = x.size(1), HW = x.size(2) * x.size(3), M = sh.rows();
  TORCH_CHECK(inl_per_channel.numel() == C, "drive_input_map: expected ", C, " INL amplitudes, found ",
              inl_per_channel.numel());
  auto V = at::empty({M, x.size(2), x.size(3), C});
  at::Tensor V2;
  if (v_squared) V2 = at::empty_like(V);
  const float* xp = x.data_ptr<float>();
  float* vp = V.data_ptr<float>();
  float* v2p = V2.defined() ? V2.data_ptr<float>() : nullptr;
  const auto inl = inl_per_channel.contiguous();
  const float* inlp = inl.data_ptr<float>();
  DriveParams P = drive_params(sh, dac, nl, PhiloxKey{});
  TORCH_CHECK(input_scale > 0, "drive_input_map: input scale must be > 0, found ", input_scale);
  P.scaled = true;
  P.inv_scale = static_cast<float>(1.0 / input_scale);
  P.code_max = static_cast<float>(code_max);
  std::vector<float> inl_tiled;  // channels-last: the per-channel INL repeated for every pixel
  if (nhwc) {
    inl_tiled.resize(static_cast<size_t>(HW * C));
    for (int64_t l = 0; l < HW; ++l) std::copy(inlp, inlp + C, inl_tiled.begin() + l * C);
  }
  at::parallel_for(0, M, 1, [&](int64_t m0, int64_t m1) {
    std::vector<float> buf(nhwc ? 0 : C * HW);
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t p = m / (sh.cycles * sh.batch), c = (m / sh.batch) % sh.cycles, b = m % sh.batch;
      float* v = vp + m * HW * C;
      if (nhwc) {  // the whole image in one pass
        encode_inputs(P, xp + b * HW * C, v, HW * C, p, c, inl_tiled.data(), 0.0f, nullptr, 0);
      } else {  // plane by plane into a buffer, then transposed to channels last
        for (int64_t ch = 0; ch < C; ++ch)
          encode_inputs(P, xp + (b * C + ch) * HW, buf.data() + ch * HW, HW, p, c, nullptr, inlp[ch], nullptr, 0);
        for (int64_t l = 0; l < HW; ++l)
          for (int64_t ch = 0; ch < C; ++ch) v[l * C + ch] = buf[ch * HW + l];
      }
      if (v2p) {
        float* v2 = v2p + m * HW * C;
        for (int64_t j = 0; j < HW * C; ++j) v2[j] = v[j] * v[j];
      }
    }
  });
  if (v_squared) *v_squared = V2;
  return V;
}

at::Tensor convert_and_combine(const std::vector<at::Tensor>& current_uA, const std::vector<at::Tensor>& var_uA2,
                               const at::Tensor& col_var_uA2, const at::Tensor& full_scale_uA, const ReadShape& sh,
                               const AdcConfig& adc, const AdcStatic& st, double saturation_uA, const at::Tensor& coef,
                               PhiloxKey key, int64_t first_tile, at::Tensor* accumulate,
                               const at::Tensor& out_scale) {
  const int64_t M = sh.rows(), S = sh.slices, O = sh.outputs, SO = S * O, B = sh.batch;
  const int64_t T = static_cast<int64_t>(current_uA.size()), t0 = first_tile;
  TORCH_CHECK(T >= 1 && t0 >= 0 && t0 + T <= sh.row_tiles && (var_uA2.empty() || var_uA2.size() == current_uA.size()),
              "convert_and_combine: expected tiles [", t0, ", ", t0 + T, ") of ", sh.row_tiles,
              " row tiles of currents (and as many of variances, or none), found ", current_uA.size(), " and ",
              var_uA2.size());
  std::vector<const float*> ip(T), vp(T, nullptr);
  for (int64_t t = 0; t < T; ++t) {
    TORCH_CHECK(current_uA[t].is_contiguous() && current_uA[t].numel() == M * SO,
                "convert_and_combine: tile ", t, " currents must be contiguous [", M, ", ", SO, "], found ",
                current_uA[t].sizes());
    ip[t] = current_uA[t].data_ptr<float>();
    if (!var_uA2.empty()) {
      TORCH_CHECK(var_uA2[t].is_contiguous() && var_uA2[t].numel() == M * SO, "convert_and_combine: tile ", t,
                  " variances must match the currents ", current_uA[t].sizes());
      vp[t] = var_uA2[t].data_ptr<float>();
    }
  }
  const auto colv = col_var_uA2.defined() ? col_var_uA2.contiguous() : at::Tensor();
  TORCH_CHECK(!colv.defined() || colv.numel() == sh.row_tiles * SO, "convert_and_combine: column variances must be [",
              sh.row_tiles, ", ", SO, "], found ", col_var_uA2.sizes());
  const float* cvp = colv.defined() ? colv.data_ptr<float>() : nullptr;
  at::Tensor y = accumulate ? *accumulate : at::zeros({B, O});
  const auto oscale = out_scale.defined() ? out_scale.to(at::kFloat).contiguous() : at::ones({O});
  TORCH_CHECK(oscale.numel() == O, "convert_and_combine: expected ", O, " output scales, found ", out_scale.sizes());
  const float* osp = oscale.data_ptr<float>();
  TORCH_CHECK(y.is_contiguous() && y.scalar_type() == at::kFloat && y.numel() == B * O,
              "convert_and_combine: the accumulator must be a contiguous float [", B, ", ", O, "], found ", y.sizes());
  float* yp = y.data_ptr<float>();
  const auto coefc = coef.contiguous();
  const float* cp = coefc.data_ptr<float>();
  const auto fs = full_scale_uA.contiguous();
  const float* fsp = fs.data_ptr<float>();
  const auto off = st.offset_lsb.contiguous(), inl = st.inl_lsb.contiguous();
  const float* offp = off.data_ptr<float>();
  const float* inlp = inl.data_ptr<float>();

  const bool on = adc.enabled;
  const float qmax = static_cast<float>(adc.code_max());
  const float sig2 = static_cast<float>(adc.noise_sigma_lsb * adc.noise_sigma_lsb);
  const bool adc_noise = on && adc.noise_sigma_lsb > 0;
  const bool has_var = !var_uA2.empty();
  const bool use_noise = has_var || cvp != nullptr || adc_noise;
  const float inl_shape = static_cast<float>(1.5 * std::sqrt(3.0));
  const bool saturate = saturation_uA > 0;
  const float sat = static_cast<float>(saturation_uA);
  const bool small_codes = qmax <= 4194304.0f;  // 2^22: round_half_even is exact
  // Rows go in chunks whose noise is one contiguous range of the key (sample index ((t M + m) S + s) O + o).
  const int64_t chunk = std::max<int64_t>(1, 2048 / std::max<int64_t>(1, SO));

  at::parallel_for(0, (B + chunk - 1) / chunk, 1, [&](int64_t q0, int64_t q1) {
    std::vector<float> noise(use_noise ? chunk * SO : 0);
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t b0 = q * chunk, nb = std::min(chunk, B - b0);
      for (int64_t t = 0; t < T; ++t)
        for (int64_t p = 0; p < sh.phases; ++p)
          for (int64_t c = 0; c < sh.cycles; ++c) {
            const int64_t tg = t0 + t;  // the tile's index in the read (noise, static errors)
            const int64_t m0 = (p * sh.cycles + c) * B + b0;
            if (use_noise) fill_normal(noise.data(), nb * SO, key, (tg * M + m0) * SO);
            for (int64_t s = 0; s < S; ++s) {
              const float w = cp[(p * sh.cycles + c) * S + s];
              const float lsb = fsp[s] / qmax;
              const float* cvr = cvp ? cvp + tg * SO + s * O : nullptr;
              const float* offr = offp + (tg * S + s) * O;
              const float* inlr = inlp + (tg * S + s) * O;
              if (on && !saturate && small_codes) {  // the common case: the chunk's rows in one vectorised call
                const AdcRows rows{ip[t] + m0 * SO + s * O,
                                   has_var ? vp[t] + m0 * SO + s * O : nullptr,
                                   cvr,
                                   use_noise ? noise.data() + s * O : nullptr,
                                   offr,
                                   inlr,
                                   osp,
                                   lsb,
                                   qmax,
                                   sig2,
                                   inl_shape,
                                   w,
                                   nb,
                                   SO,
                                   O};
                adc_rows_dispatch(rows, yp + b0 * O, O, has_var, cvr != nullptr, adc_noise);
                continue;
              }
              for (int64_t bi = 0; bi < nb; ++bi) {
                float* yr = yp + (b0 + bi) * O;
                const int64_t base = (m0 + bi) * SO;
                const float* ir = ip[t] + base + s * O;
                const float* vr = has_var ? vp[t] + base + s * O : nullptr;
                const float* nz = use_noise ? noise.data() + bi * SO + s * O : nullptr;
                for (int64_t o = 0; o < O; ++o) {
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
          }
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
