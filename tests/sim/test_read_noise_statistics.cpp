// Read noise (sim/read_noise): the per-cell std formulas of the relative and pcm models, and the variance of
// the chip's outputs as the sum of the cell variances.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "noise_statistics_support.h"
#include "sim/chip.h"
#include "sim/chip_config.h"
#include "sim/presets.h"
#include "sim/read_noise.h"

using namespace cimtrain::sim;
using namespace cimtrain::testing_support;

namespace {

// Through the whole chip (ideal otherwise, ADC off so the result is the analog value), the same input read n
// times. Output k in integer units is Gaussian with
//   mean  = x . w_k (the noiseless product),
//   var_k = sum_j (sigma L V_j)^2 (G+_jk^2 + G-_jk^2) / unit^2,
// V_j = |x_j| / input_max * v_read (each phase drives only its sign's inputs, so the two phases' variances add
// to this), G+- = g_min + level+- g_step, unit = g_step v_read / input_max (uA per integer unit, chip.cpp).
// Bounds: mean kZ sqrt(var_k / n); (n - 1) s_k^2 / var_k ~ chi2(n - 1), |s_k^2 / var_k - 1| <= kZ sqrt(2 / (n - 1));
// the pooled statistic over all outputs, chi2(K (n - 1)), to kZ sqrt(2 / (K (n - 1))); standardised residuals
// Gaussian in shape.
TEST(NoiseStatsRead, ChipOutputVarianceMatchesTheSumOfCellVariances) {
  struct Case {
    double level;
    bool reference;
  };
  for (const Case cs : {Case{1.0, false}, Case{2.5, false}, Case{1.0, true}}) {
    ChipConfig c = ideal_config(preset_config("rram"));
    c.read_noise.enabled = true;
    c.read_noise.model = ReadNoiseModel::kRelative;
    c.read_noise.sigma = 0.02;
    c.level = cs.level;
    const int64_t inputs = 300, outputs = 12;  // two row tiles of 256
    const auto w = random_ints({outputs, inputs}, 127, 11);
    const auto x = random_ints({1, inputs}, 127, 12);
    auto gen = make_gen(13);
    const auto inst = Chip(c).program(w, gen);
    const int64_t batch = 4000, calls = 10, n = batch * calls;
    const auto xb = x.expand({batch, inputs}).contiguous();
    std::vector<at::Tensor> ys;
    for (int64_t i = 0; i < calls; ++i)
      ys.push_back((cs.reference ? inst.infer_reference(xb, gen) : inst.infer(xb, gen)).to(at::kDouble));
    ASSERT_FALSE(at::equal(ys[0], ys[1])) << "two reads of the same input must see fresh noise";
    const auto y = at::cat(ys);  // [n, outputs]

    const auto& m = c.mapping;
    const auto wd = w.to(at::kDouble), xd = x.to(at::kDouble);
    const auto gpos = wd.clamp_min(0) * m.g_step_uS() + m.g_min_uS;  // [outputs, inputs]
    const auto gneg = (-wd).clamp_min(0) * m.g_step_uS() + m.g_min_uS;
    const auto v = xd.abs() / m.input_max() * c.dac.v_read_V;  // [1, inputs]
    const double s = c.read_noise.sigma * cs.level;
    const double unit = m.g_step_uS() * c.dac.v_read_V / m.input_max();
    const auto var = ((gpos.square() + gneg.square()) * v.square()).sum(1) * (s * s / (unit * unit));  // [outputs]
    const auto ideal = at::matmul(xd, wd.t()).squeeze(0);

    const std::string what =
        std::string(cs.reference ? "infer_reference" : "infer") + " at L = " + std::to_string(cs.level);
    const auto mean = y.mean(0), svar = y.var(0);
    double pooled = 0;
    for (int64_t k = 0; k < outputs; ++k) {
      const double vk = dbl(var[k]);
      EXPECT_LE(std::abs(dbl(mean[k]) - dbl(ideal[k])), kZ * std::sqrt(vk / n)) << what << ", output " << k;
      const double ratio = dbl(svar[k]) / vk;
      EXPECT_LE(std::abs(ratio - 1.0), kZ * std::sqrt(2.0 / (n - 1)))
          << what << ", output " << k << ": var ratio " << ratio;
      pooled += ratio;
    }
    pooled /= outputs;
    EXPECT_LE(std::abs(pooled - 1.0), kZ * std::sqrt(2.0 / (outputs * (n - 1.0))))
        << what << ": pooled var ratio " << pooled;
    expect_gaussian((y - ideal) / var.sqrt(), 0.0, 1.0, what + ": standardised output noise");
  }
}

// pcm read noise, per cell: s = sigma L G_now Q_s sqrt(ln((t + t_read) / (2 t_read))),
// Q_s = min(0.0088 / max(r^0.65, 1e-3), 0.2), r = G_prog / g_max; relative: s = sigma L G_now.
TEST(NoiseStatsRead, ReadNoiseStdMatchesTheModelFormulas) {
  MappingConfig m = rram_mapping();
  m.g_max_uS = 25.0;
  m.g_min_uS = 0.0;
  const std::vector<double> gp = {0.0, 0.01, 0.1, 1.0, 5.0, 12.5, 25.0};  // r from 0 (Q_s capped) to 1
  std::vector<double> gn;
  for (double g : gp) gn.push_back(0.9 * g + 0.01);
  const auto g_prog = floats(gp), g_now = floats(gn);
  ReadNoiseConfig pcm;
  pcm.model = ReadNoiseModel::kPcm;
  pcm.sigma = 1.0;
  pcm.t_read_s = 250e-9;
  for (double level : {1.0, 2.0})
    for (double t : {1.0, 3600.0, 1e7}) {
      const auto sd = read_noise_std(g_now, g_prog, pcm, m, level, t);
      ASSERT_TRUE(sd.defined());
      for (size_t i = 0; i < gp.size(); ++i) {
        const double r = gp[i] / m.g_max_uS;
        const double q = std::min(0.0088 / std::max(std::pow(r, 0.65), 1e-3), 0.2);
        const double expected =
            pcm.sigma * level * gn[i] * q * std::sqrt(std::log((t + pcm.t_read_s) / (2 * pcm.t_read_s)));
        EXPECT_NEAR(dbl(sd[i]), expected, 1e-5 * expected) << "pcm r = " << r << ", L = " << level << ", t = " << t;
      }
    }
  ReadNoiseConfig rel;
  rel.model = ReadNoiseModel::kRelative;
  rel.sigma = 0.02;
  for (double level : {1.0, 3.0}) {
    const auto sd = read_noise_std(g_now, g_prog, rel, m, level, 3600.0);
    EXPECT_TRUE(at::allclose(sd, g_now * (0.02 * level), 1e-6, 0)) << "relative at L = " << level;
  }
  rel.enabled = false;
  EXPECT_FALSE(read_noise_std(g_now, g_prog, rel, m, 1.0, 3600.0).defined());
}

}  // namespace
