// A progress bar on stderr with rate and ETA, redrawn in a terminal; elsewhere (logs, CI) a line every 30 s.
#pragma once

#include <chrono>
#include <string>

namespace cimtrain::report {

class ProgressBar {
 public:
  ProgressBar(std::string label, int total, std::string unit = "it");
  // Redraws at most ~10 times a second, always at the end; `note` (e.g. "loss 0.42") follows the rate.
  void update(int done, const std::string& note = "");
  void pause();   // clears the bar's line so that a log line can be printed; the next update redraws it
  void finish();  // ends the line

 private:
  std::string label_, unit_;
  int total_;
  int first_ = -1;  // the first `done` seen: the rate counts from there (a resumed run starts mid-way)
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace cimtrain::report
