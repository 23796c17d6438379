// Every field of a chip config (sim::ChipConfig's JSON) with its unit and meaning, for users who read or set a
// config field by field (the Python package's ChipConfig; docs). The table covers exactly the fields
// to_json(ChipConfig) writes (tested), so a new field cannot be added without its unit.
#pragma once

#include <string>
#include <vector>

namespace cimtrain::sim {

struct ConfigField {
  std::string path;     // "section.field", or "field" for a top-level one (e.g. "level")
  std::string unit;     // "uS", "V", "s", "K", "ohm", "eV", "uA", "1/K", "LSB", "bits", "" (dimensionless), ...
  std::string meaning;  // one line
};

// In the JSON's order: the top-level fields, then each section's.
const std::vector<ConfigField>& chip_config_fields();

}  // namespace cimtrain::sim
