// Running this program again as a child process (bench's per-mode workers, the experiments' evaluations and
// benchmarks): each child gets its own memory, so peak-memory figures and crashes stay its own.
#pragma once

#include <string>
#include <vector>

namespace cimtrain::common {

// The running cimtrain executable's path (/proc/self/exe).
std::string self_path();

// Runs `args` (argv[0] = program; no shell) with stderr passed through, and returns its standard output;
// throws std::runtime_error naming the command when it cannot start or exits non-zero.
std::string run_and_capture(const std::vector<std::string>& args);

// The command as a user would type it (arguments with spaces or quotes single-quoted), for logs and reports.
std::string command_line(const std::vector<std::string>& args);

}  // namespace cimtrain::common
