// Atomic file writes (see atomic_file.h).
#include "common/atomic_file.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace cimtrain::common {

namespace fs = std::filesystem;

void write_file(const std::string& path, const std::string& text) {
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write '" + path + "'");
  }
  fs::rename(tmp, path);
}

}  // namespace cimtrain::common
