// Helpers shared by the test suites: running the cimtrain program and fresh temporary folders.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace cimtrain::testing_support {

struct ProgramRun {
  int exit_code;
  std::string out;  // stdout, and stderr unless it was dropped
};

// Runs `cimtrain ARGS` (CIMTRAIN_BINARY) through the shell and collects its output and exit code.
inline ProgramRun run_cimtrain(const std::string& args, bool with_stderr = true) {
  const std::string cmd = std::string(CIMTRAIN_BINARY) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// An empty folder TempDir()/NAME (removed first if it exists); created unless `create` is false.
inline std::string fresh_dir(const std::string& name, bool create = true) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::remove_all(dir);
  if (create) std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace cimtrain::testing_support
