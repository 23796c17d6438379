// Chip programming and analog inference (see chip.h).
#include "sim/chip.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "common/seed_streams.h"
#include "common/stage_timer.h"
#include "sim/dac.h"
#include "sim/device_nonlinearity.h"
#include "sim/drift.h"
#include "sim/ir_drop.h"
#include "sim/programming_noise.h"
#include "sim/read_noise.h"
#include "sim/read_operands.h"
#include "sim/thermal.h"

namespace cimtrain::sim {

void ReadConditions::validate() const {
  common::require(time_s >= 0 && std::isfinite(time_s),
                  "time since programming must be >= 0 s, found " + std::to_string(time_s));
  common::require(temperature_K > 0 && temperature_K < 1000,
                  "temperature must be in (0, 1000) K, found " + std::to_string(temperature_K));
}

namespace {
// The instance's random streams, one per component (tags fixed: changing one changes every instance).
enum class InstanceStream : uint64_t { kCells = 1, kDrift = 2, kThermal = 3, kDac = 4, kAdc = 5, kReadNoise = 6 };
}  // namespace

Chip::Chip(ChipConfig config) : config_(std::move(config)) { config_.validate(); }

ChipInstance Chip::program(const at::Tensor& w_int, at::Generator& gen, const ReadConditions& conditions,
                           const ConductanceHook& hook) const {
  TORCH_CHECK(w_int.dim() == 2, "weights must be a matrix [outputs, inputs], found shape ", w_int.sizes());
  conditions.validate();
  ChipInstance c;
  c.config_ = config_;
  c.layout_ = make_layout(config_.mapping, w_int.size(1), w_int.size(0));
  const auto& m = config_.mapping;
  const auto& l = c.layout_;
  // Every component of the instance draws from a stream of its own, all derived from one draw of `gen`: switching
  // one component off (an ablation, a config) leaves the others' draws as they were, so that instances of
  // different configs with one seed are the same chip but for that component.
  const PhiloxKey instance_key = draw_philox_key(gen);
  const auto stream = [&](InstanceStream s) {
    return at::make_generator<at::CPUGeneratorImpl>(
        common::mix_seed({instance_key.seed, instance_key.offset, static_cast<uint64_t>(s)}));
  };
  std::optional<common::StageTimer> timer(std::in_place, "program.cells");
  auto cells_gen = stream(InstanceStream::kCells);
  c.g_prog_ = program_weights(w_int.cpu(), m, l, config_.programming_noise, config_.level, cells_gen);
  if (hook) c.g_prog_ = apply_conductance_hook(hook, c.g_prog_);
  timer.emplace("program.static");
  // The pcm drift exponent follows the target conductance (aihwkit), the power law none.
  const bool nu_from_target = config_.drift.enabled && config_.drift.model == DriftModel::kPcm;
  auto drift_gen = stream(InstanceStream::kDrift), thermal_gen = stream(InstanceStream::kThermal);
  auto dac_gen = stream(InstanceStream::kDac), adc_gen = stream(InstanceStream::kAdc);
  c.nu_ = sample_drift_exponents(
      nu_from_target ? cell_levels_to_conductance(weights_to_cell_levels(checked_weights(w_int.cpu(), m, l), m, l), m)
                     : c.g_prog_,
      config_.drift, m, config_.level, drift_gen);
  c.tile_dT_ = sample_tile_temperature_offsets(config_.thermal, l.row_tiles, l.col_tiles, config_.level, thermal_gen);
  c.dac_inl_ = sample_dac_inl(config_.dac, l.padded_rows(), dac_gen);
  c.adc_static_ = sample_adc_static(config_.adc, {l.row_tiles, l.slices, l.outputs}, adc_gen);
  auto read_gen = stream(InstanceStream::kReadNoise);
  const auto& rn = config_.read_noise;
  if (rn.enabled && rn.sampling == ReadNoiseSampling::kPerConditions) c.noise_key_ = draw_philox_key(read_gen);
  c.fixed_full_scale_ = c.hardware_full_scale();
  timer.reset();
  c.set_conditions(conditions);
  return c;
}

ReadShape ChipInstance::read_shape(const at::Tensor& x) const {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == layout_.inputs, "inputs must have shape [batch, ", layout_.inputs,
              "], found ", x.sizes());
  const auto [lo, hi] = at::aminmax(x);
  return read_shape_from_range(x.size(0), lo.item<double>(), hi.item<double>());
}

