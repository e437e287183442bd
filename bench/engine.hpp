// engine.hpp — the engine-neutral interface of the benchmark driver, as a C++20 concept.
//
// Both backends (engine_emdb.hpp, engine_lmdb.hpp) are plain classes with inline, non-virtual
// members; the workloads are templates over them, so neither engine pays for an indirection
// the other does not pay for.
//
// The interface:
//   E e;                                 a closed engine handle
//   e.open(dir, params)                  opens (creates) the database in directory `dir` with
//                                        page size params.page_size, upper size
//                                        params.upper_bytes and the durability of params.mode
//   e.flush(); e.close();                force everything to disk; close the environment
//   e.data_path(dir)                     the data file inside `dir`
//   e.begin_write(); e.commit();         the one write transaction of the process
//   e.put(k, v, append)                  upsert (append: the key is the largest so far)
//   e.get_w(k, &v) -> bool               get inside the write transaction
//   e.del(k) -> bool                     false if the key was absent
//   e.stat() -> TreeStat                 depth and counts of the main table (own read txn)
//   e.used_bytes() -> uint64_t           (last used page + 1) * page size
//   typename E::Reader r(e);             per-thread read handle (create it in its thread)
//   r.begin(); r.end();                  begin / end a read-only transaction
//   r.get(k, &v) -> bool
//   r.first/last/next/prev(&k, &v) -> bool, r.set_range(k, &k, &v) -> bool
//                                        a cursor owned by the read transaction
// Every member dies (common.hpp die()) on an unexpected error code: a workload never runs on
// after an engine failed.
#pragma once

#include <concepts>
#include <string>

#include "common.hpp"

namespace emdb_bench {

template <class E>
concept KvEngine = requires(E e, typename E::Reader r, const std::string &dir, const OpenParams &p,
                            Slice k, Slice *out, bool append) {
  { E::kName } -> std::convertible_to<const char *>;
  e.open(dir, p);
  e.flush();
  e.close();
  { e.data_path(dir) } -> std::convertible_to<std::string>;
  e.begin_write();
  e.commit();
  e.put(k, k, append);
  { e.get_w(k, out) } -> std::same_as<bool>;
  { e.del(k) } -> std::same_as<bool>;
  { e.stat() } -> std::same_as<TreeStat>;
  { e.used_bytes() } -> std::convertible_to<uint64_t>;
  r.begin();
  r.end();
  { r.get(k, out) } -> std::same_as<bool>;
  { r.first(out, out) } -> std::same_as<bool>;
  { r.last(out, out) } -> std::same_as<bool>;
  { r.next(out, out) } -> std::same_as<bool>;
  { r.prev(out, out) } -> std::same_as<bool>;
  { r.set_range(k, out, out) } -> std::same_as<bool>;
};

}  // namespace emdb_bench
