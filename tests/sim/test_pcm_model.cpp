// The pcm preset against the model it names (Joshi et al. 2020 as aihwkit implements it, docs/simulator.md):
// at several G / g_max, the programmed conductances' mean and std (clipped at 0 only), the drift exponents'
// folded-normal mean and std from the target conductance, the 1-hour drift factor ((t + t0) / t0)^-nu, the
// 1/f read noise frozen per read time with aihwkit's time origin, and aihwkit's I/O (6-bit DAC magnitudes,
// a fixed ADC full scale of 12 fully driven cells).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "noise_statistics_support.h"
#include "sim/chip.h"
#include "sim/presets.h"

using namespace cimtrain;
using namespace cimtrain::testing_support;

namespace {

constexpr int64_t kRows = 512, kCols = 512;  // one aihwkit tile
constexpr double kGmax = 25.0, kHour = 3600.0, kT0 = 20.0, kTread = 250e-9;

double poly_std(double r) { return 0.26348 + 1.9650 * r - 1.1731 * r * r; }  // uS at g_max = 25 uS
double nu_mu(double r) { return std::clamp(-0.0155 * std::log(std::max(r, 1e-7)) + 0.0244, 0.049, 0.1); }
double nu_sd(double r) { return std::clamp(-0.0125 * std::log(std::max(r, 1e-7)) - 0.0059, 0.008, 0.045); }
// Q_s of each cell from its programmed conductance (uS).
at::Tensor q_s(const at::Tensor& g_prog) {
  return ((g_prog / kGmax).clamp_min(0).pow(0.65).clamp_min(1e-3).reciprocal() * 0.0088).clamp_max(0.2);
}
double one_over_f(double t) { return std::sqrt(std::log((t + kT0 + kTread) / (2 * kTread))); }

// Mean and variance of |X|, X ~ N(mu, sd^2) (the folded normal).
std::pair<double, double> folded(double mu, double sd) {
  const double mean = sd * std::sqrt(2 / M_PI) * std::exp(-mu * mu / (2 * sd * sd)) + mu * std::erf(mu / (sd * std::sqrt(2)));
  return {mean, mu * mu + sd * sd - mean * mean};
}

// An instance of the pcm chip holding weight round(r * 32767) everywhere (G+ at r g_max, G- at 0).
sim::ChipInstance program_level(double r, const sim::ChipConfig& c, uint64_t seed, double time_s = kHour) {
  const double w = std::round(r * c.mapping.weight_max());
  auto gen = make_gen(seed);
  return sim::Chip(c).program(at::full({kCols, kRows}, w), gen, {time_s, 300.0});
}

at::Tensor device(const at::Tensor& cells, int sign) { return cells.select(0, 0).select(0, sign).narrow(0, 0, kRows); }

}  // namespace

class PcmAtConductance : public ::testing::TestWithParam<double> {};

TEST_P(PcmAtConductance, ProgrammingNoiseIsThePolynomialClippedAtZeroOnly) {
  const double r = GetParam();
  const auto c = sim::preset_config("pcm");
  const auto inst = program_level(r, c, 11);
  const double target = std::round(r * 32767) / 32767 * kGmax;
  expect_gaussian(device(inst.programmed_conductances(), 0), target, poly_std(target / kGmax), "G+ at r " +
                  std::to_string(r));
}

TEST_P(PcmAtConductance, DriftExponentIsFoldedAndFollowsTheTarget) {
  const double r = GetParam();
  const auto inst = program_level(r, sim::preset_config("pcm"), 12);
  for (int sign : {0, 1}) {  // G+ targets r g_max, G- targets 0 (whatever its programmed value)
    const double rt = sign == 0 ? r : 0.0;
    const auto nu = device(inst.drift_exponents(), sign);
    EXPECT_GE(nu.min().item<double>(), 0.0);
    const auto [mean, var] = folded(nu_mu(rt), nu_sd(rt));
    const Moments m = moments(nu);
    EXPECT_LE(std::abs(m.mean - mean), kZ * std::sqrt(var / m.n)) << "r " << rt << ": mean " << m.mean << " vs " << mean;
    EXPECT_LE(std::abs(m.var - var), kZ * std::sqrt((m.m4 - var * var) / m.n)) << "r " << rt << ": var " << m.var;
  }
}

