// Terminal progress bar (see progress_bar.h).
#include "report/progress_bar.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

namespace cimtrain::report {

ProgressBar::ProgressBar(std::string label, int total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(int done, const std::string& note) {
  // The rate counts from the first update's predecessor (a resumed run starts mid-way): the first item was done
  // since construction, so the clock is not restarted here (that gave absurd rates on the first draw).
  if (first_ < 0) first_ = done > 0 ? done - 1 : 0;
  const auto now = std::chrono::steady_clock::now();
  // Not a terminal (a log file, CI): a plain line every 30 s instead of a redrawn bar.
  const auto interval = enabled_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(30000);
  if (done < total_ && now - last_draw_ < interval) return;
  if (!enabled_ && done >= total_) return;  // the caller's own summary follows
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? (done - first_) / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  constexpr int width = 30;
  const int filled = total_ > 0 ? width * done / total_ : width;
  fmt::print(stderr, "{}{} [{}{}] {}/{} {:.2f} {}/s ETA {:.0f}s {}{}", enabled_ ? "\r" : "", label_,
             std::string(filled, '#'), std::string(width - filled, '.'), done, total_, rate, unit_, eta, note,
             enabled_ ? " " : "\n");
  std::fflush(stderr);
}

void ProgressBar::pause() {
  if (enabled_) fmt::print(stderr, "\r\033[K");
}

void ProgressBar::finish() {
  if (enabled_) fmt::print(stderr, "\n");
}

}  // namespace cimtrain::report
