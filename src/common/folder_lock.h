// One writer per run folder: an exclusive lock on DIR/.lock (flock) held while the object lives. A second
// writer is refused at once, with the holder's process id and start time; the kernel drops the lock when the
// holder ends, however it ends (Ctrl-C, SIGKILL), so a lock is never left stale.
#pragma once

#include <string>

namespace cimtrain::common {

class FolderLock {
 public:
  // Creates `dir` if needed and locks it; throws std::runtime_error naming the folder when it cannot be
  // created or written, or when another process holds it.
  explicit FolderLock(const std::string& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cimtrain::common
