// Input DAC model (see dac.h).
#include "sim/dac.h"

namespace cimtrain::sim {

void DacConfig::validate() const {
  common::require_range("dac.bits", bits, 1, 24);
  common::require_range("dac.input_bits_per_cycle", input_bits_per_cycle, 0, 16);
  common::require(v_read_V > 0, "dac.v_read_V must be > 0 volts, found " + std::to_string(v_read_V));
  common::require_non_negative("dac.noise_sigma", noise_sigma);
  common::require_non_negative("dac.inl_lsb", inl_lsb);
}

at::Tensor sample_dac_inl(const DacConfig& cfg, int64_t rows, at::Generator& gen) {
  if (!cfg.enabled || cfg.inl_lsb == 0) return at::zeros({rows});
  return at::randn({rows}, gen) * cfg.inl_lsb;
}

at::Tensor dac_convert(const at::Tensor& u, int64_t u_max, const DacConfig& cfg, const at::Tensor& inl_lsb,
                       PhiloxKey key) {
  if (!cfg.enabled) return u / static_cast<double>(u_max);
  const int64_t dac_levels = (int64_t{1} << cfg.bits) - 1;
  at::Tensor v;
  if (dac_levels >= u_max) {
    v = u / static_cast<double>(u_max);
  } else {
    // Round to the nearest of the DAC's levels k / (2^bits - 1) of full scale.
    v = (u * (static_cast<double>(dac_levels) / static_cast<double>(u_max))).round() / static_cast<double>(dac_levels);
  }
  if (cfg.inl_lsb > 0) v = v + inl_lsb * (4.0 / dac_levels) * v * (1 - v);
  if (cfg.noise_sigma > 0) v = v + normal_tensor(v.sizes(), key) * cfg.noise_sigma;
  return v;
}

}  // namespace cimtrain::sim
