// Strict JSON parsing of config structs: unknown keys (typos), wrong types and numbers the struct cannot hold as
// given (8.5 for a whole number, 2^31 for a 32-bit one) are errors naming the section.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/errors.h"

namespace cimtrain::common {

// Two JSON numbers are the same value (nlohmann's == wraps an unsigned into a signed one: -1 would equal 2^64 - 1).
inline bool same_number(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
  const auto negative = [](const nlohmann::json& n) { return !n.is_number_unsigned() && n.get<int64_t>() < 0; };
  if (negative(a) || negative(b)) return negative(a) && negative(b) && a.get<int64_t>() == b.get<int64_t>();
  return a.get<uint64_t>() == b.get<uint64_t>();
}

// Every number of `given` must come back unchanged from the struct it was parsed into (`parsed`, the struct as
// JSON): a fraction read into a whole-number field or an integer that overflowed it is refused, not rounded.
inline void require_numbers_kept(const nlohmann::json& given, const nlohmann::json& parsed,
                                 const std::string& section) {
  for (const auto& item : given.items()) {
    if (!item.value().is_number() || !parsed.contains(item.key())) continue;
    const auto& kept = parsed.at(item.key());
    if (kept.is_number() && same_number(kept, item.value())) continue;
    throw ConfigError(section + ": '" + item.key() + "' must be " +
                      (kept.is_number_integer() ? "a whole number that fits the field" : "a number") + ", found " +
                      item.value().dump());
  }
}

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
  require_numbers_kept(j, known, section);
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
