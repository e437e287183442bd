/* emdb.hpp — the C++20 API of emdb: RAII handles over the C API in emdb.h.
 *
 * Header-only: every function is an inline wrapper over one or two C calls, so the C++ API
 * shares the engine, the file format and the semantics of the C API, and copies no data.
 *
 * Overview
 *   emdb::env      an open database (move-only; closes on destruction)
 *   emdb::txn      a read or write transaction (move-only; aborts on destruction unless
 *                  committed or aborted before)
 *   emdb::cursor   a position in a table (move-only; closes on destruction)
 *   emdb::table    a table handle: a small copyable value (the C API's EMDB_dbi)
 *   emdb::slice    a non-owning view of bytes; converts from std::string, std::string_view,
 *                  std::span<const std::byte>, std::array and std::vector of bytes or chars,
 *                  C strings and (explicitly) any trivially copyable value
 *   emdb::kv_pair  {slice key; slice value}
 *   emdb::error    the exception thrown by this layer; code() is the EMDB_* or errno code
 *
 * Errors. Every call that fails throws emdb::error carrying the C API's code, with these
 * exceptions, which are ordinary outcomes and not errors:
 *   - a missing key or an exhausted cursor gives std::nullopt (get, lower_bound, cursor moves);
 *   - txn::insert returns false when the key (or, with EMDB_NODUPDATA, the pair) exists;
 *   - txn::erase returns false when there was nothing to erase;
 *   - txn::try_open_table and env::try_begin_write give std::nullopt for NOTFOUND and BUSY.
 * The engine and the C API use status codes; exceptions exist only in this header.
 *
 * View lifetimes (zero copy). A slice or kv_pair returned by a read points straight into the
 * memory map or into a dirty page of the write transaction. It stays valid until the
 * transaction ends (commit, abort, reset or destruction) or, in a write transaction, until the
 * next write call in that transaction (put, insert, erase, drop, clear, sequence with an
 * increment, cursor put/erase, a nested transaction's writes). Copy the bytes (slice::
 * to_string, slice::as<T>) to keep them longer. Never write through a view.
 *
 * Threads. One write transaction at a time per database (begin_write waits for the writer
 * lock). A transaction and its cursors may be used by one thread at a time. By default a read
 * transaction is bound to the thread that began it, and a thread holds one read transaction at
 * a time (a second one throws EMDB_TXN_OVERLAPPING); EMDB_NOSTICKYTHREADS lifts both rules.
 * The emdb::env object may be shared by threads.
 *
 * Destruction order. Destroy (or end) transactions before their environment; declaring them
 * after the env in the same scope does that. A cursor may outlive its transaction, but may then
 * only be renewed, re-bound or destroyed. Ending a parent transaction (commit or abort) ends
 * its nested transaction in the engine; this header notices and turns the child object into an
 * empty handle, so its destructor does nothing.
 *
 * See docs/api.md for a tour with examples and docs/caveats.md for the pitfalls. */
#ifndef EMDB_HPP
#define EMDB_HPP

#include <emdb/emdb.h>

#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <optional>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace emdb {

/*----------------------------------------------------------------------------------------------
 * Errors */

/** The exception thrown by the C++ API. code() is the value the C API returned: a negative
 * EMDB_* code (EMDB_NOTFOUND, EMDB_MAP_FULL, ...) or a positive errno value (EMDB_EINVAL,
 * EMDB_EACCESS, ...). what() reads "<C function>: <emdb_strerror text>". */
class error : public std::runtime_error {
 public:
  explicit error(int code) : std::runtime_error(text(code)), code_(code) {}
  error(int code, const char *where)
      : std::runtime_error(std::string(where) + ": " + text(code)), code_(code) {}

  /** The EMDB_* or errno code. */
  [[nodiscard]] int code() const noexcept { return code_; }

  /** Throws error(code, where) unless code is EMDB_SUCCESS. */
  static void check(int code, const char *where) {
    if (code != EMDB_SUCCESS) [[unlikely]]
      throw error(code, where);
  }

  /** The text of any EMDB_* or errno code (emdb_strerror). */
  [[nodiscard]] static std::string text(int code) {
    const char *s = emdb_strerror(code);
    return s != nullptr ? std::string(s) : "error " + std::to_string(code);
  }

 private:
  int code_;
};

/** The library version, "MAJOR.MINOR.PATCH". */
[[nodiscard]] inline std::string_view version() noexcept { return emdb_version(); }

namespace detail {
template <class T>
concept byte_like = std::same_as<T, char> || std::same_as<T, signed char> ||
    std::same_as<T, unsigned char> || std::same_as<T, std::byte> || std::same_as<T, char8_t>;

/** A contiguous, sized range of byte-sized elements (std::string, std::string_view,
 * std::span<const std::byte>, std::vector<char>, std::array<std::byte, N>, ...). Built-in
 * arrays are excluded: a string literal is taken as a C string, without its terminator. */
template <class R, class Self>
concept byte_range =
    std::ranges::contiguous_range<const R> && std::ranges::sized_range<const R> &&
    byte_like<std::remove_cv_t<std::ranges::range_value_t<const R>>> && !std::is_array_v<R> &&
    !std::same_as<R, Self>;

/** A value whose object bytes can serve as a key or value (explicitly). */
template <class T, class Self>
concept plain_value =
    std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> && !std::is_array_v<T> &&
    !std::is_member_pointer_v<T> && !std::is_null_pointer_v<T> && !std::ranges::range<T> &&
    !std::same_as<T, Self> && !std::same_as<T, EMDB_val>;

template <class T>
concept trivially_copyable = std::is_trivially_copyable_v<T>;

/** Anything a std::string_view can be written to (std::ostream, ...). */
template <class Os>
concept text_stream = requires(Os &os, std::string_view v) {
  os << v;
};
}  // namespace detail

/*----------------------------------------------------------------------------------------------
 * slice: a view of bytes */

/** A non-owning view of bytes: a pointer and a size, like std::string_view for binary data.
 * It never owns or copies what it points at: the viewed bytes must outlive the slice. Slices
 * returned by reads point into the database; see "View lifetimes" at the top. */
class slice {
 public:
  slice() noexcept = default;
  slice(const void *data, std::size_t size) noexcept
      : data_(static_cast<const std::byte *>(data)), size_(size) {}
  /** A C string, without its terminating NUL (nullptr: the empty slice). */
  slice(const char *cstr) noexcept : slice(cstr, cstr != nullptr ? std::strlen(cstr) : 0) {}
  /** Any contiguous range of bytes or chars: std::string, std::string_view,
   * std::span<const std::byte>, std::vector<std::uint8_t>, std::array<char, N>, ... */
  template <detail::byte_range<slice> R>
  slice(const R &range) noexcept : slice(std::ranges::data(range), std::ranges::size(range)) {}
  /** The object bytes of a trivially copyable value (an integer, a POD struct). Explicit, so
   * that a number is never taken as a key by accident: txn.put(t, emdb::slice(id), v). */
  template <detail::plain_value<slice> T>
  explicit slice(const T &value) noexcept : slice(std::addressof(value), sizeof(T)) {}
  /** A C API value. */
  slice(const EMDB_val &val) noexcept : slice(val.iov_base, val.iov_len) {}

