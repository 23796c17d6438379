// A declared range of a numeric setting: its bounds, whether it is a whole number, its unit and meaning. The same
// declaration checks the setting wherever it is given (a command's flag, a config file, the Python package) and
// documents it (`cimtrain ranges`, docs/options.md), so that a value refused in one place is refused in all.
#pragma once

#include <optional>
#include <string>

namespace cimtrain::common {

struct NumericRange {
  const char* name;            // the setting, e.g. "level"
  double min;                  // smallest value allowed (excluded when min_exclusive)
  double max;                  // largest value allowed
  bool integer;                // a whole number
  const char* unit;            // "" for a pure number, else e.g. "s", "K", "images"
  const char* meaning;         // one line, for the documentation
  bool min_exclusive = false;  // (min, max] instead of [min, max]
};

// "[0, 10]", "(0, 10]", "[1, 100000] instances".
std::string range_text(const NumericRange& range);

// Why `value` is outside the range ("must be a finite number in [0, 10], found 50", "must be a whole number in
// [1, 100000] instances, found 0.5"; non-finite and fractional values for
// integers included), or nothing when it is inside.
std::optional<std::string> range_violation(const NumericRange& range, double value);

// Throws common::ConfigError "LABEL must be a finite (whole) number in [..], found V" when `value` is outside it.
void require_in_range(const NumericRange& range, double value, const std::string& label);

// The same for the text of a flag's value: it must be a number (all of it) inside the range.
std::optional<std::string> text_range_violation(const NumericRange& range, const std::string& text);

}  // namespace cimtrain::common
