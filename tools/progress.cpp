// See progress.hpp.
#include "progress.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

namespace emdb_tool {

void add_progress_options(CLI::App &app, ProgressMode *mode) {
  app.add_flag_callback(
      "--progress", [mode] { *mode = ProgressMode::kOn; },
      "Show a progress bar on stderr even when it is not a terminal");
  app.add_flag_callback(
      "--no-progress", [mode] { *mode = ProgressMode::kOff; }, "Never show a progress bar");
}

Progress::Progress(std::string label, std::uint64_t total, ProgressMode mode, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  enabled_ = mode == ProgressMode::kOn || (mode == ProgressMode::kAuto && ::isatty(2) == 1);
  start_ = last_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { finish(); }

std::string Progress::amount(std::uint64_t v) const {
  char b[64];
  if (unit_ == "bytes") {
    static constexpr const char *kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double x = double(v);
    int u = 0;
    while (x >= 1024 && u < 4) {
      x /= 1024;
      u++;
    }
    std::snprintf(b, sizeof(b), "%.1f %s", x, kUnits[u]);
  } else {
    std::snprintf(b, sizeof(b), "%llu", static_cast<unsigned long long>(v));
  }
  return b;
}

void Progress::update(std::uint64_t done) {
  done_ = done;
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  draw(false);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (total_ && done_ < total_) done_ = total_;
  draw(true);
}

void Progress::draw(bool final) {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? double(done_) / secs : 0;
  std::string line = "\r" + label_ + " ";
  if (total_) {
    const double frac = done_ >= total_ ? 1.0 : double(done_) / double(total_);
    const int width = 30, fill = int(frac * width);
    line += "[" + std::string(size_t(fill), '#') + std::string(size_t(width - fill), ' ') + "] ";
    char pct[16];
    std::snprintf(pct, sizeof(pct), "%3d%% ", int(frac * 100));
    line += pct;
    line += amount(done_) + "/" + amount(total_) + " " + (unit_ == "bytes" ? "" : unit_);
  } else {
    line += amount(done_) + " " + (unit_ == "bytes" ? "" : unit_);
  }
  char tail[96];
  std::snprintf(tail, sizeof(tail), "  %s/s", amount(std::uint64_t(rate)).c_str());
  line += tail;
  if (!final && total_ && rate > 0 && done_ < total_) {
    const double eta = double(total_ - done_) / rate;
    std::snprintf(tail, sizeof(tail), "  ETA %dm%02ds", int(eta) / 60, int(eta) % 60);
    line += tail;
  } else if (final) {
    std::snprintf(tail, sizeof(tail), "  %.1fs", secs);
    line += tail;
  }
  line += "\033[K";
  if (final) line += "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace emdb_tool