  [[nodiscard]] const std::byte *data() const noexcept { return data_; }
  [[nodiscard]] const char *char_data() const noexcept {
    return reinterpret_cast<const char *>(data_);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const std::byte *begin() const noexcept { return data_; }
  [[nodiscard]] const std::byte *end() const noexcept { return data_ + size_; }
  [[nodiscard]] std::byte operator[](std::size_t i) const noexcept { return data_[i]; }

  /** The same bytes as a std::string_view (no copy). */
  [[nodiscard]] std::string_view view() const noexcept { return {char_data(), size_}; }
  operator std::string_view() const noexcept { return view(); }
  /** The same bytes as a std::span (no copy). A slice also converts implicitly to
   * std::span<const std::byte>, through span's range constructor. */
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  /** A copy of the bytes, which outlives the transaction. */
  [[nodiscard]] std::string to_string() const { return std::string(view()); }
  /** A copy of the bytes as a T. Throws error(EMDB_BAD_VALSIZE) if size() != sizeof(T). */
  template <detail::trivially_copyable T>
  [[nodiscard]] T as() const {
    if (size_ != sizeof(T)) throw error(EMDB_BAD_VALSIZE, "emdb::slice::as");
    std::array<std::byte, sizeof(T)> raw;
    if constexpr (sizeof(T) != 0) std::memcpy(raw.data(), data_, sizeof(T));
    return std::bit_cast<T>(raw);
  }
  /** The C API view of the same bytes. The C API never writes through a key or value it is
   * given, so casting away const here is safe. */
  [[nodiscard]] EMDB_val val() const noexcept {
    EMDB_val v;
    v.iov_base = const_cast<std::byte *>(data_);
    v.iov_len = size_;
    return v;
  }

  /** Byte-wise lexicographic comparison (the order of a table with default flags): <0, 0, >0. */
  [[nodiscard]] int compare(slice other) const noexcept {
    const std::size_t n = size_ < other.size_ ? size_ : other.size_;
    const int c = n != 0 ? std::memcmp(data_, other.data_, n) : 0;
    if (c != 0) return c;
    return size_ < other.size_ ? -1 : (size_ > other.size_ ? 1 : 0);
  }
  [[nodiscard]] bool starts_with(slice prefix) const noexcept {
    return prefix.size_ <= size_ &&
           (prefix.size_ == 0 || std::memcmp(data_, prefix.data_, prefix.size_) == 0);
  }

  /** Equal bytes. Works against anything that converts to a slice implicitly: another slice,
   * std::string, std::string_view, a C string, a span of bytes. */
  template <std::convertible_to<slice> T>
  friend bool operator==(const slice &a, const T &b) noexcept {
    const slice s(b);
    return a.size_ == s.size_ && (a.size_ == 0 || std::memcmp(a.data_, s.data_, a.size_) == 0);
  }

  /** Prints the bytes as they are (for logs and test failure messages). */
  template <detail::text_stream Os>
  friend Os &operator<<(Os &os, const slice &s) {
    os << s.view();
    return os;
  }

 private:
  const std::byte *data_ = nullptr;
  std::size_t size_ = 0;
};

/** A key and its value, as views (see "View lifetimes"). Works with structured bindings:
 * `auto [k, v] = *cursor.to_first();`. */
struct kv_pair {
  slice key;
  slice value;
};

/*----------------------------------------------------------------------------------------------
 * table: a table handle */

/** A table (the C API's EMDB_dbi). A plain copyable number, not an RAII handle: table handles
 * belong to the environment and stay valid for its lifetime (a table created by a write
 * transaction becomes usable by others once that transaction commits). txn::drop invalidates
 * it; env::close_table releases it early. A default-constructed table is invalid: calls with
 * it fail with EMDB_BAD_DBI. */
class table {
 public:
  constexpr table() noexcept = default;
  constexpr explicit table(EMDB_dbi dbi) noexcept : dbi_(dbi) {}
  [[nodiscard]] constexpr EMDB_dbi dbi() const noexcept { return dbi_; }
  [[nodiscard]] constexpr bool valid() const noexcept { return dbi_ != invalid_dbi; }
  friend constexpr bool operator==(table, table) noexcept = default;

