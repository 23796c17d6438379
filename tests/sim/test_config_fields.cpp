// The table of chip-config fields with units covers exactly the fields a config's JSON has, for every preset.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sim/chip_config.h"
#include "sim/config_fields.h"
#include "sim/presets.h"

using namespace cimtrain;

namespace {

std::set<std::string> json_paths(const nlohmann::json& j) {
  std::set<std::string> paths;
  for (const auto& [key, value] : j.items()) {
    if (value.is_object())
      for (const auto& [field, unused] : value.items()) paths.insert(key + "." + field);
    else
      paths.insert(key);
  }
  return paths;
}

}  // namespace

TEST(ConfigFields, CoverExactlyTheJsonFieldsOfEveryPreset) {
  std::set<std::string> table;
  for (const auto& f : sim::chip_config_fields()) {
    EXPECT_TRUE(table.insert(f.path).second) << "listed twice: " << f.path;
    EXPECT_FALSE(f.meaning.empty()) << f.path;
  }
  for (const auto& name : sim::preset_names()) {
    nlohmann::json j = sim::preset_config(name);
    EXPECT_EQ(json_paths(j), table) << "preset " << name;
  }
}

TEST(ConfigFields, UnitsFollowTheFieldNames) {
  for (const auto& f : sim::chip_config_fields()) {
    const auto ends = [&](const std::string& suffix) {
      return f.path.size() > suffix.size() && f.path.compare(f.path.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    std::string expected;
    for (const auto& [suffix, unit] : {std::pair{"_uS", "uS"}, {"_per_K", "1/K"}, {"_s", "s"}, {"_K", "K"}, {"_V", "V"},
                                       {"_ohm", "ohm"}, {"_lsb", "LSB"}, {"_uA", "uA"}, {"_eV", "eV"}}) {
      if (ends(suffix)) {
        expected = unit;
        break;
      }
    }
    if (!expected.empty()) {
      EXPECT_EQ(f.unit, expected) << f.path;
    }
  }
}