ReadShape ChipInstance::read_shape_from_range(int64_t batch, double lo, double hi) const {
  const auto& cfg = config_;
  const auto& l = layout_;
  ReadShape sh;
  sh.batch = batch;
  sh.inputs = l.inputs;
  sh.row_tiles = l.row_tiles;
  sh.tile_rows = l.tile_rows;
  sh.slices = l.slices;
  sh.outputs = l.outputs;
  const double max_abs = std::max(-lo, hi);
  TORCH_CHECK(max_abs <= cfg.mapping.input_max(), "inputs must be integers in [", -cfg.mapping.input_max(), ", ",
              cfg.mapping.input_max(), "] for input_bits = ", cfg.mapping.input_bits, ", found max |x| = ", max_abs);
  sh.phases = lo < 0 ? 2 : 1;  // the negative read phase only when some input is negative
  sh.bits_per_cycle = cfg.dac.input_bits_per_cycle;
  if (sh.bits_per_cycle > 0) {  // bit-serial: cycle c applies bits [b c, b (c + 1)) of the magnitude
    sh.cycles = (cfg.mapping.input_bits - 1 + sh.bits_per_cycle - 1) / sh.bits_per_cycle;
    sh.u_max = (int64_t{1} << sh.bits_per_cycle) - 1;
  } else {
    sh.cycles = 1;
    sh.u_max = cfg.mapping.input_max();
  }
  return sh;
}

at::Tensor ChipInstance::word_line_voltages(const at::Tensor& x, const ReadShape& sh, PhiloxKey key) const {
  const auto& cfg = config_;
  const auto& l = layout_;
  std::vector<at::Tensor> parts = {x.clamp_min(0)};
  if (sh.phases == 2) parts.push_back((-x).clamp_min(0));
  if (sh.bits_per_cycle > 0) {
    std::vector<at::Tensor> chunks;
    for (const auto& p : parts)
      for (int64_t c = 0; c < sh.cycles; ++c)
        chunks.push_back(at::floor(p / std::ldexp(1.0, sh.bits_per_cycle * static_cast<int>(c))).fmod(sh.u_max + 1));
    parts = std::move(chunks);
  }
  const auto u = at::cat(parts, 0);  // [phases * cycles * batch, inputs]
  auto dac = cfg.dac;
  if (!dac.word_line_noise()) dac.noise_sigma = 0;  // the column model adds it at the ADC
  auto v = dac_convert(u, sh.u_max, dac, dac_inl_.narrow(0, 0, l.inputs), key);
  v = apply_iv_nonlinearity(v, cfg.device_nonlinearity) * cfg.dac.v_read_V;
  return at::constant_pad_nd(v, {0, l.padded_rows() - l.inputs})
      .view({sh.rows(), l.row_tiles, l.tile_rows})
      .transpose(0, 1)
      .contiguous();
}

at::Tensor ChipInstance::combine_weights(const ReadShape& sh) const {
  const auto& m = config_.mapping;
  const double unit_uA = m.g_step_uS() * config_.dac.v_read_V / static_cast<double>(sh.u_max);  // level x input step
  auto coef = at::empty({sh.phases, sh.cycles, sh.slices});
  auto acc = coef.accessor<float, 3>();
  for (int64_t p = 0; p < sh.phases; ++p)
    for (int64_t c = 0; c < sh.cycles; ++c)
      for (int64_t s = 0; s < sh.slices; ++s)
        acc[p][c][s] =
            static_cast<float>((p == 0 ? 1.0 : -1.0) * std::ldexp(1.0, sh.bits_per_cycle * static_cast<int>(c)) *
                               std::ldexp(1.0, m.bits_per_cell * static_cast<int>(s)) * drift_compensation_ / unit_uA);
  return coef;
}

