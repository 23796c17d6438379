// The data layer's error: a data file or option is missing or malformed. The message names the file,
// what was expected and what was found.
#pragma once

#include <stdexcept>

namespace cimtrain::data {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cimtrain::data
