// The process's own resource use, read from /proc and getrusage: resident memory now and at its peak, CPU
// seconds, and a sampler of the resident memory over a stretch of work (the step benchmark's memory figures).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

namespace cimtrain::common {

double current_rss_mb();      // resident set size now (/proc/self/statm), MiB
double peak_rss_mb();         // peak resident set size (VmHWM in /proc/self/status), MiB
double cpu_seconds();         // user + system CPU time of the process so far, seconds
double physical_memory_mb();  // the machine's physical memory (sysconf), MiB

// Samples the resident set size every 5 ms on a thread of its own while alive.
class RssSampler {
 public:
  RssSampler();
  ~RssSampler();
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;
  // Stops sampling; the mean resident set size over the samples, MiB (the present one when there were none).
  double stop();

 private:
  void loop();
  std::atomic<bool> done_{false};
  std::mutex mutex_;
  double sum_ = 0;
  int64_t count_ = 0;
  std::thread thread_;
};

}  // namespace cimtrain::common
