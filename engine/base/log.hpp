// engine/base/log.hpp — the logging bridge. Messages go to the logger installed with
// emdb_setup_debug(), by default an spdlog logger writing to stderr.
//
// Thread safety: Log() may be called from any thread; SetupDebug() swaps settings atomically.
#pragma once

#include <emdb/emdb.h>

namespace emdb::log {

// Current log level (messages above it are dropped before formatting).
int Level();
void Log(EMDB_log_level_t level, const char* func, int line, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
int SetupDebug(EMDB_log_level_t level, EMDB_debug_flags_t flags, EMDB_debug_func* logger);
unsigned DebugFlags();

}  // namespace emdb::log

#define EMDB_LOG(level, ...)                                      \
  do {                                                            \
    if ((level) <= ::emdb::log::Level())                          \
      ::emdb::log::Log((level), __func__, __LINE__, __VA_ARGS__); \
  } while (0)
#define EMDB_LOG_ERR(...) EMDB_LOG(EMDB_LOG_ERROR, __VA_ARGS__)
#define EMDB_LOG_WARNING(...) EMDB_LOG(EMDB_LOG_WARN, __VA_ARGS__)
#define EMDB_LOG_DBG(...) EMDB_LOG(EMDB_LOG_DEBUG, __VA_ARGS__)
