// The local launcher: `cimtrain --ranks N COMMAND ...` starts N ranks of this program on this machine, meeting
// through a TCPStore on 127.0.0.1, with the cores divided among them; it forwards Ctrl-C and SIGTERM to every
// rank, and fails as a whole when one rank fails: the others are stopped and that rank's last lines are shown.
#pragma once

#include <string>
#include <vector>

namespace cimtrain::dist {

// Runs `args` (the command line after the program's name, without --ranks and --threads) as `ranks` ranks with
// `threads` LibTorch threads each. Rank 0 prints to this terminal; ranks 1.. write to a log each (kept, and its path
// printed, when a rank fails). Returns the exit status for the whole run: 0 when every rank succeeded, 130 when
// interrupted, else the first failing rank's.
int run_ranks(const std::vector<std::string>& args, int ranks, int threads);

// A TCP port free on 127.0.0.1 now (the kernel's pick).
int free_local_port();

}  // namespace cimtrain::dist
