// Atomic, durable file writes (see atomic_file.h), on POSIX calls so that every failure has its errno.
#include "common/atomic_file.h"

#include "common/errors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace cimtrain::common {

namespace fs = std::filesystem;

namespace {

std::runtime_error write_error(const std::string& path, int error) {
  return std::runtime_error("cannot write '" + path + "': " + std::strerror(error));
}

void make_folder(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error("cannot write '" + path + "': cannot create its folder: " + ec.message());
}

// Writes all of `bytes` to `fd`; the errno of the first failure, 0 when all went.
int write_all(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

// fsync of the folder holding `path`, so that the rename itself survives a crash (best effort: some file
// systems refuse to sync a folder).
void sync_folder(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  const int fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file(const std::string& path, std::string_view bytes) {
  make_folder(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw write_error(path, errno);
  int error = write_all(fd, bytes);
  if (!error && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && !error) error = errno;
  if (!error && ::rename(tmp.c_str(), path.c_str()) != 0) error = errno;
  if (error) {
    ::unlink(tmp.c_str());
    throw write_error(path, error);
  }
  sync_folder(path);
}

void check_writable_folder(const std::string& dir) {
  const std::string probe = (fs::path(dir) / (".cimtrain-write-probe." + std::to_string(::getpid()))).string();
  write_file(probe, "probe\n");
  ::unlink(probe.c_str());
}

void check_output_file(const std::string& path, const std::string& flag) {
  const fs::path parent = fs::path(path).parent_path();
  const std::string folder = parent.empty() ? "." : parent.string();
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw ConfigError(flag + " '" + path + "': its folder '" + folder + "' does not exist (create it first)");
  try {
    check_writable_folder(folder);
  } catch (const std::runtime_error& e) {
    throw ConfigError(flag + " '" + path + "': " + e.what());
  }
}

}  // namespace cimtrain::common
