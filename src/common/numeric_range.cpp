// Declared numeric ranges: the text of a range and the checks against it (see numeric_range.h).
#include "common/numeric_range.h"

#include <fmt/core.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common/errors.h"

namespace cimtrain::common {

std::string range_text(const NumericRange& range) {
  const std::string unit = *range.unit ? std::string(" ") + range.unit : "";
  return fmt::format("{}{:g}, {:g}]{}", range.min_exclusive ? "(" : "[", range.min, range.max, unit);
}

std::optional<std::string> range_violation(const NumericRange& range, double value) {
  const std::string kind = range.integer ? "a whole number" : "a finite number";
  const bool below = range.min_exclusive ? !(value > range.min) : !(value >= range.min);
  if (std::isfinite(value) && !below && value <= range.max && (!range.integer || value == std::floor(value)))
    return std::nullopt;
  return fmt::format("must be {} in {}, found {:.10g}", kind, range_text(range), value);
}

void require_in_range(const NumericRange& range, double value, const std::string& label) {
  if (const auto why = range_violation(range, value)) throw ConfigError(label + " " + *why);
}

std::optional<std::string> text_range_violation(const NumericRange& range, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    return fmt::format("expected {} in {}, found '{}'", range.integer ? "a whole number" : "a number",
                       range_text(range), text);
  if (errno == ERANGE && std::isinf(value))
    return fmt::format("must be in {}, found '{}' (beyond any number this program can hold)", range_text(range), text);
  return range_violation(range, value);
}

}  // namespace cimtrain::common