at::Tensor ChipInstance::infer_reference(const at::Tensor& x_int, at::Generator& gen) const {
  const auto& cfg = config_;
  const auto& l = layout_;
  const auto x = x_int.to(at::kFloat);
  const ReadShape sh = read_shape(x);
  const PhiloxKey dac_key = draw_philox_key(gen), adc_key = draw_philox_key(gen);
  const auto V = word_line_voltages(x, sh, dac_key);  // [row_tiles, M, tile_rows], volts
  const int64_t m = sh.rows();
  const auto current = apply_current_saturation(at::bmm(V, signal_), cfg.device_nonlinearity)
                           .view({l.row_tiles, m, l.slices, l.outputs});  // uA
  at::Tensor var;
  if (read_var_.defined()) var = at::bmm(V.square(), read_var_).view({l.row_tiles, m, l.slices, l.outputs});
  if (dac_col_var_.defined()) {
    const auto col = dac_col_var_.view({l.row_tiles, 1, l.slices, l.outputs});
    var = var.defined() ? var + col : col.expand({l.row_tiles, m, l.slices, l.outputs}).contiguous();
  }
  const auto full_scale = fixed_full_scale_.defined() ? fixed_full_scale_ : adc_full_scale(current, cfg.adc);
  const auto read = adc_convert(current, var, full_scale, cfg.adc, adc_static_, adc_key);
  // Digital recombination: row tiles add; phases subtract; cycles and slices shift-and-add.
  const auto coef = combine_weights(sh).view({sh.phases, sh.cycles, 1, sh.slices, 1});
  return (read.sum(0).view({sh.phases, sh.cycles, sh.batch, l.slices, l.outputs}) * coef).sum({0, 1, 3});
}

at::Tensor ChipInstance::infer(const at::Tensor& x_int, at::Generator& gen) const {
  const auto& cfg = config_;
  const auto x = x_int.to(at::kFloat).contiguous();
  ReadShape sh = read_shape(x);
  // One row tile: the padding rows are driven at 0 V and add nothing, so the fused read skips them (the
  // IR-drop physics of the full tile is already in the effective conductances). With one tile the narrowed
  // operands are still contiguous: no copy.
  if (layout_.row_tiles == 1) sh.tile_rows = layout_.inputs;
  const auto operand = [&](const at::Tensor& t) { return t.narrow(1, 0, sh.tile_rows); };
  const PhiloxKey dac_key = draw_philox_key(gen), adc_key = draw_philox_key(gen);
  at::Tensor V2, V, current, var;
  {
    const common::StageTimer timer("read.drive");
    V = drive_word_lines(x, sh, cfg.dac, cfg.device_nonlinearity, dac_inl_, dac_key,
                         read_var_.defined() ? &V2 : nullptr);
  }
  {
    const common::StageTimer timer("read.products");
    current = at::bmm(V, operand(signal_));  // [row_tiles, M, S * outputs], uA
    if (read_var_.defined()) var = at::bmm(V2, operand(read_var_));
  }
  const common::StageTimer timer("read.adc");
  const auto tiles = current.unbind(0);
  return convert_and_combine(tiles, var.defined() ? var.unbind(0) : std::vector<at::Tensor>{}, dac_col_var_,
                             full_scale_for(tiles, sh), sh, cfg.adc, adc_static_, saturation_uA(), combine_weights(sh),
                             adc_key);
}

double ChipInstance::saturation_uA() const {
  const auto& nl = config_.device_nonlinearity;
  return nl.enabled ? nl.saturation_uA : 0.0;
}

at::Tensor ChipInstance::full_scale_for(const std::vector<at::Tensor>& current, const ReadShape& shape) const {
  if (fixed_full_scale_.defined()) return fixed_full_scale_;
  return adc_full_scale_from_max(max_abs_per_slice(current, shape), config_.adc, saturation_uA());
}

ReadShape ChipInstance::pixel_rows(const ReadShape& shape, const at::Tensor& x, const ConvGeometry& g) {
  ReadShape rows = shape;
  rows.batch = shape.batch * conv_output_size(x.size(2), g.kernel_h, g.stride_h, g.pad_h, g.dilation_h) *
               conv_output_size(x.size(3), g.kernel_w, g.stride_w, g.pad_w, g.dilation_w);
  return rows;
}

namespace {
// Float input maps, contiguous or channels-last (both are read without a copy).
at::Tensor conv_input(const at::Tensor& x) {
  const auto f = x.to(at::kFloat);
  return f.is_contiguous() || f.is_contiguous(at::MemoryFormat::ChannelsLast) ? f : f.contiguous();
}
}  // namespace

