// Column ADC model (see adc.h).
#include "sim/adc.h"

#include <cmath>

namespace cimtrain::sim {

void AdcConfig::validate() const {
  common::require_range("adc.bits", bits, 2, 24);
  common::require_non_negative("adc.noise_sigma_lsb", noise_sigma_lsb);
  common::require_non_negative("adc.offset_sigma_lsb", offset_sigma_lsb);
  common::require_non_negative("adc.inl_lsb", inl_lsb);
  common::require(headroom > 0 && headroom <= 100,
                  "adc.headroom must be in (0, 100], found " + std::to_string(headroom));
  common::require(full_scale_units > 0 && std::isfinite(full_scale_units),
                  "adc.full_scale_units must be a finite value > 0, found " + std::to_string(full_scale_units));
}

AdcStatic sample_adc_static(const AdcConfig& cfg, at::IntArrayRef converters, at::Generator& gen) {
  AdcStatic s;
  const bool on = cfg.enabled;
  s.offset_lsb =
      on && cfg.offset_sigma_lsb > 0 ? at::randn(converters, gen) * cfg.offset_sigma_lsb : at::zeros(converters);
  s.inl_lsb = on && cfg.inl_lsb > 0 ? at::randn(converters, gen) * cfg.inl_lsb : at::zeros(converters);
  return s;
}

at::Tensor adc_full_scale(const at::Tensor& current_uA, const AdcConfig& cfg) {
  TORCH_CHECK(current_uA.dim() == 4, "currents must be [row_tiles, M, S, outputs], found ", current_uA.sizes());
  return adc_full_scale_from_max(current_uA.abs().amax({0, 1, 3}), cfg);
}

at::Tensor adc_full_scale_from_max(const at::Tensor& max_abs_uA, const AdcConfig& cfg, double saturation_uA) {
  const auto m = saturation_uA > 0 ? at::tanh(max_abs_uA / saturation_uA) * saturation_uA : max_abs_uA;
  return (m * cfg.headroom).clamp_min(1e-12);  // an all-zero batch still has a valid (tiny) range
}

at::Tensor adc_convert(const at::Tensor& current_uA, const at::Tensor& var_uA2, const at::Tensor& full_scale_uA,
                       const AdcConfig& cfg, const AdcStatic& stat, PhiloxKey key) {
  TORCH_CHECK(current_uA.dim() == 4, "currents must be [row_tiles, M, S, outputs], found ", current_uA.sizes());
  if (!cfg.enabled) {
    if (!var_uA2.defined()) return current_uA;
    return current_uA + normal_tensor(current_uA.sizes(), key) * var_uA2.sqrt();
  }
  const int64_t slices = current_uA.size(2);
  TORCH_CHECK(full_scale_uA.numel() == slices, "ADC full scale must have one value per slice (", slices, "), found ",
              full_scale_uA.sizes());
  const double qmax = cfg.code_max();
  const auto lsb = (full_scale_uA / qmax).view({1, 1, slices, 1});
  auto u = current_uA / lsb;  // in LSB
  at::Tensor noise_var = var_uA2.defined() ? var_uA2 / lsb.square() : at::Tensor();
  if (cfg.noise_sigma_lsb > 0)
    noise_var = noise_var.defined() ? noise_var + cfg.noise_sigma_lsb * cfg.noise_sigma_lsb
                                    : at::full_like(u, cfg.noise_sigma_lsb * cfg.noise_sigma_lsb);
  // Static errors have shape [row_tiles, S, outputs] -> broadcast over M.
  const auto offset = stat.offset_lsb.unsqueeze(1);
  const auto inl = stat.inl_lsb.unsqueeze(1);
  const auto x = u / qmax;
  u = u + offset + inl * (1.5 * std::sqrt(3.0)) * x * (1 - x.square());
  if (noise_var.defined()) u = u + normal_tensor(u.sizes(), key) * noise_var.sqrt();
  return u.round().clamp(-qmax, qmax) * lsb;
}

}  // namespace cimtrain::sim
