// Helpers shared by the test suites: running the cimtrain program, fresh temporary folders, and the data sets
// a test needs (skipped when missing on a developer machine; in CI, CI=true, a missing data set fails the test).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

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

struct InterruptedRun {
  int rows;    // the rows of steps.csv (header included) seen before Ctrl-C; the run made no progress if too few
  int status;  // waitpid's status of the program
};

// Starts `cimtrain ARGS` (stdout dropped, stderr to `log`), waits until RUN_DIR/steps.csv has `rows` rows (at
// most 60 s), presses Ctrl-C (SIGINT) and waits for the program to end, as a user stopping a run would.
inline InterruptedRun interrupt_after_rows(const std::vector<std::string>& args, const std::string& run_dir,
                                           const std::string& log, int rows) {
  const pid_t pid = fork();
  if (pid < 0) return {0, -1};
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen(log.c_str(), "w", stderr)) _exit(126);
    std::vector<char*> argv = {const_cast<char*>(CIMTRAIN_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(CIMTRAIN_BINARY, argv.data());
    _exit(127);
  }
  int seen = 0;
  for (int i = 0; i < 600 && seen < rows; ++i) {
    usleep(100000);
    std::ifstream in(run_dir + "/steps.csv");
    seen = 0;
    for (std::string line; std::getline(in, line);) seen += !line.empty();
  }
  kill(pid, SIGINT);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return {seen, -1};
  return {seen, status};
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