 private:
  static constexpr EMDB_dbi invalid_dbi = ~EMDB_dbi(0);
  EMDB_dbi dbi_ = invalid_dbi;
};

class txn;
class cursor_range;

/*----------------------------------------------------------------------------------------------
 * cursor */

/** A position in one table of one transaction. Move-only; the destructor closes it. A cursor
 * may outlive its transaction (it is then unbound: renew() or bind() it to another one, or
 * destroy it), but it may not be used after its transaction has ended.
 *
 * Moves return std::optional<kv_pair>: the pair at the new position, or std::nullopt when
 * there is none (EMDB_NOTFOUND: past either end, key absent). Other failures throw. The pair
 * holds views; see "View lifetimes". */
class cursor {
 public:
  cursor() noexcept = default;
  /** Takes ownership of a C cursor. */
  explicit cursor(EMDB_cursor *adopt) noexcept : h_(adopt) {}
  cursor(cursor &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  cursor &operator=(cursor &&other) noexcept {
    if (this != &other) {
      close();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  cursor(const cursor &) = delete;
  cursor &operator=(const cursor &) = delete;
  ~cursor() { close(); }

  /** Frees the cursor (a no-op on an empty handle). */
  void close() noexcept {
    if (h_ != nullptr) emdb_cursor_close(std::exchange(h_, nullptr));
  }
  [[nodiscard]] EMDB_cursor *handle() const noexcept { return h_; }
  /** Gives up ownership: the caller must emdb_cursor_close() the result. */
  [[nodiscard]] EMDB_cursor *release() noexcept { return std::exchange(h_, nullptr); }
  explicit operator bool() const noexcept { return h_ != nullptr; }

  /** Binds the cursor to table t of transaction tx (creating the C cursor if this handle is
   * empty), unbinding it from anything before. */
  void bind(const txn &tx, table t);
  /** Rebinds the cursor to the same table in another transaction. */
  void renew(const txn &tx);
  /** Detaches the cursor from its transaction; it stays allocated for a later bind(). */
  void unbind() { error::check(emdb_cursor_unbind(h_), "emdb_cursor_unbind"); }
  /** The table the cursor is bound to. */
  [[nodiscard]] table get_table() const noexcept { return table(emdb_cursor_dbi(h_)); }
  /** A new cursor on the same transaction and table, at the same position. */
  [[nodiscard]] cursor clone() const {
    cursor copy(emdb_cursor_create(nullptr));
    if (!copy) throw error(EMDB_ENOMEM, "emdb_cursor_create");
    error::check(emdb_cursor_copy(h_, copy.h_), "emdb_cursor_copy");
    return copy;
  }

  /** Any cursor operation of the C API, with key/value as input where the op reads them
   * (EMDB_SET_KEY, EMDB_GET_BOTH, ...). std::nullopt on EMDB_NOTFOUND. The pair returned
   * always views the database, never the caller's key or value. */
  std::optional<kv_pair> move(EMDB_cursor_op op, slice key = {}, slice value = {}) {
    EMDB_val k = key.val(), v = value.val();
    int rc = emdb_cursor_get(h_, &k, &v, op);
    if (rc == EMDB_NOTFOUND) return std::nullopt;
    if (rc != EMDB_SUCCESS && rc != EMDB_RESULT_TRUE) throw error(rc, "emdb_cursor_get");
    if (op == EMDB_SET || op == EMDB_GET_BOTH || op == EMDB_GET_BOTH_RANGE) {
      // these ops may leave key (and value) pointing at the caller's input
      rc = emdb_cursor_get(h_, &k, &v, EMDB_GET_CURRENT);
      error::check(rc, "emdb_cursor_get");
    }
    return kv_pair{slice(k), slice(v)};
  }

  /** First / last pair of the table. */
  std::optional<kv_pair> to_first() { return move(EMDB_FIRST); }
  std::optional<kv_pair> to_last() { return move(EMDB_LAST); }
  /** Next / previous pair (each value of a DUPSORT key is a pair of its own). */
  std::optional<kv_pair> to_next() { return move(EMDB_NEXT); }
  std::optional<kv_pair> to_prev() { return move(EMDB_PREV); }
  /** DUPSORT: first / last / next / previous value of the current key. */
  std::optional<kv_pair> to_first_dup() { return move(EMDB_FIRST_DUP); }
  std::optional<kv_pair> to_last_dup() { return move(EMDB_LAST_DUP); }
  std::optional<kv_pair> to_next_dup() { return move(EMDB_NEXT_DUP); }
  std::optional<kv_pair> to_prev_dup() { return move(EMDB_PREV_DUP); }
  /** First value of the next key / last value of the previous key (skips duplicates). */
  std::optional<kv_pair> to_next_key() { return move(EMDB_NEXT_NODUP); }
  std::optional<kv_pair> to_prev_key() { return move(EMDB_PREV_NODUP); }
  /** The key itself (its first value on a DUPSORT table); std::nullopt if absent. */
  std::optional<kv_pair> seek(slice key) { return move(EMDB_SET_KEY, key); }
  /** The first key >= key. */
  std::optional<kv_pair> lower_bound(slice key) { return move(EMDB_SET_RANGE, key); }
  /** DUPSORT: exactly this key and value. */
  std::optional<kv_pair> find(slice key, slice value) { return move(EMDB_GET_BOTH, key, value); }
  /** DUPSORT: this key, at its first value >= value. */
  std::optional<kv_pair> lower_bound_dup(slice key, slice value) {
    return move(EMDB_GET_BOTH_RANGE, key, value);
  }

  /** The pair at the cursor. Throws (EMDB_ENODATA or EMDB_NOTFOUND, as the engine reports)
   * if the cursor is not on a pair. */
  [[nodiscard]] kv_pair current() const {
    EMDB_val k{}, v{};
    error::check(emdb_cursor_get(h_, &k, &v, EMDB_GET_CURRENT), "emdb_cursor_get");
    return kv_pair{slice(k), slice(v)};
  }

  /** Stores a pair through the cursor and leaves it there (flags as txn::put; EMDB_CURRENT
   * replaces the value at the cursor). Invalidates earlier views of this transaction. */
  void put(slice key, slice value, EMDB_put_flags_t flags = EMDB_UPSERT) {
    EMDB_val k = key.val(), v = value.val();
    error::check(emdb_cursor_put(h_, &k, &v, flags), "emdb_cursor_put");
  }
  /** As put with EMDB_NOOVERWRITE (or the flags given); false if the key (with
   * EMDB_NODUPDATA: the pair) already exists. */
  bool insert(slice key, slice value, EMDB_put_flags_t flags = EMDB_NOOVERWRITE) {
    EMDB_val k = key.val(), v = value.val();
    const int rc = emdb_cursor_put(h_, &k, &v, flags);
    if (rc == EMDB_KEYEXIST) return false;
    error::check(rc, "emdb_cursor_put");
    return true;
  }
  /** DUPFIXED: stores `count` values of `value_size` bytes each, packed back to back at
   * `values`, under key (EMDB_MULTIPLE); returns how many were stored. */
  std::size_t put_multiple(slice key, const void *values, std::size_t value_size, std::size_t count,
                           EMDB_put_flags_t flags = EMDB_UPSERT) {
    EMDB_val k = key.val();
    EMDB_val v[2] = {{const_cast<void *>(values), value_size}, {nullptr, count}};
    error::check(emdb_cursor_put(h_, &k, v, flags | EMDB_MULTIPLE), "emdb_cursor_put");
    return v[1].iov_len;
  }
  /** DUPFIXED: values of the current key, a page at a time, packed back to back in the pair's
   * value (EMDB_GET_MULTIPLE: from the cursor's page; next_multiple / prev_multiple: the next
   * / previous page of values). */
  std::optional<kv_pair> get_multiple() { return move(EMDB_GET_MULTIPLE); }
  std::optional<kv_pair> next_multiple() { return move(EMDB_NEXT_MULTIPLE); }
  std::optional<kv_pair> prev_multiple() { return move(EMDB_PREV_MULTIPLE); }
  /** Deletes the pair at the cursor, or with all_dups every value of its key. The cursor then
   * stands on the pair that followed. */
  void erase(bool all_dups = false) {
    error::check(emdb_cursor_del(h_, all_dups ? EMDB_ALLDUPS : EMDB_UPSERT), "emdb_cursor_del");
  }

  /** Number of values of the current key (1 on a table without DUPSORT). */
  [[nodiscard]] std::size_t count() const {
    std::size_t n = 0;
    error::check(emdb_cursor_count(h_, &n), "emdb_cursor_count");
    return n;
  }
  /** True when the cursor is not on a pair (never positioned, or moved past an end). */
  [[nodiscard]] bool eof() const { return flag(emdb_cursor_eof(h_), "emdb_cursor_eof"); }
  [[nodiscard]] bool on_first() const {
    return flag(emdb_cursor_on_first(h_), "emdb_cursor_on_first");
  }
  [[nodiscard]] bool on_last() const {
    return flag(emdb_cursor_on_last(h_), "emdb_cursor_on_last");
  }
  [[nodiscard]] bool on_first_dup() const {
    return flag(emdb_cursor_on_first_dup(h_), "emdb_cursor_on_first_dup");
  }
  [[nodiscard]] bool on_last_dup() const {
    return flag(emdb_cursor_on_last_dup(h_), "emdb_cursor_on_last_dup");
  }

  /** The first key > key (EMDB_SET_UPPERBOUND); on a DUPSORT table with a value, the first
   * pair after (key, value). */
  std::optional<kv_pair> upper_bound(slice key) { return move(EMDB_SET_UPPERBOUND, key); }
  std::optional<kv_pair> upper_bound(slice key, slice value) {
    return move(EMDB_SET_UPPERBOUND, key, value);
  }

  /* Range estimation (see docs/api.md, "Range estimation"): approximate numbers of pairs,
   * computed from the cursors' paths in O(tree depth), exact when both ends lie in one page. */

  /** Estimated signed number of pairs from this cursor's position to other's (positive when
   * other is further on). Both must be positioned, on the same table and transaction. */
  [[nodiscard]] std::ptrdiff_t distance_to(const cursor &other) const {
    std::ptrdiff_t d = 0;
    error::check(emdb_estimate_distance(h_, other.h_, &d), "emdb_estimate_distance");
    return d;
  }
  /** Estimated distance move(op, key, value) would go, without moving the cursor. To
   * EMDB_LAST it counts to the end of the table (one past the last pair), as libmdbx does;
   * std::nullopt when the move would find nothing (EMDB_NOTFOUND). */
  [[nodiscard]] std::optional<std::ptrdiff_t> estimate_move(EMDB_cursor_op op, slice key = {},
                                                            slice value = {}) const {
    EMDB_val k = key.val(), v = value.val();
    std::ptrdiff_t d = 0;
    const int rc = emdb_estimate_move(h_, &k, &v, op, &d);
    if (rc == EMDB_NOTFOUND) return std::nullopt;
    error::check(rc, "emdb_estimate_move");
    return d;
  }

  /** Iteration (single pass; the range moves this cursor, which must outlive the loop):
   *   range()          every pair, first to last: for (auto [k, v] : c.range())
   *   range_from(key)  every pair from the first key >= key
   *   reverse_range()  every pair, last to first
   *   values(key)      the values of one key (DUPSORT), in order; empty if the key is absent
   * The cursor is positioned when the range is created, so the key argument need not outlive
   * the call. Each pair is a view (see "View lifetimes"). */
  [[nodiscard]] cursor_range range();
  [[nodiscard]] cursor_range range_from(slice key);
  [[nodiscard]] cursor_range reverse_range();
  [[nodiscard]] cursor_range values(slice key);
  /** Every pair with from <= key < to, in order (the end is found with a second cursor when
   * the range is created; empty if to <= from). */
  [[nodiscard]] cursor_range range_between(slice from, slice to);

 private:
  static bool flag(int rc, const char *where) {
    if (rc == EMDB_RESULT_TRUE) return true;
    error::check(rc, where);
    return false;
  }
  EMDB_cursor *h_ = nullptr;
};

/** A single-pass range of pairs read by a cursor (see cursor::range). It owns its cursor when
 * it comes from txn::scan/scan_from/values, and borrows one when it comes from a cursor. */
class cursor_range {
 public:
  /** An input iterator over the pairs; compare with std::default_sentinel (end()). */
  class iterator {
   public:
    using value_type = kv_pair;
    using difference_type = std::ptrdiff_t;
    using reference = const kv_pair &;
    using pointer = const kv_pair *;
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::input_iterator_tag;

    iterator() noexcept = default;
    reference operator*() const noexcept { return pair_; }
    pointer operator->() const noexcept { return &pair_; }
    /** Moves to the next pair; at the end the iterator equals end(). Throws on failure. */
    iterator &operator++() {
      EMDB_val k{}, v{};
      const int rc = emdb_cursor_get(c_, &k, &v, next_);
      if (rc == EMDB_NOTFOUND) {
        c_ = nullptr;
        pair_ = {};
      } else {
        error::check(rc, "emdb_cursor_get");
        pair_ = kv_pair{slice(k), slice(v)};
        if (stop_ != nullptr && same(pair_, *stop_)) {
          c_ = nullptr;
          pair_ = {};
        }
      }
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator &it, std::default_sentinel_t) noexcept {
      return it.c_ == nullptr;
    }

   private:
    friend class cursor_range;
    iterator(EMDB_cursor *c, EMDB_cursor_op next, kv_pair first, const kv_pair *stop) noexcept
        : c_(c), next_(next), pair_(first), stop_(stop) {}
    // Two pairs of one table are the same entry when their bytes are equal (keys are unique,
    // and so are the values of one DUPSORT key).
    static bool same(const kv_pair &a, const kv_pair &b) noexcept {
      auto eq = [](slice x, slice y) {
        return x.size() == y.size() &&
               (x.size() == 0 || std::memcmp(x.data(), y.data(), x.size()) == 0);
      };
      return eq(a.key, b.key) && eq(a.value, b.value);
    }
    EMDB_cursor *c_ = nullptr;
    EMDB_cursor_op next_ = EMDB_NEXT;
    kv_pair pair_{};
    const kv_pair *stop_ = nullptr;
  };

  /** Borrows cursor c: positions it with `first` (using key and value as that op reads them)
   * and steps with `next`. */
  cursor_range(cursor &c, EMDB_cursor_op first, EMDB_cursor_op next, slice key = {},
               slice value = {})
      : c_(c.handle()), next_(next), first_(c.move(first, key, value)) {}
  /** As above, owning the cursor. */
  cursor_range(cursor &&c, EMDB_cursor_op first, EMDB_cursor_op next, slice key = {},
               slice value = {})
      : owned_(std::move(c)),
        c_(owned_.handle()),
        next_(next),
        first_(owned_.move(first, key, value)) {}

  /** The first pair (where the cursor was positioned). Call once: the range is single pass. */
  [[nodiscard]] iterator begin() const noexcept {
    if (!first_ || (stop_ && iterator::same(*first_, *stop_))) return iterator();
    return iterator(c_, next_, *first_, stop_ ? &*stop_ : nullptr);
  }
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return std::default_sentinel; }
  /** Makes the range end before `stop` (a pair of the table, viewed from the database). */
  cursor_range &stop_before(std::optional<kv_pair> stop) noexcept {
    stop_ = stop;
    return *this;
  }

 private:
  cursor owned_;
  EMDB_cursor *c_;
  EMDB_cursor_op next_;
  std::optional<kv_pair> first_;
  std::optional<kv_pair> stop_;
};

inline cursor_range cursor::range() { return cursor_range(*this, EMDB_FIRST, EMDB_NEXT); }
inline cursor_range cursor::range_from(slice key) {
  return cursor_range(*this, EMDB_SET_RANGE, EMDB_NEXT, key);
}
inline cursor_range cursor::reverse_range() { return cursor_range(*this, EMDB_LAST, EMDB_PREV); }
inline cursor_range cursor::values(slice key) {
  return cursor_range(*this, EMDB_SET_KEY, EMDB_NEXT_DUP, key);
}
inline cursor_range cursor::range_between(slice from, slice to) {
  cursor end = clone();
  std::optional<kv_pair> stop = end.lower_bound(to);
  // An empty range when to <= from: stop at the first pair itself.
  cursor_range r(*this, EMDB_SET_RANGE, EMDB_NEXT, from);
  if (stop && !eof() && distance_to(end) <= 0) stop = current();
  r.stop_before(stop);
  return r;
}

/*----------------------------------------------------------------------------------------------
 * txn */

/** A transaction: a consistent snapshot for reading, or the one writer's set of changes.
 * Move-only. The destructor aborts a transaction that was neither committed nor aborted, so
 * an exception thrown while writing discards the partial changes.
 *
 * Every view a txn returns is valid until the txn ends or, in a write transaction, until the
 * next write call in it (see "View lifetimes" at the top). Writes through a read-only
 * transaction throw error(EMDB_EACCESS). */
class txn {
 public:
  txn() noexcept = default;
  /** Takes ownership of a C transaction. */
  explicit txn(EMDB_txn *adopt) noexcept : h_(adopt) {}
  txn(txn &&other) noexcept
      : h_(std::exchange(other.h_, nullptr)),
        parent_(std::exchange(other.parent_, nullptr)),
        child_(std::exchange(other.child_, nullptr)) {
    relink();
  }
  txn &operator=(txn &&other) noexcept {
    if (this != &other) {
      abort_quietly();
      h_ = std::exchange(other.h_, nullptr);
      parent_ = std::exchange(other.parent_, nullptr);
      child_ = std::exchange(other.child_, nullptr);
      relink();
    }
    return *this;
  }
  txn(const txn &) = delete;
  txn &operator=(const txn &) = delete;
  ~txn() { abort_quietly(); }

  [[nodiscard]] EMDB_txn *handle() const noexcept { return h_; }
  /** Gives up ownership: the caller must commit or abort the result. */
  [[nodiscard]] EMDB_txn *release() noexcept {
    EMDB_txn *h = h_;
    finish();
    return h;
  }
  /** False once the transaction has ended (committed, aborted, moved from). */
  explicit operator bool() const noexcept { return h_ != nullptr; }

  /** Commits (a read transaction just ends). The handle is empty afterwards, whether the
   * commit succeeded or not: on failure nothing was written and the error is thrown. A
   * nested transaction merges into its parent; its parent must still commit. */
  void commit() {
    EMDB_txn *h = h_;
    finish();
    error::check(emdb_txn_commit(h), "emdb_txn_commit");
  }
  /** As commit(), also returning the time spent in each commit phase. */
  EMDB_commit_latency commit_with_latency() {
    EMDB_commit_latency latency{};
    EMDB_txn *h = h_;
    finish();
    error::check(emdb_txn_commit_ex(h, &latency), "emdb_txn_commit_ex");
    return latency;
  }
  /** Discards every change (and ends any nested transaction). The handle is empty
   * afterwards. */
  void abort() {
    EMDB_txn *h = h_;
    finish();
    error::check(emdb_txn_abort(h), "emdb_txn_abort");
  }
  /** Starts a nested write transaction: its changes reach this one only if it commits. While
   * it is alive, this transaction must not be used. */
  [[nodiscard]] txn begin_nested(EMDB_txn_flags_t flags = EMDB_TXN_READWRITE) {
    EMDB_txn *c = nullptr;
    error::check(emdb_txn_begin(emdb_txn_env(h_), h_, flags, &c), "emdb_txn_begin");
    txn child(c);
    child.parent_ = this;
    child_ = &child;
    return child;
  }
  /** Read-only: releases the snapshot (so it pins no space) but keeps the handle; renew()
   * takes a fresh snapshot. Views from before reset() are invalid. */
  void reset() { error::check(emdb_txn_reset(h_), "emdb_txn_reset"); }
  void renew() { error::check(emdb_txn_renew(h_), "emdb_txn_renew"); }

  /** The snapshot's txnid (read) or the txnid being built (write); 0 on an empty handle. */
  [[nodiscard]] std::uint64_t id() const noexcept { return emdb_txn_id(h_); }
  /** The C API's flags and state bits (EMDB_TXN_RDONLY, EMDB_TXN_DIRTY, ...). */
  [[nodiscard]] EMDB_txn_flags_t flags() const noexcept { return emdb_txn_flags(h_); }
  [[nodiscard]] bool is_readonly() const noexcept {
    const auto f = flags();
    return f != EMDB_TXN_INVALID && (f & EMDB_TXN_RDONLY) != 0;
  }
  [[nodiscard]] EMDB_txn_info info(bool scan_reader_table = false) const {
    EMDB_txn_info i{};
    error::check(emdb_txn_info(h_, &i, scan_reader_table), "emdb_txn_info");
    return i;
  }
  [[nodiscard]] EMDB_env *env_handle() const noexcept { return emdb_txn_env(h_); }

  /* Tables ------------------------------------------------------------------------------ */

  /** Opens a named table. Throws error(EMDB_NOTFOUND) if it does not exist (unless flags
   * has EMDB_CREATE), error(EMDB_INCOMPATIBLE) if it exists with other flags,
   * error(EMDB_DBS_FULL) past env_options::max_tables. */
  [[nodiscard]] table open_table(std::string_view name, EMDB_db_flags_t flags = EMDB_DB_DEFAULTS) {
    EMDB_dbi dbi = 0;
    const EMDB_val n = slice(name).val();
    error::check(emdb_dbi_open2(h_, &n, flags, &dbi), "emdb_dbi_open2");
    return table(dbi);
  }
  /** As open_table, std::nullopt instead of throwing if the table does not exist. */
  [[nodiscard]] std::optional<table> try_open_table(std::string_view name,
                                                    EMDB_db_flags_t flags = EMDB_DB_DEFAULTS) {
    EMDB_dbi dbi = 0;
    const EMDB_val n = slice(name).val();
    const int rc = emdb_dbi_open2(h_, &n, flags, &dbi);
    if (rc == EMDB_NOTFOUND) return std::nullopt;
    error::check(rc, "emdb_dbi_open2");
    return table(dbi);
  }
  /** Opens a named table, creating it if needed (open_table with EMDB_CREATE). */
  [[nodiscard]] table create_table(std::string_view name,
                                   EMDB_db_flags_t flags = EMDB_DB_DEFAULTS) {
    return open_table(name, flags | EMDB_CREATE);
  }
  /** The unnamed main table (which also holds the records of the named tables). */
  [[nodiscard]] table main_table(EMDB_db_flags_t flags = EMDB_DB_DEFAULTS) {
    EMDB_dbi dbi = 0;
    error::check(emdb_dbi_open(h_, nullptr, flags, &dbi), "emdb_dbi_open");
    return table(dbi);
  }
  /** Deletes the table and its handle (t is invalid afterwards, once this commits). */
  void drop(table t) { error::check(emdb_drop(h_, t.dbi(), true), "emdb_drop"); }
  /** Deletes every pair of the table, keeping the table. */
  void clear(table t) { error::check(emdb_drop(h_, t.dbi(), false), "emdb_drop"); }
  /** Page and entry counts of the table as this transaction sees it. */
  [[nodiscard]] EMDB_stat stat(table t) const {
    EMDB_stat s{};
    error::check(emdb_dbi_stat(h_, t.dbi(), &s, sizeof s), "emdb_dbi_stat");
    return s;
  }
  /** The table's flags (EMDB_DUPSORT, EMDB_INTEGERKEY, ...). */
  [[nodiscard]] EMDB_db_flags_t flags(table t) const {
    unsigned f = 0, state = 0;
    error::check(emdb_dbi_flags_ex(h_, t.dbi(), &f, &state), "emdb_dbi_flags_ex");
    return static_cast<EMDB_db_flags_t>(f);
  }
  /** The table's persistent counter: returns its value, then adds increment (increment > 0
   * needs a write transaction). */
  std::uint64_t sequence(table t, std::uint64_t increment = 0) {
    std::uint64_t value = 0;
    error::check(emdb_dbi_sequence(h_, t.dbi(), &value, increment), "emdb_dbi_sequence");
    return value;
  }

  /* Data -------------------------------------------------------------------------------- */

  /** The value of key (the first one on a DUPSORT table), or std::nullopt. The slice is a
   * view into the database. */
  [[nodiscard]] std::optional<slice> get(table t, slice key) const {
    const EMDB_val k = key.val();
    EMDB_val v{};
    const int rc = emdb_get(h_, t.dbi(), &k, &v);
    if (rc == EMDB_NOTFOUND) return std::nullopt;
    error::check(rc, "emdb_get");
    return slice(v);
  }
  /** The first pair whose key is >= key, or std::nullopt past the last key. */
  [[nodiscard]] std::optional<kv_pair> lower_bound(table t, slice key) const {
    EMDB_val k = key.val(), v{};
    const int rc = emdb_get_equal_or_great(h_, t.dbi(), &k, &v);
    if (rc == EMDB_NOTFOUND) return std::nullopt;
    if (rc != EMDB_SUCCESS && rc != EMDB_RESULT_TRUE) throw error(rc, "emdb_get_equal_or_great");
    return kv_pair{slice(k), slice(v)};
  }
  /** Stores key -> value. flags: EMDB_UPSERT (insert or replace; on DUPSORT add the value),
   * EMDB_NOOVERWRITE, EMDB_NODUPDATA, EMDB_APPEND, EMDB_APPENDDUP, ... Throws on failure,
   * including error(EMDB_KEYEXIST) for the no-overwrite flags (use insert() to get a bool). */
  void put(table t, slice key, slice value, EMDB_put_flags_t flags = EMDB_UPSERT) {
    const EMDB_val k = key.val();
    EMDB_val v = value.val();
    error::check(emdb_put(h_, t.dbi(), &k, &v, flags), "emdb_put");
  }
  /** Stores key -> value unless the key exists (EMDB_NOOVERWRITE; pass EMDB_NODUPDATA to
   * refuse only an identical pair of a DUPSORT table). Returns false, changing nothing, if it
   * exists. */
  bool insert(table t, slice key, slice value, EMDB_put_flags_t flags = EMDB_NOOVERWRITE) {
    const EMDB_val k = key.val();
    EMDB_val v = value.val();
    const int rc = emdb_put(h_, t.dbi(), &k, &v, flags);
    if (rc == EMDB_KEYEXIST) return false;
    error::check(rc, "emdb_put");
    return true;
  }
  /** Reserves size bytes for the value of key and returns them to be filled in place (no copy
   * of the value). The span is valid until the next write call in this transaction. */
  [[nodiscard]] std::span<std::byte> put_reserve(table t, slice key, std::size_t size,
                                                 EMDB_put_flags_t flags = EMDB_UPSERT) {
    const EMDB_val k = key.val();
    EMDB_val v{};
    v.iov_len = size;
    error::check(emdb_put(h_, t.dbi(), &k, &v, flags | EMDB_RESERVE), "emdb_put");
    return {static_cast<std::byte *>(v.iov_base), v.iov_len};
  }
  /** Deletes key (every value of it on a DUPSORT table). False if it was absent. */
  bool erase(table t, slice key) {
    const EMDB_val k = key.val();
    const int rc = emdb_del(h_, t.dbi(), &k, nullptr);
    if (rc == EMDB_NOTFOUND) return false;
    error::check(rc, "emdb_del");
    return true;
  }
  /** DUPSORT: deletes one pair. False if it was absent. */
  bool erase(table t, slice key, slice value) {
    const EMDB_val k = key.val(), v = value.val();
    const int rc = emdb_del(h_, t.dbi(), &k, &v);
    if (rc == EMDB_NOTFOUND) return false;
    error::check(rc, "emdb_del");
    return true;
  }

  /** The value of key and how many values it has (1 without DUPSORT), or std::nullopt. */
  [[nodiscard]] std::optional<std::pair<slice, std::size_t>> get_with_count(table t,
                                                                            slice key) const {
    EMDB_val k = key.val(), v{};
    std::size_t n = 0;
    const int rc = emdb_get_ex(h_, t.dbi(), &k, &v, &n);
    if (rc == EMDB_NOTFOUND) return std::nullopt;
    error::check(rc, "emdb_get_ex");
    return std::pair<slice, std::size_t>{slice(v), n};
  }
  /** Sets key to new_value and returns the previous value (copied), or std::nullopt if the key
   * was absent (it is inserted). On a DUPSORT table the key must have a single value (else
   * error(EMDB_EMULTIVAL)). */
  std::optional<std::string> replace(table t, slice key, slice new_value) {
    EMDB_val nv = new_value.val();
    return replace_impl(t, key, &nv, nullptr, EMDB_UPSERT);
  }
  /** DUPSORT: replaces the one value old_value of key by new_value (returns old_value, or
   * std::nullopt if that pair is absent). */
  std::optional<std::string> replace_value(table t, slice key, slice old_value, slice new_value) {
    EMDB_val nv = new_value.val();
    return replace_impl(t, key, &nv, &old_value, EMDB_put_flags_t(EMDB_CURRENT | EMDB_NOOVERWRITE));
  }
  /** Deletes key and returns its value (copied), or std::nullopt if it was absent. */
  std::optional<std::string> extract(table t, slice key) {
    return replace_impl(t, key, nullptr, nullptr, EMDB_UPSERT);
  }
  /** True if p points into a page this write transaction has modified (such views become
   * invalid at the next write). */
  [[nodiscard]] bool is_dirty(const void *p) const {
    const int rc = emdb_is_dirty(h_, p);
    if (rc == EMDB_RESULT_TRUE) return true;
    error::check(rc, "emdb_is_dirty");
    return false;
  }
  /** The EMDB_DBI_* state bits of table t in this transaction (DIRTY, FRESH, CREAT, ...). */
  [[nodiscard]] unsigned table_state(table t) const {
    unsigned f = 0, state = 0;
    error::check(emdb_dbi_flags_ex(h_, t.dbi(), &f, &state), "emdb_dbi_flags_ex");
    return state;
  }
  /** Renames table t (EMDB_KEYEXIST if the name is taken). Undone if the transaction
   * aborts. */
  void rename_table(table t, std::string_view new_name) {
    const EMDB_val n = slice(new_name).val();
    error::check(emdb_dbi_rename2(h_, t.dbi(), &n), "emdb_dbi_rename2");
  }
  /** A named table as emdb_enumerate_tables reports it. `handle` is invalid when no handle is
   * open for it. */
  struct table_info {
    std::string name;
    EMDB_db_flags_t flags;
    EMDB_stat stat;
    table handle;
  };
  /** Every named table this transaction sees, in name order. */
  [[nodiscard]] std::vector<table_info> tables() const {
    std::vector<table_info> out;
    const int rc = emdb_enumerate_tables(
        h_,
        [](void *ctx, const EMDB_txn *, const EMDB_val *name, EMDB_db_flags_t flags,
           const EMDB_stat *st, EMDB_dbi dbi) noexcept -> int {
          try {
            static_cast<std::vector<table_info> *>(ctx)->push_back(
                {std::string(static_cast<const char *>(name->iov_base), name->iov_len), flags, *st,
                 dbi != 0 ? table(dbi) : table()});
          } catch (...) {
            return EMDB_ENOMEM;
          }
          return EMDB_SUCCESS;
        },
        &out);
    error::check(rc, "emdb_enumerate_tables");
    return out;
  }

  /* Range estimation -------------------------------------------------------------------- */

  /** Estimated number of pairs with from <= key < to (std::nullopt ends: the first / past the
   * last pair). Exact when both ends lie in one page; for one key (from == to), the number of
   * its values. Negative when to < from. */
  [[nodiscard]] std::ptrdiff_t estimate_range(table t, std::optional<slice> from,
                                              std::optional<slice> to) const {
    EMDB_val b = from ? from->val() : EMDB_val{}, e = to ? to->val() : EMDB_val{};
    std::ptrdiff_t n = 0;
    error::check(emdb_estimate_range(h_, t.dbi(), from ? &b : nullptr, nullptr, to ? &e : nullptr,
                                     nullptr, &n),
                 "emdb_estimate_range");
    return n;
  }
  /** DUPSORT: estimated number of pairs from (from_key, from_value) up to, not including,
   * (to_key, to_value). */
  [[nodiscard]] std::ptrdiff_t estimate_range(table t, kv_pair from, kv_pair to) const {
    EMDB_val bk = from.key.val(), bv = from.value.val(), ek = to.key.val(), ev = to.value.val();
    std::ptrdiff_t n = 0;
    error::check(emdb_estimate_range(h_, t.dbi(), &bk, &bv, &ek, &ev, &n), "emdb_estimate_range");
    return n;
  }

  /* Cursors and iteration --------------------------------------------------------------- */

  /** A cursor on table t, not yet positioned. Destroy it before the txn or let it be unbound
   * when the txn ends (it must not be used then). */
  [[nodiscard]] cursor open_cursor(table t) const {
    EMDB_cursor *c = nullptr;
    error::check(emdb_cursor_open(h_, t.dbi(), &c), "emdb_cursor_open");
    return cursor(c);
  }
  /** Every pair of t in key order (each value of a DUPSORT key in turn), through a cursor the
   * range owns: `for (auto [k, v] : txn.scan(t))`. Views as usual; single pass. */
  [[nodiscard]] cursor_range scan(table t) const {
    return cursor_range(open_cursor(t), EMDB_FIRST, EMDB_NEXT);
  }
  /** Every pair from the first key >= key. */
  [[nodiscard]] cursor_range scan_from(table t, slice key) const {
    return cursor_range(open_cursor(t), EMDB_SET_RANGE, EMDB_NEXT, key);
  }
  /** The values of one key of a DUPSORT table, in order (one value otherwise; none if the
   * key is absent): `for (auto [k, v] : txn.values(t, "key"))`. */
  [[nodiscard]] cursor_range values(table t, slice key) const {
    return cursor_range(open_cursor(t), EMDB_SET_KEY, EMDB_NEXT_DUP, key);
  }
  /** Every pair with from <= key < to: `for (auto [k, v] : txn.scan_range(t, "a", "m"))`. */
  [[nodiscard]] cursor_range scan_range(table t, slice from, slice to) const {
    cursor end = open_cursor(t);
    std::optional<kv_pair> stop = end.lower_bound(to);
    cursor begin = open_cursor(t);
    if (stop && begin.lower_bound(from) && begin.distance_to(end) <= 0) {
      stop = begin.current();  // to <= from: empty
    }
    return std::move(
        cursor_range(std::move(begin), EMDB_SET_RANGE, EMDB_NEXT, from).stop_before(stop));
  }

  /* Canary ------------------------------------------------------------------------------ */

  /** Stores x, y, z of the canary in the meta at commit (v is set to the committing txnid). */
  void put_canary(const EMDB_canary &c) {
    error::check(emdb_canary_put(h_, &c), "emdb_canary_put");
  }
  [[nodiscard]] EMDB_canary canary() const {
    EMDB_canary c{};
    error::check(emdb_canary_get(h_, &c), "emdb_canary_get");
    return c;
  }

 private:
  std::optional<std::string> replace_impl(table t, slice key, EMDB_val *nv, const slice *select,
                                          EMDB_put_flags_t flags) {
    const EMDB_val k = key.val();
    EMDB_val old = select ? select->val() : EMDB_val{};
    std::string buf;
    int rc = emdb_replace(h_, t.dbi(), &k, nv, &old, flags);
    if (rc == EMDB_RESULT_TRUE) {
      // The old value is in a page this txn changes: it needs a buffer of old.iov_len bytes.
      buf.resize(old.iov_len);
      old = EMDB_val{buf.data(), buf.size()};
      rc = emdb_replace(h_, t.dbi(), &k, nv, &old, flags);
    }
    if (rc == EMDB_NOTFOUND) return std::nullopt;
    error::check(rc, "emdb_replace");
    if (old.iov_base == nullptr) return std::nullopt;  // the key was absent: inserted
    return std::string(static_cast<const char *>(old.iov_base), old.iov_len);
  }
  /* The engine ends a nested transaction when its parent ends; parent_/child_ let the C++
   * objects follow, so that no object keeps a handle the engine has freed. */
  void relink() noexcept {
    if (parent_ != nullptr) parent_->child_ = this;
    if (child_ != nullptr) child_->parent_ = this;
  }
  void finish() noexcept {
    for (txn *c = std::exchange(child_, nullptr); c != nullptr;) {
      c->h_ = nullptr;
      c->parent_ = nullptr;
      c = std::exchange(c->child_, nullptr);
    }
    if (parent_ != nullptr) std::exchange(parent_, nullptr)->child_ = nullptr;
    h_ = nullptr;
  }
  void abort_quietly() noexcept {
    if (h_ == nullptr) return;
    EMDB_txn *h = h_;
    finish();
    (void)emdb_txn_abort(h);
  }

  EMDB_txn *h_ = nullptr;
  txn *parent_ = nullptr;
  txn *child_ = nullptr;
};

inline void cursor::bind(const txn &tx, table t) {
  if (h_ == nullptr) {
    h_ = emdb_cursor_create(nullptr);
    if (h_ == nullptr) throw error(EMDB_ENOMEM, "emdb_cursor_create");
  }
  error::check(emdb_cursor_bind(tx.handle(), h_, t.dbi()), "emdb_cursor_bind");
}
inline void cursor::renew(const txn &tx) {
  error::check(emdb_cursor_renew(tx.handle(), h_), "emdb_cursor_renew");
}

/*----------------------------------------------------------------------------------------------
 * env */

/** File geometry in bytes (emdb_env_set_geometry); -1 keeps the default or current value.
 * See docs/geometry.md. */
struct env_geometry {
  std::intptr_t lower = -1;            /**< the file never shrinks below this */
  std::intptr_t now = -1;              /**< initial size */
  std::intptr_t upper = -1;            /**< the file never grows past this: EMDB_MAP_FULL */
  std::intptr_t growth_step = -1;      /**< grow by this much at a time */
  std::intptr_t shrink_threshold = -1; /**< shrink when this much is free at the end */
  std::intptr_t pagesize = -1;         /**< page size of a new database (256..65536) */
};

/** Everything env::open sets before opening. */
struct env_options {
  env_geometry geometry{};
  /** Named tables the environment can open (emdb_env_set_maxdbs). The C API's default is
   * the engine's; this API asks for 32 so that create_table works out of the box. */
  unsigned max_tables = 32;
  /** Reader slots (emdb_env_set_maxreaders); 0 keeps the engine's default. */
  unsigned max_readers = 0;
  /** EMDB_NOSUBDIR, EMDB_RDONLY, EMDB_WRITEMAP, EMDB_NOSTICKYTHREADS, sync modes, ... */
  EMDB_env_flags_t flags = EMDB_ENV_DEFAULTS;
  /** Permission bits of files the open creates. */
  emdb_mode_t mode = 0644;
};

/** An open database. Move-only; the destructor closes it (flushing as the sync mode says).
 * End every transaction of the environment before it is destroyed. Opening the same database
 * twice in one process fails with error(EMDB_BUSY): share one env object instead. */
class env {
 public:
  using options = env_options;

  env() noexcept = default;
  /** Takes ownership of a C environment. */
  explicit env(EMDB_env *adopt) noexcept : h_(adopt) {}
  env(env &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  env &operator=(env &&other) noexcept {
    if (this != &other) {
      close_quietly();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  env(const env &) = delete;
  env &operator=(const env &) = delete;
  ~env() { close_quietly(); }

  /** Opens (creating unless EMDB_RDONLY) the database at path: a directory holding emdb.dat
   * and emdb.lck, created if missing, or with EMDB_NOSUBDIR the data file itself. Throws
   * error(EMDB_BUSY) if this process has it open already, error(EMDB_INVALID) if the file is
   * not an emdb database, errno codes from the OS, ... */
  [[nodiscard]] static env open(const std::filesystem::path &where, const options &opts = {}) {
    EMDB_env *raw = nullptr;
    error::check(emdb_env_create(&raw), "emdb_env_create");
    env e(raw);
    const env_geometry &g = opts.geometry;
    if (g.lower != -1 || g.now != -1 || g.upper != -1 || g.growth_step != -1 ||
        g.shrink_threshold != -1 || g.pagesize != -1)
      error::check(emdb_env_set_geometry(raw, g.lower, g.now, g.upper, g.growth_step,
                                         g.shrink_threshold, g.pagesize),
                   "emdb_env_set_geometry");
    error::check(emdb_env_set_maxdbs(raw, opts.max_tables), "emdb_env_set_maxdbs");
    if (opts.max_readers != 0)
      error::check(emdb_env_set_maxreaders(raw, opts.max_readers), "emdb_env_set_maxreaders");
    if ((opts.flags & (EMDB_NOSUBDIR | EMDB_RDONLY)) == 0) {
      std::error_code ignored;  // if this fails, emdb_env_open reports why
      std::filesystem::create_directories(where, ignored);
    }
    error::check(emdb_env_open(raw, where.c_str(), opts.flags, opts.mode), "emdb_env_open");
    return e;
  }

  /** Closes now (instead of at destruction), flushing unless dont_sync. Throws
   * error(EMDB_BUSY), keeping the env open, if a transaction is still alive. */
  void close(bool dont_sync = false) {
    error::check(emdb_env_close_ex(h_, dont_sync), "emdb_env_close_ex");
    h_ = nullptr;
  }
  [[nodiscard]] EMDB_env *handle() const noexcept { return h_; }
  /** Gives up ownership: the caller must emdb_env_close() the result. */
  [[nodiscard]] EMDB_env *release() noexcept { return std::exchange(h_, nullptr); }
  explicit operator bool() const noexcept { return h_ != nullptr; }

  /** A read-only transaction on the newest committed snapshot. Never blocks on the writer. */
  [[nodiscard]] txn begin_read() const { return begin(EMDB_TXN_RDONLY); }
  /** The write transaction: waits while another one (of any process) is running. */
  [[nodiscard]] txn begin_write(EMDB_txn_flags_t flags = EMDB_TXN_READWRITE) const {
    return begin(flags);
  }
  /** As begin_write, std::nullopt instead of waiting if another writer is running. */
  [[nodiscard]] std::optional<txn> try_begin_write() const {
    EMDB_txn *t = nullptr;
    const int rc = emdb_txn_begin(h_, nullptr, EMDB_TXN_TRY, &t);
    if (rc == EMDB_BUSY) return std::nullopt;
    error::check(rc, "emdb_txn_begin");
    return txn(t);
  }

  /** Statistics of the whole database (every table) at the newest snapshot. */
  [[nodiscard]] EMDB_stat stat() const {
    EMDB_stat s{};
    error::check(emdb_env_stat_ex(h_, nullptr, &s, sizeof s), "emdb_env_stat_ex");
    return s;
  }
  /** Geometry, txnids, reader counts and page-operation counters. */
  [[nodiscard]] EMDB_envinfo info() const {
    EMDB_envinfo i{};
    error::check(emdb_env_info_ex(h_, nullptr, &i, sizeof i), "emdb_env_info_ex");
    return i;
  }
  /** Flushes committed data to disk (needed only with the lazy sync modes). force: flush even
   * if the sync mode would wait. Returns false only when nonblock is set and another writer
   * holds the lock; true otherwise (including when there was nothing to flush). */
  bool sync(bool force = true, bool nonblock = false) {
    const int rc = emdb_env_sync_ex(h_, force, nonblock);
    if (rc == EMDB_BUSY && nonblock) return false;
    if (rc == EMDB_RESULT_TRUE) return true;
    error::check(rc, "emdb_env_sync_ex");
    return true;
  }

  /** The path given to open (valid while the env is open). */
  [[nodiscard]] std::string_view path() const {
    const char *p = nullptr;
    error::check(emdb_env_get_path(h_, &p), "emdb_env_get_path");
    return p != nullptr ? std::string_view(p) : std::string_view();
  }
  [[nodiscard]] EMDB_env_flags_t flags() const {
    unsigned f = 0;
    error::check(emdb_env_get_flags(h_, &f), "emdb_env_get_flags");
    return static_cast<EMDB_env_flags_t>(f);
  }
  /** Turns run-time flags (the sync modes, EMDB_NOMEMINIT, ...) on or off. */
  void set_flags(EMDB_env_flags_t f, bool on) {
    error::check(emdb_env_set_flags(h_, f, on), "emdb_env_set_flags");
  }
  [[nodiscard]] std::uint64_t get_option(EMDB_option_t option) const {
    std::uint64_t v = 0;
    error::check(emdb_env_get_option(h_, option, &v), "emdb_env_get_option");
    return v;
  }
  void set_option(EMDB_option_t option, std::uint64_t value) {
    error::check(emdb_env_set_option(h_, option, value), "emdb_env_set_option");
  }
  [[nodiscard]] unsigned max_tables() const {
    EMDB_dbi n = 0;
    error::check(emdb_env_get_maxdbs(h_, &n), "emdb_env_get_maxdbs");
    return n;
  }
  [[nodiscard]] unsigned max_readers() const {
    unsigned n = 0;
    error::check(emdb_env_get_maxreaders(h_, &n), "emdb_env_get_maxreaders");
    return n;
  }
  /** Largest key / value accepted by a table with these flags (depends on the page size). */
  [[nodiscard]] std::size_t max_key_size(EMDB_db_flags_t f = EMDB_DB_DEFAULTS) const {
    return limit(emdb_env_get_maxkeysize_ex(h_, f), "emdb_env_get_maxkeysize_ex");
  }
  [[nodiscard]] std::size_t max_value_size(EMDB_db_flags_t f = EMDB_DB_DEFAULTS) const {
    return limit(emdb_env_get_maxvalsize_ex(h_, f), "emdb_env_get_maxvalsize_ex");
  }
  /** Releases a table handle before the env closes. REQUIRES: no transaction uses it. */
  void close_table(table t) { error::check(emdb_dbi_close(h_, t.dbi()), "emdb_dbi_close"); }

  /** Deletes the files of a database that is not open. Returns false if there was nothing to
   * delete. */
  static bool remove(const std::filesystem::path &where,
                     EMDB_env_delete_mode_t mode = EMDB_ENV_JUST_DELETE) {
    const int rc = emdb_env_delete(where.c_str(), mode);
    if (rc == EMDB_RESULT_TRUE) return false;
    error::check(rc, "emdb_env_delete");
    return true;
  }

 private:
  txn begin(EMDB_txn_flags_t flags) const {
    EMDB_txn *t = nullptr;
    error::check(emdb_txn_begin(h_, nullptr, flags, &t), "emdb_txn_begin");
    return txn(t);
  }
  static std::size_t limit(int v, const char *where) {
    if (v < 0) throw error(EMDB_EINVAL, where);
    return static_cast<std::size_t>(v);
  }
  void close_quietly() noexcept {
    if (h_ != nullptr) (void)emdb_env_close_ex(std::exchange(h_, nullptr), false);
  }

  EMDB_env *h_ = nullptr;
};

}  // namespace emdb

#endif /* EMDB_HPP */
