// A chip instance at its read conditions (see chip.h): drift, the tiles' temperatures, read noise (per read, or
// frozen per conditions), the IR-dropped read operands, the global drift compensation and the ADC's range.
#include <cmath>
#include <optional>

#include "common/stage_timer.h"
#include "sim/chip.h"
#include "sim/drift.h"
#include "sim/ir_drop.h"
#include "sim/read_noise.h"
#include "sim/read_operands.h"
#include "sim/thermal.h"

namespace cimtrain::sim {

namespace {

// The combined signed conductance per output [S-combined rows, outputs]: sum_s 2^(bpc s) (G+ - G-).
at::Tensor combined_difference(const at::Tensor& g, const MappingConfig& m) {
  const auto diff = g.select(1, 0) - g.select(1, 1);  // [S, rows, outputs]
  auto d = at::zeros({diff.size(1), diff.size(2)}, diff.options());
  for (int64_t s = 0; s < diff.size(0); ++s) d += diff[s] * std::ldexp(1.0, m.bits_per_cell * static_cast<int>(s));
  return d;
}

// The global drift compensation's measure of an array: all_ones, the summed |output| of an all-ones input;
// one_hot (aihwkit), the mean |output| over one-hot reads of every input, i.e. the mean |combined cell|.
double reference_read(const at::Tensor& g, const MappingConfig& m, CompensationRead how) {
  const auto d = combined_difference(g, m);
  return how == CompensationRead::kOneHot ? d.abs().mean().item<double>() : d.sum(0).abs().sum().item<double>();
}

}  // namespace

at::Tensor ChipInstance::hardware_full_scale() const {
  const auto& c = config_;
  if (c.adc.range != AdcRange::kFixed) return at::Tensor();
  const double unit_uA = (c.mapping.g_max_uS - c.mapping.g_min_uS) * c.dac.v_read_V;  // uS x V = uA
  return at::full({layout_.slices}, c.adc.full_scale_units * unit_uA, at::kFloat);
}

void ChipInstance::clear_adc_calibration() { fixed_full_scale_ = hardware_full_scale(); }

at::Tensor ChipInstance::apply_read_noise(at::Tensor& g_now, const ReadConditions& conditions) {
  const auto& cfg = config_;
  // pcm: the 1/f integral runs from t0 before the end of programming (aihwkit's time origin).
  const double t = cfg.read_noise.model == ReadNoiseModel::kPcm ? conditions.time_s + cfg.drift.t0_s : conditions.time_s;
  auto sd = read_noise_std(g_now, g_prog_, cfg.read_noise, cfg.mapping, cfg.level, t);
  if (!sd.defined() || cfg.read_noise.sampling == ReadNoiseSampling::kPerRead) return sd;
  // Frozen for every read at these conditions, redrawn at the next change (aihwkit: once per drift time).
  const auto xi = normal_tensor(g_now.sizes(), PhiloxKey{noise_key_.seed, noise_key_.offset + noise_draws_++});
  g_now = (g_now + sd * xi).clamp_min(0);
  return at::Tensor();
}

void ChipInstance::set_conditions(const ReadConditions& conditions) {
  conditions.validate();
  conditions_ = conditions;
  const auto& cfg = config_;
  const auto& l = layout_;
  std::optional<common::StageTimer> timer(std::in_place, "program.drift+thermal");
  const auto tile_T = tile_dT_ + conditions.temperature_K;
  const auto tile_gain = thermal_conductance_factor(tile_T, cfg.thermal);
  const auto tile_t_eff = arrhenius_time_factor(tile_T, cfg.thermal) * conditions.time_s;
  at::Tensor g_now;
  if (cfg.drift.enabled && cfg.drift.relaxation_tau_s > 0) {
    g_now = drifted_conductances(g_prog_, nu_, tile_values_to_cells(tile_t_eff, l), cfg.drift, cfg.mapping) *
            tile_values_to_cells(tile_gain, l);
  } else {  // one pass with the per-tile time and gain
    g_now = drifted_conductances_per_tile(g_prog_, nu_, tile_t_eff, tile_gain, cfg.drift, l);
  }

  // Read noise, IR drop -> what the products multiply (one pass per tile unless the IR drop is exact).
  timer.emplace("program.operands");
  const auto sd = apply_read_noise(g_now, conditions);
  g_now_ = g_now;
  const bool exact = cfg.ir_drop.enabled() && cfg.ir_drop.mode == IrDropMode::kExact;
  auto ops = exact ? read_operands_reference(g_now, sd, l, cfg.ir_drop) : read_operands_fast(g_now, sd, l, cfg.ir_drop);
  signal_ = std::move(ops.signal);
  read_var_ = std::move(ops.variance);

  // Column DAC noise: word-line voltage noise e_i (std v_read * noise_sigma) adds sum_i f'(0) e_i G_i to a
  // column's current to first order, a Gaussian of variance (v_read noise_sigma f'(0))^2 sum_i G_i^2.
  dac_col_var_ = at::Tensor();
  if (cfg.dac.column_noise()) {
    const auto& nl = cfg.device_nonlinearity;
    const double slope = nl.enabled && nl.alpha != 0 ? (1 - nl.alpha) + nl.alpha * nl.k / std::sinh(nl.k) : 1.0;
    const double sd_V = cfg.dac.v_read_V * cfg.dac.noise_sigma * slope;
    dac_col_var_ = (signal_.square().sum(1) * (sd_V * sd_V)).contiguous();
  }

  timer.emplace("program.compensation");
  drift_compensation_ = 1.0;
  if (cfg.drift.enabled && cfg.drift.compensation) {
    // A reference read right after programming and one now; noise-free (the chip averages reference reads).
    const double before = reference_read(g_prog_, cfg.mapping, cfg.drift.compensation_read);
    const double now = reference_read(g_now, cfg.mapping, cfg.drift.compensation_read);
    if (before > 0 && now > 0) drift_compensation_ = before / now;
  }
}

}  // namespace cimtrain::sim
