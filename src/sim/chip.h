// The chip: program() samples one chip instance from a config and integer weights; infer() reads it.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "sim/adc.h"
#include "sim/chip_config.h"
#include "sim/conductance_hook.h"
#include "sim/mapping.h"
#include "sim/read_kernels.h"

namespace cimtrain::sim {

// When and where the chip is read.
struct ReadConditions {
  double time_s = 3600.0;        // time since programming, seconds (drift, retention, PCM read noise)
  double temperature_K = 300.0;  // ambient temperature of the chip, kelvin (each tile adds its own offset)

  void validate() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadConditions, time_s, temperature_K)

// A convolution's geometry, for reading a crossbar that holds its weights as [outputs, C * kh * kw].
struct ConvGeometry {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
};

// Output length of a convolution along one axis.
inline int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

// One programmed chip: the sampled device state (programmed conductances, stuck cells, drift exponents,
// tile temperatures, DAC/ADC static errors) plus what is derived from it for the present read conditions.
class ChipInstance {
 public:
  // Integer inputs [batch, inputs] (values in [-input_max, input_max]) -> the chip's estimate of the integer
  // product x W^T [batch, outputs], in integer units. Fresh read, DAC and ADC noise on every call.
  // Runs the fused kernels of read_kernels.h.
  at::Tensor infer(const at::Tensor& x_int, at::Generator& gen) const;
  // The same read from plain tensor ops (the reference the fused path is tested against); for the same
  // generator state it returns the same values up to float rounding.
  at::Tensor infer_reference(const at::Tensor& x_int, at::Generator& gen) const;

  // The convolution read (mapping.conv_read "direct"): input maps [batch, C, H, W] -> the chip's
  // [batch, outputs, H_out, W_out] for a crossbar holding W [outputs, C kh kw] (rows in (c, i, j) order, as
  // torch's weight.view(outputs, -1)), in integer units. The DAC codes are round(x / s) clipped to
  // +-input_max, quantised inside the drive pass: s = input_scale (1: x holds integers), or with
  // input_scale = 0, s = max|x| / input_max of this batch (1 for an all-zero batch), returned in *used_scale.
  // With `weight_scale` [outputs] the digital periphery dequantises in the same pass: the result is then
  // s x weight_scale[o] x the integer output + bias[o] (bias optional), in the layer's float units. The products run as
  // convolutions of the word-line voltage maps with each row tile's conductances, so the im2col rows are never built;
  // with noise off it returns what infer() returns on the im2col rows, up to float rounding, when the DAC has no INL
  // (here one INL per input channel, there one per word line). Needs the column DAC-noise model.
  at::Tensor infer_conv(const at::Tensor& x, const ConvGeometry& geometry, at::Generator& gen, double input_scale = 1.0,
                        double* used_scale = nullptr, const at::Tensor& weight_scale = {},
                        const at::Tensor& bias = {}) const;

  // Recomputes the effective conductances for new read conditions (once, not per read).
  void set_conditions(const ReadConditions& conditions);
  const ReadConditions& conditions() const { return conditions_; }

  // Fixes the ADC full scale from these inputs' column currents (deployment); without it every infer()
  // chooses the full scale from its own batch (training).
  void calibrate_adc(const at::Tensor& x_int, at::Generator& gen);
  // The same for the convolution read, from input maps [batch, C, H, W].
  void calibrate_adc_conv(const at::Tensor& x_int, const ConvGeometry& geometry, at::Generator& gen);
  // Back to the configured range (adc.range batch: every read's own; fixed: the hardware's full scale).
  void clear_adc_calibration();

  // The instance's noise-free linear transfer in integer units, [outputs, inputs]: what the programmed,
  // drifted, heated and IR-dropped cells (with drift compensation) make of each integer weight, as seen by
  // a linear read (no DAC/ADC, read noise or I-V non-linearity). The ideal chip gives the integer weights.
  at::Tensor effective_weights() const;

  const ChipConfig& config() const { return config_; }
  const TileLayout& layout() const { return layout_; }
  double drift_compensation() const { return drift_compensation_; }
  // Programmed conductances [S, 2, padded_rows, outputs] in uS (for inspection and tests).
  const at::Tensor& programmed_conductances() const { return g_prog_; }
  // Tile temperature offsets [row_tiles, col_tiles] in kelvin.
  const at::Tensor& tile_temperature_offsets() const { return tile_dT_; }
  // Drift exponents [S, 2, padded_rows, outputs] (undefined when drift is off).
  const at::Tensor& drift_exponents() const { return nu_; }
  // The conductances at the present read conditions [S, 2, padded_rows, outputs], uS: drifted, at the tiles'
  // temperatures, with the frozen read noise when read_noise.sampling is per_conditions (before IR drop).
  const at::Tensor& present_conductances() const { return g_now_; }

