// The process's memory and CPU use (see process_usage.h).
#include "common/process_usage.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace cimtrain::common {

double current_rss_mb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double physical_memory_mb() {
  return static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

RssSampler::RssSampler() : thread_([this] { loop(); }) {}

RssSampler::~RssSampler() { stop(); }

double RssSampler::stop() {
  if (thread_.joinable()) {
    done_ = true;
    thread_.join();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return count_ ? sum_ / static_cast<double>(count_) : current_rss_mb();
}

void RssSampler::loop() {
  while (!done_) {
    const double r = current_rss_mb();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sum_ += r;
      ++count_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace cimtrain::common
