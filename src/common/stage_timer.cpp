// Stage accounting (see stage_timer.h).
#include "common/stage_timer.h"

#include <atomic>
#include <mutex>

namespace cimtrain::common {

namespace {
std::atomic<bool> g_enabled{false};
std::mutex g_mutex;
std::map<std::string, double>& table() {
  static std::map<std::string, double> t;
  return t;
}
}  // namespace

void enable_stage_timing(bool on) {
  reset_stage_times();
  g_enabled.store(on, std::memory_order_relaxed);
}

bool stage_timing_enabled() { return g_enabled.load(std::memory_order_relaxed); }

std::map<std::string, double> stage_times() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return table();
}

void reset_stage_times() {
  std::lock_guard<std::mutex> lock(g_mutex);
  table().clear();
}

StageTimer::StageTimer(const char* name) : name_(stage_timing_enabled() ? name : nullptr) {
  if (name_) start_ = std::chrono::steady_clock::now();
}

StageTimer::~StageTimer() {
  if (!name_) return;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard<std::mutex> lock(g_mutex);
  table()[name_] += s;
}

}  // namespace cimtrain::common
