// Input DAC: unsigned input codes -> normalised word-line voltages, with quantisation, noise and INL.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/choice.h"
#include "common/errors.h"
#include "sim/normal_rng.h"

namespace cimtrain::sim {

enum class DacNoiseModel { kColumn, kWordLine };
CIMTRAIN_CHOICE(DacNoiseModel, "dac.noise_model", {DacNoiseModel::kColumn, "column"},
                {DacNoiseModel::kWordLine, "word_line"})

struct DacConfig {
  bool enabled = true;           // false: ideal DAC (exact voltages, no noise, no INL)
  int bits = 8;                  // levels of the multi-level DAC: 2^bits - 1 steps over [0, v_read]
  int input_bits_per_cycle = 0;  // 0: the whole input magnitude in one read; b > 0: bit-serial, b bits per read
  double v_read_V = 0.2;         // full-scale read voltage on a word line, volts
  double noise_sigma = 0.002;    // Gaussian voltage noise per read, fraction of full scale (0.5 LSB at 8 bits)
  // How the voltage noise is simulated. "column" (default, fast): its first-order effect on the column
  // currents, a Gaussian of variance (v_read f'(0) noise_sigma)^2 sum_i G_i^2 per column and read (f: the
  // I-V law), added to the read noise; exact marginals for ohmic cells, cross-column correlations dropped,
  // no random number per input. "word_line" (exact): one normal per word line per read, before the I-V law.
  DacNoiseModel noise_model = DacNoiseModel::kColumn;
  double inl_lsb = 0.25;  // std over DACs of the bow-shaped integral non-linearity amplitude, DAC LSB

  void validate() const;
  bool word_line_noise() const { return enabled && noise_sigma > 0 && noise_model == DacNoiseModel::kWordLine; }
  bool column_noise() const { return enabled && noise_sigma > 0 && noise_model == DacNoiseModel::kColumn; }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DacConfig, enabled, bits, input_bits_per_cycle, v_read_V, noise_sigma,
                                                noise_model, inl_lsb)

// Per-DAC static error, sampled once per chip instance: INL amplitude per word line, in DAC LSB.
at::Tensor sample_dac_inl(const DacConfig& cfg, int64_t rows, at::Generator& gen);

// Unsigned codes u in [0, u_max] [M, rows] -> normalised voltages v (1 = v_read) [M, rows].
// Rounds to the DAC's 2^bits levels k / (2^bits - 1) when it has fewer than u_max + 1, adds the fixed INL
// (inl * 4 v (1 - v) LSB, zero at both ends) and fresh Gaussian noise (flat element i uses normal i of `key`).
at::Tensor dac_convert(const at::Tensor& u, int64_t u_max, const DacConfig& cfg, const at::Tensor& inl_lsb,
                       PhiloxKey key);

}  // namespace cimtrain::sim
