// Fused read kernels (see read_kernels.h). Each mirrors, operation for operation, the reference ops in
// dac.cpp, device_nonlinearity.cpp and adc.cpp, so results agree to float rounding.
#include "sim/read_kernels.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

namespace cimtrain::sim {

at::Tensor drive_word_lines(const at::Tensor& x, const ReadShape& sh, const DacConfig& dac,
                            const DeviceNonlinearityConfig& nl, const at::Tensor& dac_inl_lsb, PhiloxKey key,
                            at::Tensor* v_squared) {
  TORCH_CHECK(x.is_cpu() && x.scalar_type() == at::kFloat && x.is_contiguous() && x.dim() == 2 &&
                  x.size(0) == sh.batch && x.size(1) == sh.inputs,
              "drive_word_lines: expected contiguous CPU float inputs [", sh.batch, ", ", sh.inputs, "], found ",
              x.sizes());
  const int64_t M = sh.rows(), n = sh.inputs, tr = sh.tile_rows;
  auto V = at::zeros({sh.row_tiles, M, tr});
  at::Tensor V2;
  if (v_squared) V2 = at::zeros({sh.row_tiles, M, tr});
  const float* xp = x.data_ptr<float>();
  float* vp = V.data_ptr<float>();
  float* v2p = V2.defined() ? V2.data_ptr<float>() : nullptr;
  const auto inl = dac_inl_lsb.contiguous();
  const float* inlp = inl.data_ptr<float>();

  const bool on = dac.enabled;
  const int64_t dac_levels = (int64_t{1} << dac.bits) - 1;
  const bool quantise = on && dac_levels < sh.u_max;
  double step = 1.0;
  if (quantise) {
    const int code_bits = static_cast<int>(std::ceil(std::log2(static_cast<double>(sh.u_max) + 1)));
    step = std::ldexp(1.0, code_bits - dac.bits);
  }
  const float inv_umax = 1.0f / static_cast<float>(sh.u_max);
  const float fstep = static_cast<float>(step), step_over_umax = static_cast<float>(step / sh.u_max);
  const float fdac_levels = static_cast<float>(dac_levels);
  const bool use_inl = on && dac.inl_lsb > 0, use_noise = on && dac.noise_sigma > 0;
  const float inl_scale = static_cast<float>(4.0 / dac_levels), noise_sigma = static_cast<float>(dac.noise_sigma);
  const bool use_nl = nl.enabled && nl.alpha != 0;
  const float a1 = static_cast<float>(1 - nl.alpha), k = static_cast<float>(nl.k),
              a2 = static_cast<float>(nl.alpha / std::sinh(nl.k));
  const float v_read = static_cast<float>(dac.v_read_V);
  const int bpc = sh.bits_per_cycle;

  at::parallel_for(0, M, 1, [&](int64_t m0, int64_t m1) {
    std::vector<float> noise(use_noise ? n : 0);
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t p = m / (sh.cycles * sh.batch), c = (m / sh.batch) % sh.cycles, b = m % sh.batch;
      if (use_noise) fill_normal(noise.data(), n, key, m * n);
      const float* xr = xp + b * n;
      for (int64_t j = 0; j < n; ++j) {
        float u = p == 0 ? std::max(xr[j], 0.0f) : std::max(-xr[j], 0.0f);
        if (bpc > 0) u = static_cast<float>((static_cast<int64_t>(u) >> (bpc * c)) & sh.u_max);
        float v;
        if (quantise) v = std::min(std::nearbyint(u / fstep), fdac_levels) * step_over_umax;
        else v = u * inv_umax;
        if (use_inl) v = v + inlp[j] * inl_scale * v * (1 - v);
        if (use_noise) v = v + noise[j] * noise_sigma;
        if (use_nl) {  // sinh(kv) = (e - 1/e) / 2 with one exp (|kv| is small: no cancellation worth a sinhf call)
          const float e = std::exp(v * k);
          v = v * a1 + (0.5f * (e - 1.0f / e)) * a2;
        }
        v *= v_read;
        const int64_t idx = ((j / tr) * M + m) * tr + (j % tr);
        vp[idx] = v;
        if (v2p) v2p[idx] = v * v;
      }
    }
  });
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
                  r = std::min(std::max(std::nearbyint(u), -qmax), qmax) * lsb;
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