 private:
  friend class Chip;
  ChipInstance() = default;
  ReadShape read_shape(const at::Tensor& x) const;
  ReadShape read_shape_from_range(int64_t batch, double lo, double hi) const;
  // The convolution read's signal currents [M * L, S * outputs], one per row tile; the squared voltage maps
  // into `v_squared` when given (and the instance has read noise).
  std::vector<at::Tensor> conv_currents(const at::Tensor& x, double input_scale, const ConvGeometry& g,
                                        const ReadShape& sh, at::Tensor* v_squared) const;
  // The conv read's ADC shape: rows (b, output pixel), batch x pixels of them per read.
  static ReadShape pixel_rows(const ReadShape& shape, const at::Tensor& x, const ConvGeometry& g);
  // Row tile t's product of voltage maps [M, H, W, C] with per-tile values [row_tiles, tile_rows, S * outputs].
  at::Tensor conv_tile_product(const at::Tensor& map, const at::Tensor& per_tile, int64_t t,
                               const ConvGeometry& g) const;
  // Codes' range of input maps at scale s (0: per tensor, set here) -> the read's shape.
  ReadShape conv_read_shape(const at::Tensor& x, double& input_scale) const;
  double saturation_uA() const;  // the column current saturation, uA (0: none)
  // adc.range fixed: the hardware's full scale per slice [S], uA; batch: undefined.
  at::Tensor hardware_full_scale() const;
  // The read noise frozen at these conditions (read_noise.sampling per_conditions) added to g_now, or the
  // per-read noise std per cell (undefined: none).
  at::Tensor apply_read_noise(at::Tensor& g_now, const ReadConditions& conditions);
  // The ADC full scale per slice: the calibrated one, or from this read's signal currents.
  at::Tensor full_scale_for(const std::vector<at::Tensor>& current, const ReadShape& shape) const;
  // Reference path: inputs -> word-line voltages [row_tiles, M, tile_rows], volts.
  at::Tensor word_line_voltages(const at::Tensor& x, const ReadShape& shape, PhiloxKey key) const;
  // Digital recombination weights [phases, cycles, S]: sign x shift x drift compensation / unit current.
  at::Tensor combine_weights(const ReadShape& shape) const;

  ChipConfig config_;
  TileLayout layout_;
  ReadConditions conditions_;
  // Sampled once per instance.
  at::Tensor g_prog_;     // [S, 2, padded_rows, outputs] programmed conductances, uS
  at::Tensor nu_;         // [S, 2, padded_rows, outputs] drift exponents (or undefined)
  at::Tensor tile_dT_;    // [row_tiles, col_tiles] tile temperature offsets, K
  PhiloxKey noise_key_{};    // per_conditions read noise: the instance's key, drawn at programming
  uint64_t noise_draws_ = 0;  // per_conditions read noise: draws so far (one per set_conditions)
  at::Tensor dac_inl_;    // [padded_rows] DAC INL amplitudes, LSB
  AdcStatic adc_static_;  // [row_tiles, S, outputs] ADC offsets and INL, LSB
  // Derived for the present conditions by set_conditions().
  at::Tensor g_now_;        // [S, 2, padded_rows, outputs] present conductances, uS
  at::Tensor signal_;       // [row_tiles, tile_rows, S * outputs] differential conductance G+ - G-, uS
  at::Tensor read_var_;     // [row_tiles, tile_rows, S * outputs] read-noise variance per V^2, uS^2 (or undefined)
  at::Tensor dac_col_var_;  // [row_tiles, S * outputs] column DAC-noise variance per read, uA^2 (or undefined)
  double drift_compensation_ = 1.0;  // digital output scale from the global drift compensation
  at::Tensor fixed_full_scale_;      // [S] ADC full scale, uA (or undefined: per batch)
};

class Chip {
 public:
  explicit Chip(ChipConfig config);  // validates the config
  const ChipConfig& config() const { return config_; }
  // Programs integer weights [outputs, inputs] (values in [-weight_max, weight_max]) onto a fresh instance;
  // `hook`, when given, replaces the programmed conductances (throws std::invalid_argument for a result of
  // another shape, a non-finite or a negative conductance).
  ChipInstance program(const at::Tensor& w_int, at::Generator& gen, const ReadConditions& conditions = {},
                       const ConductanceHook& hook = {}) const;

 private:
  ChipConfig config_;
};

}  // namespace cimtrain::sim
