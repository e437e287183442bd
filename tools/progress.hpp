// A progress bar for long operations of the emdb CLI, drawn on stderr: a bar, done/total, rate
// and ETA, redrawn at most 10 times a second. By default it shows only when stderr is a
// terminal; `--progress` forces it on, `--no-progress` off (add_progress_options). Never writes
// to stdout, so piped output stays clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace emdb_tool {

enum class ProgressMode { kAuto, kOn, kOff };

// Adds --progress / --no-progress to `app`, storing the choice in *mode.
void add_progress_options(CLI::App &app, ProgressMode *mode);

class Progress {
 public:
  // `label` prefixes the line ("chk"), `unit` names what is counted ("pages", "records",
  // "bytes": bytes are shown in KiB/MiB/GiB). total 0: unknown (no bar, no ETA).
  Progress(std::string label, std::uint64_t total, ProgressMode mode, std::string unit = "pages");
  ~Progress();
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  bool enabled() const { return enabled_; }
  void set_total(std::uint64_t total) { total_ = total; }
  // Reports `done` units so far; redraws when enough time passed.
  void update(std::uint64_t done);
  // Draws the final state and ends the line (also done by the destructor).
  void finish();

 private:
  void draw(bool final);
  std::string amount(std::uint64_t v) const;

  std::string label_, unit_;
  std::uint64_t total_ = 0, done_ = 0;
  bool enabled_ = false, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace emdb_tool
