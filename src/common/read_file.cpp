// Reading a whole file with errors that name it and the cause (see read_file.h).
#include "common/read_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/errors.h"

namespace cimtrain::common {

std::string read_file(const std::string& path, const std::string& what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw ConfigError("cannot read " + what + " '" + path + "': " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw ConfigError(what + " '" + path + "' is a folder, expected a file");
  const std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw ConfigError("cannot read " + what + " '" + path + "': " + std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) bytes.append(buffer, n);
  if (std::ferror(file.get())) throw ConfigError("cannot read " + what + " '" + path + "': " + std::strerror(errno));
  return bytes;
}

}  // namespace cimtrain::common
