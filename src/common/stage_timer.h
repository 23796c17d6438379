// Opt-in wall-clock accounting of the simulator's stages (programming, drive, products, ADC, ...), so a
// benchmark can show where a noisy step's time goes. Off by default: a disabled timer costs one relaxed
// atomic load. Stages may nest; each accumulates its own inclusive time.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace cimtrain::common {

// Turns the accounting on or off (process-wide) and clears what was accumulated.
void enable_stage_timing(bool on);
bool stage_timing_enabled();
// Accumulated seconds per stage since the last enable_stage_timing(true) or reset_stage_times().
std::map<std::string, double> stage_times();
void reset_stage_times();

// Adds the time from construction to destruction to stage `name` (a string literal) when timing is on.
class StageTimer {
 public:
  explicit StageTimer(const char* name);
  ~StageTimer();
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace cimtrain::common
