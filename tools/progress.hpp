// A progress bar on stderr for long operations (copy, dump, load): percentage, bytes or items
// done, rate and ETA, redrawn at most ten times a second. It is drawn only when enabled and
// stderr is a terminal, so pipes and logs never see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace emdb_tool {

class Progress {
 public:
  // `total` is the expected amount of work (0: unknown, no percentage and no ETA).
  // `enabled` is the user's choice (--progress / --no-progress); the bar is still shown only
  // when stderr is a terminal.
  Progress(std::string label, std::uint64_t total, bool enabled);
  ~Progress();
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  // Reports `done` units of work so far (monotonic).
  void update(std::uint64_t done);
  // The operation completed: draws the final state at 100% and ends the line. (When the
  // object is destroyed without finish(), the bar is left at its last value.)
  void finish();
  bool shown() const { return shown_; }
  // Units are bytes (shown as KiB/MiB/...) unless set to items.
  void set_items(bool items) { items_ = items; }

 private:
  void draw(bool final);
  std::string label_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  bool shown_;
  bool finished_ = false;
  bool items_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// Whether a progress bar would be shown: `choice` is +1 (--progress), -1 (--no-progress) or 0
// (default: on when stderr is a terminal).
bool progress_wanted(int choice);

}  // namespace emdb_tool
