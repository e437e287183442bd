/* emdb.h — the C API of emdb, an embedded copy-on-write B+tree key-value store.
 *
 * The API mirrors libmdbx 0.13: every name is libmdbx's with the prefix `mdbx_`/`MDBX_`
 * replaced by `emdb_`/`EMDB_`, with the same parameters, numeric values and semantics unless a
 * comment here says otherwise. The header compiles as C99 and as C++.
 *
 * Conventions that hold for every function below:
 *  - Functions returning `int` return EMDB_SUCCESS (0) or an error code: a negative EMDB_*
 *    code or a positive errno value. emdb_strerror() turns any of them into text.
 *  - A NULL, closed or foreign handle returns EMDB_EINVAL or EMDB_EBADSIGN; an invalid flag
 *    combination EMDB_EINVAL; a key or value out of the size limits EMDB_BAD_VALSIZE; a write
 *    through a read-only transaction EMDB_EACCESS; a call from the wrong thread
 *    EMDB_THREAD_MISMATCH. A failed call never changes the database.
 *  - Views: an EMDB_val returned by a read (emdb_get, emdb_cursor_get, ...) points into the
 *    memory map or into the transaction's dirty pages. It stays valid until the transaction
 *    ends or, in a write transaction, until the next write call in it. Never write through it.
 *  - A write transaction that hit an error other than NOTFOUND/KEYEXIST and the like is
 *    poisoned: only emdb_txn_abort() is allowed (other calls return EMDB_BAD_TXN).
 *  - No C++ exception ever crosses this boundary.
 *
 * See docs/api.md for examples, thread rules and caveats. */
#ifndef EMDB_H
#define EMDB_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#if defined(EMDB_BUILD_SHARED) && defined(__GNUC__)
#define EMDB_API __attribute__((visibility("default")))
#elif defined(__GNUC__)
#define EMDB_API __attribute__((visibility("default")))
#else
#define EMDB_API
#endif

