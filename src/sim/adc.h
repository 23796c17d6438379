// Column ADC: signed differential column currents -> codes, with gain, clipping, noise, offset and INL.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "common/choice.h"
#include "common/errors.h"
#include "sim/normal_rng.h"

namespace cimtrain::sim {

// The ADC's full scale: batch, set from each read batch's largest column current (training), or fixed once
// from a calibration batch (deployment, ChipInstance::calibrate_adc); fixed, a constant of the hardware in
// physical units (full_scale_units cells' full current), as on a deployed chip without range calibration
// and as aihwkit's out_bound.
enum class AdcRange { kBatch, kFixed };
CIMTRAIN_CHOICE(AdcRange, "adc.range", {AdcRange::kBatch, "batch"}, {AdcRange::kFixed, "fixed"})

struct AdcConfig {
  bool enabled = true;            // false: ideal read-out (no quantisation, clipping, offset, INL or ADC noise)
  int bits = 8;                   // signed resolution, sign included: codes in [-(2^(bits-1)-1), 2^(bits-1)-1]
  double noise_sigma_lsb = 0.5;   // Gaussian input-referred noise per conversion, LSB
  double offset_sigma_lsb = 0.2;  // std over converters of the fixed offset, LSB
  double inl_lsb = 0.25;          // std over converters of the S-shaped INL amplitude, LSB
  double headroom = 1.0;          // batch: full scale = headroom x the largest |column current| of the batch/calibration
  AdcRange range = AdcRange::kBatch;
  double full_scale_units = 12.0;  // fixed: full scale in units of one fully-driven cell's (g_max - g_min) v_read, uA

  void validate() const;
  double code_max() const { return static_cast<double>((int64_t{1} << (bits - 1)) - 1); }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AdcConfig, enabled, bits, noise_sigma_lsb, offset_sigma_lsb, inl_lsb,
                                                headroom, range, full_scale_units)

// Per-converter static errors, sampled once per chip instance (LSB), each of shape `converters`.
struct AdcStatic {
  at::Tensor offset_lsb;
  at::Tensor inl_lsb;
};
AdcStatic sample_adc_static(const AdcConfig& cfg, at::IntArrayRef converters, at::Generator& gen);

// Full-scale current per slice (uA) from signal currents [row_tiles, M, S, outputs]: headroom x max |I|.
at::Tensor adc_full_scale(const at::Tensor& current_uA, const AdcConfig& cfg);
// The same from the largest |current| per slice [S] (uA), saturated first when saturation_uA > 0 (the column
// saturation I_sat tanh(I / I_sat) is monotone, so the largest current saturates to the largest one).
at::Tensor adc_full_scale_from_max(const at::Tensor& max_abs_uA, const AdcConfig& cfg, double saturation_uA = 0.0);

// Converts currents [row_tiles, M, S, outputs] (uA) with read-noise variance `var_uA2` (same shape, or
// undefined for none) at full scale `full_scale_uA` [S]; returns the dequantised currents (code x LSB, uA).
// The read noise (current domain) and the ADC noise (LSB) are independent Gaussians added before
// quantisation, so they are drawn as one Gaussian of the summed variance (flat element i uses normal i of `key`).
// INL: inl * (3 sqrt(3) / 2) u (1 - u^2), u = I / full scale: zero at 0 and +-full scale, peak +-inl.
at::Tensor adc_convert(const at::Tensor& current_uA, const at::Tensor& var_uA2, const at::Tensor& full_scale_uA,
                       const AdcConfig& cfg, const AdcStatic& stat, PhiloxKey key);

}  // namespace cimtrain::sim
