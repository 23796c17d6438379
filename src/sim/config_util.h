// Shared helpers for the simulator's config structs: validation errors and strict JSON parsing.
#pragma once

#include <nlohmann/json.hpp>

#include <sstream>
#include <stdexcept>
#include <string>

namespace cimtrain::sim {

// Thrown for an impossible or malformed configuration; the message says what was expected and found.
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

inline void require(bool ok, const std::string& message) {
  if (!ok) throw ConfigError(message);
}

// "name must be in [lo, hi], found v"
template <class T>
void require_range(const char* name, T value, T lo, T hi) {
  if (value < lo || value > hi || value != value) {
    std::ostringstream s;
    s << name << " must be in [" << lo << ", " << hi << "], found " << value;
    throw ConfigError(s.str());
  }
}

template <class T>
void require_non_negative(const char* name, T value) {
  if (!(value >= 0)) {
    std::ostringstream s;
    s << name << " must be >= 0, found " << value;
    throw ConfigError(s.str());
  }
}

// Parses a config struct from JSON, rejecting unknown keys (typos) and wrong types with a message
// naming the section. Fields missing from the JSON keep their defaults.
template <class T>
T parse_strict(const nlohmann::json& j, const std::string& section) {
  if (!j.is_object())
    throw ConfigError(section + ": expected a JSON object, found " + std::string(j.type_name()));
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

}  // namespace cimtrain::sim
