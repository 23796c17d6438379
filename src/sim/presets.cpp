// Chip presets. Each number names its source; "assumed" marks engineering choices with no single source.
#include "sim/presets.h"

#include "sim/chip_config.h"

namespace cimtrain::sim {

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"rram", "rram-harsh", "pcm"};
  return names;
}

namespace {

// An analog RRAM compute-in-memory chip after NeuRRAM: W. Wan et al., "A compute-in-memory chip based on
// resistive random-access memory", Nature 608, 504-512 (2022) -- 48 cores of 256 x 256 1T1R cells, weights
// as differential pairs of analog conductances set by write-verify. Sources (docs/rram-sources.md, keys in
// brackets): [NR] the authors' chip code (github weierwan/Neurram_48core), [AIHW] aihwkit's fit of the
// paper's Extended Data Fig. 3 (inference/noise/reram.py ReRamWan2022NoiseModel), [Li18] Li et al., Nat.
// Electron. 1, 52 (2018), [NS] NeuroSim's wire model. "assumed": no published number was found.
ChipConfig rram() {
  ChipConfig c;
  c.preset = "rram";
  c.mapping.tile_rows = 256;     // NeuRRAM core: 256 x 256 1T1R cells [Wan 2022; NR README]
  c.mapping.tile_cols = 256;
  c.mapping.bits_per_cell = 7;   // "two RRAM cells per weight", programmed to continuous analog conductance
                                 //   without quantisation [Wan 2022 Fig. 4]: one pair per int8 weight
  c.mapping.g_max_uS = 40.0;     // g_max = 4e-5 S in the chip notebooks [NR]; aihwkit's reference 40 uS [AIHW]
  c.mapping.g_min_uS = 1.0;      // g_min = 1e-6 S: cells below it are RESET until G < 1 uS [NR wupdate_control.py]
  c.dac.bits = 8;                // deviation: NeuRRAM drives 3-4-bit inputs [NR INPUT_NUM_BITS] to networks
                                 //   trained for them; 8 bits keep cimtrain's int8 activations (docs/simulator.md)
  c.dac.v_read_V = 0.2;          // cell read at vread - vref = 1.1 - 0.9 V [NR adc_control.py notebooks]
  c.dac.noise_sigma = 0.002;     // assumed: 0.5 LSB of an 8-bit DAC
  c.dac.inl_lsb = 0.25;          // assumed: within the +-0.5 LSB INL of a good 8-bit DAC
  c.adc.bits = 8;                // the neuron's charge-decrement ADC, max_steps = 128: 7 bits + sign [NR matmul.py]
  c.adc.noise_sigma_lsb = 0.5;   // assumed
  c.adc.offset_sigma_lsb = 0.2;  // assumed: offsets are measured and cancelled [Wan 2022 Fig. 4]; the residual's
                                 //   size is not published
  c.adc.inl_lsb = 0.25;          // assumed
  c.device_nonlinearity.enabled = false;  // "linear device current-voltage characteristics" [Li18]
  c.programming_noise.model = ProgrammingNoiseModel::kWan2022;  // additive, state-dependent std fitted to the
  c.programming_noise.sigma = 1.0;                              //   1-s write-verify spread [AIHW]; scale 1
  c.programming_noise.p_stuck_off = 0.001;  // device yield 99.8% [Li18]: 0.2% bad cells,
  c.programming_noise.p_stuck_on = 0.001;   //   split evenly (the split is assumed)
  c.read_noise.model = ReadNoiseModel::kRelative;  // short-term read noise "about 1%" [AIHW docstring]
  c.read_noise.sigma = 0.01;
  c.thermal.sigma_K = 5.0;               // assumed (no temperature data for NeuRRAM)
  c.thermal.tcr_per_K = 0.002;           // assumed
  c.thermal.t_ref_K = 300.0;             // assumed: programmed at room temperature
  c.thermal.activation_energy_eV = 1.0;  // assumed
  c.drift.model = DriftModel::kPowerLaw;  // RRAM shows no drift of the mean, only a widening spread [AIHW]:
  c.drift.nu_mean = 0.0;                  //   no mean shift;
  c.drift.nu_std = 0.011;                 //   the rms of aihwkit's 1 s -> 1 day widening over the window as a
                                          //   log-time law (derived, docs/rram-sources.md 3.8)
  c.drift.t0_s = 1.0;                     // the 1-s fit is the programmed distribution [AIHW]
  c.drift.compensation = true;            // cimtrain's design default (corrects nothing with nu_mean = 0)
  c.ir_drop.mode = IrDropMode::kFast;
  c.ir_drop.r_wire_ohm = 0.5;  // NeuroSim's 130-nm wire model: 0.29 (row) and 0.86 Ohm (column) per 1T1R cell
                               //   pitch [NS Param.cpp]; one value for both directions (derived)
  return c;
}

// The harsher reference configuration of docs/design.md §3.2 (the default `rram` until issue 17), kept for
// comparison with results recorded on it: 50 uS cells, log-normal programming noise 0.1 L, read noise 0.02 L,
// drift nu ~ N(0.02, 0.005 L) from 20 s, sinh I-V non-linearity, 0.2 Ohm wires; most numbers assumed.
ChipConfig rram_harsh() {
  ChipConfig c;
  c.preset = "rram-harsh";
  c.mapping.tile_rows = 256;          // docs/design.md §3.2
  c.mapping.tile_cols = 256;          // docs/design.md §3.1 default tile 256 x 256
  c.mapping.bits_per_cell = 7;        // docs/design.md §3.2 prototype: one differential pair per int8 weight
  c.mapping.g_max_uS = 50.0;          // assumed: HfOx RRAM read in its 20 kOhm .. 2 MOhm window
  c.mapping.g_min_uS = 0.5;           // docs/design.md §3.2: g_min = 0.01 g_max
  c.dac.bits = 8;                     // docs/design.md §3.2
  c.dac.v_read_V = 0.2;               // assumed: a read voltage well below RRAM set/reset (~1 V)
  c.dac.noise_sigma = 0.002;          // assumed: 0.5 LSB of an 8-bit DAC
  c.dac.inl_lsb = 0.25;               // assumed: within the +-0.5 LSB INL of a good 8-bit DAC
  c.adc.bits = 8;                     // docs/design.md §3.2
  c.adc.noise_sigma_lsb = 0.5;        // docs/design.md §3.2
  c.adc.offset_sigma_lsb = 0.2;       // assumed: residual offset after foreground calibration
  c.adc.inl_lsb = 0.25;               // assumed: within the +-0.5 LSB INL of a good 8-bit ADC
  c.device_nonlinearity.alpha = 0.1;  // assumed: 3.5% current deficit at half read voltage
  c.device_nonlinearity.k = 2.0;      //   (sinh law, see device_nonlinearity.h)
  c.programming_noise.model =
      ProgrammingNoiseModel::kLognormal;    // docs/design.md §3.2 / the paper's "log-normal noise level"
  c.programming_noise.sigma = 0.1;          // docs/design.md §3.2
  c.programming_noise.p_stuck_off = 0.001;  // assumed: 0.1% / 0.05% stuck cells after write-verify
  c.programming_noise.p_stuck_on = 0.0005;
  c.read_noise.model = ReadNoiseModel::kRelative;  // docs/design.md §3.2
  c.read_noise.sigma = 0.02;                       // docs/design.md §3.2
  c.thermal.sigma_K = 5.0;                         // docs/design.md §3.2
  c.thermal.tcr_per_K = 0.002;                     // docs/design.md §3.2
  c.thermal.t_ref_K = 300.0;                       // assumed: programmed at room temperature
  c.thermal.activation_energy_eV = 1.0;            // assumed: order of reported RRAM retention activation energies
  c.drift.model = DriftModel::kPowerLaw;           // docs/design.md §3.2
  c.drift.nu_mean = 0.02;                          // docs/design.md §3.2
  c.drift.nu_std = 0.005;                          // docs/design.md §3.2
  c.drift.t0_s = 20.0;                             // assumed: the t0 of the PCM model (aihwkit pcm.py)
  c.drift.compensation = true;                     // docs/design.md §3.2
  c.ir_drop.mode = IrDropMode::kFast;              // docs/design.md §3.2
  c.ir_drop.r_wire_ohm = 0.2;                      // assumed: a wide low-metal line, ~0.2 Ohm per cell pitch
  return c;
}

// The PCM model of Joshi et al., Nat. Commun. 11, 2473 (2020), as IBM aihwkit implements it
// (InferenceRPUConfig with PCMLikeNoiseModel and GlobalDriftCompensation; aihwkit file:line as read at commit
// 4545f11, docs/simulator.md "The pcm preset"): its programming noise, drift, 1/f read noise and compensation,
// with aihwkit's default I/O, and nothing else. Every other effect is off; a user turns it on.
ChipConfig pcm() {
  ChipConfig c;
  c.preset = "pcm";
  c.mapping.tile_rows = 512;       // aihwkit MappingParameter max_input_size = 512
  c.mapping.tile_cols = 1024;      // max_output_size = 512 outputs, two columns (G+, G-) each
  c.mapping.weight_bits = 16;      // aihwkit weights are continuous: 16 bits (one slice of 15 magnitude bits)
  c.mapping.bits_per_cell = 15;    //   make the weight quantisation negligible (25 uS / 32767 per step)
  c.mapping.input_bits = 7;        // IOParameters inp_res = 1/126: steps of 1/63, 63 levels per sign (+-63)
  c.mapping.g_max_uS = 25.0;       // pcm.py / SinglePairConductanceConverter g_max = 25 uS
  c.mapping.g_min_uS = 0.0;        //   g_min = 0
  c.dac.bits = 6;                  // 63 magnitude levels (cimtrain counts DAC bits without the sign)
  c.dac.noise_sigma = 0.0;         // inp_noise = 0
  c.dac.inl_lsb = 0.0;             // no DAC non-linearity in aihwkit
  c.adc.bits = 9;                  // out_res = 1/510 over +-out_bound: +-255 codes (ADC bits with the sign)
  c.adc.range = AdcRange::kFixed;  // out_bound = 12: a fixed full scale of 12 fully driven g_max cells
  c.adc.full_scale_units = 12.0;
  c.adc.noise_sigma_lsb = 1.275;   // out_noise = 0.06 of a unit = 0.06 / (24 / 510) LSB
  c.adc.offset_sigma_lsb = 0.0;    // no converter offset in aihwkit
  c.adc.inl_lsb = 0.0;             // no converter INL
  c.device_nonlinearity.enabled = false;  // out_nonlinearity = 0: ohmic cells
  c.programming_noise.model = ProgrammingNoiseModel::kPcm;  // pcm.py: additive, polynomial std in G / g_max
  c.programming_noise.sigma = 1.0;                          // prog_noise_scale = 1
  c.programming_noise.p_stuck_off = 0.0;                    // no stuck cells in the model
  c.programming_noise.p_stuck_on = 0.0;
  c.read_noise.model = ReadNoiseModel::kPcm;  // pcm.py: 1/f read noise Q_s(G) sqrt(ln((t + t_read) / 2 t_read))
  c.read_noise.sigma = 1.0;                   // read_noise_scale = 1
  c.read_noise.t_read_s = 250e-9;             // t_read = 250 ns
  c.read_noise.sampling = ReadNoiseSampling::kPerConditions;  // drawn once per drift time (drift_weights)
  c.thermal.enabled = false;                  // no temperature model in aihwkit
  c.drift.model = DriftModel::kPcm;           // pcm.py: nu(G_target), folded, ((t + t0) / t0)^-nu
  c.drift.t0_s = 20.0;                        // t_0 = 20 s
  c.drift.compensation = true;                // InferenceRPUConfig drift_compensation = GlobalDriftCompensation
  c.drift.compensation_read = CompensationRead::kOneHot;  // its readout: mean |output| of one-hot reads
  c.ir_drop.mode = IrDropMode::kOff;          // IOParameters ir_drop = 0
  return c;
}

}  // namespace

ChipConfig preset_config(const std::string& name) {
  if (name == "rram") return rram();
  if (name == "rram-harsh") return rram_harsh();
  if (name == "pcm") return pcm();
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw common::ConfigError("unknown preset '" + name + "' (known: " + known + ")");
}

}  // namespace cimtrain::sim
