// The direct convolution read (ChipInstance::infer_conv) against its simple version, the read of the
// im2col rows (ChipInstance::infer), and the column DAC-noise model against the word-line model and its formula.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "sim/chip.h"
#include "sim/presets.h"

using namespace cimtrain::sim;

namespace {

at::Tensor random_ints(at::IntArrayRef shape, int lo, int hi, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return at::randint(lo, hi + 1, shape, gen).to(at::kFloat);
}

// im2col rows [N * L, C * kh * kw] of x, in the order infer_conv's crossbar rows and outputs use.
at::Tensor im2col_rows(const at::Tensor& x, const ConvGeometry& g) {
  const auto cols = at::im2col(x, {g.kernel_h, g.kernel_w}, {g.dilation_h, g.dilation_w}, {g.pad_h, g.pad_w},
                               {g.stride_h, g.stride_w});
  return cols.transpose(1, 2).reshape({-1, cols.size(1)}).contiguous();
}

// infer()'s rows [N * L, outputs] -> [N, outputs, Ho, Wo].
at::Tensor rows_to_maps(const at::Tensor& rows, const at::Tensor& like) {
  return rows.view({like.size(0), like.size(2), like.size(3), like.size(1)}).permute({0, 3, 1, 2});
}

// The default preset with every per-read noise off and the DAC INL off (its one difference between the two
// reads); programming noise, drift, temperature, IR drop and the ADC's static errors stay on.
ChipConfig no_read_noise(ChipConfig c) {
  c.read_noise.sigma = 0;
  c.dac.noise_sigma = 0;
  c.dac.inl_lsb = 0;
  c.adc.noise_sigma_lsb = 0;
  return c;
}

struct ConvCase {
  const char* name;
  int64_t channels, outputs, size, kh, kw, stride, pad, dilation;
  int tile_rows, bits_per_cell, input_bits_per_cycle;
  bool signed_inputs;
};

class ConvRead : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvRead, MatchesTheIm2colReadWithoutReadNoise) {
  const auto p = GetParam();
  ChipConfig c = no_read_noise(preset_config("rram"));
  c.mapping.tile_rows = p.tile_rows;
  c.mapping.bits_per_cell = p.bits_per_cell;
  c.dac.input_bits_per_cycle = p.input_bits_per_cycle;
  const ConvGeometry g{p.kh, p.kw, p.stride, p.stride, p.pad, p.pad, p.dilation, p.dilation};
  const auto w = random_ints({p.outputs, p.channels * p.kh * p.kw}, -127, 127, 1);
  const auto x = random_ints({3, p.channels, p.size, p.size}, p.signed_inputs ? -127 : 0, 127, 2);
  auto gen = at::detail::createCPUGenerator(3);
  auto inst = Chip(c).program(w, gen);
  for (bool adc : {false, true}) {
    auto cfg_inst = inst;
    if (!adc) {  // ideal read-out: the two reads differ by float rounding only
      ChipConfig ci = c;
      ci.adc.enabled = false;
      auto g2 = at::detail::createCPUGenerator(3);
      cfg_inst = Chip(ci).program(w, g2);
    }
    const auto direct = cfg_inst.infer_conv(x, g, gen);
    const auto rows = rows_to_maps(cfg_inst.infer(im2col_rows(x, g), gen), direct);
    ASSERT_EQ(direct.sizes(), rows.sizes()) << p.name;
    const double scale = rows.abs().max().item<double>();
    const auto diff = (direct - rows).abs();
    if (!adc) {
      EXPECT_LT(diff.max().item<double>(), 1e-4 * scale) << p.name;
    } else {
      // The same codes except where float rounding of a sum crosses a code boundary: there one ADC step.
      const double lsb_out = scale / 127.0 * (p.input_bits_per_cycle > 0 ? 2.0 : 1.0);
      EXPECT_LT(diff.max().item<double>(), 1.01 * lsb_out * 4) << p.name;
      EXPECT_LT((diff > 1e-3 * scale).to(at::kDouble).mean().item<double>(), 0.01) << p.name;
    }
  }
  // Channels-last input reads the same as contiguous input.
  const auto a = inst.infer_conv(x, g, gen);
  const auto b = inst.infer_conv(x.contiguous(at::MemoryFormat::ChannelsLast), g, gen);
  EXPECT_TRUE(at::allclose(a, b)) << p.name;
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, ConvRead,
    ::testing::Values(ConvCase{"3x3 signed (two phases), one tile", 3, 16, 8, 3, 3, 1, 1, 1, 256, 7, 0, true},
                      ConvCase{"3x3 stride 2", 16, 8, 9, 3, 3, 2, 1, 1, 256, 7, 0, false},
                      ConvCase{"tiles cut channels (270 rows in 64-row tiles)", 30, 12, 6, 3, 3, 1, 1, 1, 64, 7, 0,
                               false},
                      ConvCase{"1x1 stride 2", 8, 10, 8, 1, 1, 2, 0, 1, 256, 7, 0, false},
                      ConvCase{"dilation 2, no padding", 4, 6, 9, 3, 3, 1, 0, 2, 256, 7, 0, false},
                      ConvCase{"non-square kernel 3x1", 5, 7, 6, 3, 1, 1, 1, 1, 256, 7, 0, true},
                      ConvCase{"bit-serial inputs, 3 slices", 6, 5, 6, 3, 3, 1, 1, 1, 32, 3, 2, true}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

// The input scale is applied inside the drive pass: float maps at scale s read as their rounded codes.
TEST(ConvReadScale, FloatInputsQuantisedInTheDrive) {
  ChipConfig c = no_read_noise(preset_config("rram"));
  const ConvGeometry g{3, 3, 1, 1, 1, 1, 1, 1};
  const auto w = random_ints({8, 4 * 9}, -127, 127, 4);
  auto gen = at::detail::createCPUGenerator(5);
  const auto inst = Chip(c).program(w, gen);
  const auto x = at::randn({2, 4, 7, 7}, at::detail::createCPUGenerator(6)) * 3.0;
  const double s = 0.05;  // codes beyond +-127 clip
  const auto codes = (x / s).round().clamp(-127, 127);
  double used = -1;
  const auto a = inst.infer_conv(x, g, gen, s, &used);
  EXPECT_EQ(used, s);
  const auto b = inst.infer_conv(codes, g, gen);
  EXPECT_TRUE(at::allclose(a, b, 1e-5, 1e-3));
  // Scale 0: per tensor, max|x| / 127.
  (void)inst.infer_conv(x, g, gen, 0.0, &used);
  EXPECT_NEAR(used, x.abs().max().item<double>() / 127.0, 1e-9);
  // Dequantised by the periphery: input scale x weight scale per output, plus the bias.
  const auto ws = at::rand({8}, at::detail::createCPUGenerator(7)) + 0.5, bias = at::arange(8.0);
  const auto deq = inst.infer_conv(x, g, gen, s, nullptr, ws, bias);
  const auto expect = b * s * ws.view({1, -1, 1, 1}) + bias.view({1, -1, 1, 1});
  EXPECT_TRUE(at::allclose(deq, expect, 1e-5, 1e-4)) << (deq - expect).abs().max();
}

// Deployment calibration of the full scale gives the same ADC ranges from either read.
TEST(ConvReadScale, CalibrationMatchesTheRowsCalibration) {
  ChipConfig c = no_read_noise(preset_config("rram"));
  const ConvGeometry g{3, 3, 1, 1, 1, 1, 1, 1};
  const auto w = random_ints({8, 6 * 9}, -127, 127, 7);
  const auto x = random_ints({4, 6, 8, 8}, 0, 127, 8);
  auto gen = at::detail::createCPUGenerator(9);
  auto a = Chip(c).program(w, gen);
  auto b = a;
  a.calibrate_adc_conv(x, g, gen);
  b.calibrate_adc(im2col_rows(x, g), gen);
  const auto x2 = random_ints({2, 6, 8, 8}, 0, 60, 10);  // a different batch: the full scale stays fixed
  const auto ya = a.infer(im2col_rows(x2, g), gen), yb = b.infer(im2col_rows(x2, g), gen);
  EXPECT_TRUE(at::allclose(ya, yb, 1e-5, 1e-3));
}

// With every noise on (read, ADC, column DAC noise), the two reads have the same per-output mean and variance.
TEST(ConvReadNoise, SameStatisticsAsTheIm2colRead) {
  ChipConfig c = preset_config("rram");
  c.dac.inl_lsb = 0;
  c.read_noise.sigma = 0.05;  // make the read noise dominate the ADC step
  const ConvGeometry g{3, 3, 1, 1, 1, 1, 1, 1};
  const auto w = random_ints({6, 5 * 9}, -127, 127, 11);
  const auto x = random_ints({1, 5, 5, 5}, 0, 127, 12);
  auto gen = at::detail::createCPUGenerator(13);
  auto inst = Chip(c).program(w, gen);
  inst.calibrate_adc_conv(x, g, gen);
  const int n = 600;
  std::vector<at::Tensor> d, r;
  const auto rows = im2col_rows(x, g);
  for (int i = 0; i < n; ++i) {
    d.push_back(inst.infer_conv(x, g, gen).reshape({-1}));
    r.push_back(rows_to_maps(inst.infer(rows, gen), at::empty({1, 6, 5, 5})).reshape({-1}));
  }
  const auto D = at::stack(d).to(at::kDouble), R = at::stack(r).to(at::kDouble);
  const auto vd = D.var(0), vr = R.var(0);
  // Per output the variances agree within sampling error (F ratio of n - 1 dof: sd ~ sqrt(4 / n) = 8%).
  const double mean_ratio = (vd / vr).mean().item<double>();
  EXPECT_NEAR(mean_ratio, 1.0, 0.03);
  // Means agree within a few standard errors.
  const auto z = (D.mean(0) - R.mean(0)).abs() / ((vd + vr) / n).sqrt();
  EXPECT_LT(z.mean().item<double>(), 1.2);  // E|z| = 0.8 for standard normal z
}

// The column DAC-noise model: per-output variance of the word-line model and of the formula
// (noise_sigma u_max)^2 sum_i W_eff[o, i]^2 in integer units, for ohmic cells and an ideal read-out.
TEST(DacNoiseModel, ColumnVarianceMatchesWordLineModelAndFormula) {
  ChipConfig c = preset_config("rram");
  c.device_nonlinearity.enabled = false;
  c.read_noise.sigma = 0;
  c.adc.enabled = false;
  c.dac.inl_lsb = 0;
  c.dac.noise_sigma = 0.01;
  c.mapping.conv_read = cimtrain::sim::ConvRead::kIm2col;
  const auto w = random_ints({5, 40}, -127, 127, 14);
  const auto x = random_ints({1, 40}, 0, 127, 15);
  const int n = 3000;
  std::vector<at::Tensor> vars;
  at::Tensor w_eff;
  for (const auto model : {DacNoiseModel::kWordLine, DacNoiseModel::kColumn}) {
    c.dac.noise_model = model;
    auto gen = at::detail::createCPUGenerator(16);
    const auto inst = Chip(c).program(w, gen);
    w_eff = inst.effective_weights().to(at::kDouble);
    std::vector<at::Tensor> ys;
    for (int i = 0; i < n; ++i) ys.push_back(inst.infer(x, gen).reshape({-1}));
    vars.push_back(at::stack(ys).to(at::kDouble).var(0));
  }
  const double sd_in = c.dac.noise_sigma * 127;  // integer input units
  const auto formula = w_eff.square().sum(1) * (sd_in * sd_in);
  for (int k = 0; k < 2; ++k) {
    const auto ratio = vars[k] / formula;  // each ~ chi^2_{n-1}/(n-1): sd sqrt(2/n) = 2.6%
    EXPECT_LT((ratio - 1).abs().max().item<double>(), 0.12) << (k ? "column" : "word_line") << ": " << ratio;
  }
}

TEST(DacNoiseModel, DirectConvReadNeedsTheColumnModel) {
  ChipConfig c = preset_config("rram");
  c.dac.noise_model = DacNoiseModel::kWordLine;
  try {
    c.validate();
    FAIL() << "expected a cimtrain::common::ConfigError";
  } catch (const cimtrain::common::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("conv_read"), std::string::npos) << e.what();
  }
  c.mapping.conv_read = cimtrain::sim::ConvRead::kIm2col;
  EXPECT_NO_THROW(c.validate());
  nlohmann::json j = c;
  j["dac"]["noise_model"] = "sideways";
  EXPECT_THROW(chip_config_from_json(j), cimtrain::common::ConfigError);
}

}  // namespace