TEST_P(PcmAtConductance, OneHourDriftAndFrozenOneOverFNoiseFollowTheModel) {
  const double r = GetParam();
  auto c = sim::preset_config("pcm");
  auto no_read_noise = c;
  no_read_noise.read_noise.enabled = false;
  const auto plain = program_level(r, no_read_noise, 13);
  const auto g_prog = device(plain.programmed_conductances(), 0).to(at::kDouble);
  const auto nu = device(plain.drift_exponents(), 0).to(at::kDouble);
  const auto g_drift = g_prog * at::pow((kHour + kT0) / kT0, -nu);  // time from t0 before the end of programming
  EXPECT_TRUE(at::allclose(device(plain.present_conductances(), 0).to(at::kDouble), g_drift, 1e-5, 1e-6));
  // The 1/f noise at the same seed: the same programming and exponents, then one frozen draw per cell.
  const auto noisy = program_level(r, c, 13);
  const auto z = (device(noisy.present_conductances(), 0).to(at::kDouble) - g_drift) /
                 (g_drift * q_s(g_prog) * one_over_f(kHour));
  expect_gaussian(z, 0.0, 1.0, "1/f noise at r " + std::to_string(r));
}

INSTANTIATE_TEST_SUITE_P(Levels, PcmAtConductance, ::testing::Values(0.25, 0.5, 0.75, 1.0));

TEST(PcmModel, OneOverFNoiseIsPresentAtTimeZeroAndRedrawnPerConditions) {
  auto c = sim::preset_config("pcm");
  auto inst = program_level(0.5, c, 14, 0.0);
  const auto g_prog = device(inst.programmed_conductances(), 0).to(at::kDouble);
  const auto at0 = device(inst.present_conductances(), 0).to(at::kDouble).clone();
  // No drift at t = 0, but 1/f noise of sqrt(ln((t0 + t_read) / 2 t_read)) = 4.18 times Q_s.
  expect_gaussian(((at0 - g_prog) / (g_prog * q_s(g_prog) * one_over_f(0.0))), 0.0, 1.0, "1/f noise at t = 0");
  inst.set_conditions({0.0, 300.0});  // the same conditions again: a new draw (aihwkit's drift_weights)
  EXPECT_FALSE(at::equal(device(inst.present_conductances(), 0).to(at::kDouble), at0));
  // Reads at one time share the frozen state: with exact converters two reads agree.
  auto exact = c;
  exact.adc.enabled = false;
  exact.dac.enabled = false;
  auto gen = make_gen(3);
  const auto w = random_ints({32, 64}, 32767, 4);
  const auto chip = sim::Chip(exact).program(w, gen);
  const auto x = random_ints({8, 64}, 63, 5);
  EXPECT_TRUE(at::equal(chip.infer(x, gen), chip.infer(x, gen)));
  exact.read_noise.sampling = sim::ReadNoiseSampling::kPerRead;
  const auto per_read = sim::Chip(exact).program(w, gen);
  EXPECT_FALSE(at::equal(per_read.infer(x, gen), per_read.infer(x, gen)));
}

TEST(PcmModel, AihwkitIoSixtyThreeInputLevelsAndAFixedAdcFullScale) {
  const auto c = sim::preset_config("pcm");
  EXPECT_EQ(c.mapping.input_max(), 63);  // inp_res 1/126: 63 levels per sign
  EXPECT_EQ(c.adc.code_max(), 255);      // out_res 1/510 over +-12
  auto only_adc = sim::ideal_config(c);
  only_adc.adc = c.adc;
  only_adc.adc.noise_sigma_lsb = 0;
  auto gen = make_gen(6);
  // 64 fully driven max-weight cells per column give 64 units of current: the ADC clips at 12.
  const int64_t q = c.mapping.weight_max();
  auto chip = sim::Chip(only_adc).program(at::full({4, 64}, static_cast<double>(q)), gen);
  const auto x = at::full({2, 64}, 63.0);
  const auto y = chip.infer(x, gen);
  EXPECT_NEAR(y.max().item<double>(), 12.0 * 63 * q, 1e-3 * 12 * 63 * q);
  chip.calibrate_adc(x, gen);  // a fixed full scale is the hardware's: calibration leaves it
  EXPECT_TRUE(at::equal(chip.infer(x, gen), y));
  // Below the bound the step is 24/510 of a unit: a quarter-unit product is read to within half a step.
  auto small = sim::Chip(only_adc).program(at::full({4, 64}, static_cast<double>(q / 4)), gen);
  const auto one = at::zeros({1, 64}).index_fill_(1, at::arange(1), 63.0);
  const double unit = 63.0 * q;
  EXPECT_NEAR(small.infer(one, gen).max().item<double>() / unit, 0.25, 12.0 / 255 / 2 + 1e-6);
}
