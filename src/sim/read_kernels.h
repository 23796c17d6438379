// Fused CPU kernels for one chip read: DAC + I-V non-linearity in one pass over the inputs, and ADC +
// digital recombination in one pass over the column currents, with Gaussian noise generated in place.
// They compute what ChipInstance::infer_reference computes with plain tensor ops (tested against it).
// The drive kernels are in read_kernels.cpp, convert_and_combine and max_abs_per_slice in read_kernels_adc.cpp.
#pragma once

#include <ATen/ATen.h>

#include <vector>

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
                            const DeviceNonlinearityConfig& nonlinearity, const at::Tensor& dac_inl_lsb, PhiloxKey key,
                            at::Tensor* v_squared);

// The conv read's drive (mapping.conv_read = ConvRead::kDirect): float input maps x [batch, C, H, W], quantised on
// the way to codes round(x / input_scale) clipped to +-code_max, -> voltages [M, H, W, C] in volts (channels
// last: the layout the convolutions run fastest in), map m = (phase * cycles + cycle) * batch + b, and their
// squares into `v_squared` when given. x may be contiguous or channels-last. One INL amplitude
// per input channel; no word-line noise (the column model).
at::Tensor drive_input_map(const at::Tensor& x, double input_scale, int64_t code_max, const ReadShape& shape,
                           const DacConfig& dac, const DeviceNonlinearityConfig& nonlinearity,
                           const at::Tensor& inl_per_channel, at::Tensor* v_squared);

// Column currents, one [M, S * outputs] block per row tile (uA), and read-noise variances (the same, or an
// empty list) -> the recombined result [batch, outputs]: saturation, ADC (full scale [S], static errors),
// then sum over row tiles, phases, cycles and slices with weights coef [phases, cycles, S]. `col_var_uA2`
// [row_tiles, S * outputs] (or undefined) is a further noise variance per column and read (the column DAC
// noise). ADC noise sample (row tile t, m, s, o) is index ((t M + m) S + s) outputs + o of `key`.
// The lists may hold only tiles [first_tile, first_tile + n) of the shape's row tiles; with `accumulate`
// the result is added to that [batch, outputs] tensor (and returned) instead of to a new one, so a read can
// convert its tiles one at a time. `out_scale` [outputs] (or undefined: 1) multiplies each output (the
// digital periphery's per-output scale).
at::Tensor convert_and_combine(const std::vector<at::Tensor>& current_uA, const std::vector<at::Tensor>& var_uA2,
                               const at::Tensor& col_var_uA2, const at::Tensor& full_scale_uA, const ReadShape& shape,
                               const AdcConfig& adc, const AdcStatic& adc_static, double saturation_uA,
                               const at::Tensor& coef, PhiloxKey key, int64_t first_tile = 0,
                               at::Tensor* accumulate = nullptr, const at::Tensor& out_scale = {});

// max |current| per slice [S] over the row tiles' blocks [M, S * outputs].
at::Tensor max_abs_per_slice(const std::vector<at::Tensor>& current_uA, const ReadShape& shape);

}  // namespace cimtrain::sim