ReadShape ChipInstance::conv_read_shape(const at::Tensor& x, double& input_scale) const {
  const auto [lo_t, hi_t] = at::aminmax(x);
  const double lo = lo_t.item<double>(), hi = hi_t.item<double>();
  const double qmax = config_.mapping.input_max();
  if (input_scale == 0) {
    const double max_abs = std::max(-lo, hi);
    input_scale = max_abs > 0 ? max_abs / qmax : 1.0;
  }
  TORCH_CHECK(input_scale > 0 && std::isfinite(input_scale), "conv read: input scale must be > 0, found ", input_scale);
  const auto code = [&](double v) { return std::clamp(std::nearbyint(v / input_scale), -qmax, qmax); };
  return read_shape_from_range(x.size(0), code(lo), code(hi));
}

at::Tensor ChipInstance::conv_tile_product(const at::Tensor& map, const at::Tensor& per_tile, int64_t t,
                                           const ConvGeometry& g) const {
  const auto& l = layout_;
  const int64_t C = map.size(3), khw = g.kernel_h * g.kernel_w, SO = l.slices * l.outputs;
  // Tile t holds crossbar rows [r0, r1): input channels [c0, c1), the first and last maybe in part (zeros).
  const int64_t r0 = t * l.tile_rows, r1 = std::min(l.inputs, r0 + l.tile_rows);
  const int64_t c0 = r0 / khw, c1 = (r1 + khw - 1) / khw;
  const auto rows = per_tile[t].narrow(0, 0, r1 - r0);  // [rows, SO] -> weights [SO, c1 - c0, kh, kw]
  at::Tensor w;
  if (r0 == c0 * khw && r1 == c1 * khw) {
    w = rows;
  } else {
    w = at::zeros({(c1 - c0) * khw, SO});
    w.narrow(0, r0 - c0 * khw, r1 - r0).copy_(rows);
  }
  w = w.t().reshape({SO, c1 - c0, g.kernel_h, g.kernel_w}).contiguous(at::MemoryFormat::ChannelsLast);
  // Maps [M, H, W, C] seen as NCHW with channels-last strides; the output back to rows [M * L, SO].
  auto in = map.permute({0, 3, 1, 2});
  if (c0 != 0 || c1 != C) in = in.narrow(1, c0, c1 - c0);
  const auto y = at::conv2d(in, w, {}, {g.stride_h, g.stride_w}, {g.pad_h, g.pad_w}, {g.dilation_h, g.dilation_w});
  return y.permute({0, 2, 3, 1}).contiguous().view({-1, SO});
}

std::vector<at::Tensor> ChipInstance::conv_currents(const at::Tensor& x, double input_scale, const ConvGeometry& g,
                                                    const ReadShape& sh, at::Tensor* v_squared) const {
  const auto& cfg = config_;
  const auto& l = layout_;
  const int64_t C = x.size(1), khw = g.kernel_h * g.kernel_w;
  // The DAC's INL, one per input channel: that of the channel's first word line.
  const auto inl = dac_inl_.narrow(0, 0, l.inputs).view({C, khw}).select(1, 0).contiguous();
  at::Tensor V;
  {
    const common::StageTimer timer("read.drive");
    V = drive_input_map(x, input_scale, cfg.mapping.input_max(), sh, cfg.dac, cfg.device_nonlinearity, inl,
                        v_squared && read_var_.defined() ? v_squared : nullptr);
  }
  const common::StageTimer timer("read.products");
  std::vector<at::Tensor> current;
  for (int64_t t = 0; t < l.row_tiles; ++t) current.push_back(conv_tile_product(V, signal_, t, g));
  return current;
}