#ifdef __cplusplus
#define EMDB_NOEXCEPT noexcept
extern "C" {
#else
#define EMDB_NOEXCEPT
#endif

/*----------------------------------------------------------------------------------------------
 * Version */
#define EMDB_VERSION_MAJOR 0
#define EMDB_VERSION_MINOR 1
#define EMDB_VERSION_PATCH 0

/** Returns the library version as "MAJOR.MINOR.PATCH". */
EMDB_API const char *emdb_version(void) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Basic types */
typedef struct EMDB_env EMDB_env;
typedef struct EMDB_txn EMDB_txn;
typedef struct EMDB_cursor EMDB_cursor;
typedef uint32_t EMDB_dbi;
typedef pid_t emdb_pid_t;
typedef pthread_t emdb_tid_t;
typedef int emdb_filehandle_t;
typedef mode_t emdb_mode_t;

/** A byte slice. Layout-compatible with `struct iovec`. */
typedef struct iovec EMDB_val;

/** The largest value of `upper` accepted by emdb_env_set_geometry on 64-bit systems. */
#define EMDB_MAPSIZE_MAX ((size_t)1 << 46) /* 64 TiB of address space */
#define EMDB_MIN_PAGESIZE 256
#define EMDB_MAX_PAGESIZE 65536
#define EMDB_MAX_DBI 32765u
#define EMDB_MAXDATASIZE 0x7fff0000u

/*----------------------------------------------------------------------------------------------
 * Environment flags */
typedef enum EMDB_env_flags {
  EMDB_ENV_DEFAULTS = 0,
  EMDB_VALIDATION = 0x00002000,    /**< extra validation of pages read from the file */
  EMDB_NOSUBDIR = 0x4000,          /**< the path is the data file, not a directory */
  EMDB_RDONLY = 0x20000,           /**< read-only environment */
  EMDB_EXCLUSIVE = 0x400000,       /**< one process only */
  EMDB_ACCEDE = 0x40000000,        /**< accept the modes of an environment already in use */
  EMDB_WRITEMAP = 0x80000,         /**< write through a writable memory map */
  EMDB_NOSTICKYTHREADS = 0x200000, /**< transactions are not bound to threads */
  EMDB_NOTLS = EMDB_NOSTICKYTHREADS,
  EMDB_NORDAHEAD = 0x800000,    /**< no OS readahead on the map */
  EMDB_NOMEMINIT = 0x1000000,   /**< do not zero the unused tail of new pages */
  EMDB_COALESCE = 0x2000000,    /**< accepted for compatibility; always on */
  EMDB_LIFORECLAIM = 0x4000000, /**< reuse the newest reclaimable pages first */
  EMDB_PAGEPERTURB = 0x8000000, /**< fill freed pages with garbage (debug) */
  EMDB_SYNC_DURABLE = 0,        /**< flush data, then meta, at every commit (default) */
  EMDB_NOMETASYNC = 0x40000,    /**< defer the meta flush to the next flush */
  EMDB_SAFE_NOSYNC = 0x10000,   /**< no flush at commit; weak points, steady kept */
  EMDB_MAPASYNC = EMDB_SAFE_NOSYNC,
  EMDB_UTTERLY_NOSYNC = EMDB_SAFE_NOSYNC | 0x100000 /**< no flush, no steady guarantee */
} EMDB_env_flags_t;

/*----------------------------------------------------------------------------------------------
 * Transaction flags */
typedef enum EMDB_txn_flags {
  EMDB_TXN_READWRITE = 0,
  EMDB_TXN_RDONLY = EMDB_RDONLY,
  EMDB_TXN_RDONLY_PREPARE = EMDB_RDONLY | EMDB_NOMEMINIT,
  EMDB_TXN_TRY = 0x10000000, /**< return EMDB_BUSY instead of waiting for the writer lock */
  EMDB_TXN_NOMETASYNC = EMDB_NOMETASYNC,
  EMDB_TXN_NOSYNC = EMDB_SAFE_NOSYNC,
  /* state flags, returned by emdb_txn_flags() */
  EMDB_TXN_INVALID = INT32_MIN,
  EMDB_TXN_FINISHED = 0x01,
  EMDB_TXN_ERROR = 0x02,
  EMDB_TXN_DIRTY = 0x04,
  EMDB_TXN_SPILLS = 0x08,
  EMDB_TXN_HAS_CHILD = 0x10,
  EMDB_TXN_PARKED = 0x20,
  EMDB_TXN_AUTOUNPARK = 0x40,
  EMDB_TXN_OUSTED = 0x80,
  EMDB_TXN_BLOCKED = EMDB_TXN_FINISHED | EMDB_TXN_ERROR | EMDB_TXN_HAS_CHILD | EMDB_TXN_PARKED
} EMDB_txn_flags_t;

/*----------------------------------------------------------------------------------------------
 * Table (dbi) flags */
typedef enum EMDB_db_flags {
  EMDB_DB_DEFAULTS = 0,
  EMDB_REVERSEKEY = 0x02,      /**< keys compared from the last byte to the first */
  EMDB_DUPSORT = 0x04,         /**< many sorted values per key */
  EMDB_INTEGERKEY = 0x08,      /**< keys are native uint32_t or uint64_t */
  EMDB_DUPFIXED = 0x10,        /**< with DUPSORT: all values of a table have one size */
  EMDB_INTEGERDUP = 0x20,      /**< with DUPSORT: values are native uint32_t or uint64_t */
  EMDB_REVERSEDUP = 0x40,      /**< with DUPSORT: values compared from the last byte */
  EMDB_CREATE = 0x40000,       /**< create the table if it does not exist */
  EMDB_DB_ACCEDE = EMDB_ACCEDE /**< open with the stored flags whatever is asked */
} EMDB_db_flags_t;

/** State bits returned by emdb_dbi_flags_ex(). */
typedef enum EMDB_dbi_state {
  EMDB_DBI_DIRTY = 0x01,
  EMDB_DBI_STALE = 0x02,
  EMDB_DBI_FRESH = 0x04,
  EMDB_DBI_CREAT = 0x08
} EMDB_dbi_state_t;

/*----------------------------------------------------------------------------------------------
 * Put flags */
typedef enum EMDB_put_flags {
  EMDB_UPSERT = 0,
  EMDB_NOOVERWRITE = 0x10,  /**< fail with EMDB_KEYEXIST (and the old value) if the key exists */
  EMDB_NODUPDATA = 0x20,    /**< DUPSORT: fail with EMDB_KEYEXIST if the pair exists */
  EMDB_CURRENT = 0x40,      /**< overwrite the current (or the only) value */
  EMDB_ALLDUPS = 0x80,      /**< DUPSORT: replace/delete all values of the key */
  EMDB_RESERVE = 0x10000,   /**< reserve space; the caller fills data.iov_base */
  EMDB_APPEND = 0x20000,    /**< key greater than all; else EMDB_EKEYMISMATCH */
  EMDB_APPENDDUP = 0x40000, /**< DUPSORT: value greater than the key's values */
  EMDB_MULTIPLE = 0x80000   /**< DUPFIXED: store an array of values */
} EMDB_put_flags_t;

/*----------------------------------------------------------------------------------------------
 * Copy flags */
typedef enum EMDB_copy_flags {
  EMDB_CP_DEFAULTS = 0,
  EMDB_CP_COMPACT = 1,
  EMDB_CP_FORCE_DYNAMIC_SIZE = 2,
  EMDB_CP_DONT_FLUSH = 4,
  EMDB_CP_THROTTLE_MVCC = 8,
  EMDB_CP_DISPOSE_TXN = 16,
  EMDB_CP_RENEW_TXN = 32,
  EMDB_CP_OVERWRITE = 64
} EMDB_copy_flags_t;

/*----------------------------------------------------------------------------------------------
 * Cursor operations (libmdbx order) */
typedef enum EMDB_cursor_op {
  EMDB_FIRST,          /**< first key/value */
  EMDB_FIRST_DUP,      /**< DUPSORT: first value of the current key */
  EMDB_GET_BOTH,       /**< DUPSORT: exactly this key and value */
  EMDB_GET_BOTH_RANGE, /**< DUPSORT: this key, first value >= the given one */
  EMDB_GET_CURRENT,    /**< the current key/value */
  EMDB_GET_MULTIPLE,   /**< DUPFIXED: a page of values from the current position */
  EMDB_LAST,           /**< last key/value */
  EMDB_LAST_DUP,       /**< DUPSORT: last value of the current key */
  EMDB_NEXT,           /**< next key/value */
  EMDB_NEXT_DUP,       /**< DUPSORT: next value of the current key */
  EMDB_NEXT_MULTIPLE,  /**< DUPFIXED: the next page of values of the current key */
  EMDB_NEXT_NODUP,     /**< first value of the next key */
  EMDB_PREV,           /**< previous key/value */
  EMDB_PREV_DUP,       /**< DUPSORT: previous value of the current key */
  EMDB_PREV_NODUP,     /**< last value of the previous key */
  EMDB_SET,            /**< position at the key; data returned, key not */
  EMDB_SET_KEY,        /**< position at the key; key and data returned */
  EMDB_SET_RANGE,      /**< first key >= the given one */
  EMDB_PREV_MULTIPLE,  /**< DUPFIXED: the previous page of values of the current key */
  EMDB_SET_LOWERBOUND, /**< first pair >= (key, data); EMDB_RESULT_TRUE when not exact */
  EMDB_SET_UPPERBOUND  /**< first pair > (key, data) */
} EMDB_cursor_op;

/*----------------------------------------------------------------------------------------------
 * Error codes (values are libmdbx's) */
typedef enum EMDB_error {
  EMDB_SUCCESS = 0,
  EMDB_RESULT_FALSE = EMDB_SUCCESS,
  EMDB_RESULT_TRUE = -1,
  EMDB_KEYEXIST = -30799,
  EMDB_FIRST_LMDB_ERRCODE = EMDB_KEYEXIST,
  EMDB_NOTFOUND = -30798,
  EMDB_PAGE_NOTFOUND = -30797,
  EMDB_CORRUPTED = -30796,
  EMDB_PANIC = -30795,
  EMDB_VERSION_MISMATCH = -30794,
  EMDB_INVALID = -30793,
  EMDB_MAP_FULL = -30792,
  EMDB_DBS_FULL = -30791,
  EMDB_READERS_FULL = -30790,
  EMDB_TXN_FULL = -30788,
  EMDB_CURSOR_FULL = -30787,
  EMDB_PAGE_FULL = -30786,
  EMDB_UNABLE_EXTEND_MAPSIZE = -30785,
  EMDB_INCOMPATIBLE = -30784,
  EMDB_BAD_RSLOT = -30783,
  EMDB_BAD_TXN = -30782,
  EMDB_BAD_VALSIZE = -30781,
  EMDB_BAD_DBI = -30780,
  EMDB_PROBLEM = -30779,
  EMDB_LAST_LMDB_ERRCODE = EMDB_PROBLEM,
  EMDB_BUSY = -30778,
  EMDB_FIRST_ADDED_ERRCODE = EMDB_BUSY,
  EMDB_EMULTIVAL = -30421,
  EMDB_EBADSIGN = -30420,
  EMDB_WANNA_RECOVERY = -30419,
  EMDB_EKEYMISMATCH = -30418,
  EMDB_TOO_LARGE = -30417,
  EMDB_THREAD_MISMATCH = -30416,
  EMDB_TXN_OVERLAPPING = -30415,
  EMDB_BACKLOG_DEPLETED = -30414,
  EMDB_DUPLICATED_CLK = -30413,
  EMDB_DANGLING_DBI = -30412,
  EMDB_OUSTED = -30411,
  EMDB_MVCC_RETARDED = -30410,
  EMDB_LAST_ADDED_ERRCODE = EMDB_MVCC_RETARDED,
  /* errno aliases */
  EMDB_ENODATA = ENODATA,
  EMDB_EINVAL = EINVAL,
  EMDB_EACCESS = EACCES,
  EMDB_ENOMEM = ENOMEM,
  EMDB_EROFS = EROFS,
  EMDB_ENOSYS = ENOSYS,
  EMDB_EIO = EIO,
  EMDB_EPERM = EPERM,
  EMDB_EINTR = EINTR,
  EMDB_ENOFILE = ENOENT,
  EMDB_EREMOTE = ENOTBLK,
  EMDB_EDEADLK = EDEADLK
} EMDB_error_t;

/*----------------------------------------------------------------------------------------------
 * Runtime options (emdb_env_set_option / emdb_env_get_option) */
typedef enum EMDB_option {
  EMDB_opt_max_db,
  EMDB_opt_max_readers,
  EMDB_opt_sync_bytes,
  EMDB_opt_sync_period,
  EMDB_opt_rp_augment_limit,
  EMDB_opt_loose_limit,
  EMDB_opt_dp_reserve_limit,
  EMDB_opt_txn_dp_limit,
  EMDB_opt_txn_dp_initial,
  EMDB_opt_spill_max_denominator,
  EMDB_opt_spill_min_denominator,
  EMDB_opt_spill_parent4child_denominator,
  EMDB_opt_merge_threshold_16dot16_percent,
  EMDB_opt_writethrough_threshold,
  EMDB_opt_prefault_write_enable,
  EMDB_opt_gc_time_limit,
  EMDB_opt_prefer_waf_insteadof_balance,
  EMDB_opt_subpage_limit,
  EMDB_opt_subpage_room_threshold,
  EMDB_opt_subpage_reserve_prereq,
  EMDB_opt_subpage_reserve_limit
} EMDB_option_t;

/** Modes of emdb_env_delete(). */
typedef enum EMDB_env_delete_mode {
  EMDB_ENV_JUST_DELETE = 0,
  EMDB_ENV_ENSURE_UNUSED = 1,
  EMDB_ENV_WAIT_FOR_UNUSED = 2
} EMDB_env_delete_mode_t;

/*----------------------------------------------------------------------------------------------
 * Logging and debug */
typedef enum EMDB_log_level {
  EMDB_LOG_FATAL = 0,
  EMDB_LOG_ERROR = 1,
  EMDB_LOG_WARN = 2,
  EMDB_LOG_NOTICE = 3,
  EMDB_LOG_VERBOSE = 4,
  EMDB_LOG_DEBUG = 5,
  EMDB_LOG_TRACE = 6,
  EMDB_LOG_EXTRA = 7,
  EMDB_LOG_DONTCHANGE = -1
} EMDB_log_level_t;

typedef enum EMDB_debug_flags {
  EMDB_DBG_NONE = 0,
  EMDB_DBG_ASSERT = 1,
  EMDB_DBG_AUDIT = 2,
  EMDB_DBG_JITTER = 4,
  EMDB_DBG_DUMP = 8,
  EMDB_DBG_LEGACY_MULTIOPEN = 16,
  EMDB_DBG_LEGACY_OVERLAP = 32,
  EMDB_DBG_DONT_UPGRADE = 64,
  EMDB_DBG_DONTCHANGE = -1
} EMDB_debug_flags_t;

/** A logger: receives the level, the function and line where the message arose, and a
 * printf-style format with its arguments. */
typedef void EMDB_debug_func(EMDB_log_level_t loglevel, const char *function, int line,
                             const char *fmt, va_list args) EMDB_NOEXCEPT;
#define EMDB_LOGGER_DONTCHANGE ((EMDB_debug_func *)(intptr_t)-1)

/** Sets the log level, debug flags and logger (NULL: the default spdlog-backed logger).
 * Returns the previous level and flags packed as (level << 16) | flags. */
EMDB_API int emdb_setup_debug(EMDB_log_level_t log_level, EMDB_debug_flags_t debug_flags,
                              EMDB_debug_func *logger) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Statistics and information */
typedef struct EMDB_stat {
  uint32_t ms_psize;          /**< page size */
  uint32_t ms_depth;          /**< height of the B+tree */
  uint64_t ms_branch_pages;   /**< internal pages */
  uint64_t ms_leaf_pages;     /**< leaf pages */
  uint64_t ms_overflow_pages; /**< large-value pages */
  uint64_t ms_entries;        /**< key/value pairs */
  uint64_t ms_mod_txnid;      /**< txnid of the last change of the table */
} EMDB_stat;

typedef struct EMDB_envinfo {
  struct {
    uint64_t lower;   /**< lower limit of the file size */
    uint64_t upper;   /**< upper limit of the file size */
    uint64_t current; /**< current file size */
    uint64_t shrink;  /**< shrink threshold */
    uint64_t grow;    /**< growth step */
  } mi_geo;
  uint64_t mi_mapsize;                  /**< size of the reserved map */
  uint64_t mi_last_pgno;                /**< last used page number */
  uint64_t mi_recent_txnid;             /**< txnid of the last commit */
  uint64_t mi_latter_reader_txnid;      /**< oldest snapshot held by any reader */
  uint64_t mi_self_latter_reader_txnid; /**< oldest snapshot held by this process */
  uint64_t mi_meta_txnid[3];            /**< txnid of each meta page */
  uint64_t mi_meta_sign[3];             /**< sign of each meta: checksum (steady) or WEAK (1) */
  uint32_t mi_maxreaders;
  uint32_t mi_numreaders;
  uint32_t mi_dxb_pagesize;
  uint32_t mi_sys_pagesize;
  struct {
    struct {
      uint64_t x, y;
    } current, meta[3];
  } mi_bootid;                                /**< boot id of this boot and in each meta */
  uint64_t mi_unsync_volume;                  /**< bytes written since the last flush */
  uint64_t mi_autosync_threshold;             /**< EMDB_opt_sync_bytes */
  uint32_t mi_since_sync_seconds16dot16;      /**< time since the last flush */
  uint32_t mi_autosync_period_seconds16dot16; /**< EMDB_opt_sync_period */
  uint32_t mi_since_reader_check_seconds16dot16;
  uint32_t mi_mode; /**< current env flags */
  struct {
    uint64_t newly, cow, clone, split, merge, spill, unspill, wops, prefault, mincore, msync, fsync;
  } mi_pgop_stat; /**< page operation counters since open */
  struct {
    uint64_t x, y;
  } mi_dxbid; /**< a unique id of the database, set at creation */
} EMDB_envinfo;

typedef struct EMDB_txn_info {
  uint64_t txn_id;               /**< snapshot txnid (read) or txnid being built (write) */
  uint64_t txn_reader_lag;       /**< read txn: commits since its snapshot */
  uint64_t txn_space_used;       /**< bytes of the database in use by the snapshot */
  uint64_t txn_space_limit_soft; /**< current file size */
  uint64_t txn_space_limit_hard; /**< geometry upper */
  uint64_t txn_space_retired;    /**< write txn: bytes freed by it; read txn: bytes it pins */
  uint64_t txn_space_leftover;   /**< write txn: dirty room left */
  uint64_t txn_space_dirty;      /**< write txn: bytes of dirty pages */
} EMDB_txn_info;

typedef struct EMDB_commit_latency {
  uint32_t preparation; /**< all times are in 1/65536 s */
  uint32_t gc_wallclock;
  uint32_t audit;
  uint32_t write;
  uint32_t sync;
  uint32_t ending;
  uint32_t whole;
  uint32_t gc_cputime;
  struct {
    uint32_t wloops, coalescences, wipes, flushes, kicks, work_counter, work_rtime_monotonic,
        work_xtime_cpu, work_rsteps, work_xpages, work_majflt, self_counter, self_rtime_monotonic,
        self_xtime_cpu, self_rsteps, self_xpages, self_majflt;
  } gc_prof;
} EMDB_commit_latency;

/** Four user words stored in the meta: x, y, z as given, v set to the committing txnid. */
typedef struct EMDB_canary {
  uint64_t x, y, z, v;
} EMDB_canary;

/** A comparator (not settable in this version; kept for signature compatibility). */
typedef int(EMDB_cmp_func)(const EMDB_val *a, const EMDB_val *b) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Errors */

/** Text for any error code (EMDB_* or errno). The pointer is static or thread-local. */
EMDB_API const char *emdb_strerror(int errnum) EMDB_NOEXCEPT;
/** As emdb_strerror, written into buf (at most buflen bytes); returns buf or a static string. */
EMDB_API const char *emdb_strerror_r(int errnum, char *buf, size_t buflen) EMDB_NOEXCEPT;
/** Text for an EMDB_* code, NULL for anything else. */
EMDB_API const char *emdb_liberr2str(int errnum) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Environment */

/** Creates an environment handle (not yet open). Free it with emdb_env_close(). */
EMDB_API int emdb_env_create(EMDB_env **penv) EMDB_NOEXCEPT;
/** Opens (and creates, unless EMDB_RDONLY) the database at `pathname`: a directory holding
 * emdb.dat and emdb.lck, or with EMDB_NOSUBDIR the data file itself and `<path>-lck`.
 * Errors: EMDB_EINVAL (bad flags), EMDB_BUSY (already open in this process, or EXCLUSIVE
 * conflict), EMDB_INVALID (not an emdb file), EMDB_VERSION_MISMATCH, EMDB_CORRUPTED (no
 * valid meta), EMDB_INCOMPATIBLE (page size or flags), errno values from the OS. */
EMDB_API int emdb_env_open(EMDB_env *env, const char *pathname, EMDB_env_flags_t flags,
                           emdb_mode_t mode) EMDB_NOEXCEPT;
/** Closes the environment and frees the handle; flushes unless dont_sync. All transactions
 * of the environment must have ended (else EMDB_BUSY and nothing is closed). */
EMDB_API int emdb_env_close_ex(EMDB_env *env, bool dont_sync) EMDB_NOEXCEPT;
EMDB_API int emdb_env_close(EMDB_env *env) EMDB_NOEXCEPT;

/** Sets the file geometry in bytes: lower and upper bounds of the file size, its size now,
 * growth step, shrink threshold and page size. -1 keeps the current value (or the default),
 * 0 for a size asks for the minimum. See docs/geometry.md. */
EMDB_API int emdb_env_set_geometry(EMDB_env *env, intptr_t size_lower, intptr_t size_now,
                                   intptr_t size_upper, intptr_t growth_step,
                                   intptr_t shrink_threshold, intptr_t pagesize) EMDB_NOEXCEPT;
/** REQUIRES: before emdb_env_open. Maximum number of named tables. */
EMDB_API int emdb_env_set_maxdbs(EMDB_env *env, EMDB_dbi dbs) EMDB_NOEXCEPT;
EMDB_API int emdb_env_get_maxdbs(const EMDB_env *env, EMDB_dbi *dbs) EMDB_NOEXCEPT;
/** REQUIRES: before emdb_env_open. Size of the reader table. */
EMDB_API int emdb_env_set_maxreaders(EMDB_env *env, unsigned readers) EMDB_NOEXCEPT;
EMDB_API int emdb_env_get_maxreaders(const EMDB_env *env, unsigned *readers) EMDB_NOEXCEPT;
EMDB_API int emdb_env_set_option(EMDB_env *env, const EMDB_option_t option,
                                 uint64_t value) EMDB_NOEXCEPT;
EMDB_API int emdb_env_get_option(const EMDB_env *env, const EMDB_option_t option,
                                 uint64_t *pvalue) EMDB_NOEXCEPT;
/** Turns the sync-mode flags (and NOMEMINIT, PAGEPERTURB) on or off at run time. */
EMDB_API int emdb_env_set_flags(EMDB_env *env, EMDB_env_flags_t flags, bool onoff) EMDB_NOEXCEPT;
EMDB_API int emdb_env_get_flags(const EMDB_env *env, unsigned *flags) EMDB_NOEXCEPT;
/** The path given to emdb_env_open; valid until the environment is closed. */
EMDB_API int emdb_env_get_path(const EMDB_env *env, const char **dest) EMDB_NOEXCEPT;
EMDB_API int emdb_env_get_fd(const EMDB_env *env, emdb_filehandle_t *fd) EMDB_NOEXCEPT;
EMDB_API int emdb_env_set_userctx(EMDB_env *env, void *ctx) EMDB_NOEXCEPT;
EMDB_API void *emdb_env_get_userctx(const EMDB_env *env) EMDB_NOEXCEPT;

/** Largest key size for a table with these flags (env may be NULL: the default page size).
 * Returns -1 on a bad argument. */
EMDB_API int emdb_env_get_maxkeysize_ex(const EMDB_env *env, EMDB_db_flags_t flags) EMDB_NOEXCEPT;
/** Largest value size for a table with these flags. */
EMDB_API int emdb_env_get_maxvalsize_ex(const EMDB_env *env, EMDB_db_flags_t flags) EMDB_NOEXCEPT;
/** Legacy: emdb_env_get_maxkeysize_ex(env, EMDB_DUPSORT). */
EMDB_API int emdb_env_get_maxkeysize(const EMDB_env *env) EMDB_NOEXCEPT;
/** Limits for a page size, without an environment. */
EMDB_API intptr_t emdb_limits_keysize_max(intptr_t pagesize, EMDB_db_flags_t flags) EMDB_NOEXCEPT;
EMDB_API intptr_t emdb_limits_valsize_max(intptr_t pagesize, EMDB_db_flags_t flags) EMDB_NOEXCEPT;
EMDB_API intptr_t emdb_limits_pgsize_min(void) EMDB_NOEXCEPT;
EMDB_API intptr_t emdb_limits_pgsize_max(void) EMDB_NOEXCEPT;

/** Statistics of the main tree plus all named tables (txn may be NULL). */
EMDB_API int emdb_env_stat_ex(const EMDB_env *env, const EMDB_txn *txn, EMDB_stat *stat,
                              size_t bytes) EMDB_NOEXCEPT;
EMDB_API int emdb_env_info_ex(const EMDB_env *env, const EMDB_txn *txn, EMDB_envinfo *info,
                              size_t bytes) EMDB_NOEXCEPT;
/** Flushes to disk. force: flush even if the sync mode would not; nonblock: return
 * EMDB_BUSY rather than wait for the writer lock. EMDB_RESULT_TRUE: nothing to flush. */
EMDB_API int emdb_env_sync_ex(EMDB_env *env, bool force, bool nonblock) EMDB_NOEXCEPT;
EMDB_API int emdb_env_sync(EMDB_env *env) EMDB_NOEXCEPT;
/** Deletes the files of a database. EMDB_RESULT_TRUE if there was nothing to delete. */
EMDB_API int emdb_env_delete(const char *pathname, EMDB_env_delete_mode_t mode) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Transactions */

/** Begins a transaction: read-only with EMDB_TXN_RDONLY, otherwise the one write transaction
 * (waiting for the writer lock, or EMDB_BUSY with EMDB_TXN_TRY). A `parent` write txn makes a
 * nested transaction. `context` is the txn's user context. */
EMDB_API int emdb_txn_begin_ex(EMDB_env *env, EMDB_txn *parent, EMDB_txn_flags_t flags,
                               EMDB_txn **txn, void *context) EMDB_NOEXCEPT;
EMDB_API int emdb_txn_begin(EMDB_env *env, EMDB_txn *parent, EMDB_txn_flags_t flags,
                            EMDB_txn **txn) EMDB_NOEXCEPT;
/** Commits and frees the transaction (also on error). A read txn just ends. */
EMDB_API int emdb_txn_commit_ex(EMDB_txn *txn, EMDB_commit_latency *latency) EMDB_NOEXCEPT;
EMDB_API int emdb_txn_commit(EMDB_txn *txn) EMDB_NOEXCEPT;
/** Discards and frees the transaction and its cursors (closing those it owns). */
EMDB_API int emdb_txn_abort(EMDB_txn *txn) EMDB_NOEXCEPT;
/** Read-only: releases the snapshot but keeps the handle for emdb_txn_renew. */
EMDB_API int emdb_txn_reset(EMDB_txn *txn) EMDB_NOEXCEPT;
EMDB_API int emdb_txn_renew(EMDB_txn *txn) EMDB_NOEXCEPT;
/** Txnid of the snapshot or of the txn being built; 0 for an invalid handle. */
EMDB_API uint64_t emdb_txn_id(const EMDB_txn *txn) EMDB_NOEXCEPT;
/** The txn's flags and state bits; EMDB_TXN_INVALID for an invalid handle. */
EMDB_API EMDB_txn_flags_t emdb_txn_flags(const EMDB_txn *txn) EMDB_NOEXCEPT;
EMDB_API EMDB_env *emdb_txn_env(const EMDB_txn *txn) EMDB_NOEXCEPT;
EMDB_API int emdb_txn_info(const EMDB_txn *txn, EMDB_txn_info *info, bool scan_rlt) EMDB_NOEXCEPT;
EMDB_API int emdb_txn_set_userctx(EMDB_txn *txn, void *ctx) EMDB_NOEXCEPT;
EMDB_API void *emdb_txn_get_userctx(const EMDB_txn *txn) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Tables */

/** Opens a table by name (NULL: the main table). EMDB_NOTFOUND if it does not exist and
 * EMDB_CREATE is not given, EMDB_INCOMPATIBLE if its stored flags differ (unless
 * EMDB_DB_ACCEDE), EMDB_DBS_FULL past emdb_env_set_maxdbs. The handle is shared by the env
 * and stays valid after the txn commits (if it created the table, only then). */
EMDB_API int emdb_dbi_open(EMDB_txn *txn, const char *name, EMDB_db_flags_t flags,
                           EMDB_dbi *dbi) EMDB_NOEXCEPT;
/** As emdb_dbi_open with a binary name. */
EMDB_API int emdb_dbi_open2(EMDB_txn *txn, const EMDB_val *name, EMDB_db_flags_t flags,
                            EMDB_dbi *dbi) EMDB_NOEXCEPT;
EMDB_API int emdb_dbi_close(EMDB_env *env, EMDB_dbi dbi) EMDB_NOEXCEPT;
EMDB_API int emdb_dbi_flags_ex(const EMDB_txn *txn, EMDB_dbi dbi, unsigned *flags,
                               unsigned *state) EMDB_NOEXCEPT;
EMDB_API int emdb_dbi_flags(const EMDB_txn *txn, EMDB_dbi dbi, unsigned *flags) EMDB_NOEXCEPT;
EMDB_API int emdb_dbi_stat(const EMDB_txn *txn, EMDB_dbi dbi, EMDB_stat *stat,
                           size_t bytes) EMDB_NOEXCEPT;
/** Reads the table's sequence into *result (if not NULL), then adds increment (write txn). */
EMDB_API int emdb_dbi_sequence(EMDB_txn *txn, EMDB_dbi dbi, uint64_t *result,
                               uint64_t increment) EMDB_NOEXCEPT;
/** Empties the table, or with del deletes it and closes the handle. */
EMDB_API int emdb_drop(EMDB_txn *txn, EMDB_dbi dbi, bool del) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Data */

/** Gets the (first) value of a key. EMDB_NOTFOUND if absent. The view stays valid as the
 * header comment says. */
EMDB_API int emdb_get(const EMDB_txn *txn, EMDB_dbi dbi, const EMDB_val *key,
                      EMDB_val *data) EMDB_NOEXCEPT;
/** As emdb_get; also returns the number of values of the key (DUPSORT). */
EMDB_API int emdb_get_ex(const EMDB_txn *txn, EMDB_dbi dbi, EMDB_val *key, EMDB_val *data,
                         size_t *values_count) EMDB_NOEXCEPT;
/** First pair >= (key, data); updates key and data; EMDB_RESULT_TRUE if not an exact match. */
EMDB_API int emdb_get_equal_or_great(const EMDB_txn *txn, EMDB_dbi dbi, EMDB_val *key,
                                     EMDB_val *data) EMDB_NOEXCEPT;
/** Stores a key/value pair with the put flags above. NOOVERWRITE returns EMDB_KEYEXIST and
 * sets *data to the existing value. RESERVE sets data->iov_base to room to fill. */
EMDB_API int emdb_put(EMDB_txn *txn, EMDB_dbi dbi, const EMDB_val *key, EMDB_val *data,
                      EMDB_put_flags_t flags) EMDB_NOEXCEPT;
/** Replaces (new_data non-NULL) or deletes (new_data NULL) a value and returns the old one in
 * old_data. If old_data->iov_base is NULL or too small for a value that lives in a dirty page,
 * returns EMDB_RESULT_TRUE with old_data->iov_len = the size needed. */
EMDB_API int emdb_replace(EMDB_txn *txn, EMDB_dbi dbi, const EMDB_val *key, EMDB_val *new_data,
                          EMDB_val *old_data, EMDB_put_flags_t flags) EMDB_NOEXCEPT;
/** Deletes a key (all its values), or with data non-NULL on a DUPSORT table one pair. */
EMDB_API int emdb_del(EMDB_txn *txn, EMDB_dbi dbi, const EMDB_val *key,
                      const EMDB_val *data) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Cursors */

/** Creates an unbound cursor (free it with emdb_cursor_close). */
EMDB_API EMDB_cursor *emdb_cursor_create(void *context) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_set_userctx(EMDB_cursor *cursor, void *ctx) EMDB_NOEXCEPT;
EMDB_API void *emdb_cursor_get_userctx(const EMDB_cursor *cursor) EMDB_NOEXCEPT;
/** Binds a cursor to a table of a transaction (unbinding it from any other). */
EMDB_API int emdb_cursor_bind(const EMDB_txn *txn, EMDB_cursor *cursor, EMDB_dbi dbi) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_unbind(EMDB_cursor *cursor) EMDB_NOEXCEPT;
/** Creates and binds a cursor. When its transaction ends the cursor is unbound, not freed:
 * close it with emdb_cursor_close (or rebind it with emdb_cursor_renew/bind). */
EMDB_API int emdb_cursor_open(const EMDB_txn *txn, EMDB_dbi dbi,
                              EMDB_cursor **cursor) EMDB_NOEXCEPT;
EMDB_API void emdb_cursor_close(EMDB_cursor *cursor) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_close2(EMDB_cursor *cursor) EMDB_NOEXCEPT;
/** Rebinds a cursor to a new transaction, same table. */
EMDB_API int emdb_cursor_renew(const EMDB_txn *txn, EMDB_cursor *cursor) EMDB_NOEXCEPT;
/** Copies the position of src to dest (bound to the same txn and table after the call). */
EMDB_API int emdb_cursor_copy(const EMDB_cursor *src, EMDB_cursor *dest) EMDB_NOEXCEPT;
EMDB_API EMDB_txn *emdb_cursor_txn(const EMDB_cursor *cursor) EMDB_NOEXCEPT;
EMDB_API EMDB_dbi emdb_cursor_dbi(const EMDB_cursor *cursor) EMDB_NOEXCEPT;
/** Moves the cursor as `op` says and returns the pair there. */
EMDB_API int emdb_cursor_get(EMDB_cursor *cursor, EMDB_val *key, EMDB_val *data,
                             EMDB_cursor_op op) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_put(EMDB_cursor *cursor, const EMDB_val *key, EMDB_val *data,
                             EMDB_put_flags_t flags) EMDB_NOEXCEPT;
/** Deletes the pair at the cursor; with EMDB_ALLDUPS all values of its key. */
EMDB_API int emdb_cursor_del(EMDB_cursor *cursor, EMDB_put_flags_t flags) EMDB_NOEXCEPT;
/** Number of values of the current key (1 for non-DUPSORT tables). */
EMDB_API int emdb_cursor_count(const EMDB_cursor *cursor, size_t *count) EMDB_NOEXCEPT;
/** EMDB_RESULT_TRUE if the cursor is not positioned on a pair, EMDB_RESULT_FALSE if it is. */
EMDB_API int emdb_cursor_eof(const EMDB_cursor *cursor) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_on_first(const EMDB_cursor *cursor) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_on_last(const EMDB_cursor *cursor) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_on_first_dup(const EMDB_cursor *cursor) EMDB_NOEXCEPT;
EMDB_API int emdb_cursor_on_last_dup(const EMDB_cursor *cursor) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Misc */
EMDB_API int emdb_canary_put(EMDB_txn *txn, const EMDB_canary *canary) EMDB_NOEXCEPT;
EMDB_API int emdb_canary_get(const EMDB_txn *txn, EMDB_canary *canary) EMDB_NOEXCEPT;
/** EMDB_RESULT_TRUE if ptr points into a dirty page of the write txn (writing through it is
 * then allowed until the next write call), EMDB_RESULT_FALSE if into the map. */
EMDB_API int emdb_is_dirty(const EMDB_txn *txn, const void *ptr) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Durability: autosync, recovery */

/** Makes a steady point if EMDB_opt_sync_bytes or EMDB_opt_sync_period says one is due.
 * Returns EMDB_SUCCESS if it flushed, EMDB_RESULT_TRUE if nothing was due, or an error. */
EMDB_API int emdb_env_sync_poll(EMDB_env *env) EMDB_NOEXCEPT;
/** Opens a database on a chosen meta page (0, 1 or 2) for inspection or recovery. With
 * writeable, emdb_env_turn_for_recovery may then make that meta the steady one. */
EMDB_API int emdb_env_open_for_recovery(EMDB_env *env, const char *pathname, unsigned target_meta,
                                        bool writeable) EMDB_NOEXCEPT;
/** Makes the meta selected by emdb_env_open_for_recovery the newest steady one (flushed). */
EMDB_API int emdb_env_turn_for_recovery(EMDB_env *env, unsigned target_meta) EMDB_NOEXCEPT;
/** Reads the metas of a database file without opening it (no lock file, no map). */
EMDB_API int emdb_preopen_snapinfo(const char *pathname, EMDB_envinfo *info,
                                   size_t bytes) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Space: slow readers, parked transactions, GC information */

/** The handle-slow-readers (OOM-kick) callback. It is called by the writer when a laggard reader
 * (pid, tid, snapshot txnid `laggard`, `gap` commits behind) pins `space` bytes the writer needs.
 * `retry` counts the calls for this allocation (0 first; -1 when the lag was resolved).
 * Returns: <= -2 error (the reader is left alone; the allocation fails with EMDB_MAP_FULL),
 * -1 accept EMDB_MAP_FULL, 0 the reader finished or was waited for (rescan; when the loop ends a
 * last call has a negative `retry`), 1 the reader's transaction was aborted (its slot is cleared,
 * its next call returns EMDB_MVCC_RETARDED), >= 2 the reader's process was killed (the slot is
 * reset). Parked readers are ousted without a call. Called only at the geometry's upper bound,
 * after the slots of dead processes were cleared. See docs/geometry.md. */
typedef int(EMDB_hsr_func)(const EMDB_env *env, const EMDB_txn *txn, emdb_pid_t pid, emdb_tid_t tid,
                           uint64_t laggard, unsigned gap, size_t space, int retry) EMDB_NOEXCEPT;
EMDB_API int emdb_env_set_hsr(EMDB_env *env, EMDB_hsr_func *hsr_callback) EMDB_NOEXCEPT;
EMDB_API EMDB_hsr_func *emdb_env_get_hsr(const EMDB_env *env) EMDB_NOEXCEPT;
/** How many commits a read txn is behind the newest (returned) and, in *percent, how much of the
 * file the newest snapshot uses (next_pgno / file size, as libmdbx). -1 for a write txn, or an
 * error (negative EMDB_ code, e.g. EMDB_MVCC_RETARDED for a kicked reader). */
EMDB_API int emdb_txn_straggler(const EMDB_txn *txn, int *percent) EMDB_NOEXCEPT;
/** Parks a read txn: its snapshot stays, but the writer may oust it when space is needed.
 * With autounpark, the next read call unparks it by itself; without, read calls return
 * EMDB_BAD_TXN until emdb_txn_unpark. EMDB_TXN_INVALID for a write txn. */
EMDB_API int emdb_txn_park(EMDB_txn *txn, bool autounpark) EMDB_NOEXCEPT;
/** Unparks; if the txn was ousted returns EMDB_OUSTED, or with restart_if_ousted renews it on the
 * newest snapshot and returns EMDB_RESULT_TRUE. */
EMDB_API int emdb_txn_unpark(EMDB_txn *txn, bool restart_if_ousted) EMDB_NOEXCEPT;

/** What the GC holds, as seen from a transaction (emdb's own, not in libmdbx). */
typedef struct EMDB_gc_info {
  uint64_t gi_records;             /**< GC records (one per freeing txn and chunk) */
  uint64_t gi_pages;               /**< pages listed in the GC */
  uint64_t gi_reclaimable_pages;   /**< listed pages no snapshot can reach: reusable now */
  uint64_t gi_retained_pages;      /**< listed pages still pinned by a reader or the steady meta */
  uint64_t gi_tree_pages;          /**< pages of the GC tree itself */
  uint64_t gi_last_pgno;           /**< first never-allocated page number of the snapshot */
  uint64_t gi_file_pages;          /**< pages the file has now */
  uint64_t gi_oldest_reader_txnid; /**< oldest snapshot held by any reader (0: none) */
  uint64_t gi_oldest_reader_lag;   /**< commits between it and the newest */
  uint64_t gi_steady_txnid;        /**< txnid of the newest steady meta */
} EMDB_gc_info;
EMDB_API int emdb_gc_info(const EMDB_txn *txn, EMDB_gc_info *info, size_t bytes) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Concurrency: the reader table */

/** Called once per claimed reader slot: `num` counts from 1, `slot` is the slot index, `pid` and
 * `thread` its owner, `txnid` its snapshot (0: idle). For a live snapshot `lag` is the number of
 * commits since it, `bytes_used` its size (last page number x page size) and `bytes_retained`
 * the space freed by later commits that it keeps from reuse; all three are 0 for an idle slot.
 * A nonzero return stops the walk and is returned by emdb_reader_list. */
typedef int(EMDB_reader_list_func)(void *ctx, int num, int slot, emdb_pid_t pid, emdb_tid_t thread,
                                   uint64_t txnid, uint64_t lag, size_t bytes_used,
                                   size_t bytes_retained) EMDB_NOEXCEPT;
/** Lists the reader table (every process's slots). Returns 0, EMDB_RESULT_TRUE if no slot is
 * claimed, the callback's nonzero value, or EMDB_EINVAL (null func) / EMDB_PANIC. */
EMDB_API int emdb_reader_list(const EMDB_env *env, EMDB_reader_list_func *func,
                              void *ctx) EMDB_NOEXCEPT;
/** Clears the slots of dead processes (a process is dead when it no longer holds its liveness
 * lock in the lock file); *dead (if non-NULL) gets how many. Returns EMDB_RESULT_TRUE if some
 * were cleared, 0 if none. Readers finding the table full and the writer do it by themselves. */
EMDB_API int emdb_reader_check(EMDB_env *env, int *dead) EMDB_NOEXCEPT;
/** Claims a reader slot for this thread now (EMDB_RESULT_TRUE if it already had one), so that a
 * later read txn cannot fail with EMDB_READERS_FULL. The slot is kept until the thread exits or
 * calls emdb_thread_unregister. EMDB_READERS_FULL if none is free; EMDB_EINVAL with
 * EMDB_NOSTICKYTHREADS (slots then belong to transactions). */
EMDB_API int emdb_thread_register(const EMDB_env *env) EMDB_NOEXCEPT;
/** Releases this thread's slot (EMDB_RESULT_TRUE if it had none); EMDB_BUSY if a read txn of this
 * thread still uses it; EMDB_EINVAL with EMDB_NOSTICKYTHREADS. */
EMDB_API int emdb_thread_unregister(const EMDB_env *env) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Range estimation, table rename and enumeration */

/** Pass as begin_key or end_key of emdb_estimate_range to mean "the same key as the other end"
 * (as libmdbx): key..EPSILON and EPSILON..key give the number of values of key, NULL..EPSILON
 * those of the first key, EPSILON..NULL those of the last key. */
#define EMDB_EPSILON ((EMDB_val *)((ptrdiff_t)-1))
/** Estimated signed number of pairs from cursor `first`'s position to `last`'s (positive when
 * `last` is further on), from the two cursors' paths: O(tree depth), no allocation, exact when
 * both lie in one leaf page. A cursor moved past the end counts as one past the last pair.
 * REQUIRES: the same txn (else EMDB_BAD_TXN) and table (else EMDB_EINVAL); both positioned
 * (else EMDB_ENODATA). */
EMDB_API int emdb_estimate_distance(const EMDB_cursor *first, const EMDB_cursor *last,
                                    ptrdiff_t *distance_items) EMDB_NOEXCEPT;
/** Estimated distance emdb_cursor_get(cursor, key, data, move_op) would move the cursor; the
 * cursor does not move (key/data receive the pair the move would reach). EMDB_LAST counts to
 * the end of the table (one past the last pair). EMDB_GET_CURRENT, EMDB_GET_MULTIPLE: EMDB_EINVAL;
 * a move that finds nothing returns its error (EMDB_NOTFOUND). */
EMDB_API int emdb_estimate_move(const EMDB_cursor *cursor, EMDB_val *key, EMDB_val *data,
                                EMDB_cursor_op move_op, ptrdiff_t *distance_items) EMDB_NOEXCEPT;
/** Estimated number of pairs in [begin, end), each end placed as EMDB_SET_LOWERBOUND would place
 * a cursor (the data matters on DUPSORT tables only). NULL begin_key = the first pair, NULL
 * end_key = the end of the table; negative when end is before begin; equal keys without data:
 * the number of values of that key. Data with a NULL or EPSILON key: EMDB_EINVAL. */
EMDB_API int emdb_estimate_range(const EMDB_txn *txn, EMDB_dbi dbi, const EMDB_val *begin_key,
                                 const EMDB_val *begin_data, const EMDB_val *end_key,
                                 const EMDB_val *end_data, ptrdiff_t *distance_items) EMDB_NOEXCEPT;
/** Renames a named table (write txn). EMDB_KEYEXIST if a table, an open handle or a key of the
 * main table has that name; EMDB_EINVAL for the main table. Undone if the txn aborts. */
EMDB_API int emdb_dbi_rename(EMDB_txn *txn, EMDB_dbi dbi, const char *name) EMDB_NOEXCEPT;
EMDB_API int emdb_dbi_rename2(EMDB_txn *txn, EMDB_dbi dbi, const EMDB_val *name) EMDB_NOEXCEPT;
/** Called once per named table the txn sees (in name order, uncommitted ones included) with its
 * flags, its statistics as the txn sees them, and its open handle (0 if none); a nonzero return
 * stops the enumeration and is returned. */
typedef int(EMDB_table_enum_func)(void *ctx, const EMDB_txn *txn, const EMDB_val *name,
                                  EMDB_db_flags_t flags, const struct EMDB_stat *stat,
                                  EMDB_dbi dbi) EMDB_NOEXCEPT;
EMDB_API int emdb_enumerate_tables(const EMDB_txn *txn, EMDB_table_enum_func *func,
                                   void *ctx) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Copying */

/* A consistent copy of the snapshot of one read transaction; writers may commit meanwhile.
 * The copy opens at that snapshot (its meta 0, steady). EMDB_CP_COMPACT renumbers the pages so
 * the copy has no free pages; EMDB_CP_FORCE_DYNAMIC_SIZE makes its geometry growable;
 * EMDB_CP_DONT_FLUSH skips the final fdatasync; EMDB_CP_OVERWRITE replaces an existing `dest`;
 * EMDB_CP_DISPOSE_TXN (txn variants) aborts `txn` afterwards, whatever the result.
 * EMDB_CP_THROTTLE_MVCC parks the read txn while the copy writes, so a writer short of space
 * may oust it (the copy then fails with EMDB_OUSTED). EMDB_CP_RENEW_TXN renews a lagging txn
 * before copying and restarts a copy whose snapshot was taken away on the newest snapshot
 * (regular outputs, at most 8 times); the env variants always renew. A copy never holds
 * reused pages: a reader kicked meanwhile fails it (EMDB_MVCC_RETARDED). A failed copy into a
 * regular fd is truncated back to where it began. */

/** Copies a snapshot taken by a read txn begun (and ended) on this thread. `dest` is the data
 * file of the copy (open it with EMDB_NOSUBDIR); an existing directory gets dest/emdb.dat.
 * EEXIST if it exists without EMDB_CP_OVERWRITE; a failed copy removes the file it made. */
EMDB_API int emdb_env_copy(EMDB_env *env, const char *dest, EMDB_copy_flags_t flags) EMDB_NOEXCEPT;
/** As emdb_env_copy, writing sequentially from fd's position (a pipe works). */
EMDB_API int emdb_env_copy2fd(EMDB_env *env, emdb_filehandle_t fd,
                              EMDB_copy_flags_t flags) EMDB_NOEXCEPT;
/** Copies the snapshot of `txn`, a read transaction (a write txn is EMDB_EINVAL). */
EMDB_API int emdb_txn_copy2pathname(EMDB_txn *txn, const char *dest,
                                    EMDB_copy_flags_t flags) EMDB_NOEXCEPT;
EMDB_API int emdb_txn_copy2fd(EMDB_txn *txn, emdb_filehandle_t fd,
                              EMDB_copy_flags_t flags) EMDB_NOEXCEPT;

/*----------------------------------------------------------------------------------------------
 * Page walker and checker (emdb's own design) */

/** Kind of a page (or run of large pages) reported by the walker. */
typedef enum EMDB_page_type_t {
  EMDB_page_broken = 0,        /**< unreadable or of an unexpected kind */
  EMDB_page_meta = 1,          /**< one of the three meta pages */
  EMDB_page_large = 2,         /**< a run of large-value (overflow) pages */
  EMDB_page_branch = 3,        /**< internal page */
  EMDB_page_leaf = 4,          /**< leaf page */
  EMDB_page_dupfix_leaf = 5,   /**< leaf of a DUPFIXED sub-tree */
  EMDB_subpage_leaf = 6,       /**< DUPSORT sub-page inside a leaf node */
  EMDB_subpage_dupfix_leaf = 7 /**< DUPFIXED sub-page inside a leaf node */
} EMDB_page_type_t;

/** Owner sentinels passed as `table` to the visitor. */
#define EMDB_PGWALK_MAIN ((const EMDB_val *)((ptrdiff_t)0))
#define EMDB_PGWALK_GC ((const EMDB_val *)((ptrdiff_t)-1))
#define EMDB_PGWALK_META ((const EMDB_val *)((ptrdiff_t)-2))

/** Called once per page or run of large pages (npages > 1), and once per inline DUPSORT
 * sub-page (npages 0, pgno = the leaf holding it). `table` is the owning table's name, or one of
 * the EMDB_PGWALK_* sentinels; `parent_pgno` is ~0 for metas and the GC and main roots. For real
 * pages payload + header + unused = npages * pagesize. A nonzero return stops the walk and is
 * returned. */
typedef int(EMDB_pgvisitor_func)(void *ctx, uint64_t pgno, unsigned npages, uint64_t parent_pgno,
                                 const EMDB_val *table, int depth, EMDB_page_type_t type,
                                 size_t nentries, size_t payload_bytes, size_t header_bytes,
                                 size_t unused_bytes) EMDB_NOEXCEPT;
typedef enum EMDB_pgwalk_flags_t { EMDB_PGWALK_DEFAULTS = 0 } EMDB_pgwalk_flags_t;
/** Visits every page reachable from the transaction's snapshot exactly once (metas, GC tree, main
 * tree, then each named table with its sub-trees and large runs). Every page is validated before
 * it is read: a damaged one is visited as EMDB_page_broken and not followed, and the call then
 * returns EMDB_CORRUPTED. See docs/api.md "Walking and checking". */
EMDB_API int emdb_env_pgwalk(EMDB_txn *txn, EMDB_pgvisitor_func *visitor, void *ctx,
                             EMDB_pgwalk_flags_t flags) EMDB_NOEXCEPT;

typedef enum EMDB_chk_flags_t {
  EMDB_CHK_DEFAULTS = 0,             /**< check a read snapshot of a live database */
  EMDB_CHK_READWRITE = 1,            /**< lock writers out during the check */
  EMDB_CHK_SKIP_BTREE_TRAVERSAL = 2, /**< metas and GC only */
  EMDB_CHK_SKIP_KV_TRAVERSAL = 4,    /**< pages only, not key order */
  EMDB_CHK_IGNORE_ORDER = 8,         /**< don't check key order */
  EMDB_CHK_TURN_STEADY = 16,         /**< after a clean check, make the chosen meta the newest
                                          steady one (emdb_env_turn_for_recovery: needs an env
                                          from emdb_env_open_for_recovery, writeable) */
  EMDB_CHK_PROGRESS = 32             /**< also call the callback for progress (see below) */
} EMDB_chk_flags_t;

/** Classes of problems found by the checker. */
typedef enum EMDB_chk_class_t {
  EMDB_CHK_META = 0,     /**< a meta page is invalid, torn or inconsistent */
  EMDB_CHK_PAGE_RANGE,   /**< a page number outside the allocated range */
  EMDB_CHK_PAGE_DOUBLE,  /**< a page used twice (by trees, GC records or both) */
  EMDB_CHK_PAGE_LOST,    /**< a page neither used, nor free, nor in the unallocated tail */
  EMDB_CHK_PAGE_HEADER,  /**< wrong kind, number or bounds in a page header */
  EMDB_CHK_KEY_ORDER,    /**< keys out of order in or across pages */
  EMDB_CHK_SEPARATOR,    /**< a branch separator does not bracket its subtree */
  EMDB_CHK_DEPTH,        /**< leaves at different depths */
  EMDB_CHK_LARGE,        /**< a bad run of large pages */
  EMDB_CHK_DUPSORT,      /**< a bad DUPSORT sub-page or sub-tree */
  EMDB_CHK_TABLE_RECORD, /**< a table record disagrees with what the walk counted */
  EMDB_CHK_GC,           /**< a bad GC record */
  EMDB_CHK_IO,           /**< the file could not be read */
  EMDB_CHK_CLASS_COUNT
} EMDB_chk_class_t;

typedef struct EMDB_chk_report {
  uint64_t pagesize;
  uint64_t file_pages;      /**< pages in the file */
  uint64_t allocated_pages; /**< first never-allocated page number of the checked snapshot */
  uint64_t meta_pages;      /**< 3 */
  uint64_t gc_tree_pages;   /**< pages of the GC tree */
  uint64_t gc_listed_pages; /**< free pages listed in GC records */
  uint64_t main_pages;      /**< pages of the main tree (table records) */
  uint64_t table_pages;     /**< pages of named tables, sub-trees included */
  uint64_t large_pages;     /**< large-value pages (part of main_pages/table_pages) */
  uint64_t lost_pages;      /**< pages accounted to nothing */
  uint64_t double_pages;    /**< pages accounted twice */
  uint64_t tables;          /**< named tables */
  uint64_t entries;         /**< entries in all tables */
  uint64_t recent_txnid;    /**< newest valid meta */
  uint64_t steady_txnid;    /**< newest steady meta */
  uint64_t checked_txnid;   /**< the snapshot that was checked */
  int meta_selected;        /**< the meta that was checked (0, 1, 2) */
  int meta_valid[3];        /**< 1 if the meta is valid */
  int meta_steady[3];       /**< 1 if the meta is steady */
  uint64_t meta_txnid[3];
  uint64_t problems[EMDB_CHK_CLASS_COUNT]; /**< problems per class */
  uint64_t problems_total;
} EMDB_chk_report;

/** Called once per problem with its class, the page (0 if none), the table (or an EMDB_PGWALK_*
 * sentinel) and a message ("[class] page N (owner): what"). A nonzero return stops the check
 * and is returned. With EMDB_CHK_PROGRESS it is also called about every 16384 pages walked with
 * problem_class EMDB_CHK_CLASS_COUNT, pgno = pages walked so far, table and message NULL. */
typedef int(EMDB_chk_problem_func)(void *ctx, EMDB_chk_class_t problem_class, uint64_t pgno,
                                   const EMDB_val *table, const char *message) EMDB_NOEXCEPT;
/** Checks the database: meta_selector -1 for the current meta, or 0, 1, 2. Runs in its own
 * read txn (EMDB_TXN_OVERLAPPING if the thread has one), or a write txn with
 * EMDB_CHK_READWRITE (writers wait). Returns EMDB_SUCCESS when no problem was found,
 * EMDB_RESULT_TRUE when problems were reported, or an error when the check could not run. */
EMDB_API int emdb_env_chk(EMDB_env *env, EMDB_chk_flags_t flags, int meta_selector,
                          EMDB_chk_report *report, EMDB_chk_problem_func *problem_callback,
                          void *ctx) EMDB_NOEXCEPT;
/** Checks a database that cannot be opened (damaged metas, a truncated file) from its data
 * file alone: `pathname` is a database directory or a data file. The page size is found by
 * probing the three meta slots at every page size from 256 to 65536; each meta's damage is
 * reported (EMDB_CHK_META, pgno = the meta's index); meta_selector -1 checks the newest valid
 * meta, 0-2 that one; a file shorter than the checked meta's next_pgno is reported as one
 * EMDB_CHK_IO problem (pgno = the first missing page) and the trees are checked as far as the
 * file goes. No lock file is used: the file must not be written meanwhile. Flags:
 * EMDB_CHK_SKIP_BTREE_TRAVERSAL, EMDB_CHK_SKIP_KV_TRAVERSAL, EMDB_CHK_IGNORE_ORDER,
 * EMDB_CHK_PROGRESS (others are EMDB_EINVAL). Returns as emdb_env_chk, or EMDB_INVALID when no
 * slot holds a meta at any page size, or an errno. */
EMDB_API int emdb_preopen_chk(const char *pathname, EMDB_chk_flags_t flags, int meta_selector,
                              EMDB_chk_report *report, EMDB_chk_problem_func *problem_callback,
                              void *ctx) EMDB_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */

/* Bitwise operators for the flag enums, so `EMDB_CREATE | EMDB_DUPSORT` keeps its type. */
#define EMDB_ENUM_FLAG_OPS(E)                                                     \
  inline constexpr E operator|(E a, E b) { return E(unsigned(a) | unsigned(b)); } \
  inline constexpr E operator&(E a, E b) { return E(unsigned(a) & unsigned(b)); } \
  inline constexpr E operator^(E a, E b) { return E(unsigned(a) ^ unsigned(b)); } \
  inline constexpr E operator~(E a) { return E(~unsigned(a)); }                   \
  inline E &operator|=(E &a, E b) { return a = a | b; }                           \
  inline E &operator&=(E &a, E b) { return a = a & b; }                           \
  inline E &operator^=(E &a, E b) { return a = a ^ b; }
EMDB_ENUM_FLAG_OPS(EMDB_env_flags_t)
EMDB_ENUM_FLAG_OPS(EMDB_txn_flags_t)
EMDB_ENUM_FLAG_OPS(EMDB_db_flags_t)
EMDB_ENUM_FLAG_OPS(EMDB_put_flags_t)
EMDB_ENUM_FLAG_OPS(EMDB_copy_flags_t)
EMDB_ENUM_FLAG_OPS(EMDB_debug_flags_t)
EMDB_ENUM_FLAG_OPS(EMDB_chk_flags_t)
#undef EMDB_ENUM_FLAG_OPS
#endif

#endif /* EMDB_H */
