#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace emdb_tool {
namespace {

std::string amount(double v, bool items) {
  static constexpr const char *kBytes[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  static constexpr const char *kItems[] = {"", "k", "M", "G", "T"};
  const double step = items ? 1000.0 : 1024.0;
  int unit = 0;
  while (v >= step && unit < 4) {
    v /= step;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f%s" : "%.1f%s", v,
                items ? kItems[unit] : kBytes[unit]);
  return buf;
}

std::string duration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  const auto s = static_cast<unsigned long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lu:%02lu:%02lu", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%02lu:%02lu", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

bool progress_wanted(int choice) { return choice >= 0 && isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, std::uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      shown_(enabled && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  // Not finished by the caller: the operation stopped early; leave the bar where it is.
  if (finished_ || !shown_) return;
  finished_ = true;
  draw(true);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void Progress::update(std::uint64_t done) {
  done_ = done;
  if (!shown_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!shown_) return;
  // Done: the estimate (e.g. a compact copy's size) gives way to what was really done.
  if (done_ > 0) total_ = done_;
  draw(true);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void Progress::draw(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  std::string line = "\r" + label_ + " ";
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    constexpr int kWidth = 30;
    const int fill = static_cast<int>(frac * kWidth);
    line += '[';
    line.append(static_cast<size_t>(fill), '#');
    line.append(static_cast<size_t>(kWidth - fill), '.');
    char pct[16];
    std::snprintf(pct, sizeof pct, "] %3.0f%% ", frac * 100);
    line += pct;
  }
  line += amount(static_cast<double>(done_), items_);
  if (total_ > 0) line += "/" + amount(static_cast<double>(total_), items_);
  line += "  " + amount(rate, items_) + "/s";
  if (final) {
    line += "  " + duration(elapsed);
  } else if (total_ > 0 && rate > 0) {
    const double left = static_cast<double>(total_ > done_ ? total_ - done_ : 0) / rate;
    line += "  ETA " + duration(left);
  }
  line += "\x1b[K";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace emdb_tool
