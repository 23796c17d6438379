// common::write_file: bytes (text or binary) arrive whole, a failed write names the file and the system's cause,
// leaves no temporary and keeps the previous version; on a full disk (a small tmpfs, mounted when the test runs
// as root, as in CI; skipped where mounting is refused) the same.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/atomic_file.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using cimtrain::common::write_file;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string error_of(const std::string& path, const std::string& bytes) {
  return cimtrain::testing_support::message_of<std::runtime_error>([&] { write_file(path, bytes); });
}

// Only the named files are in `dir` (no temporary left).
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFile, BinaryBytesArriveWholeAndReplaceTheOldVersion) {
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_atomic_file");
  const std::string path = dir + "/sub/f.bin";
  std::string bytes(70000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  write_file(path, "old");
  write_file(path, bytes);
  EXPECT_EQ(read_bytes(path), bytes);
  EXPECT_EQ(names_in(dir + "/sub"), std::vector<std::string>{"f.bin"});
}

TEST(AtomicFile, AFailedWriteNamesTheFileAndTheCause) {
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_atomic_file_fail");
  write_file(dir + "/plain", "x");
  const auto msg = error_of(dir + "/plain/inside.json", "{}");  // its folder is a file
  EXPECT_NE(msg.find("cannot write '" + dir + "/plain/inside.json'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Not a directory"), std::string::npos) << msg;
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"plain"});
  // The folder probe of a command's output says the same before any work.
  const auto probe = cimtrain::testing_support::message_of<std::runtime_error>(
      [&] { cimtrain::common::check_writable_folder(dir + "/plain/out"); });
  EXPECT_NE(probe.find("cannot write"), std::string::npos) << probe;
  EXPECT_NO_THROW(cimtrain::common::check_writable_folder(dir + "/out"));
  EXPECT_EQ(names_in(dir + "/out"), std::vector<std::string>{});
}

// A tmpfs of 64 KiB mounted for the test, unmounted after it.
struct SmallTmpfs {
  std::string dir;
  bool mounted = false;
  int error = EPERM;
  explicit SmallTmpfs(std::string d) : dir(std::move(d)) {
    fs::create_directories(dir);
    mounted = ::geteuid() == 0 && ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") == 0;
    if (!mounted && ::geteuid() == 0) error = errno;
  }
  ~SmallTmpfs() {
    if (mounted) ::umount(dir.c_str());
  }
};

TEST(AtomicFile, OnAFullDiskTheErrorIsClearAndTheOldVersionStays) {
  SmallTmpfs disk(cimtrain::testing_support::fresh_dir("cimtrain_atomic_file_full"));
  // Skipped, not failed, where mounting is refused (not root, or a container without the capability): a
  // machine's permissions are no failure of the code. CI runs as root, where it mounts.
  if (!disk.mounted) GTEST_SKIP() << "could not mount a small tmpfs (needs root): " << std::strerror(disk.error);
  const std::string path = disk.dir + "/results.json";
  write_file(path, "{\"old\": true}\n");
  const auto msg = error_of(path, std::string(1 << 20, 'x'));  // 1 MiB into 64 KiB
  EXPECT_NE(msg.find("cannot write '" + path + "'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No space left on device"), std::string::npos) << msg;
  EXPECT_EQ(read_bytes(path), "{\"old\": true}\n");
  EXPECT_EQ(names_in(disk.dir), std::vector<std::string>{"results.json"});  // the temporary is gone
}

}  // namespace
