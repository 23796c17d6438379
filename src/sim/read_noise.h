// Read noise: a conductance fluctuation drawn afresh on every read (cycle-to-cycle), or once per read
// conditions (the 1/f noise accumulated up to the read time, frozen for every read at that time, as aihwkit).
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/choice.h"
#include "common/errors.h"
#include "sim/mapping.h"

namespace cimtrain::sim {

enum class ReadNoiseModel { kRelative, kPcm };
CIMTRAIN_CHOICE(ReadNoiseModel, "read_noise.model", {ReadNoiseModel::kRelative, "relative"},
                {ReadNoiseModel::kPcm, "pcm"})

// When the fluctuation is drawn: per_read, independently for every read (a noise of the read itself); or
// per_conditions, once when the instance is set to a read time (ChipInstance::set_conditions) and shared by
// every read at that time: the 1/f noise seen as the conductance's state at time t (aihwkit's view; the pcm
// preset's). A new draw at every change of conditions.
enum class ReadNoiseSampling { kPerRead, kPerConditions };
CIMTRAIN_CHOICE(ReadNoiseSampling, "read_noise.sampling", {ReadNoiseSampling::kPerRead, "per_read"},
                {ReadNoiseSampling::kPerConditions, "per_conditions"})

// A read of cell (j, k) passes I = (G + dG) V, dG ~ N(0, s_jk^2) independently per cell and read. Summed on
// a column, the noise is exactly Gaussian with variance sum_j s_jk^2 V_j^2, which the chip draws in output
// space from one extra product of squares (no random number per cell per read).
struct ReadNoiseConfig {
  bool enabled = true;
  // relative: s = sigma L G;
  // pcm:      s = sigma L G Q_s sqrt(ln((t + t_read) / (2 t_read))), Q_s = min(0.0088 / max(r^0.65, 1e-3), 0.2),
  //           r = G_prog / g_max, t = time since programming + drift.t0_s: 1/f noise of Joshi et al. 2020 as
  //           aihwkit pcm.py implements it (its time origin, t0 before the end of programming).
  ReadNoiseModel model = ReadNoiseModel::kRelative;
  double sigma = 0.02;       // relative: std of G per read as a fraction of G at level 1; pcm: multiplier (1)
  double t_read_s = 250e-9;  // pcm: duration of one read, seconds
  ReadNoiseSampling sampling = ReadNoiseSampling::kPerRead;

  void validate() const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReadNoiseConfig, enabled, model, sigma, t_read_s, sampling)

// Per-cell read-noise std (uS) for present conductances `g_now_uS` programmed as `g_prog_uS`, at `time_s`
// seconds (pcm: the 1/f integral's time; the chip counts it as aihwkit does, t + drift.t0_s); returns an
// undefined tensor when read noise is off.
at::Tensor read_noise_std(const at::Tensor& g_now_uS, const at::Tensor& g_prog_uS, const ReadNoiseConfig& cfg,
                          const MappingConfig& mapping, double level, double time_s);

}  // namespace cimtrain::sim
