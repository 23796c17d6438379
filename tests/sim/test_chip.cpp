// Chip-level tests: the ideal chip reproduces the integer product under every mapping option, instances are
// deterministic for a seed, shapes are checked, and the error grows with the noise level.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "sim/chip.h"
#include "sim/error_budget.h"
#include "sim/presets.h"

using namespace cimtrain::sim;

namespace {

at::Tensor random_ints(at::IntArrayRef shape, int max_value, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return at::randint(-max_value, max_value + 1, shape, gen).to(at::kFloat);
}

double relative_error(const at::Tensor& y, const at::Tensor& ideal) {
  return (y.to(at::kDouble) - ideal).norm().item<double>() / ideal.norm().item<double>();
}

// An ideal chip with exact-enough converters still switched on (DAC 8 bits, ADC 24 bits, no noise or static
// errors): quantisation at 24 bits is below float rounding of the sums.
ChipConfig ideal_with_converters(ChipConfig c) {
  c = ideal_config(c);
  c.dac.enabled = true;
  c.dac.noise_sigma = 0;
  c.dac.inl_lsb = 0;
  c.adc.enabled = true;
  c.adc.bits = 24;
  c.adc.noise_sigma_lsb = c.adc.offset_sigma_lsb = c.adc.inl_lsb = 0;
  return c;
}

struct MappingCase {
  const char* name;
  int tile_rows, tile_cols, bits_per_cell, input_bits_per_cycle;
  int64_t inputs, outputs;
  bool with_converters;
};

class IdealChip : public ::testing::TestWithParam<MappingCase> {};

TEST_P(IdealChip, ReproducesTheIntegerProduct) {
  const auto p = GetParam();
  ChipConfig c = preset_config("rram");
  c.mapping.tile_rows = p.tile_rows;
  c.mapping.tile_cols = p.tile_cols;
  c.mapping.bits_per_cell = p.bits_per_cell;
  c.dac.input_bits_per_cycle = p.input_bits_per_cycle;
  c = p.with_converters ? ideal_with_converters(c) : ideal_config(c);
  const auto w = random_ints({p.outputs, p.inputs}, 127, 1);
  const auto x = random_ints({9, p.inputs}, 127, 2);
  auto gen = at::detail::createCPUGenerator(3);
  const auto inst = Chip(c).program(w, gen);
  const auto y = inst.infer(x, gen);
  const auto ideal = ideal_product(w, x);
  ASSERT_EQ(y.sizes(), ideal.sizes());
  EXPECT_LT(relative_error(y, ideal), 1e-6) << p.name;
  // Every output within float rounding of its sum (|x| |w| n ~ 1.6e4 * n), far below one integer unit.
  EXPECT_LT((y.to(at::kDouble) - ideal).abs().max().item<double>(), 0.5) << p.name;
}

INSTANTIATE_TEST_SUITE_P(Mappings, IdealChip,
                         ::testing::Values(MappingCase{"one tile", 256, 256, 7, 0, 200, 100, false},
                                           MappingCase{"row and column tiles", 32, 16, 7, 0, 100, 21, false},
                                           MappingCase{"bit slices 2 bits/cell", 64, 64, 2, 0, 130, 40, false},
                                           MappingCase{"bit slices 1 bit/cell", 16, 14, 1, 0, 40, 5, false},
                                           MappingCase{"bit-serial 1 bit/cycle", 64, 64, 7, 1, 70, 20, false},
                                           MappingCase{"bit-serial 3 bits/cycle + slices", 32, 24, 3, 3, 70, 20, false},
                                           MappingCase{"converters on, one tile", 256, 256, 7, 0, 256, 128, true},
                                           MappingCase{"converters on, tiles, slices, bit-serial", 32, 16, 2, 2, 100,
                                                       21, true}),
                         [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(Chip, SkipsTheNegativePhaseOnlyWhenInputsAreNonNegative) {
  // Both signed and ReLU-like inputs reproduce the product (the second uses one read phase).
  const ChipConfig c = ideal_config(preset_config("rram"));
  const auto w = random_ints({8, 30}, 127, 4);
  auto x = random_ints({5, 30}, 127, 5);
  auto gen = at::detail::createCPUGenerator(0);
  const auto inst = Chip(c).program(w, gen);
  EXPECT_LT(relative_error(inst.infer(x, gen), ideal_product(w, x)), 1e-6);
  x = x.clamp_min(0);
  EXPECT_LT(relative_error(inst.infer(x, gen), ideal_product(w, x)), 1e-6);
}

TEST(Chip, DeterministicForASeedAndDifferentAcrossSeeds) {
  const ChipConfig c = preset_config("rram");
  const auto w = random_ints({40, 300}, 127, 6);
  const auto x = random_ints({16, 300}, 127, 7);
  auto run = [&](uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    const auto inst = Chip(c).program(w, gen);
    return inst.infer(x, gen);
  };
  EXPECT_TRUE(at::equal(run(11), run(11)));
  EXPECT_FALSE(at::equal(run(11), run(12)));
}

TEST(Chip, ReadsOfOneInstanceDifferButShareTheDeviceState) {
  const ChipConfig c = preset_config("rram");
  const auto w = random_ints({40, 100}, 127, 8);
  const auto x = random_ints({16, 100}, 127, 9);
  auto gen = at::detail::createCPUGenerator(1);
  const auto inst = Chip(c).program(w, gen);
  const auto a = inst.infer(x, gen), b = inst.infer(x, gen);
  EXPECT_FALSE(at::equal(a, b));  // fresh read / DAC / ADC noise
  const auto ideal = ideal_product(w, x);
  // Two reads of one instance are much closer to each other than either is to the ideal product
  // (programming noise is shared, read noise is not).
  EXPECT_LT((a - b).norm().item<double>(), 0.5 * (a.to(at::kDouble) - ideal).norm().item<double>());
}

TEST(Chip, RejectsMismatchedShapesWithBothShapesInTheMessage) {
  auto gen = at::detail::createCPUGenerator(0);
  const auto inst = Chip(preset_config("rram")).program(random_ints({4, 10}, 127, 1), gen);
  try {
    inst.infer(random_ints({3, 11}, 127, 2), gen);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    EXPECT_NE(msg.find("[batch, 10]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[3, 11]"), std::string::npos) << msg;
  }
  EXPECT_THROW(Chip(preset_config("rram")).program(random_ints({4, 10, 2}, 127, 1), gen), c10::Error);
  EXPECT_THROW(Chip(preset_config("rram")).program(random_ints({4, 10}, 127, 1) * 2, gen), c10::Error);  // > 127
  EXPECT_THROW(Chip(preset_config("rram")).program(random_ints({4, 10}, 127, 1) + 0.5, gen), c10::Error);
}

TEST(Chip, ErrorGrowsWithTheNoiseLevel) {
  const auto w = random_ints({64, 256}, 127, 10);
  const auto x = random_ints({32, 256}, 127, 11);
  double previous = 0;
  for (double level : {0.0, 1.0, 2.0, 3.0}) {
    ChipConfig c = preset_config("rram");
    c.level = level;
    const double e = measure_relative_error(c, w, x, ReadConditions{}, 2, 5).mean();
    EXPECT_GT(e, previous) << "level " << level;
    previous = e;
  }
}

TEST(Chip, EveryNonIdealityContributesAtLevelOne) {
  for (const auto& preset : preset_names()) {
    const auto& m = preset_config(preset).mapping;
    const auto w = random_ints({64, 300}, m.weight_max(), 12);
    const auto x = random_ints({16, 300}, m.input_max(), 13);
    const auto budget = measure_error_budget(preset_config(preset), w, x, ReadConditions{}, 1, 3);
    ASSERT_EQ(budget.breakdown.size(), enabled_nonidealities(preset_config(preset)).size());
    for (const auto& [name, stats] : budget.breakdown) {
      // pcm's 6-bit DAC drives its 63 input levels exactly (aihwkit's input quantisation is the layer's).
      if (preset == "pcm" && name == "dac") continue;
      EXPECT_GT(stats.mean(), 1e-4) << preset << " " << name;
    }
    EXPECT_GT(budget.total.mean(), budget.breakdown.front().second.mean());
  }
}

TEST(Chip, AdcCalibrationFixesTheFullScale) {
  ChipConfig c = ideal_with_converters(preset_config("rram"));
  c.adc.bits = 6;
  const auto w = random_ints({16, 64}, 127, 14);
  const auto x = random_ints({8, 64}, 127, 15);
  auto gen = at::detail::createCPUGenerator(0);
  auto inst = Chip(c).program(w, gen);
  const auto per_batch = inst.infer(x, gen);
  inst.calibrate_adc(x, gen);
  EXPECT_TRUE(at::allclose(inst.infer(x, gen), per_batch));  // same batch -> same full scale
  // Calibrated on x, a batch of half the amplitude keeps x's (now too large) range: coarser relative steps.
  const auto half = (x / 2).round();
  const double calibrated = relative_error(inst.infer(half, gen), ideal_product(w, half));
  inst.clear_adc_calibration();
  const double own_range = relative_error(inst.infer(half, gen), ideal_product(w, half));
  EXPECT_GT(calibrated, own_range);
}

}  // namespace

TEST(Chip, ConductanceHookReplacesTheProgrammedCellsAndIsChecked) {
  const ChipConfig c = preset_config("rram");
  const auto w = random_ints({8, 20}, 127, 3);
  auto plain_gen = at::detail::createCPUGenerator(5);
  const auto plain = Chip(c).program(w, plain_gen).programmed_conductances();
  at::Tensor seen;
  auto hook_gen = at::detail::createCPUGenerator(5);
  const auto hooked = Chip(c).program(w, hook_gen, {}, [&](const at::Tensor& g) {
    seen = g.clone();
    return g * 0.5;
  });
  EXPECT_TRUE(at::equal(seen, plain));  // the hook sees the programmed cells, before drift
  EXPECT_TRUE(at::allclose(hooked.programmed_conductances(), plain * 0.5));
  // The same random stream follows: the hook draws nothing from the chip's generator.
  EXPECT_TRUE(at::equal(plain_gen.get_state(), hook_gen.get_state()));
  auto gen = at::detail::createCPUGenerator(0);
  const auto message = [&](const ConductanceHook& hook) {
    try {
      Chip(c).program(w, gen, {}, hook);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([](const at::Tensor& g) { return g.flatten(); }).find("must return a tensor of shape"),
            std::string::npos);
  EXPECT_NE(message([](const at::Tensor& g) { return -g; }).find(">= 0 uS"), std::string::npos);
  EXPECT_NE(message([](const at::Tensor& g) { return g / 0.0; }).find("finite"), std::string::npos);
}

TEST(Chip, SwitchingOneComponentOffLeavesTheOthersDrawsAsTheyWere) {
  const ChipConfig c = preset_config("rram");
  const auto w = random_ints({40, 300}, 127, 21);
  const auto program = [&](const ChipConfig& config) {
    auto gen = at::detail::createCPUGenerator(8);
    return Chip(config).program(w, gen);
  };
  const auto all = program(c);
  const auto no_thermal = program(without_nonideality(c, "thermal"));
  const auto no_programming = program(without_nonideality(c, "programming_noise"));
  EXPECT_TRUE(at::equal(no_thermal.programmed_conductances(), all.programmed_conductances()));
  EXPECT_TRUE(at::equal(no_thermal.drift_exponents(), all.drift_exponents()));
  EXPECT_TRUE(at::equal(no_programming.tile_temperature_offsets(), all.tile_temperature_offsets()));
  EXPECT_FALSE(at::equal(no_programming.programmed_conductances(), all.programmed_conductances()));
  // With thermal off the tiles sit at the ambient temperature; the rest of the instance is the same chip.
  EXPECT_EQ(no_thermal.tile_temperature_offsets().abs().max().item<double>(), 0.0);
}
