// The local launcher of ranks (see rank_launcher.h): fork/exec of this program per rank, signal forwarding, and
// the run failing as a whole.
#include "dist/rank_launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/subprocess.h"

namespace cimtrain::dist {

namespace {

std::vector<pid_t> g_children;
volatile sig_atomic_t g_interrupted = 0;

extern "C" void forward_signal(int signal) {
  g_interrupted = 1;
  for (const pid_t pid : g_children)
    if (pid > 0) ::kill(pid, signal);
}

// The last `lines` lines of a log file.
std::string tail_of(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "  " + all[i] + "\n";
  return out;
}

std::string exit_text(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exit status {}", WEXITSTATUS(status));
}

}  // namespace

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("cannot open a socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  return ntohs(address.sin_port);
}

namespace {

// Starts rank `r` of `ranks`: this program with `argv`, the rank's variables, its own process group (a Ctrl-C in
// the terminal reaches the launcher alone, which forwards it once: the training command takes a second SIGINT as
// "kill at once"), and for ranks above 0 its output in a log of `log_dir`.
pid_t start_rank(int r, int ranks, int port, const std::string& log_dir, std::vector<char*>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start rank " + std::to_string(r) + ": " + std::strerror(errno));
  if (pid > 0) return pid;
  ::setpgid(0, 0);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::setenv("RANK", std::to_string(r).c_str(), 1);
  ::setenv("WORLD_SIZE", std::to_string(ranks).c_str(), 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  ::unsetenv("CIMTRAIN_STORE_FILE");
  if (r > 0) {
    const std::string log = log_dir + "/rank-" + std::to_string(r) + ".log";
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// Waits for every rank; at the first that fails, stops the others. The failing rank (or -1) and its status.
std::pair<int, int> wait_for_ranks(int ranks) {
  int first_failed = -1, failed_status = 0, running = ranks;
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int r = 0;
    while (r < ranks && g_children[static_cast<size_t>(r)] != pid) ++r;
    if (r == ranks) continue;
    g_children[static_cast<size_t>(r)] = -1;
    --running;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    // After a forwarded Ctrl-C every rank stops by itself (exit 130, rank 0 once its checkpoint is saved): a
    // second signal now would kill a rank that is still saving.
    const bool stopped = g_interrupted && WIFEXITED(status) && WEXITSTATUS(status) == 130;
    if (stopped && first_failed < 0) {
      first_failed = r;
      failed_status = status;
    } else if (!ok && first_failed < 0) {
      first_failed = r;
      failed_status = status;
      for (const pid_t other : g_children)  // the run fails as a whole: stop the others
        if (other > 0) ::kill(other, SIGTERM);
    }
  }
  return {first_failed, failed_status};
}

}  // namespace

int run_ranks(const std::vector<std::string>& args, int ranks, int threads) {
  char log_template[] = "/tmp/cimtrain-ranks-XXXXXX";
  if (!::mkdtemp(log_template))
    throw std::runtime_error(std::string("cannot make a log folder: ") + std::strerror(errno));
  const std::string log_dir = log_template;
  const int port = free_local_port();
  std::vector<std::string> argv_strings = {common::self_path(), "--threads", std::to_string(threads)};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  g_children.assign(static_cast<size_t>(ranks), -1);
  struct sigaction forward {};
  forward.sa_handler = forward_signal;
  sigemptyset(&forward.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, &forward, &old_int);
  ::sigaction(SIGTERM, &forward, &old_term);
  for (int r = 0; r < ranks; ++r) g_children[static_cast<size_t>(r)] = start_rank(r, ranks, port, log_dir, argv);
  const auto [first_failed, failed_status] = wait_for_ranks(ranks);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  g_children.clear();

  if (first_failed < 0) {
    std::filesystem::remove_all(log_dir);
    return 0;
  }
  if (g_interrupted && WIFEXITED(failed_status) && WEXITSTATUS(failed_status) == 130) return 130;
  fmt::print(stderr, "cimtrain: rank {} of {} failed ({}); the run stopped.\n", first_failed, ranks,
             exit_text(failed_status));
  if (first_failed > 0)
    fmt::print(stderr, "its last lines ({}/rank-{}.log):\n{}", log_dir, first_failed,
               tail_of(log_dir + "/rank-" + std::to_string(first_failed) + ".log", 12));
  fmt::print(stderr, "logs of ranks 1-{}: {}\n", ranks - 1, log_dir);
  return WIFEXITED(failed_status) && WEXITSTATUS(failed_status) != 0 ? WEXITSTATUS(failed_status) : 1;
}

}  // namespace cimtrain::dist
