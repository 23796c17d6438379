// Strict JSON parsing of config structs: unknown keys (typos) and wrong types are errors naming the section.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/errors.h"

namespace cimtrain::common {

// Parses a config struct from JSON, rejecting unknown keys (typos) and wrong types with a message
// naming the section. Fields missing from the JSON keep their defaults.
template <class T>
T parse_strict(const nlohmann::json& j, const std::string& section) {
  if (!j.is_object()) throw ConfigError(section + ": expected a JSON object, found " + std::string(j.type_name()));
  T value;
  try {
    value = j.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(section + ": " + e.what());
  }
  const nlohmann::json known = value;
  for (const auto& item : j.items()) {
    if (!known.contains(item.key())) {
      std::string names;
      for (const auto& k : known.items()) names += (names.empty() ? "" : ", ") + k.key();
      throw ConfigError(section + ": unknown field '" + item.key() + "' (known: " + names + ")");
    }
  }
  value.validate();
  return value;
}

}  // namespace cimtrain::common
