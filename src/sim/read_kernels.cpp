// The DAC side of the fused read kernels (see read_kernels.h): drive_word_lines and drive_input_map, the DAC
// and the I-V non-linearity in one pass over the inputs (the ADC side is in read_kernels_adc.cpp). They apply
// the reference ops of dac.cpp and device_nonlinearity.cpp in the same order, so results agree to float
// rounding (reciprocal multiplies and a Taylor series for sinh differ from the reference in the last bits;
// tests/sim/test_read_kernels.cpp bounds the effect).
#include "sim/read_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/round_half_even.h"

namespace cimtrain::sim {

namespace {

// Everything the drive passes need (see drive_word_lines).
struct DriveParams {
  ReadShape sh;
  bool scaled;  // inputs are float: codes = round(clamp(x * inv_scale, +-code_max))
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
                                                                     int64_t n, int64_t p, int64_t c, const float* inl,
                                                                     float inl_c, float* noise, int64_t first_noise) {
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

}  // namespace cimtrain::sim
