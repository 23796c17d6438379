// The chip config's fields with units (see config_fields.h). Units and meanings as documented on the config
// structs in sim/*.h.
#include "sim/config_fields.h"

namespace cimtrain::sim {

const std::vector<ConfigField>& chip_config_fields() {
  static const std::vector<ConfigField> fields = {
      {"format", "", "always \"cimtrain.chip_config\""},
      {"version", "", "config format version"},
      {"preset", "", "the preset this configuration started from (rram, pcm)"},
      {"level", "", "noise level L: multiplies the std of the stochastic device noise"},
      {"mapping.tile_rows", "word lines", "inputs per crossbar tile"},
      {"mapping.tile_cols", "bit lines", "physical columns per tile; one output uses 2 x slices of them"},
      {"mapping.weight_bits", "bits", "signed integer weight resolution, sign included (8: [-127, 127])"},
      {"mapping.input_bits", "bits", "signed integer input resolution, sign included (8: [-127, 127])"},
      {"mapping.bits_per_cell", "bits", "magnitude bits one cell stores; fewer than weight_bits-1 bit-slices"},
      {"mapping.g_max_uS", "uS", "conductance of a cell's highest level"},
      {"mapping.g_min_uS", "uS", "conductance of a cell's lowest level"},
      {"mapping.conv_read", "", "convolution read: direct (voltage maps) or im2col (rows)"},
      {"dac.enabled", "", "false: ideal DAC (exact voltages, no noise, no INL)"},
      {"dac.bits", "bits", "magnitude levels of the DAC: 2^bits - 1 steps over [0, v_read] (sign apart)"},
      {"dac.input_bits_per_cycle", "bits", "0: whole input magnitude in one read; b > 0: bit-serial, b per read"},
      {"dac.noise_sigma", "fraction of full scale", "Gaussian voltage noise per read"},
      {"dac.noise_model", "", "where the DAC noise acts: column (summed per column) or word_line"},
      {"dac.inl_lsb", "LSB", "std over DACs of the bow-shaped integral non-linearity amplitude"},
      {"dac.v_read_V", "V", "full-scale read voltage on a word line"},
      {"adc.enabled", "", "false: ideal read-out (no quantisation, clipping, offset, INL or noise)"},
      {"adc.bits", "bits", "signed resolution, sign included: codes in [-(2^(bits-1)-1), 2^(bits-1)-1]"},
      {"adc.noise_sigma_lsb", "LSB", "Gaussian input-referred noise per conversion"},
      {"adc.offset_sigma_lsb", "LSB", "std over converters of the fixed offset"},
      {"adc.inl_lsb", "LSB", "std over converters of the S-shaped INL amplitude"},
      {"adc.headroom", "", "full scale = headroom x the largest |column current| of the batch or calibration"},
      {"device_nonlinearity.enabled", "", "false: ohmic cells, no saturation"},
      {"device_nonlinearity.alpha", "", "fraction of the current that follows the sinh law (0: ohmic)"},
      {"device_nonlinearity.k", "", "steepness of the sinh law at full-scale voltage"},
      {"device_nonlinearity.saturation_uA", "uA", "column current saturation I_sat tanh(I / I_sat); 0: none"},
      {"programming_noise.enabled", "", "false: cells programmed exactly"},
      {"programming_noise.model", "", "lognormal or pcm (Joshi et al. 2020 polynomial)"},
      {"programming_noise.sigma", "", "lognormal: std of ln G at level 1; pcm: multiplier of s(r) (1: published)"},
      {"programming_noise.p_stuck_off", "probability", "a cell is stuck at g_min (not scaled by the level)"},
      {"programming_noise.p_stuck_on", "probability", "a cell is stuck at g_max (not scaled by the level)"},
      {"read_noise.enabled", "", "false: no read noise"},
      {"read_noise.model", "", "relative (fraction of G per read) or pcm (1/f noise, Joshi et al. 2020)"},
      {"read_noise.sigma", "", "relative: std of G per read as a fraction of G at level 1; pcm: multiplier"},
      {"read_noise.t_read_s", "s", "pcm: duration of one read"},
      {"thermal.enabled", "", "false: conductance and drift independent of temperature"},
      {"thermal.sigma_K", "K", "std of a tile's temperature around the ambient at level 1"},
      {"thermal.tcr_per_K", "1/K", "temperature coefficient of conductance: G (1 + tcr (T - t_ref))"},
      {"thermal.t_ref_K", "K", "temperature the cells were programmed at"},
      {"thermal.activation_energy_eV", "eV", "Arrhenius energy of retention loss; 0: no acceleration"},
      {"drift.enabled", "", "false: no conductance drift"},
      {"drift.model", "", "power_law (G (t / t0)^-nu) or pcm (nu(G) of Joshi et al. 2020)"},
      {"drift.nu_mean", "", "power_law: mean drift exponent"},
      {"drift.nu_std", "", "power_law: std of the drift exponent at level 1"},
      {"drift.t0_s", "s", "time after programming at which drift starts to count"},
      {"drift.relaxation_tau_s", "s", "relaxation time constant at t_ref; 0: no relaxation"},
      {"drift.relaxation_beta", "", "stretch exponent of the relaxation, in (0, 1]"},
      {"drift.relaxation_rest_fraction", "fraction of the conductance window", "rest state of the relaxation"},
      {"drift.compensation", "", "global drift compensation: a reference read rescales the outputs"},
      {"ir_drop.mode", "", "off, fast (first-order factors) or exact (nodal solver)"},
      {"ir_drop.r_wire_ohm", "ohm", "resistance of one cell-to-cell wire segment"},
      {"ir_drop.solver_tolerance", "", "exact solver: stop when the max relative change of node voltages < this"},
      {"ir_drop.solver_max_iterations", "sweeps", "exact solver: give up after this many line-relaxation sweeps"},
  };
  return fields;
}

}  // namespace cimtrain::sim
