// Writing a file atomically: a reader sees the old file or the new one, never half of one.
#pragma once

#include <string>

namespace cimtrain::common {

// Writes `text` to `path` through a temporary file and a rename; creates the folder; throws naming the file
// when it cannot.
void write_file(const std::string& path, const std::string& text);

}  // namespace cimtrain::common
