// Chip programming and analog inference (see chip.h).
#include "sim/chip.h"

#include <cmath>

#include "sim/dac.h"
#include "sim/device_nonlinearity.h"
#include "sim/drift.h"
#include "sim/ir_drop.h"
#include "sim/programming_noise.h"
#include "sim/read_noise.h"
#include "sim/stage_timer.h"
#include "sim/thermal.h"

namespace cimtrain::sim {

void ReadConditions::validate() const {
  require(time_s >= 0 && std::isfinite(time_s), "time since programming must be >= 0 s, found " + std::to_string(time_s));
  require(temperature_K > 0 && temperature_K < 1000, "temperature must be in (0, 1000) K, found " +
                                                          std::to_string(temperature_K));
}

Chip::Chip(ChipConfig config) : config_(std::move(config)) { config_.validate(); }

ChipInstance Chip::program(const at::Tensor& w_int, at::Generator& gen, const ReadConditions& conditions) const {
  TORCH_CHECK(w_int.dim() == 2, "weights must be a matrix [outputs, inputs], found shape ", w_int.sizes());
  conditions.validate();
  ChipInstance c;
  c.config_ = config_;
  c.layout_ = make_layout(config_.mapping, w_int.size(1), w_int.size(0));
  const auto& m = config_.mapping;
  const auto& l = c.layout_;
  const auto target = cell_levels_to_conductance(weights_to_cell_levels(w_int.cpu(), m, l), m);
  c.g_prog_ = program_conductances(target, config_.programming_noise, m, config_.level, gen);
  c.nu_ = sample_drift_exponents(c.g_prog_, config_.drift, m, config_.level, gen);
  c.tile_dT_ = sample_tile_temperature_offsets(config_.thermal, l.row_tiles, l.col_tiles, config_.level, gen);
  c.dac_inl_ = sample_dac_inl(config_.dac, l.padded_rows(), gen);
  c.adc_static_ = sample_adc_static(config_.adc, {l.row_tiles, l.slices, l.outputs}, gen);
  c.set_conditions(conditions);
  return c;
}

namespace {

// [S, padded_rows, outputs] -> [row_tiles, tile_rows, S * outputs], the right operand of the tile products.
at::Tensor to_product_layout(const at::Tensor& per_slice, const TileLayout& l) {
  return per_slice.view({l.slices, l.row_tiles, l.tile_rows, l.outputs})
      .permute({1, 2, 0, 3})
      .reshape({l.row_tiles, l.tile_rows, l.slices * l.outputs})
      .contiguous();
}

// Output of an all-ones reference read, summed over |outputs|: the global drift compensation's measure.
double reference_read(const at::Tensor& g, const MappingConfig& m) {
  const auto diff = g.select(1, 0) - g.select(1, 1);  // [S, rows, outputs]
  auto per_output = at::zeros({diff.size(2)}, diff.options());
  for (int64_t s = 0; s < diff.size(0); ++s)
    per_output += diff[s].sum(0) * std::ldexp(1.0, m.bits_per_cell * static_cast<int>(s));
  return per_output.abs().sum().item<double>();
}

}  // namespace

void ChipInstance::set_conditions(const ReadConditions& conditions) {
  conditions.validate();
  conditions_ = conditions;
  const auto& cfg = config_;
  const auto& l = layout_;
  const auto tile_T = tile_dT_ + conditions.temperature_K;
  const auto gain = tile_values_to_cells(thermal_conductance_factor(tile_T, cfg.thermal), l);
  const auto t_eff = tile_values_to_cells(arrhenius_time_factor(tile_T, cfg.thermal), l) * conditions.time_s;
  const auto g_now = drifted_conductances(g_prog_, nu_, t_eff, cfg.drift, cfg.mapping) * gain;

  // IR drop: effective conductances seen from the inputs (first-order or exact), per physical tile.
  at::Tensor g_eff = g_now, factor;
  if (cfg.ir_drop.enabled()) {
    const auto phys = to_physical_tiles(g_now, l);
    g_eff = from_physical_tiles(ir_drop_effective_conductance(phys, cfg.ir_drop), l);
    factor = at::where(g_now > 0, g_eff / g_now.clamp_min(1e-30), at::zeros_like(g_now));
  }
  signal_ = to_product_layout(g_eff.select(1, 0) - g_eff.select(1, 1), l);

  auto sd = read_noise_std(g_now, g_prog_, cfg.read_noise, cfg.mapping, cfg.level, conditions.time_s);
  if (sd.defined()) {
    if (factor.defined()) sd = sd * factor;  // the cell sees the dropped voltage, so its noise current shrinks too
    read_var_ = to_product_layout(sd.select(1, 0).square() + sd.select(1, 1).square(), l);
  } else {
    read_var_ = at::Tensor();
  }

  // What the fused read multiplies: without the padding rows of a single, partly used row tile.
  const bool trim = l.row_tiles == 1 && l.inputs < l.tile_rows;
  read_signal_ = trim ? signal_.narrow(1, 0, l.inputs).contiguous() : signal_;
  read_var_rows_ = trim && read_var_.defined() ? read_var_.narrow(1, 0, l.inputs).contiguous() : read_var_;

  drift_compensation_ = 1.0;
  if (cfg.drift.enabled && cfg.drift.compensation) {
    // A reference read right after programming and one now; noise-free (the chip averages reference reads).
    const double before = reference_read(g_prog_, cfg.mapping);
    const double now = reference_read(g_now, cfg.mapping);
    if (before > 0 && now > 0) drift_compensation_ = before / now;
  }
}

ReadShape ChipInstance::read_shape(const at::Tensor& x) const {
  const auto& cfg = config_;
  const auto& l = layout_;
  TORCH_CHECK(x.dim() == 2 && x.size(1) == l.inputs, "inputs must have shape [batch, ", l.inputs, "], found ",
              x.sizes());
  ReadShape sh;
  sh.batch = x.size(0);
  sh.inputs = l.inputs;
  sh.row_tiles = l.row_tiles;
  sh.tile_rows = l.tile_rows;
  sh.slices = l.slices;
  sh.outputs = l.outputs;
  const auto [lo, hi] = at::aminmax(x);
  const double max_abs = std::max(-lo.item<double>(), hi.item<double>());
  TORCH_CHECK(max_abs <= cfg.mapping.input_max(), "inputs must be integers in [", -cfg.mapping.input_max(), ", ",
              cfg.mapping.input_max(), "] for input_bits = ", cfg.mapping.input_bits, ", found max |x| = ", max_abs);
  sh.phases = lo.item<double>() < 0 ? 2 : 1;  // the negative read phase only when some input is negative
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
  auto v = dac_convert(u, sh.u_max, cfg.dac, dac_inl_.narrow(0, 0, l.inputs), key);
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
        acc[p][c][s] = static_cast<float>((p == 0 ? 1.0 : -1.0) *
                                          std::ldexp(1.0, sh.bits_per_cycle * static_cast<int>(c)) *
                                          std::ldexp(1.0, m.bits_per_cell * static_cast<int>(s)) *
                                          drift_compensation_ / unit_uA);
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
  // IR-drop physics of the full tile is already in the effective conductances).
  if (layout_.row_tiles == 1) sh.tile_rows = layout_.inputs;
  const PhiloxKey dac_key = draw_philox_key(gen), adc_key = draw_philox_key(gen);
  at::Tensor V2, V, current, var;
  {
    const StageTimer timer("read.drive");
    V = drive_word_lines(x, sh, cfg.dac, cfg.device_nonlinearity, dac_inl_, dac_key, read_var_.defined() ? &V2 : nullptr);
  }
  {
    const StageTimer timer("read.products");
    current = at::bmm(V, read_signal_);  // [row_tiles, M, S * outputs], uA
    if (read_var_.defined()) var = at::bmm(V2, read_var_rows_);
  }
  const StageTimer timer("read.adc");
  const double sat = cfg.device_nonlinearity.enabled ? cfg.device_nonlinearity.saturation_uA : 0.0;
  at::Tensor full_scale = fixed_full_scale_;
  if (!full_scale.defined()) {
    // headroom x max |saturated current| per slice; saturation is monotone, so saturate the max.
    auto max_abs = max_abs_per_slice(current, sh);
    if (sat > 0) max_abs = at::tanh(max_abs / sat) * sat;
    full_scale = (max_abs * cfg.adc.headroom).clamp_min(1e-12);
  }
  return convert_and_combine(current, var, full_scale, sh, cfg.adc, adc_static_, sat, combine_weights(sh), adc_key);
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
  const auto x = x_int.to(at::kFloat);
  const ReadShape sh = read_shape(x);
  const auto V = word_line_voltages(x, sh, draw_philox_key(gen));
  const auto current = apply_current_saturation(at::bmm(V, signal_), config_.device_nonlinearity)
                           .view({layout_.row_tiles, sh.rows(), layout_.slices, layout_.outputs});
  fixed_full_scale_ = adc_full_scale(current, config_.adc);
}

}  // namespace cimtrain::sim