at::Tensor ChipInstance::infer_conv(const at::Tensor& x_in, const ConvGeometry& g, at::Generator& gen,
                                    double input_scale, double* used_scale, const at::Tensor& weight_scale,
                                    const at::Tensor& bias) const {
  const auto& cfg = config_;
  const auto& l = layout_;
  TORCH_CHECK(x_in.dim() == 4 && x_in.size(1) * g.kernel_h * g.kernel_w == l.inputs,
              "conv read: input maps must be [batch, C, H, W] with C x ", g.kernel_h, " x ", g.kernel_w, " = ",
              l.inputs, " crossbar rows, found ", x_in.sizes());
  TORCH_CHECK(!cfg.dac.word_line_noise(),
              "conv read: word-line DAC noise needs the im2col read (set mapping.conv_read to 'im2col')");
  const auto x = conv_input(x_in);
  const ReadShape sh = conv_read_shape(x, input_scale);
  if (used_scale) *used_scale = input_scale;
  const PhiloxKey adc_key = draw_philox_key(gen);
  at::Tensor V2;
  auto current = conv_currents(x, input_scale, g, sh, &V2);
  const ReadShape rows = pixel_rows(sh, x, g);
  at::Tensor full_scale;
  {
    const common::StageTimer timer("read.adc");
    full_scale = full_scale_for(current, rows);
  }
  // Tile by tile: its read-noise variances are computed just before its conversion and freed after, with its
  // currents, so that the peak memory holds one tile's variances rather than all of them.
  at::Tensor out_scale;
  if (weight_scale.defined()) {
    TORCH_CHECK(weight_scale.numel() == l.outputs, "conv read: expected ", l.outputs, " weight scales, found ",
                weight_scale.sizes());
    out_scale = weight_scale.to(at::kFloat).cpu().reshape({-1}) * input_scale;
  }
  auto y = bias.defined() ? bias.to(at::kFloat).cpu().reshape({1, -1}).expand({rows.batch, l.outputs}).contiguous()
                          : at::zeros({rows.batch, l.outputs});
  const auto coef = combine_weights(sh);
  for (int64_t t = 0; t < l.row_tiles; ++t) {
    std::vector<at::Tensor> var;
    if (V2.defined()) {
      const common::StageTimer timer("read.products");
      var.push_back(conv_tile_product(V2, read_var_, t, g));
    }
    const common::StageTimer timer("read.adc");
    convert_and_combine({current[t]}, var, dac_col_var_, full_scale, rows, cfg.adc, adc_static_, saturation_uA(), coef,
                        adc_key, t, &y, out_scale);
    current[t] = at::Tensor();
  }
  const int64_t ho = conv_output_size(x.size(2), g.kernel_h, g.stride_h, g.pad_h, g.dilation_h);
  return y.view({sh.batch, ho, -1, l.outputs}).permute({0, 3, 1, 2});  // channels last
}

void ChipInstance::calibrate_adc_conv(const at::Tensor& x_int, const ConvGeometry& g, at::Generator& gen) {
  (void)gen;  // the calibration read is noise-free, as calibrate_adc's signal currents
  if (config_.adc.range == AdcRange::kFixed) return;  // the hardware's full scale stays
  const auto x = conv_input(x_int);
  double scale = 1.0;
  const ReadShape sh = conv_read_shape(x, scale);
  const auto current = conv_currents(x, scale, g, sh, nullptr);
  fixed_full_scale_ =
      adc_full_scale_from_max(max_abs_per_slice(current, pixel_rows(sh, x, g)), config_.adc, saturation_uA());
}

at::Tensor ChipInstance::effective_weights() const {
  const auto& m = config_.mapping;
  const auto& l = layout_;
  // signal_ [row_tiles, tile_rows, S * outputs] -> [padded_rows, S, outputs], then shift-and-add the slices.
  const auto per_slice = signal_.view({l.padded_rows(), l.slices, l.outputs});
  auto w = at::zeros({l.padded_rows(), l.outputs}, signal_.options());
  for (int64_t s = 0; s < l.slices; ++s)
    w += per_slice.select(1, s) * std::ldexp(1.0, m.bits_per_cell * static_cast<int>(s));
  return (w.narrow(0, 0, l.inputs) * (drift_compensation_ / m.g_step_uS())).t().contiguous();
}

void ChipInstance::calibrate_adc(const at::Tensor& x_int, at::Generator& gen) {
  if (config_.adc.range == AdcRange::kFixed) return;  // the hardware's full scale stays
  const auto x = x_int.to(at::kFloat);
  const ReadShape sh = read_shape(x);
  const auto V = word_line_voltages(x, sh, draw_philox_key(gen));
  const auto current = apply_current_saturation(at::bmm(V, signal_), config_.device_nonlinearity)
                           .view({layout_.row_tiles, sh.rows(), layout_.slices, layout_.outputs});
  fixed_full_scale_ = adc_full_scale(current, config_.adc);
}

}  // namespace cimtrain::sim
