// Fused CPU kernels for one chip read: DAC + I-V non-linearity in one pass over the inputs, and ADC +
// digital recombination in one pass over the column currents, with Gaussian noise generated in place.
// They compute what ChipInstance::infer_reference computes with plain tensor ops (tested against it).
#pragma once

#include <ATen/ATen.h>

#include "sim/adc.h"
#include "sim/dac.h"
#include "sim/device_nonlinearity.h"
#include "sim/normal_rng.h"

namespace cimtrain::sim {

// Shape of one read: M = phases x cycles x batch word-line vectors, row m = (phase * cycles + cycle) * batch + b.
struct ReadShape {
  int64_t phases = 1, cycles = 1, batch = 0, inputs = 0;
  int64_t row_tiles = 0, tile_rows = 0, slices = 0, outputs = 0;
  int bits_per_cycle = 0;  // 0: multi-level inputs
  int64_t u_max = 0;       // largest unsigned code per read
  int64_t rows() const { return phases * cycles * batch; }
};

// x [batch, inputs] (integer values) -> word-line voltages [row_tiles, M, tile_rows] in volts (padded rows 0),
// and their squares into `v_squared` when it is given. DAC noise sample (m, j) is index m * inputs + j of `key`.
at::Tensor drive_word_lines(const at::Tensor& x, const ReadShape& shape, const DacConfig& dac,
                            const DeviceNonlinearityConfig& nonlinearity, const at::Tensor& dac_inl_lsb,
                            PhiloxKey key, at::Tensor* v_squared);

// Column currents [row_tiles, M, S * outputs] (uA) and read-noise variances (same shape, or undefined) ->
// the recombined result [batch, outputs]: saturation, ADC (full scale [S], static errors), then
// sum over row tiles, phases, cycles and slices with weights coef [phases, cycles, S].
// ADC noise sample (row tile t, m, s, o) is index ((t M + m) S + s) outputs + o of `key`.
at::Tensor convert_and_combine(const at::Tensor& current_uA, const at::Tensor& var_uA2, const at::Tensor& full_scale_uA,
                               const ReadShape& shape, const AdcConfig& adc, const AdcStatic& adc_static,
                               double saturation_uA, const at::Tensor& coef, PhiloxKey key);

// max |current| per slice [S] over row tiles, rows and outputs of currents [row_tiles, M, S * outputs].
at::Tensor max_abs_per_slice(const at::Tensor& current_uA, const ReadShape& shape);

}  // namespace cimtrain::sim
