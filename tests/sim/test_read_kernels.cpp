// The fused read kernels (ChipInstance::infer) against the plain-tensor reference (infer_reference):
// same generator state -> same values, up to float rounding that can move a value across an ADC
// rounding boundary (then by exactly one LSB).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "sim/chip.h"
#include "sim/presets.h"

using namespace cimtrain::sim;

namespace {

struct KernelCase {
  const char* name;
  std::function<void(ChipConfig&)> change;
  bool signed_inputs;
};

class FusedRead : public ::testing::TestWithParam<KernelCase> {};

TEST_P(FusedRead, MatchesTheReference) {
  const auto& p = GetParam();
  ChipConfig c = preset_config("rram");
  c.mapping.tile_rows = 64;
  c.mapping.tile_cols = 48;
  p.change(c);
  auto gen = at::detail::createCPUGenerator(1);
  const int64_t wmax = c.mapping.weight_max(), xmax = c.mapping.input_max();
  const auto w = at::randint(-wmax, wmax + 1, {40, 150}, gen).to(at::kFloat);
  auto x = at::randint(-xmax, xmax + 1, {13, 150}, gen).to(at::kFloat);
  if (!p.signed_inputs) x = x.clamp_min(0);
  const auto inst = Chip(c).program(w, gen);
  auto g1 = at::detail::createCPUGenerator(7), g2 = at::detail::createCPUGenerator(7);
  const auto fast = inst.infer(x, g1);
  const auto ref = inst.infer_reference(x, g2);
  ASSERT_EQ(fast.sizes(), ref.sizes());
  const double scale = ref.abs().max().item<double>();
  const auto diff = (fast - ref).abs();
  // Nearly every output agrees to float rounding; a few may differ by the one ADC LSB a rounding tie moved.
  const double close_fraction = (diff <= 1e-4 * scale).to(at::kFloat).mean().item<double>();
  EXPECT_GT(close_fraction, 0.97) << p.name;
  EXPECT_LT((fast - ref).norm().item<double>() / ref.norm().item<double>(), 2e-3) << p.name;
  // Both paths consumed the same number of generator draws.
  EXPECT_TRUE(at::equal(at::randn({4}, g1), at::randn({4}, g2))) << p.name;
}

INSTANTIATE_TEST_SUITE_P(
    Configs, FusedRead,
    ::testing::Values(
        KernelCase{"rram defaults, signed", [](ChipConfig&) {}, true},
        KernelCase{"rram defaults, relu", [](ChipConfig&) {}, false},
        KernelCase{"pcm",
                   [](ChipConfig& c) {
                     c = preset_config("pcm");
                     c.mapping.tile_rows = 64;
                   },
                   true},
        KernelCase{"bit slices + bit-serial",
                   [](ChipConfig& c) {
                     c.mapping.bits_per_cell = 3;
                     c.dac.input_bits_per_cycle = 2;
                   },
                   true},
        KernelCase{"coarse DAC", [](ChipConfig& c) { c.dac.bits = 4; }, true},
        KernelCase{"fixed ADC range",
                   [](ChipConfig& c) {
                     c.adc.range = AdcRange::kFixed;
                     c.adc.full_scale_units = 30;
                   },
                   true},
        KernelCase{"read noise frozen per conditions",
                   [](ChipConfig& c) { c.read_noise.sampling = ReadNoiseSampling::kPerConditions; }, true},
        KernelCase{"ADC off, read noise on", [](ChipConfig& c) { c.adc.enabled = false; }, true},
        KernelCase{"saturation", [](ChipConfig& c) { c.device_nonlinearity.saturation_uA = 20; }, true},
        KernelCase{"ideal", [](ChipConfig& c) { c = ideal_config(c); }, true},
        KernelCase{"exact IR drop", [](ChipConfig& c) { c.ir_drop.mode = IrDropMode::kExact; }, false},
        // 150 inputs on one 256-row tile: the fused read skips the unused rows, the reference drives them at 0 V.
        KernelCase{"one partly used row tile", [](ChipConfig& c) { c.mapping.tile_rows = 256; }, true},
        KernelCase{"one partly used row tile, bit-serial, slices",
                   [](ChipConfig& c) {
                     c.mapping.tile_rows = 256;
                     c.mapping.bits_per_cell = 4;
                     c.dac.input_bits_per_cycle = 4;
                   },
                   true}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(FusedRead, CalibratedFullScaleIsUsedByBothPaths) {
  ChipConfig c = preset_config("rram");
  auto gen = at::detail::createCPUGenerator(2);
  const auto w = at::randint(-127, 128, {20, 80}, gen).to(at::kFloat);
  const auto x = at::randint(-127, 128, {9, 80}, gen).to(at::kFloat);
  auto inst = Chip(c).program(w, gen);
  inst.calibrate_adc(x * 2 / 3, gen);  // a smaller range: the larger inputs clip
  auto g1 = at::detail::createCPUGenerator(3), g2 = at::detail::createCPUGenerator(3);
  const auto fast = inst.infer(x, g1), ref = inst.infer_reference(x, g2);
  EXPECT_LT((fast - ref).norm().item<double>() / ref.norm().item<double>(), 2e-3);
}

}  // namespace
