// The run folder's lock (see folder_lock.h).
#include "common/folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

namespace cimtrain::common {

namespace {

// What the holder wrote into the lock file: "pid N, started DATE" ("?" when it cannot be read).
std::string holder_of(int fd) {
  char buf[96] = {};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
}

}  // namespace

FolderLock::FolderLock(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create the folder '" + dir + "': " + ec.message());
  const std::string path = dir + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw std::runtime_error("cannot write in the folder '" + dir + "' (" + std::strerror(errno) +
                             "): choose a folder this user can write");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = holder_of(fd_);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("the folder '" + dir + "' is in use by another cimtrain process (" + holder +
                             "): one writer per folder; wait for it or choose another folder");
  }
  const std::time_t now = std::time(nullptr);
  char started[32];
  std::strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  const std::string pid = "pid " + std::to_string(::getpid()) + ", started " + started;
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("cannot write in the folder '" + dir + "' (" + std::strerror(errno) + ")");
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace cimtrain::common
