// Numeric flags bound to their declared range (common/declared_ranges.h): the value is checked as the flag is
// read (a value outside the range, non-finite, fractional for a whole number or not a number at all is refused
// with the range, exit status 2), the help shows the range beside the type, and the flag is recorded for
// `cimtrain ranges`, which lists every numeric flag with its range and refuses a numeric flag without one.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>

#include "common/numeric_range.h"

namespace cimtrain::cli {

inline constexpr const char* kDeclaredRange = "declared-range";

// The declared range of each ranged flag of this program (for `cimtrain ranges`).
inline std::map<const CLI::Option*, const common::NumericRange*>& declared_range_of() {
  static std::map<const CLI::Option*, const common::NumericRange*> ranges;
  return ranges;
}

inline CLI::Option* with_range(CLI::Option* option, const common::NumericRange& range) {
  option->check(CLI::Validator(
      [&range](std::string& text) { return common::text_range_violation(range, text).value_or(std::string()); },
      common::range_text(range), kDeclaredRange));
  declared_range_of()[option] = &range;
  return option;
}

// A number or a list of numbers (each element checked).
template <class T>
CLI::Option* add_ranged_option(CLI::App* cmd, const std::string& flag, T& target, const common::NumericRange& range,
                               const std::string& help) {
  return with_range(cmd->add_option(flag, target, help), range);
}

// An optional number: "not set" (std::nullopt) unless the flag is given.
template <class T>
CLI::Option* add_ranged_option(CLI::App* cmd, const std::string& flag, std::optional<T>& target,
                               const common::NumericRange& range, const std::string& help) {
  return with_range(cmd->add_option_function<T>(
                        flag, [&target](const T& value) { target = value; }, help),
                    range);
}

}  // namespace cimtrain::cli
