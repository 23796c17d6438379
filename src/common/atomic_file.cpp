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
  std::ofstream out(tmp, std::ios::trunc);
  out << text;
  out.close();  // the data reach the file system here: a full disk shows now
  if (out.fail()) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot write '" + path + "' (disk full or not writable?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot write '" + path + "': " + ec.message());
}

}  // namespace cimtrain::common
