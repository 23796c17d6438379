// This process's place among the ranks of a distributed run, and the collectives the run needs, on LibTorch's own
// c10d with its Gloo backend (docs/distributed.md). The ranks meet through a TCPStore served by rank 0
// (MASTER_ADDR, MASTER_PORT) or a FileStore on a shared file system (CIMTRAIN_STORE_FILE); without WORLD_SIZE (or
// with 1) the process is a single rank and every collective is a no-op, so the library runs the same either way.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>

namespace cimtrain::dist {

// How the ranks of a run find each other, from the environment (the names PyTorch's launchers use).
struct RankEnvironment {
  int rank = 0;               // RANK
  int world_size = 1;         // WORLD_SIZE
  std::string master_addr;    // MASTER_ADDR: rank 0's address (TCPStore); default 127.0.0.1
  int master_port = 29500;    // MASTER_PORT
  std::string store_file;     // CIMTRAIN_STORE_FILE: a FileStore path instead of the TCPStore
  std::string socket_ifname;  // GLOO_SOCKET_IFNAME: the network interface Gloo binds (else MASTER_ADDR's)
  // CIMTRAIN_DIST_TIMEOUT_S: how long a collective waits for the others (rank 0 may validate alone for a while);
  // joining the others waits at most 10 minutes.
  int timeout_s = 86400;
};

// Reads the environment through `get` (std::getenv by default); a malformed or inconsistent value is a
// common::ConfigError naming the variable.
RankEnvironment rank_environment(const std::function<const char*(const char*)>& get = {});

class Ranks {
 public:
  // A single rank when env.world_size is 1; else connects to the others (blocks until all have joined).
  explicit Ranks(const RankEnvironment& env);
  ~Ranks();
  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;

  // The process's ranks, from its environment, connected on first use.
  static Ranks& world();
  // Makes world() a single rank whatever the environment says (the Python package: a Python process under
  // torchrun is one rank of the user's own torch.distributed). Before the first world(); no effect after it.
  static void use_one_process();

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Rank 0 writes the outputs of a run (tables, JSON, plots, checkpoints); the others only compute.
  bool writes_outputs() const { return rank_ == 0; }

  // How many of the items 0..total-1 are this rank's when item j goes to rank j mod size.
  int share(int total) const { return total > rank_ ? (total - rank_ + size_ - 1) / size_ : 0; }

  // In place over all ranks (CPU tensors, contiguous): the element-wise sum; `root`'s tensor; a barrier.
  void sum(at::Tensor& tensor);
  void broadcast(at::Tensor& tensor, int root = 0);
  void barrier();

 private:
  struct Group;
  int rank_ = 0;
  int size_ = 1;
  std::unique_ptr<Group> group_;
};

}  // namespace cimtrain::dist
