// The ranks of a distributed run on c10d's Gloo process group (see ranks.h).
#include "dist/ranks.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "common/errors.h"

namespace cimtrain::dist {

namespace {

int integer_variable(const char* name, const char* text, int lo, int hi) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (!*text || *end || value < lo || value > hi)
    throw common::ConfigError(std::string(name) + " must be a whole number in [" + std::to_string(lo) + ", " +
                              std::to_string(hi) + "], found '" + text + "'");
  return static_cast<int>(value);
}

}  // namespace

RankEnvironment rank_environment(const std::function<const char*(const char*)>& get) {
  const auto read = [&](const char* name) -> const char* {
    const char* v = get ? get(name) : std::getenv(name);
    return v && *v ? v : nullptr;
  };
  RankEnvironment e;
  if (const char* v = read("WORLD_SIZE")) e.world_size = integer_variable("WORLD_SIZE", v, 1, 4096);
  if (const char* v = read("RANK")) e.rank = integer_variable("RANK", v, 0, 4095);
  if (e.rank >= e.world_size)
    throw common::ConfigError("RANK must be below WORLD_SIZE (" + std::to_string(e.world_size) + "), found " +
                              std::to_string(e.rank));
  if (e.world_size > 1 && !read("RANK")) throw common::ConfigError("WORLD_SIZE is set but RANK is not");
  e.master_addr = read("MASTER_ADDR") ? read("MASTER_ADDR") : "127.0.0.1";
  if (const char* v = read("MASTER_PORT")) e.master_port = integer_variable("MASTER_PORT", v, 1, 65535);
  if (const char* v = read("CIMTRAIN_STORE_FILE")) e.store_file = v;
  if (const char* v = read("GLOO_SOCKET_IFNAME")) e.socket_ifname = v;
  if (const char* v = read("CIMTRAIN_DIST_TIMEOUT_S"))
    e.timeout_s = integer_variable("CIMTRAIN_DIST_TIMEOUT_S", v, 1, 86400);
  return e;
}

struct Ranks::Group {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

Ranks::Ranks(const RankEnvironment& env) : rank_(env.rank), size_(env.world_size) {
  if (size_ == 1) return;
  const std::chrono::milliseconds timeout(static_cast<int64_t>(env.timeout_s) * 1000);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    if (!env.store_file.empty()) {
      store = c10::make_intrusive<c10d::FileStore>(env.store_file, size_);
    } else {
      c10d::TCPStoreOptions o;
      o.port = static_cast<uint16_t>(env.master_port);
      o.isServer = rank_ == 0;
      o.numWorkers = static_cast<size_t>(size_);
      o.timeout = std::chrono::seconds(600);  // joining: the ranks start within minutes of each other
      store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
    }
    store->setTimeout(std::chrono::seconds(600));  // for the rendezvous; the collectives wait `timeout`
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // The address Gloo binds on this machine: the interface asked for; the loopback when every rank is here
    // (MASTER_ADDR 127.x or localhost); else the address this machine's hostname resolves to.
    const bool local = env.master_addr.rfind("127.", 0) == 0 || env.master_addr == "localhost";
    options->devices.push_back(!env.socket_ifname.empty()
                                   ? c10d::ProcessGroupGloo::createDeviceForInterface(env.socket_ifname)
                               : local ? c10d::ProcessGroupGloo::createDeviceForHostname(env.master_addr)
                                       : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 1;
    group_ = std::make_unique<Group>();
    group_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("cimtrain", store),
                                                             rank_, size_, options);
  } catch (const c10::Error& e) {
    throw std::runtime_error(
        "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " could not join the others (" +
        (env.store_file.empty() ? "TCPStore " + env.master_addr + ":" + std::to_string(env.master_port)
                                : "FileStore " + env.store_file) +
        "): " + e.what_without_backtrace());
  }
}

Ranks::~Ranks() = default;

namespace {
bool g_one_process = false;
}  // namespace

void Ranks::use_one_process() { g_one_process = true; }

Ranks& Ranks::world() {
  static Ranks ranks(g_one_process ? RankEnvironment{} : rank_environment());
  return ranks;
}

namespace {
void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
  const std::string failed = std::string("a ") + what + " over the ranks failed (did another rank stop?): ";
  try {
    work->wait();
  } catch (const c10::Error& e) {
    throw std::runtime_error(failed + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw std::runtime_error(failed + e.what());
  }
}
}  // namespace

void Ranks::sum(at::Tensor& tensor) {
  if (size_ == 1) return;
  std::vector<at::Tensor> tensors = {tensor};
  wait(group_->pg->allreduce(tensors), "sum");
}

void Ranks::broadcast(at::Tensor& tensor, int root) {
  if (size_ == 1) return;
  std::vector<at::Tensor> tensors = {tensor};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  wait(group_->pg->broadcast(tensors, o), "broadcast");
}

void Ranks::barrier() {
  if (size_ == 1) return;
  wait(group_->pg->barrier(), "barrier");
}

}  // namespace cimtrain::dist
