// Configuration errors: the exception every layer throws for an impossible or malformed setting, and the
// checks that raise it with a message saying what was expected and what was found.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "common/numeric_range.h"

namespace cimtrain::common {

// Thrown for an impossible or malformed configuration; the message says what was expected and found.
class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

inline void require(bool ok, const std::string& message) {
  if (!ok) throw ConfigError(message);
}

// "name must be a whole number in [lo, hi], found v" (a finite number, for floating types): the same check and
// message as a declared range's (common/numeric_range.h), for settings of config files that no flag sets.
template <class T>
void require_range(const char* name, T value, T lo, T hi) {
  const NumericRange range{name, static_cast<double>(lo), static_cast<double>(hi), std::is_integral_v<T>, "", ""};
  require_in_range(range, static_cast<double>(value), name);
}

template <class T>
void require_non_negative(const char* name, T value) {
  if (!(value >= 0)) {
    std::ostringstream s;
    s << name << " must be >= 0, found " << value;
    throw ConfigError(s.str());
  }
}

}  // namespace cimtrain::common
