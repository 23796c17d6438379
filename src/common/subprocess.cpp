// Child processes of this program (see subprocess.h).
#include "common/subprocess.h"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace cimtrain::common {

std::string self_path() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

std::string command_line(const std::vector<std::string>& args) {
  std::string cmd;
  for (const auto& a : args) {
    const bool plain = !a.empty() && a.find_first_of(" \t'\"$\\*?;&|<>()") == std::string::npos;
    std::string q = "'";
    for (const char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += (cmd.empty() ? "" : " ") + (plain ? a : q + "'");
  }
  return cmd;
}

std::string run_and_capture(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("cannot create a pipe for: " + command_line(args));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot start a process for: " + command_line(args));
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    throw std::runtime_error(fmt::format("command killed by signal {} ({}): {}", WTERMSIG(status),
                                         strsignal(WTERMSIG(status)), command_line(args)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(fmt::format(
        "command failed (exit status {}{}): {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
        WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ", could not be started" : "", command_line(args)));
  return out;
}

}  // namespace cimtrain::common
