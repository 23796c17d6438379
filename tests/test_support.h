// Helpers shared by the test suites: running the cimtrain program, fresh temporary folders, and the data sets
// a test needs (skipped when missing on a developer machine; in CI, CI=true, a missing data set fails the test).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "data/data_location.h"

namespace cimtrain::testing_support {

struct ProgramRun {
  int exit_code;
  std::string out;  // stdout, and stderr unless it was dropped
};

// Runs `cimtrain ARGS` (CIMTRAIN_BINARY) through the shell and collects its output and exit code; `env`
// ("NAME=value ...") is set for that run only.
inline ProgramRun run_cimtrain(const std::string& args, bool with_stderr = true, const std::string& env = "") {
  const std::string cmd = (env.empty() ? "" : "env " + env + " ") + std::string(CIMTRAIN_BINARY) + " " + args +
                          (with_stderr ? " 2>&1" : " 2>/dev/null");
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

// The message of the `Error` that `f` throws (a test failure when it throws none).
template <class Error>
inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return "";
}

// True under CI (the environment variable CI is "true"): tests that need data must not skip there.
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

inline bool have_fashion_mnist() {
  const std::string dir = data::default_fashion_mnist_dir();
  return std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz") ||
         std::filesystem::exists(dir + "/train-images-idx3-ubyte");
}
inline bool have_cifar10() { return std::filesystem::exists(data::default_cifar10_dir() + "/test_batch.bin"); }
inline bool have_shakespeare() { return std::filesystem::exists(data::default_text_path()); }

}  // namespace cimtrain::testing_support

// Skips the test when `available` is false (naming the data set and where to get it); fails it in CI.
#define CIMTRAIN_REQUIRE_DATA(available, dataset)                                                     \
  do {                                                                                                \
    if (!(available)) {                                                                               \
      if (::cimtrain::testing_support::in_ci()) {                                                     \
        FAIL() << dataset << " is missing, and CI=true: " << ::cimtrain::data::where_to_get(dataset); \
      } else {                                                                                        \
        GTEST_SKIP() << dataset << " is missing: " << ::cimtrain::data::where_to_get(dataset);        \
      }                                                                                               \
    }                                                                                                 \
  } while (0)
