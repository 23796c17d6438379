// Choices: settings that are enums in the code and names at the edges (JSON files, command-line flags).
// A name is parsed once, where it enters, and an unknown one is refused with the list of valid names:
//
//   enum class DriftModel { kPowerLaw, kPcm };
//   CIMTRAIN_CHOICE(DriftModel, "drift.model", {DriftModel::kPowerLaw, "power_law"}, {DriftModel::kPcm, "pcm"})
//
// declares (next to the enum, found by argument-dependent lookup) the names, and nlohmann::json's to_json /
// from_json, so that config structs keep reading and writing the names; fmt prints the name too.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/errors.h"

namespace cimtrain::common {

// The name of a choice.
template <class E>
const char* to_name(E value) {
  for (const auto& [v, n] : choice_names(value))
    if (v == value) return n;
  return "?";
}

// "a, b, c": every valid name, in declaration order.
template <class E>
std::string choice_list() {
  std::string s;
  for (const auto& [v, n] : choice_names(E{})) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

// The choice called `name`; throws ConfigError naming the setting and listing the valid names.
template <class E>
E parse_choice(const std::string& name) {
  for (const auto& [v, n] : choice_names(E{}))
    if (name == n) return v;
  throw ConfigError(std::string(choice_what(E{})) + " must be one of " + choice_list<E>() + "; found '" + name + "'");
}

template <class E>
E choice_from_json(const nlohmann::json& j) {
  if (!j.is_string())
    throw ConfigError(std::string(choice_what(E{})) + " must be a name, one of " + choice_list<E>() + "; found " +
                      j.dump());
  return parse_choice<E>(j.get<std::string>());
}

// True for an enum declared with CIMTRAIN_CHOICE.
template <class E, class = void>
struct is_choice : std::false_type {};
template <class E>
struct is_choice<E, std::void_t<decltype(choice_names(std::declval<E>()))>> : std::true_type {};

}  // namespace cimtrain::common

// fmt prints a choice by its name.
template <class E>
struct fmt::formatter<E, char, std::enable_if_t<cimtrain::common::is_choice<E>::value>>
    : fmt::formatter<fmt::string_view> {
  template <class Context>
  auto format(E value, Context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(cimtrain::common::to_name(value), ctx);
  }
};

#define CIMTRAIN_CHOICE(E, WHAT, ...)                                                         \
  inline const std::vector<std::pair<E, const char*>>& choice_names(E) {                      \
    static const std::vector<std::pair<E, const char*>> names = {__VA_ARGS__};                \
    return names;                                                                             \
  }                                                                                           \
  inline const char* choice_what(E) { return WHAT; }                                          \
  inline void to_json(nlohmann::json& j, E value) { j = ::cimtrain::common::to_name(value); } \
  inline void from_json(const nlohmann::json& j, E& value) { value = ::cimtrain::common::choice_from_json<E>(j); }
