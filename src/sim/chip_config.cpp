// ChipConfig validation, JSON round-trip and per-non-ideality switching (see chip_config.h).
#include "sim/chip_config.h"

#include <algorithm>

#include "common/declared_ranges.h"
#include "common/read_file.h"
#include "common/strict_json.h"
#include "sim/presets.h"

namespace cimtrain::sim {

void ChipConfig::validate() const {
  common::require_in_range(common::ranges::kLevel, level, "level");
  mapping.validate();
  dac.validate();
  adc.validate();
  device_nonlinearity.validate();
  programming_noise.validate();
  read_noise.validate();
  thermal.validate();
  drift.validate();
  ir_drop.validate();
  common::require(mapping.conv_read != ConvRead::kDirect || !dac.word_line_noise(),
                  "mapping.conv_read 'direct' drives input maps, not word lines: it needs dac.noise_model 'column' "
                  "(or no DAC noise); for per-word-line DAC noise set mapping.conv_read to 'im2col'");
  common::require(dac.input_bits_per_cycle <= mapping.input_bits - 1,
                  "dac.input_bits_per_cycle must be <= input_bits - 1 = " + std::to_string(mapping.input_bits - 1) +
                      ", found " + std::to_string(dac.input_bits_per_cycle));
}

void to_json(nlohmann::json& j, const ChipConfig& c) {
  j = nlohmann::json{{"format", "cimtrain.chip_config"},
                     {"version", 1},
                     {"preset", c.preset},
                     {"level", c.level},
                     {"mapping", c.mapping},
                     {"dac", c.dac},
                     {"adc", c.adc},
                     {"device_nonlinearity", c.device_nonlinearity},
                     {"programming_noise", c.programming_noise},
                     {"read_noise", c.read_noise},
                     {"thermal", c.thermal},
                     {"drift", c.drift},
                     {"ir_drop", c.ir_drop}};
}

namespace {
template <class T>
void override_section(const nlohmann::json& j, const char* name, T& section) {
  if (!j.contains(name)) return;
  nlohmann::json merged = section;
  if (!j[name].is_object())
    throw common::ConfigError(std::string(name) + ": expected a JSON object, found " + j[name].type_name());
  merged.merge_patch(j[name]);
  section = common::parse_strict<T>(merged, name);
  // merge_patch keeps unknown keys, so parse_strict rejects them with the section's name.
}
}  // namespace

ChipConfig chip_config_from_json(const nlohmann::json& j) {
  if (!j.is_object())
    throw common::ConfigError("chip config: expected a JSON object, found " + std::string(j.type_name()));
  static const std::vector<std::string> known = {
      "format",     "version", "preset", "level",  "mapping", "dac", "adc", "device_nonlinearity", "programming_noise",
      "read_noise", "thermal", "drift",  "ir_drop"};
  for (const auto& item : j.items()) {
    if (std::find(known.begin(), known.end(), item.key()) == known.end())
      throw common::ConfigError("chip config: unknown section '" + item.key() + "'");
  }
  if (j.contains("format") && j["format"] != "cimtrain.chip_config")
    throw common::ConfigError("chip config: expected format \"cimtrain.chip_config\", found " + j["format"].dump() +
                              " (a file of another kind?)");
  if (j.contains("version") && j["version"] != 1)
    throw common::ConfigError("chip config: expected version 1, found " + j["version"].dump());
  try {
    ChipConfig c = preset_config(j.value("preset", std::string("rram")));
    if (j.contains("level")) c.level = j["level"].get<double>();
    override_section(j, "mapping", c.mapping);
    override_section(j, "dac", c.dac);
    override_section(j, "adc", c.adc);
    override_section(j, "device_nonlinearity", c.device_nonlinearity);
    override_section(j, "programming_noise", c.programming_noise);
    override_section(j, "read_noise", c.read_noise);
    override_section(j, "thermal", c.thermal);
    override_section(j, "drift", c.drift);
    override_section(j, "ir_drop", c.ir_drop);
    c.validate();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw common::ConfigError(std::string("chip config: ") + e.what());
  }
}

ChipConfig ideal_config(ChipConfig c) {
  c.dac.enabled = false;
  c.adc.enabled = false;
  c.device_nonlinearity.enabled = false;
  c.programming_noise.enabled = false;
  c.read_noise.enabled = false;
  c.thermal.enabled = false;
  c.drift.enabled = false;
  c.ir_drop.mode = IrDropMode::kOff;
  return c;
}

const std::vector<std::string>& nonideality_names() {
  static const std::vector<std::string> names = {
      "dac", "adc", "device_nonlinearity", "programming_noise", "read_noise", "thermal", "drift", "ir_drop"};
  return names;
}

std::vector<std::string> enabled_nonidealities(const ChipConfig& c) {
  const bool on[] = {c.dac.enabled,
                     c.adc.enabled,
                     c.device_nonlinearity.enabled,
                     c.programming_noise.enabled,
                     c.read_noise.enabled,
                     c.thermal.enabled,
                     c.drift.enabled,
                     c.ir_drop.enabled()};
  std::vector<std::string> names;
  for (size_t i = 0; i < nonideality_names().size(); ++i)
    if (on[i]) names.push_back(nonideality_names()[i]);
  return names;
}

namespace {
// Copies the section of non-ideality `name` from `from` into `to`.
void copy_nonideality(ChipConfig& to, const ChipConfig& from, const std::string& name) {
  if (name == "dac")
    to.dac = from.dac;
  else if (name == "adc")
    to.adc = from.adc;
  else if (name == "device_nonlinearity")
    to.device_nonlinearity = from.device_nonlinearity;
  else if (name == "programming_noise")
    to.programming_noise = from.programming_noise;
  else if (name == "read_noise")
    to.read_noise = from.read_noise;
  else if (name == "thermal")
    to.thermal = from.thermal;
  else if (name == "drift")
    to.drift = from.drift;
  else if (name == "ir_drop")
    to.ir_drop = from.ir_drop;
  else
    throw common::ConfigError("unknown non-ideality '" + name + "'");
}
}  // namespace

ChipConfig without_nonideality(const ChipConfig& base, const std::string& name) {
  ChipConfig c = base;
  copy_nonideality(c, ideal_config(base), name);
  return c;
}

ChipConfig only_nonideality(const ChipConfig& base, const std::string& name) {
  ChipConfig c = ideal_config(base);
  copy_nonideality(c, base, name);
  return c;
}

ChipConfig chip_config_from_file(const std::string& path) {
  const std::string text = common::read_file(path, "chip config file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);  // the whole file: content after the object is an error too
  } catch (const nlohmann::json::exception& e) {
    throw common::ConfigError("chip config file '" + path + "' is not valid JSON: " + e.what());
  }
  try {
    return chip_config_from_json(j);
  } catch (const common::ConfigError& e) {
    throw common::ConfigError("chip config file '" + path + "': " + e.what());
  }
}

}  // namespace cimtrain::sim
