// Config tests: presets, JSON round-trip, strict parsing and rejection of impossible values.
#include <gtest/gtest.h>

#include "sim/chip_config.h"
#include "sim/presets.h"

using namespace cimtrain::sim;

namespace {

// Expects `fn` to throw ConfigError whose message contains `needle`.
template <class Fn>
void expect_config_error(Fn fn, const std::string& needle) {
  try {
    fn();
    FAIL() << "expected a cimtrain::common::ConfigError mentioning '" << needle << "'";
  } catch (const cimtrain::common::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ChipConfig, PresetsValidateAndRoundTripThroughJson) {
  for (const auto& name : preset_names()) {
    const ChipConfig c = preset_config(name);
    EXPECT_NO_THROW(c.validate());
    const nlohmann::json j = c;
    const ChipConfig back = chip_config_from_json(j);
    EXPECT_EQ(nlohmann::json(back), j) << name;
  }
}

TEST(ChipConfig, JsonOverridesStartFromThePreset) {
  const auto c = chip_config_from_json(nlohmann::json::parse(R"({"preset": "pcm", "adc": {"bits": 6}, "level": 2})"));
  EXPECT_EQ(c.preset, "pcm");
  EXPECT_EQ(c.adc.bits, 6);
  EXPECT_EQ(c.adc.noise_sigma_lsb, preset_config("pcm").adc.noise_sigma_lsb);  // untouched field kept
  EXPECT_EQ(c.mapping.g_max_uS, 25.0);
  EXPECT_EQ(c.level, 2.0);
}

TEST(ChipConfig, RejectsUnknownPresetSectionFieldAndWrongType) {
  expect_config_error([] { preset_config("sram"); }, "unknown preset 'sram' (known: rram, rram-harsh, pcm)");
  expect_config_error([] { chip_config_from_json(nlohmann::json::parse(R"({"adcc": {}})")); },
                      "unknown section 'adcc'");
  expect_config_error([] { chip_config_from_json(nlohmann::json::parse(R"({"adc": {"bitz": 3}})")); },
                      "adc: unknown field 'bitz'");
  expect_config_error([] { chip_config_from_json(nlohmann::json::parse(R"({"adc": {"bits": "eight"}})")); }, "adc:");
  expect_config_error([] { chip_config_from_json(nlohmann::json::parse(R"({"version": 7})")); }, "version 1");
}

TEST(ChipConfig, RejectsImpossibleValues) {
  auto with = [](auto change) {
    ChipConfig c = preset_config("rram");
    change(c);
    return [c] { c.validate(); };
  };
  expect_config_error(with([](ChipConfig& c) { c.programming_noise.sigma = -0.1; }),
                      "programming_noise.sigma must be >= 0, found -0.1");
  expect_config_error(with([](ChipConfig& c) { c.read_noise.sigma = -1; }), "read_noise.sigma");
  expect_config_error(with([](ChipConfig& c) { c.adc.bits = 0; }), "adc.bits must be a whole number in [2, 24], found 0");
  expect_config_error(with([](ChipConfig& c) { c.mapping.tile_rows = 0; }), "mapping.tile_rows must be a whole number in [1, 8192], found 0");
  expect_config_error(with([](ChipConfig& c) { c.mapping.tile_cols = 0; }), "mapping.tile_cols");
  expect_config_error(with([](ChipConfig& c) { c.mapping.g_min_uS = 60; }), "mapping.g_min_uS");
  expect_config_error(with([](ChipConfig& c) { c.mapping.bits_per_cell = 8; }),
                      "bits_per_cell must be <= weight_bits - 1");
  expect_config_error(with([](ChipConfig& c) { c.dac.input_bits_per_cycle = 9; }), "dac.input_bits_per_cycle");
  expect_config_error(with([](ChipConfig& c) { c.level = -1; }), "level must be a finite number in [0, 10], found -1");
  expect_config_error(with([](ChipConfig& c) { c.thermal.t_ref_K = 0; }), "thermal.t_ref_K");
}

TEST(ChipConfig, AnUnknownModelNameIsRefusedWithTheValidOnes) {
  const nlohmann::json base = preset_config("rram");
  const auto with = [&](const char* section, const char* field, const nlohmann::json& value) {
    auto j = base;
    j[section][field] = value;
    return [j] { chip_config_from_json(j); };
  };
  expect_config_error(with("ir_drop", "mode", "slow"), "ir_drop.mode must be one of off, fast, exact; found 'slow'");
  expect_config_error(with("drift", "model", "linear"), "drift.model must be one of power_law, pcm; found 'linear'");
  expect_config_error(with("programming_noise", "model", "gauss"), "programming_noise.model must be one of lognormal");
  expect_config_error(with("read_noise", "model", "white"), "read_noise.model must be one of relative, pcm");
  expect_config_error(with("dac", "noise_model", "row"), "dac.noise_model must be one of column, word_line");
  expect_config_error(with("mapping", "conv_read", "fft"), "mapping.conv_read must be one of direct, im2col");
  expect_config_error(with("drift", "model", 3), "drift.model must be a name");
  // The names themselves are what the files hold.
  EXPECT_EQ(base["ir_drop"]["mode"], "fast");
  EXPECT_EQ(base["mapping"]["conv_read"], "direct");
}

TEST(ChipConfig, IdealAndOnlyOneNonIdeality) {
  const ChipConfig base = preset_config("rram");
  const ChipConfig ideal = ideal_config(base);
  EXPECT_FALSE(ideal.adc.enabled || ideal.dac.enabled || ideal.programming_noise.enabled || ideal.read_noise.enabled ||
               ideal.thermal.enabled || ideal.drift.enabled || ideal.device_nonlinearity.enabled ||
               ideal.ir_drop.enabled());
  for (const auto& name : nonideality_names()) {
    const nlohmann::json j = only_nonideality(base, name);
    const nlohmann::json b = base;
    EXPECT_EQ(j[name], b[name]) << name;  // that section as the base has it
    EXPECT_EQ(j["adc"], nlohmann::json(name == "adc" ? base.adc : ideal.adc)) << name;
  }
  expect_config_error([&] { only_nonideality(base, "gremlins"); }, "unknown non-ideality 'gremlins'");
}

}  // namespace
