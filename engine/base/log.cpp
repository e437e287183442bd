// engine/base/log.cpp — see log.hpp.
#include "base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "base/status.hpp"

namespace emdb::log {
namespace {

std::atomic<int> g_level{EMDB_LOG_WARN};
std::atomic<unsigned> g_flags{0};
std::atomic<EMDB_debug_func*> g_logger{nullptr};

std::shared_ptr<spdlog::logger> DefaultLogger() {
  static std::once_flag once;
  static std::shared_ptr<spdlog::logger> logger;
  std::call_once(once, [] {
    logger = spdlog::get("emdb");
    if (!logger) {
      logger = spdlog::stderr_color_mt("emdb");
    }
    logger->set_level(spdlog::level::trace);
  });
  return logger;
}

spdlog::level::level_enum ToSpd(EMDB_log_level_t level) {
  switch (level) {
    case EMDB_LOG_FATAL:
      return spdlog::level::critical;
    case EMDB_LOG_ERROR:
      return spdlog::level::err;
    case EMDB_LOG_WARN:
      return spdlog::level::warn;
    case EMDB_LOG_NOTICE:
    case EMDB_LOG_VERBOSE:
      return spdlog::level::info;
    case EMDB_LOG_DEBUG:
      return spdlog::level::debug;
    default:
      return spdlog::level::trace;
  }
}

}  // namespace

int Level() { return g_level.load(std::memory_order_relaxed); }
unsigned DebugFlags() { return g_flags.load(std::memory_order_relaxed); }

void Log(EMDB_log_level_t level, const char* func, int line, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  EMDB_debug_func* custom = g_logger.load(std::memory_order_acquire);
  if (custom != nullptr) {
    custom(level, func, line, fmt, args);
  } else {
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, args);
    try {
      DefaultLogger()->log(ToSpd(level), "{}: {}", func, buf);
    } catch (...) {
      std::fprintf(stderr, "emdb: %s: %s\n", func, buf);
    }
  }
  va_end(args);
}

int SetupDebug(EMDB_log_level_t level, EMDB_debug_flags_t flags, EMDB_debug_func* logger) {
  int prev = (g_level.load() << 16) | int(g_flags.load() & 0xffff);
  if (level != EMDB_LOG_DONTCHANGE) g_level.store(level);
  if (flags != EMDB_DBG_DONTCHANGE) g_flags.store(unsigned(flags));
  if (logger != EMDB_LOGGER_DONTCHANGE) g_logger.store(logger);
  return prev;
}

}  // namespace emdb::log

namespace emdb {
[[noreturn]] void EnsureFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "emdb: internal check failed: %s at %s:%d\n", expr, file, line);
  std::fflush(stderr);
  std::abort();
}
}  // namespace emdb
