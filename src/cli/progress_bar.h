// A terminal progress bar on stderr with rate and ETA; silent when stderr is not a terminal.
#pragma once

#include <chrono>
#include <string>

namespace cimtrain::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int total, std::string unit = "it");
  void update(int done);  // redraws at most ~10 times a second, always at the end
  void finish();          // ends the line

 private:
  std::string label_, unit_;
  int total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace cimtrain::cli
