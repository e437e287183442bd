// model_test.cpp — the model-based randomized test of the C API.
//
// One process drives one environment (one page size) through a long random sequence of
// operations and checks every result against an in-memory model:
//   plain tables   std::map<key, value> with the table's key order (bytewise, REVERSEKEY,
//                  INTEGERKEY)
//   DUPSORT tables std::map<key, std::set<value>> with the key and value orders modelled
//                  (REVERSEKEY, REVERSEDUP, DUPFIXED, INTEGERDUP)
// Operations: emdb_put with every flag (UPSERT, NOOVERWRITE, NODUPDATA, CURRENT, ALLDUPS,
// RESERVE, APPEND, APPENDDUP, MULTIPLE), emdb_get / get_ex / get_equal_or_great, emdb_del of keys
// and pairs, emdb_replace (update, delete, selectors), cursor walks in both directions with every
// move op, SET_RANGE / GET_BOTH / GET_BOTH_RANGE / SET_LOWERBOUND / SET_UPPERBOUND, cursor
// put/del, emdb_estimate_range (against the true count), emdb_dbi_rename and
// emdb_enumerate_tables, emdb_drop, nested txns committed and aborted (the model is a stack of
// copies), read snapshots held across many commits (each checked against a copy of the model taken
// at its start), and closing and reopening the environment. Every operation's result is checked;
// full cursor walks in both directions and table statistics are compared periodically.
//
// Usage: emdb_model_test [--pagesize N] [--ops N] [--seed N] [--keep]
//   --pagesize  database page size (256, 4096, 65536, ...); default 4096
//   --ops       operations to run; default: $EMDB_MODEL_OPS, else 350000. The default suite runs
//               three processes (page sizes 256, 4096, 65536), so more than 1,000,000 operations
//               per run. Sanitizer builds set EMDB_MODEL_OPS lower (the CI test script does).
//   --seed      replay a run (also $EMDB_TEST_SEED); the seed is printed at start
//   --keep      keep the database directory even on success
//   --avoid a,b skip operation families (also $EMDB_MODEL_AVOID), to look past a known bug:
//               put_upsert put_nooverwrite put_nodupdata put_current put_alldups put_reserve
//               append appenddup multiple get get_ex get_eq_great del_key del_pair del_value
//               replace replace_select seek count bounds walk cursor_del cursor_put drop nested
//               snapshot reopen estimate rename. The default (nothing avoided) is what the test
//               suite runs.
//   --tables a,b only operate on these tables (plain rev int dup duprev dupfix intdup)
//   --history N  how many of the last operations to print on a mismatch (default 24)
// On a mismatch it prints the seed, the step, the operation, expected vs actual and the last
// operations, keeps the database directory, and exits with status 1.
#include <emdb/emdb.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/kv.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

using namespace emdb_test;

namespace {

constexpr uint64_t kDefaultOps = 350000;

// ---------------------------------------------------------------------------------------------
// Orders and tables

enum class Order { Lex, Rev, U64, U32 };

struct Cmp {
  Order order = Order::Lex;
  int compare(const std::string& a, const std::string& b) const {
    switch (order) {
      case Order::Lex: {
        const size_t n = std::min(a.size(), b.size());
        const int r = n ? std::memcmp(a.data(), b.data(), n) : 0;
        if (r) return r;
        return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
      }
      case Order::Rev: {
        size_t i = a.size(), j = b.size();
        while (i && j) {
          const int d =
              int(static_cast<unsigned char>(a[--i])) - int(static_cast<unsigned char>(b[--j]));
          if (d) return d;
        }
        return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
      }
      case Order::U64: {
        const uint64_t x = bytes_u64(a), y = bytes_u64(b);
        return x < y ? -1 : x > y ? 1 : 0;
      }
      case Order::U32: {
        const uint32_t x = bytes_u32(a), y = bytes_u32(b);
        return x < y ? -1 : x > y ? 1 : 0;
      }
    }
    return 0;
  }
  bool operator()(const std::string& a, const std::string& b) const { return compare(a, b) < 0; }
};

struct Spec {
  const char* name;
  unsigned flags;
  Order key_order;
  Order val_order;
  bool dup;
  bool fixed;   // DUPFIXED: 4-byte values
  bool intkey;  // INTEGERKEY: 8-byte keys
};

const Spec kSpecs[] = {
    {"plain", EMDB_DB_DEFAULTS, Order::Lex, Order::Lex, false, false, false},
    {"rev", EMDB_REVERSEKEY, Order::Rev, Order::Lex, false, false, false},
    {"int", EMDB_INTEGERKEY, Order::U64, Order::Lex, false, false, true},
    {"dup", EMDB_DUPSORT, Order::Lex, Order::Lex, true, false, false},
    {"duprev", EMDB_DUPSORT | EMDB_REVERSEKEY | EMDB_REVERSEDUP, Order::Rev, Order::Rev, true,
     false, false},
    {"dupfix", EMDB_DUPSORT | EMDB_DUPFIXED, Order::Lex, Order::Lex, true, true, false},
    {"intdup", EMDB_DUPSORT | EMDB_DUPFIXED | EMDB_INTEGERDUP, Order::Lex, Order::U32, true, true,
     false},
};
constexpr size_t kTables = std::size(kSpecs);

using ValSet = std::set<std::string, Cmp>;
using Pair = std::pair<std::string, std::string>;

// One table of the model. Values (plain) and value sets (dupsort) are shared between copies of
// the model and copied only when changed, so taking a snapshot of the model is cheap.
struct Table {
  explicit Table(const Spec& s) : spec(&s), plain(Cmp{s.key_order}), dup(Cmp{s.key_order}) {}
  const Spec* spec;
  std::map<std::string, std::shared_ptr<const std::string>, Cmp> plain;
  std::map<std::string, std::shared_ptr<ValSet>, Cmp> dup;
  size_t pairs = 0;

  bool has_key(const std::string& k) const {
    return spec->dup ? dup.count(k) != 0 : plain.count(k) != 0;
  }
  size_t nvals(const std::string& k) const {
    if (spec->dup) {
      auto it = dup.find(k);
      return it == dup.end() ? 0 : it->second->size();
    }
    return plain.count(k);
  }
  bool has_pair(const std::string& k, const std::string& v) const {
    if (spec->dup) {
      auto it = dup.find(k);
      return it != dup.end() && it->second->count(v);
    }
    auto it = plain.find(k);
    return it != plain.end() && *it->second == v;
  }
  // The first value of a key (the only one for plain tables).
  std::string first_val(const std::string& k) const {
    if (spec->dup) return *dup.at(k)->begin();
    return *plain.at(k);
  }
  std::string last_val(const std::string& k) const {
    if (spec->dup) return *dup.at(k)->rbegin();
    return *plain.at(k);
  }
  bool empty() const { return pairs == 0; }
  std::string max_key() const { return spec->dup ? dup.rbegin()->first : plain.rbegin()->first; }

  // Mutators (the caller made this Table private to the current model).
  void set_plain(const std::string& k, const std::string& v) {
    auto it = plain.find(k);
    if (it == plain.end()) {
      plain.emplace(k, std::make_shared<const std::string>(v));
      ++pairs;
    } else {
      it->second = std::make_shared<const std::string>(v);
    }
  }
  ValSet& mut_set(const std::string& k) {
    auto it = dup.find(k);
    if (it == dup.end())
      it = dup.emplace(k, std::make_shared<ValSet>(Cmp{spec->val_order})).first;
    else if (it->second.use_count() > 1)
      it->second = std::make_shared<ValSet>(*it->second);
    return *it->second;
  }
  void add_dup(const std::string& k, const std::string& v) {
    if (mut_set(k).insert(v).second) ++pairs;
  }
  void erase_key(const std::string& k) {
    if (spec->dup) {
      auto it = dup.find(k);
      if (it == dup.end()) return;
      pairs -= it->second->size();
      dup.erase(it);
    } else {
      pairs -= plain.erase(k);
    }
  }
  void erase_pair(const std::string& k, const std::string& v) {
    if (!spec->dup) {
      auto it = plain.find(k);
      if (it != plain.end() && *it->second == v) {
        plain.erase(it);
        --pairs;
      }
      return;
    }
    auto it = dup.find(k);
    if (it == dup.end() || !it->second->count(v)) return;
    ValSet& s = mut_set(k);
    s.erase(v);
    --pairs;
    if (s.empty()) dup.erase(k);
  }
  void set_only(const std::string& k, const std::string& v) {  // dupsort: {v}
    erase_key(k);
    add_dup(k, v);
  }
  void clear() {
    plain.clear();
    dup.clear();
    pairs = 0;
  }

  std::vector<Pair> flatten() const {
    std::vector<Pair> out;
    out.reserve(pairs);
    if (spec->dup) {
      for (const auto& [k, s] : dup)
        for (const auto& v : *s) out.emplace_back(k, v);
    } else {
      for (const auto& [k, v] : plain) out.emplace_back(k, *v);
    }
    return out;
  }

  // The first pair >= (k, v) (by_value) or the first pair of the first key >= k.
  std::optional<Pair> lower_bound(const std::string& k, const std::string* v, bool* exact) const {
    *exact = false;
    if (spec->dup) {
      auto it = dup.lower_bound(k);
      if (it == dup.end()) return std::nullopt;
      if (v && !Cmp{spec->key_order}.compare(it->first, k)) {
        auto vit = it->second->lower_bound(*v);
        if (vit != it->second->end()) {
          *exact = Cmp{spec->val_order}.compare(*vit, *v) == 0;
          return Pair(it->first, *vit);
        }
        if (++it == dup.end()) return std::nullopt;
        return Pair(it->first, *it->second->begin());
      }
      *exact = !Cmp{spec->key_order}.compare(it->first, k);
      return Pair(it->first, *it->second->begin());
    }
    auto it = plain.lower_bound(k);
    if (it == plain.end()) return std::nullopt;
    *exact = !Cmp{spec->key_order}.compare(it->first, k);
    return Pair(it->first, *it->second);
  }

  enum class Move { Next, Prev, NextNodup, PrevNodup, NextDup, PrevDup, FirstDup, LastDup };
  // Where a cursor at `cur` (which must exist) goes; nullopt for NOTFOUND.
  std::optional<Pair> move(const Pair& cur, Move m) const {
    if (!spec->dup) {
      auto it = plain.find(cur.first);
      switch (m) {
        case Move::Next:
        case Move::NextNodup:
          if (++it == plain.end()) return std::nullopt;
          return Pair(it->first, *it->second);
        case Move::Prev:
        case Move::PrevNodup:
          if (it == plain.begin()) return std::nullopt;
          --it;
          return Pair(it->first, *it->second);
        case Move::NextDup:
        case Move::PrevDup:
          return std::nullopt;
        case Move::FirstDup:
        case Move::LastDup:
          return cur;
      }
      return std::nullopt;
    }
    auto kit = dup.find(cur.first);
    const ValSet& s = *kit->second;
    auto vit = s.find(cur.second);
    switch (m) {
      case Move::Next:
        if (++vit != s.end()) return Pair(cur.first, *vit);
        [[fallthrough]];
      case Move::NextNodup:
        if (++kit == dup.end()) return std::nullopt;
        return Pair(kit->first, *kit->second->begin());
      case Move::Prev:
        if (vit != s.begin()) return Pair(cur.first, *--vit);
        [[fallthrough]];
      case Move::PrevNodup:
        if (kit == dup.begin()) return std::nullopt;
        --kit;
        return Pair(kit->first, *kit->second->rbegin());
      case Move::NextDup:
        if (++vit == s.end()) return std::nullopt;
        return Pair(cur.first, *vit);
      case Move::PrevDup:
        if (vit == s.begin()) return std::nullopt;
        return Pair(cur.first, *--vit);
      case Move::FirstDup:
        return Pair(cur.first, *s.begin());
      case Move::LastDup:
        return Pair(cur.first, *s.rbegin());
    }
    return std::nullopt;
  }

  // A uniformly chosen existing pair (tables are small enough for a linear pick).
  std::optional<Pair> random_pair(std::mt19937_64& rng) const {
    if (pairs == 0) return std::nullopt;
    size_t n = rng() % pairs;
    if (spec->dup) {
      for (const auto& [k, s] : dup) {
        if (n < s->size()) {
          auto it = s->begin();
          std::advance(it, n);
          return Pair(k, *it);
        }
        n -= s->size();
      }
      return std::nullopt;
    }
    auto it = plain.begin();
    std::advance(it, n);
    return Pair(it->first, *it->second);
  }
};

using Model = std::array<std::shared_ptr<Table>, kTables>;

Model empty_model() {
  Model m;
  for (size_t t = 0; t < kTables; ++t) m[t] = std::make_shared<Table>(kSpecs[t]);
  return m;
}

struct ModelFailure {
  std::string message;
};

const char* op_name(EMDB_cursor_op op) {
  static const char* names[] = {"FIRST",         "FIRST_DUP",    "GET_BOTH",      "GET_BOTH_RANGE",
                                "GET_CURRENT",   "GET_MULTIPLE", "LAST",          "LAST_DUP",
                                "NEXT",          "NEXT_DUP",     "NEXT_MULTIPLE", "NEXT_NODUP",
                                "PREV",          "PREV_DUP",     "PREV_NODUP",    "SET",
                                "SET_KEY",       "SET_RANGE",    "PREV_MULTIPLE", "SET_LOWERBOUND",
                                "SET_UPPERBOUND"};
  return unsigned(op) < std::size(names) ? names[op] : "?";
}

std::string flags_name(unsigned f) {
  if (f == 0) return "UPSERT";
  std::string s;
  const std::pair<unsigned, const char*> bits[] = {
      {EMDB_NOOVERWRITE, "NOOVERWRITE"}, {EMDB_NODUPDATA, "NODUPDATA"}, {EMDB_CURRENT, "CURRENT"},
      {EMDB_ALLDUPS, "ALLDUPS"},         {EMDB_RESERVE, "RESERVE"},     {EMDB_APPEND, "APPEND"},
      {EMDB_APPENDDUP, "APPENDDUP"},     {EMDB_MULTIPLE, "MULTIPLE"}};
  for (auto [b, n] : bits)
    if (f & b) s += (s.empty() ? "" : "|") + std::string(n);
  return s;
}

std::string pair_str(const std::optional<Pair>& p) {
  if (!p) return "<none>";
  return "(" + printable(p->first) + ", " + printable(p->second) + ")";
}

// ---------------------------------------------------------------------------------------------
// The runner

class Runner {
 public:
  Runner(uint64_t seed, intptr_t pagesize, uint64_t ops, std::string dir,
         std::set<std::string> avoid)
      : seed_(seed),
        pagesize_(pagesize),
        ops_(ops),
        dir_(std::move(dir)),
        rng_(seed),
        avoid_(std::move(avoid)) {}

  // After a mismatch the txns and the env are still open: release them (best effort) so that a
  // leak checker reports only the engine's own leaks.
  ~Runner() {
    for (auto it = txns_.rbegin(); it != txns_.rend(); ++it) emdb_txn_abort(*it);
    for (auto& s : snaps_) emdb_txn_abort(s.txn);
    if (env_) emdb_env_close(env_);
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  bool run() {
    try {
      open_env(true);
      committed_ = empty_model();
      for (step_ = 1; step_ <= ops_; ++step_) {
        control();
        one_op();
        if (step_ % verify_every_ == 0) verify_current("periodic");
        if (step_ == ops_ / 2 && !avoided("reopen")) reopen("forced mid-run reopen");
      }
      finish_txns(true);
      end_all_snapshots();
      verify_committed("final");
      reopen("final reopen");
      close_env();
      std::fprintf(stderr,
                   "model: OK seed=%" PRIu64 " pagesize=%ld ops=%" PRIu64 " commits=%" PRIu64
                   " aborts=%" PRIu64 " nested=%" PRIu64 " snapshots=%" PRIu64 " reopens=%" PRIu64
                   " full-walks=%" PRIu64 "\n",
                   seed_, long(pagesize_), ops_, stats_.commits, stats_.aborts, stats_.nested,
                   stats_.snapshots, stats_.reopens, stats_.walks);
      return true;
    } catch (const ModelFailure& f) {
      std::fprintf(stderr, "\n==== MODEL MISMATCH ====\n%s\n", f.message.c_str());
      std::fprintf(stderr,
                   "seed=%" PRIu64 " pagesize=%ld step=%" PRIu64 " of %" PRIu64
                   " txn depth=%zu snapshots=%zu\n",
                   seed_, long(pagesize_), step_, ops_, txns_.size(), snaps_.size());
      std::fprintf(stderr, "last operations (oldest first):\n");
      for (const auto& s : history_) std::fprintf(stderr, "  %s\n", s.c_str());
      std::string avoid;
      for (const auto& a : avoid_) avoid += (avoid.empty() ? " --avoid " : ",") + a;
      std::fprintf(stderr,
                   "replay: emdb_model_test --seed %" PRIu64 " --pagesize %ld --ops %" PRIu64
                   "%s\ndatabase kept in %s\n",
                   seed_, long(pagesize_), ops_, avoid.c_str(), dir_.c_str());
      return false;
    }
  }

 private:
  struct Snapshot {
    EMDB_txn* txn;
    Model model;
    uint64_t txnid;
  };
  struct Stats {
    uint64_t commits = 0, aborts = 0, nested = 0, snapshots = 0, reopens = 0, walks = 0;
  };

  // --- failure reporting ---------------------------------------------------------------------
  [[noreturn]] void fail(const std::string& what) {
    std::string msg = what;
    if (focus_ && !txns_.empty()) {
      focus_ = false;  // describe_key itself must not recurse
      msg += describe_key(focus_t_, focus_key_);
    }
    throw ModelFailure{msg};
  }
  // The key an operation is about: its values (model and db) are printed on a mismatch.
  void focus(size_t t, const std::string& key) {
    focus_ = true;
    focus_t_ = t;
    focus_key_ = key;
  }

  void note(std::string s) {
    if (history_.size() >= history_limit_) history_.pop_front();
    history_.push_back("step " + std::to_string(step_) + ": " + std::move(s));
  }

  void expect_rc(int expected, int actual, const std::string& what) {
    if (expected != actual)
      fail(what + ": expected " + rc_name(expected) + ", got " + rc_name(actual));
  }
  void expect_rc2(int a, int b, int actual, const std::string& what) {
    if (actual != a && actual != b)
      fail(what + ": expected " + rc_name(a) + " or " + rc_name(b) + ", got " + rc_name(actual));
  }
  void expect_eq(const std::string& expected, const std::string& actual, const std::string& what) {
    if (expected != actual)
      fail(what + ": expected " + printable(expected) + ", got " + printable(actual));
  }

  // --- environment ---------------------------------------------------------------------------
  void open_env(bool first) {
    int rc = emdb_env_create(&env_);
    expect_rc(EMDB_SUCCESS, rc, "env_create");
    rc = emdb_env_set_geometry(env_, -1, -1, intptr_t(8) << 30, -1, -1, first ? pagesize_ : -1);
    expect_rc(EMDB_SUCCESS, rc, "set_geometry");
    rc = emdb_env_set_maxdbs(env_, 16);
    expect_rc(EMDB_SUCCESS, rc, "set_maxdbs");
    if (first) {
      // WRITEMAP (pages built in place in the map) on odd-numbered seed bit 1, or always with
      // EMDB_MODEL_WRITEMAP=1.
      const bool writemap = (seed_ & 2) || env_u64("EMDB_MODEL_WRITEMAP", 0) != 0;
      env_flags_ = EMDB_NOSTICKYTHREADS | EMDB_UTTERLY_NOSYNC |
                   ((seed_ & 1) ? EMDB_LIFORECLAIM : 0) | (writemap ? EMDB_WRITEMAP : 0);
    }
    rc = emdb_env_open(env_, (dir_ + "/db").c_str(), EMDB_env_flags_t(env_flags_), 0644);
    expect_rc(EMDB_SUCCESS, rc, "env_open");
    EMDB_envinfo info;
    rc = emdb_env_info_ex(env_, nullptr, &info, sizeof info);
    expect_rc(EMDB_SUCCESS, rc, "env_info");
    if (intptr_t(info.mi_dxb_pagesize) != pagesize_)
      fail("page size is " + std::to_string(info.mi_dxb_pagesize) + ", asked for " +
           std::to_string(pagesize_));
    if (first) {
      maxkey_ = std::min(emdb_env_get_maxkeysize_ex(env_, EMDB_DUPSORT),
                         emdb_env_get_maxkeysize_ex(env_, EMDB_DB_DEFAULTS));
      maxval_dup_ = emdb_env_get_maxvalsize_ex(env_, EMDB_DUPSORT);
      if (maxkey_ < 12 || maxval_dup_ < 12) fail("key/value limits too small for the model");
      build_pools();
    }
    // Open (create) the tables.
    EMDB_txn* txn = nullptr;
    rc = emdb_txn_begin(env_, nullptr, EMDB_TXN_READWRITE, &txn);
    expect_rc(EMDB_SUCCESS, rc, "begin (open tables)");
    for (size_t t = 0; t < kTables; ++t) {
      rc = emdb_dbi_open(txn, kSpecs[t].name,
                         EMDB_db_flags_t(kSpecs[t].flags | (first ? EMDB_CREATE : 0)), &dbi_[t]);
      expect_rc(EMDB_SUCCESS, rc, std::string("dbi_open ") + kSpecs[t].name);
    }
    rc = emdb_txn_commit(txn);
    expect_rc(EMDB_SUCCESS, rc, "commit (open tables)");
    rc = emdb_txn_begin(env_, nullptr, EMDB_TXN_RDONLY, &txn);
    expect_rc(EMDB_SUCCESS, rc, "begin (read txn id)");
    committed_id_ = std::max(committed_id_, emdb_txn_id(txn));
    emdb_txn_abort(txn);
  }

  void close_env() {
    const int rc = emdb_env_close(env_);
    expect_rc(EMDB_SUCCESS, rc, "env_close");
    env_ = nullptr;
  }

  void reopen(const char* why) {
    note(std::string("reopen: ") + why);
    finish_txns(rng_() % 4 != 0);
    end_all_snapshots();
    close_env();
    open_env(false);
    ++stats_.reopens;
    verify_committed("after reopen");
  }

  // --- key and value pools -------------------------------------------------------------------
  void build_pools() {
    const size_t keylen = size_t(std::min(maxkey_, 20));
    for (uint64_t i = 0; i < kKeyPool; ++i) {
      if (i == 0) {
        keys_.push_back(std::string());
        continue;
      }
      std::string k = std::to_string(i);
      const uint64_t h = (i * 0x9E3779B97F4A7C15ull) >> 40;
      const size_t room = keylen > k.size() ? keylen - k.size() : 0;
      k += std::string(room ? h % (room + 1) : 0, char('a' + (h >> 8) % 26));
      if (i % 7 == 0 && k.size() + 2 <= keylen) k += std::string("\0\xff", 2);
      keys_.push_back(k);
    }
    for (uint64_t i = 0; i < kKeyPool; ++i)
      int_keys_.push_back(u64_bytes(i * 1000003ull + (i % 5) * (uint64_t(1) << 40)));
    const size_t vallen = size_t(std::min(maxval_dup_, 12));
    for (uint64_t j = 0; j < kDupPool; ++j) {
      if (j == 0) {
        dupvals_.push_back(std::string());
      } else {
        std::string v = std::to_string(j * 37 % 1000);
        const size_t room = vallen > v.size() ? vallen - v.size() : 0;
        v += std::string(room ? j % (room + 1) : 0, char('A' + j % 26));
        dupvals_.push_back(v);
      }
      fixvals_.push_back(u32_bytes(uint32_t(j * 2654435761u)));
    }
  }

  size_t key_pool_size(size_t t) const { return kSpecs[t].dup ? kDupKeyPool : kKeyPool; }
  const std::string& key_at(size_t t, size_t i) const {
    return kSpecs[t].intkey ? int_keys_[i] : keys_[i];
  }
  const std::string& pick_key(size_t t) { return key_at(t, rng_() % key_pool_size(t)); }
  const std::string& pick_dupval(size_t t) {
    return kSpecs[t].fixed ? fixvals_[rng_() % kDupPool] : dupvals_[rng_() % kDupPool];
  }
  std::string pick_plain_value() {
    const uint64_t r = rng_() % 100;
    size_t len;
    if (r < 80)
      len = rng_() % 40;
    else if (r < 96)
      len = rng_() % std::min<size_t>(size_t(pagesize_ + pagesize_ / 2), 6000);
    else
      len = rng_() % std::min<size_t>(size_t(4 * pagesize_), 70000);
    return random_bytes(rng_, len);
  }
  std::string pick_value(size_t t) { return kSpecs[t].dup ? pick_dupval(t) : pick_plain_value(); }

  // --- the model stack -------------------------------------------------------------------
  Model& cur() { return models_.back(); }
  const Table& view(size_t t) { return *cur()[t]; }
  Table& mut(size_t t) {
    auto& p = cur()[t];
    if (p.use_count() > 1) p = std::make_shared<Table>(*p);
    return *p;
  }

  // --- transactions ----------------------------------------------------------------------
  EMDB_txn* w() { return txns_.back(); }

  void begin_top() {
    EMDB_txn* t = nullptr;
    const int rc = emdb_txn_begin(env_, nullptr, EMDB_TXN_READWRITE, &t);
    expect_rc(EMDB_SUCCESS, rc, "txn_begin (write)");
    txns_.push_back(t);
    models_.push_back(committed_);
    note("begin write txn id=" + std::to_string(emdb_txn_id(t)));
  }
  void commit_top() {
    const uint64_t id = emdb_txn_id(w());
    note("commit write txn id=" + std::to_string(id));
    const int rc = emdb_txn_commit(w());
    txns_.pop_back();
    expect_rc(EMDB_SUCCESS, rc, "txn_commit");
    committed_ = models_.back();
    models_.pop_back();
    committed_id_ = id;
    ++stats_.commits;
    if (stats_.commits % 16 == 0) verify_committed("after commit");
  }
  void abort_top() {
    note("abort write txn");
    const int rc = emdb_txn_abort(w());
    txns_.pop_back();
    models_.pop_back();
    expect_rc(EMDB_SUCCESS, rc, "txn_abort");
    ++stats_.aborts;
  }
  void begin_nested() {
    EMDB_txn* t = nullptr;
    const int rc = emdb_txn_begin(env_, w(), EMDB_TXN_READWRITE, &t);
    expect_rc(EMDB_SUCCESS, rc, "txn_begin (nested, depth " + std::to_string(txns_.size()) + ")");
    txns_.push_back(t);
    models_.push_back(models_.back());
    note("begin nested txn, depth " + std::to_string(txns_.size()));
    ++stats_.nested;
  }
  void end_nested(bool commit) {
    note(std::string(commit ? "commit" : "abort") + " nested txn, depth " +
         std::to_string(txns_.size()));
    const int rc = commit ? emdb_txn_commit(w()) : emdb_txn_abort(w());
    txns_.pop_back();
    expect_rc(EMDB_SUCCESS, rc, commit ? "nested commit" : "nested abort");
    if (commit) models_[models_.size() - 2] = models_.back();
    models_.pop_back();
    // The parent must see exactly its model again (cheap spot check of one table).
    const size_t t = rng_() % kTables;
    verify_table(w(), t, *cur()[t], "after nested end");
  }
  void finish_txns(bool commit) {
    while (txns_.size() > 1) end_nested(commit);
    if (!txns_.empty()) commit ? commit_top() : abort_top();
  }

  // --- snapshots -------------------------------------------------------------------------
  void begin_snapshot() {
    EMDB_txn* t = nullptr;
    const int rc = emdb_txn_begin(env_, nullptr, EMDB_TXN_RDONLY, &t);
    expect_rc(EMDB_SUCCESS, rc, "txn_begin (read snapshot)");
    const uint64_t id = emdb_txn_id(t);
    snaps_.push_back(Snapshot{t, committed_, id});
    note("begin snapshot id=" + std::to_string(id));
    // Snapshot ids never go backwards and never pass the last committed write txn.
    if (id < last_snapshot_id_ || (committed_id_ && id > committed_id_))
      fail("a new reader sees txn " + std::to_string(id) + "; previous snapshot " +
           std::to_string(last_snapshot_id_) + ", last commit " + std::to_string(committed_id_));
    last_snapshot_id_ = id;
    ++stats_.snapshots;
  }
  void check_snapshot(Snapshot& s, bool full) {
    if (emdb_txn_id(s.txn) != s.txnid) fail("snapshot txn id changed");
    const size_t t = rng_() % kTables;
    if (full) {
      verify_table(s.txn, t, *s.model[t], "snapshot " + std::to_string(s.txnid));
      return;
    }
    for (int i = 0; i < 8; ++i) check_get(s.txn, t, *s.model[t], pick_key(t), "snapshot get");
  }
  void end_snapshot(size_t i) {
    note("end snapshot id=" + std::to_string(snaps_[i].txnid));
    check_snapshot(snaps_[i], true);
    const int rc = emdb_txn_abort(snaps_[i].txn);
    expect_rc(EMDB_SUCCESS, rc, "abort snapshot");
    snaps_.erase(snaps_.begin() + long(i));
  }
  void end_all_snapshots() {
    while (!snaps_.empty()) end_snapshot(snaps_.size() - 1);
  }

  // --- control events --------------------------------------------------------------------
  bool chance(uint64_t one_in) { return rng_() % one_in == 0; }
  bool avoided(const char* family) const { return avoid_.count(family) != 0; }

  void control() {
    if (txns_.empty()) begin_top();
    if (txns_.size() == 1) {
      if (chance(180)) {
        commit_top();
        begin_top();
      } else if (chance(1500)) {
        abort_top();
        begin_top();
      } else if (chance(700) && !avoided("nested")) {
        begin_nested();
      }
    } else {
      if (chance(150))
        end_nested(true);
      else if (chance(300))
        end_nested(false);
      else if (txns_.size() < 4 && chance(900))
        begin_nested();
    }
    if (snaps_.size() < 3 && chance(2500) && !avoided("snapshot")) begin_snapshot();
    if (!snaps_.empty()) {
      if (chance(60)) check_snapshot(snaps_[rng_() % snaps_.size()], chance(20));
      if (chance(2000)) end_snapshot(rng_() % snaps_.size());
    }
    if (chance(60000) && !avoided("reopen")) reopen("random reopen");
    if (txns_.empty()) begin_top();  // reopen ended every txn
  }

  // --- verification ----------------------------------------------------------------------
  void verify_table(EMDB_txn* txn, size_t t, const Table& m, const std::string& what) {
    ++stats_.walks;
    const auto expect = m.flatten();
    EMDB_cursor* c = nullptr;
    int rc = emdb_cursor_open(txn, dbi_[t], &c);
    expect_rc(EMDB_SUCCESS, rc, what + ": cursor_open " + kSpecs[t].name);
    std::vector<Pair> got;
    EMDB_val k, d;
    rc = emdb_cursor_get(c, &k, &d, EMDB_FIRST);
    while (rc == EMDB_SUCCESS) {
      got.emplace_back(S(k), S(d));
      rc = emdb_cursor_get(c, &k, &d, EMDB_NEXT);
    }
    if (rc != EMDB_NOTFOUND) {
      emdb_cursor_close(c);
      fail(what + ": forward walk of " + kSpecs[t].name + " ended with " + rc_name(rc));
    }
    compare_walk(expect, got, false, t, what);
    got.clear();
    rc = emdb_cursor_get(c, &k, &d, EMDB_LAST);
    while (rc == EMDB_SUCCESS) {
      got.emplace_back(S(k), S(d));
      rc = emdb_cursor_get(c, &k, &d, EMDB_PREV);
    }
    emdb_cursor_close(c);
    if (rc != EMDB_NOTFOUND)
      fail(what + ": backward walk of " + kSpecs[t].name + " ended with " + rc_name(rc));
    std::reverse(got.begin(), got.end());
    compare_walk(expect, got, true, t, what);
    EMDB_stat st;
    rc = emdb_dbi_stat(txn, dbi_[t], &st, sizeof st);
    expect_rc(EMDB_SUCCESS, rc, what + ": dbi_stat");
    if (st.ms_entries != m.pairs)
      fail(what + ": " + kSpecs[t].name + " ms_entries=" + std::to_string(st.ms_entries) +
           ", model has " + std::to_string(m.pairs) + " pairs");
  }

  void compare_walk(const std::vector<Pair>& expect, const std::vector<Pair>& got, bool backward,
                    size_t t, const std::string& what) {
    if (expect == got) return;
    size_t i = 0;
    while (i < expect.size() && i < got.size() && expect[i] == got[i]) ++i;
    std::ostringstream os;
    os << what << ": " << (backward ? "backward" : "forward") << " walk of " << kSpecs[t].name
       << " differs at index " << i << " (model " << expect.size() << " pairs, db " << got.size()
       << "): expected " << (i < expect.size() ? pair_str(expect[i]) : std::string("<end>"))
       << ", got " << (i < got.size() ? pair_str(got[i]) : std::string("<end>"));
    if (i < expect.size() && i < got.size() && expect[i].first == got[i].first) {
      const std::string& a = expect[i].second;
      const std::string& b = got[i].second;
      size_t j = 0;
      while (j < a.size() && j < b.size() && a[j] == b[j]) ++j;
      os << "\n  same key; the values (" << a.size() << " and " << b.size()
         << " bytes) first differ at byte " << j << ": expected " << printable(a.substr(j, 16))
         << ", got " << printable(b.substr(j, 16));
    }
    fail(os.str());
  }

  void verify_current(const char* what) {
    for (size_t t = 0; t < kTables; ++t) verify_table(w(), t, *cur()[t], what);
  }
  void verify_committed(const char* what) {
    EMDB_txn* r = nullptr;
    const int rc = emdb_txn_begin(env_, nullptr, EMDB_TXN_RDONLY, &r);
    expect_rc(EMDB_SUCCESS, rc, std::string(what) + ": begin read");
    for (size_t t = 0; t < kTables; ++t)
      verify_table(r, t, *committed_[t], std::string(what) + " (committed)");
    emdb_txn_abort(r);
  }

  void check_get(EMDB_txn* txn, size_t t, const Table& m, const std::string& key,
                 const std::string& what) {
    EMDB_val k = V(key), d = V0();
    const int rc = emdb_get(txn, dbi_[t], &k, &d);
    const std::string desc = what + " " + kSpecs[t].name + " key=" + printable(key);
    if (!m.has_key(key)) {
      expect_rc(EMDB_NOTFOUND, rc, desc);
      return;
    }
    expect_rc(EMDB_SUCCESS, rc, desc);
    expect_eq(m.first_val(key), S(d), desc);
  }

  // --- operations ------------------------------------------------------------------------
  void one_op() {
    focus_ = false;
    const size_t t = tables_[rng_() % tables_.size()];
    const Spec& s = kSpecs[t];
    const uint64_t r = rng_() % 100;
    const auto allowed = [&](const char* family) { return !avoided(family); };
    if (r < 18) {
      if (allowed("put_upsert")) return op_put(t, EMDB_UPSERT);
    } else if (r < 23) {
      if (allowed("put_nooverwrite")) return op_put(t, EMDB_NOOVERWRITE);
    } else if (r < 27) {
      if (allowed(s.dup ? "put_nodupdata" : "put_upsert"))
        return op_put(t, s.dup ? EMDB_NODUPDATA : EMDB_UPSERT);
    } else if (r < 30) {
      if (allowed("put_current")) return op_put(t, EMDB_CURRENT);
    } else if (r < 33) {
      const unsigned f = !s.dup   ? unsigned(EMDB_RESERVE)
                         : r < 32 ? unsigned(EMDB_ALLDUPS)
                                  : unsigned(EMDB_CURRENT | EMDB_ALLDUPS);
      if (allowed(s.dup ? "put_alldups" : "put_reserve")) return op_put(t, f);
    } else if (r < 36) {
      if (allowed("append") || (s.dup && allowed("appenddup"))) return op_append(t);
    } else if (r < 38) {
      if (s.fixed ? allowed("multiple") : allowed("put_upsert"))
        return s.fixed ? op_multiple(t) : op_put(t, EMDB_UPSERT);
    } else if (r < 44) {
      if (r == 43 && chance(25) && allowed("rename")) return op_rename(t);
    } else if (r < 48) {
      if (allowed("estimate")) return op_estimate(t);
    } else if (r < 51) {
      if (allowed("get_ex")) return op_get_ex(t);
    } else if (r < 54) {
      if (allowed("get_eq_great")) return op_get_eq_great(t);
    } else if (r < 61) {
      if (allowed("del_key")) return op_del_key(t);
    } else if (r < 66) {
      if (allowed(s.dup ? "del_pair" : "del_value")) return op_del_pair(t);
    } else if (r < 71) {
      if (allowed(s.dup ? "replace_select" : "replace")) return op_replace(t);
    } else if (r < 75) {
      if (allowed("seek")) return op_seek(t);
    } else if (r < 79) {
      if (allowed("bounds")) return op_bounds(t);
    } else if (r < 87) {
      if (allowed("walk")) return op_walk(t);
    } else if (r < 91) {
      if (allowed("cursor_del")) return op_cursor_del(t);
    } else if (r < 95) {
      if (allowed("cursor_put")) return op_cursor_put(t);
    } else if (r < 96) {
      if (chance(200) && allowed("drop")) return op_drop(t);
    }
    if (allowed("get")) check_get(w(), t, view(t), pick_key(t), "get");
  }

  void op_put(size_t t, unsigned flags) {
    const Spec& s = kSpecs[t];
    const std::string key = pick_key(t);
    const std::string val = pick_value(t);
    focus(t, key);
    std::string desc = std::string("put(") + flags_name(flags) + ") " + s.name +
                       " key=" + printable(key) + " val=" + printable(val);
    note(desc);
    EMDB_val k = V(key), d = V(val);
    if (flags & EMDB_RESERVE) d = V(nullptr, val.size());
    const int rc = emdb_put(w(), dbi_[t], &k, &d, EMDB_put_flags_t(flags));
    const Table& m = view(t);
    const bool has_key = m.has_key(key);
    if (flags & EMDB_RESERVE) {
      expect_rc(EMDB_SUCCESS, rc, desc);
      if (d.iov_len != val.size() || (val.size() && !d.iov_base))
        fail(desc + ": bad reserved space");
      if (val.size()) std::memcpy(d.iov_base, val.data(), val.size());
      mut(t).set_plain(key, val);
      return;
    }
    if (flags & EMDB_NOOVERWRITE) {
      if (has_key) {
        expect_rc(EMDB_KEYEXIST, rc, desc);
        expect_eq(m.first_val(key), S(d), desc + " (existing value)");
        return;
      }
      expect_rc(EMDB_SUCCESS, rc, desc);
      s.dup ? mut(t).add_dup(key, val) : mut(t).set_plain(key, val);
      return;
    }
    if (flags & EMDB_NODUPDATA) {  // dupsort only here
      if (m.has_pair(key, val)) {
        expect_rc(EMDB_KEYEXIST, rc, desc);
        return;
      }
      expect_rc(EMDB_SUCCESS, rc, desc);
      mut(t).add_dup(key, val);
      return;
    }
    if (flags & EMDB_CURRENT) {
      if (!has_key) {
        expect_rc(EMDB_NOTFOUND, rc, desc);
        return;
      }
      if (!s.dup) {
        expect_rc(EMDB_SUCCESS, rc, desc);
        mut(t).set_plain(key, val);
        return;
      }
      if ((flags & EMDB_ALLDUPS) || m.nvals(key) == 1) {
        expect_rc(EMDB_SUCCESS, rc, desc);
        mut(t).set_only(key, val);
        return;
      }
      // Several values: libmdbx documents EMDB_EMULTIVAL; its 0.13 code replaces them all.
      // Both are accepted; the model follows what happened.
      expect_rc2(EMDB_EMULTIVAL, EMDB_SUCCESS, rc, desc);
      if (rc == EMDB_SUCCESS) mut(t).set_only(key, val);
      return;
    }
    if (flags & EMDB_ALLDUPS) {
      expect_rc(EMDB_SUCCESS, rc, desc);
      mut(t).set_only(key, val);
      return;
    }
    expect_rc(EMDB_SUCCESS, rc, desc);
    s.dup ? mut(t).add_dup(key, val) : mut(t).set_plain(key, val);
  }

  void op_append(size_t t) {
    const Spec& s = kSpecs[t];
    const Table& m = view(t);
    const Cmp kc{s.key_order};
    // Half of the time pick a key above the current maximum, so that appends succeed.
    std::string key = pick_key(t);
    if (!m.empty() && chance(2)) {
      const std::string mx = m.max_key();
      std::vector<size_t> above;
      for (size_t i = 0; i < key_pool_size(t); ++i)
        if (kc.compare(key_at(t, i), mx) > 0) above.push_back(i);
      if (!above.empty()) key = key_at(t, above[rng_() % above.size()]);
    }
    // APPENDDUP (dupsort tables only) or APPEND.
    const bool dupmode = s.dup && !avoided("appenddup") && (avoided("append") || chance(2));
    std::string val = pick_value(t);
    if (dupmode && m.has_key(key) && chance(2)) {
      // A value above the key's largest one.
      const Cmp vc{s.val_order};
      const std::string mx = m.last_val(key);
      std::vector<std::string> above;
      for (size_t j = 0; j < kDupPool; ++j) {
        const std::string& v = s.fixed ? fixvals_[j] : dupvals_[j];
        if (vc.compare(v, mx) > 0) above.push_back(v);
      }
      if (!above.empty()) val = above[rng_() % above.size()];
    }
    const unsigned flags = dupmode ? EMDB_APPENDDUP : EMDB_APPEND;
    focus(t, key);
    const std::string desc = std::string("put(") + flags_name(flags) + ") " + s.name +
                             " key=" + printable(key) + " val=" + printable(val);
    note(desc);
    EMDB_val k = V(key), d = V(val);
    const int rc = emdb_put(w(), dbi_[t], &k, &d, EMDB_put_flags_t(flags));
    if (flags == EMDB_APPEND) {
      const int c = m.empty() ? 1 : kc.compare(key, m.max_key());
      if (c < 0) {
        expect_rc(EMDB_EKEYMISMATCH, rc, desc);
        return;
      }
      if (c > 0) {
        expect_rc(EMDB_SUCCESS, rc, desc);
        s.dup ? mut(t).add_dup(key, val) : mut(t).set_plain(key, val);
        return;
      }
      // The key equals the last one: libmdbx stores the value (an update, or one more dup).
      expect_rc2(EMDB_SUCCESS, EMDB_EKEYMISMATCH, rc, desc);
      if (rc == EMDB_SUCCESS) s.dup ? mut(t).add_dup(key, val) : mut(t).set_plain(key, val);
      return;
    }
    // APPENDDUP
    if (!m.has_key(key)) {
      expect_rc(EMDB_SUCCESS, rc, desc);
      mut(t).add_dup(key, val);
      return;
    }
    const int c = Cmp{s.val_order}.compare(val, m.last_val(key));
    if (c > 0) {
      expect_rc(EMDB_SUCCESS, rc, desc);
      mut(t).add_dup(key, val);
    } else if (c < 0) {
      expect_rc(EMDB_EKEYMISMATCH, rc, desc);
    } else {
      // Equal to the largest value: nothing to add; libmdbx answers either way.
      expect_rc2(EMDB_SUCCESS, EMDB_EKEYMISMATCH, rc, desc);
    }
  }

  void op_multiple(size_t t) {
    const std::string key = pick_key(t);
    std::set<size_t> picks;
    const size_t n = 2 + rng_() % 6;
    while (picks.size() < n) picks.insert(rng_() % kDupPool);
    std::string buf;
    std::vector<std::string> vals;
    for (size_t j : picks) {
      buf += fixvals_[j];
      vals.push_back(fixvals_[j]);
    }
    std::shuffle(vals.begin(), vals.end(), rng_);
    buf.clear();
    for (const auto& v : vals) buf += v;
    const std::string desc = std::string("put(MULTIPLE) ") + kSpecs[t].name +
                             " key=" + printable(key) + " n=" + std::to_string(n);
    note(desc);
    // An aligned copy of the array (4-byte items).
    std::vector<uint32_t> aligned(n);
    std::memcpy(aligned.data(), buf.data(), buf.size());
    EMDB_val k = V(key);
    EMDB_val data[2] = {V(aligned.data(), 4), V(nullptr, n)};
    const int rc = emdb_put(w(), dbi_[t], &k, data, EMDB_MULTIPLE);
    expect_rc(EMDB_SUCCESS, rc, desc);
    if (data[1].iov_len != n) fail(desc + ": wrote " + std::to_string(data[1].iov_len) + " items");
    for (const auto& v : vals) mut(t).add_dup(key, v);
  }

  void op_get_ex(size_t t) {
    const std::string key = pick_key(t);
    const std::string desc = std::string("get_ex ") + kSpecs[t].name + " key=" + printable(key);
    note(desc);
    EMDB_val k = V(key), d = V0();
    size_t count = 12345;
    const int rc = emdb_get_ex(w(), dbi_[t], &k, &d, &count);
    const Table& m = view(t);
    if (!m.has_key(key)) {
      expect_rc(EMDB_NOTFOUND, rc, desc);
      if (count != 0) fail(desc + ": count " + std::to_string(count) + " for a missing key");
      return;
    }
    expect_rc(EMDB_SUCCESS, rc, desc);
    expect_eq(key, S(k), desc + " (key)");
    expect_eq(m.first_val(key), S(d), desc);
    if (count != m.nvals(key))
      fail(desc + ": count " + std::to_string(count) + ", model " + std::to_string(m.nvals(key)));
  }

  // Pairs before the lower bound of (k, v) in the model.
  static size_t rank_of(const Table& m, const std::string& k, const std::string* v) {
    if (!m.spec->dup) return size_t(std::distance(m.plain.begin(), m.plain.lower_bound(k)));
    size_t r = 0;
    const auto end = m.dup.lower_bound(k);
    for (auto it = m.dup.begin(); it != end; ++it) r += it->second->size();
    if (v != nullptr && end != m.dup.end() && Cmp{m.spec->key_order}.compare(end->first, k) == 0)
      r += size_t(std::distance(end->second->begin(), end->second->lower_bound(*v)));
    return r;
  }

  // emdb_estimate_range against the model's true count: exact for a whole table, for one key,
  // for a table of one page, and (without DUPSORT) for ranges of at most one pair; otherwise
  // zero exactly when the range is empty, of the right sign, and never beyond the table size.
  void op_estimate(size_t t) {
    const Spec& s = kSpecs[t];
    const Table& m = view(t);
    const bool open_b = chance(8), open_e = chance(8);
    const std::string bk = pick_key(t), ek = chance(3) ? bk : pick_key(t);
    const bool use_bv = s.dup && !open_b && chance(2), use_ev = s.dup && !open_e && chance(2);
    const std::string bv = use_bv ? pick_dupval(t) : std::string();
    const std::string ev = use_ev ? pick_dupval(t) : std::string();
    const std::string desc =
        std::string("estimate_range ") + s.name + " [" + (open_b ? "FIRST" : printable(bk)) +
        (use_bv ? "/" + printable(bv) : "") + ", " + (open_e ? "LAST" : printable(ek)) +
        (use_ev ? "/" + printable(ev) : "") + ")";
    note(desc);
    EMDB_val bkv = V(bk), ekv = V(ek), bvv = V(bv), evv = V(ev);
    ptrdiff_t est = -12345;
    const int rc =
        emdb_estimate_range(w(), dbi_[t], open_b ? nullptr : &bkv, use_bv ? &bvv : nullptr,
                            open_e ? nullptr : &ekv, use_ev ? &evv : nullptr, &est);
    expect_rc(EMDB_SUCCESS, rc, desc);
    const ptrdiff_t total = ptrdiff_t(m.pairs);
    const bool one_key =
        !open_b && !open_e && !use_bv && !use_ev && Cmp{s.key_order}.compare(bk, ek) == 0;
    ptrdiff_t want;
    if (one_key) {
      want = ptrdiff_t(m.nvals(bk));
    } else {
      const ptrdiff_t rb = open_b ? 0 : ptrdiff_t(rank_of(m, bk, use_bv ? &bv : nullptr));
      const ptrdiff_t re = open_e ? total : ptrdiff_t(rank_of(m, ek, use_ev ? &ev : nullptr));
      want = re - rb;
    }
    EMDB_stat st;
    expect_rc(EMDB_SUCCESS, emdb_dbi_stat(w(), dbi_[t], &st, sizeof st), desc + ": dbi_stat");
    const bool one_page = st.ms_depth <= 1 && (!s.dup || st.ms_leaf_pages <= 1);
    const bool exact = one_key || (open_b && open_e) || total == 0 || one_page ||
                       (!s.dup && want >= -1 && want <= 1);
    const std::string got = desc + ": estimate " + std::to_string(est) + ", true " +
                            std::to_string(want) + " of " + std::to_string(total);
    if (exact && est != want) fail(got + " (must be exact)");
    if ((est == 0) != (want == 0) || (est < 0) != (want < 0) || est > total || est < -total)
      fail(got);
  }

  // Renames table t and back; in between the enumeration lists it under its new name, a taken
  // name is refused, and its data is unchanged.
  void op_rename(size_t t) {
    const std::string tmp = std::string("renamed-") + kSpecs[t].name;
    const std::string desc = std::string("rename ") + kSpecs[t].name + " -> " + tmp + " -> back";
    note(desc);
    expect_rc(EMDB_SUCCESS, emdb_dbi_rename(w(), dbi_[t], tmp.c_str()), desc);
    expect_rc(EMDB_KEYEXIST, emdb_dbi_rename(w(), dbi_[t], kSpecs[(t + 1) % kTables].name),
              desc + " (to a taken name)");
    check_tables(t, tmp, desc);
    check_get(w(), t, view(t), pick_key(t), desc);
    expect_rc(EMDB_SUCCESS, emdb_dbi_rename(w(), dbi_[t], kSpecs[t].name), desc + " (back)");
    check_tables(kTables, "", desc + " (back)");
  }

  // emdb_enumerate_tables lists every table (table `renamed` under `as`) in name order, with
  // its handle and the model's number of pairs.
  void check_tables(size_t renamed, const std::string& as, const std::string& desc) {
    struct Row {
      std::string name;
      uint64_t entries;
      EMDB_dbi dbi;
    };
    std::vector<Row> got, want;
    for (size_t t = 0; t < kTables; ++t)
      want.push_back({t == renamed ? as : std::string(kSpecs[t].name), view(t).pairs, dbi_[t]});
    std::sort(want.begin(), want.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
    const int rc = emdb_enumerate_tables(
        w(),
        [](void* ctx, const EMDB_txn*, const EMDB_val* name, EMDB_db_flags_t, const EMDB_stat* st,
           EMDB_dbi dbi) noexcept -> int {
          static_cast<std::vector<Row>*>(ctx)->push_back({S(*name), st->ms_entries, dbi});
          return 0;
        },
        &got);
    expect_rc(EMDB_SUCCESS, rc, desc + ": enumerate_tables");
    bool same = got.size() == want.size();
    for (size_t i = 0; same && i < got.size(); ++i)
      same = got[i].name == want[i].name && got[i].entries == want[i].entries &&
             got[i].dbi == want[i].dbi;
    if (!same) {
      std::string g, e;
      for (const Row& r : got) g += " " + r.name + "=" + std::to_string(r.entries);
      for (const Row& r : want) e += " " + r.name + "=" + std::to_string(r.entries);
      fail(desc + ": enumerate_tables gave" + g + "; expected" + e);
    }
  }

  void op_get_eq_great(size_t t) {
    const Spec& s = kSpecs[t];
    const std::string key = pick_key(t), val = pick_value(t);
    const std::string desc = std::string("get_equal_or_great ") + s.name +
                             " key=" + printable(key) + (s.dup ? " val=" + printable(val) : "");
    note(desc);
    EMDB_val k = V(key), d = V(val);
    const int rc = emdb_get_equal_or_great(w(), dbi_[t], &k, &d);
    bool exact = false;
    const auto want = view(t).lower_bound(key, s.dup ? &val : nullptr, &exact);
    if (!want) {
      expect_rc(EMDB_NOTFOUND, rc, desc);
      return;
    }
    expect_rc(exact ? EMDB_SUCCESS : EMDB_RESULT_TRUE, rc, desc);
    expect_eq(want->first, S(k), desc + " (key)");
    expect_eq(want->second, S(d), desc + " (value)");
  }

  void op_del_key(size_t t) {
    const std::string key = pick_key(t);
    const std::string desc = std::string("del ") + kSpecs[t].name + " key=" + printable(key);
    note(desc);
    EMDB_val k = V(key);
    const int rc = emdb_del(w(), dbi_[t], &k, nullptr);
    if (!view(t).has_key(key)) {
      expect_rc(EMDB_NOTFOUND, rc, desc);
      return;
    }
    expect_rc(EMDB_SUCCESS, rc, desc);
    mut(t).erase_key(key);
  }

  void op_del_pair(size_t t) {
    // Half of the time an existing pair.
    std::optional<Pair> p;
    if (chance(2)) p = view(t).random_pair(rng_);
    if (!p) p = Pair(pick_key(t), pick_value(t));
    focus(t, p->first);
    const std::string desc = std::string("del pair ") + kSpecs[t].name + " " + pair_str(p);
    note(desc);
    EMDB_val k = V(p->first), d = V(p->second);
    const int rc = emdb_del(w(), dbi_[t], &k, &d);
    if (!view(t).has_pair(p->first, p->second)) {
      expect_rc(EMDB_NOTFOUND, rc, desc);
      return;
    }
    expect_rc(EMDB_SUCCESS, rc, desc);
    mut(t).erase_pair(p->first, p->second);
  }

  void op_replace(size_t t) {
    const Spec& s = kSpecs[t];
    const Table& m = view(t);
    std::vector<char> buf(size_t(4 * pagesize_) + 70001);
    if (s.dup) {
      // Select one value of a key with CURRENT|NOOVERWRITE, then replace or delete it.
      std::optional<Pair> p;
      if (chance(4) == false) p = m.random_pair(rng_);
      if (!p) p = Pair(pick_key(t), pick_dupval(t));
      const bool remove = chance(2);
      const std::string nv = pick_dupval(t);
      focus(t, p->first);
      const std::string desc = std::string("replace(select) ") + s.name + " " + pair_str(p) +
                               (remove ? " -> delete" : " -> " + printable(nv));
      note(desc);
      EMDB_val k = V(p->first), sel = V(p->second), n = V(nv);
      const int rc = emdb_replace(w(), dbi_[t], &k, remove ? nullptr : &n, &sel,
                                  EMDB_put_flags_t(EMDB_CURRENT | EMDB_NOOVERWRITE));
      if (!m.has_pair(p->first, p->second)) {
        expect_rc(EMDB_NOTFOUND, rc, desc);
        return;
      }
      expect_rc(EMDB_SUCCESS, rc, desc);
      Table& mt = mut(t);
      mt.erase_pair(p->first, p->second);
      if (!remove) mt.add_dup(p->first, nv);
      return;
    }
    const std::string key = pick_key(t);
    const int mode = int(rng_() % 3);  // 0: update/insert, 1: delete, 2: NOOVERWRITE
    const std::string nv = pick_plain_value();
    const std::string desc = std::string("replace(") +
                             (mode == 0   ? "update"
                              : mode == 1 ? "delete"
                                          : "nooverwrite") +
                             ") " + s.name + " key=" + printable(key) + " val=" + printable(nv);
    note(desc);
    EMDB_val k = V(key), n = V(nv), old = V(buf.data(), buf.size());
    const bool had = m.has_key(key);
    const std::string prev = had ? m.first_val(key) : std::string();
    int rc;
    if (mode == 1) {
      rc = emdb_replace(w(), dbi_[t], &k, nullptr, &old, EMDB_CURRENT);
      if (!had) {
        expect_rc(EMDB_NOTFOUND, rc, desc);
        return;
      }
      expect_rc(EMDB_SUCCESS, rc, desc);
      expect_eq(prev, S(old), desc + " (old value)");
      mut(t).erase_key(key);
      return;
    }
    rc = emdb_replace(w(), dbi_[t], &k, &n, &old, mode == 2 ? EMDB_NOOVERWRITE : EMDB_UPSERT);
    if (mode == 2 && had) {
      expect_rc(EMDB_KEYEXIST, rc, desc);
      expect_eq(prev, S(old), desc + " (present value)");
      return;
    }
    expect_rc(EMDB_SUCCESS, rc, desc);
    if (had)
      expect_eq(prev, S(old), desc + " (old value)");
    else if (old.iov_len != 0)
      fail(desc + ": old_data not empty for a new key");
    mut(t).set_plain(key, nv);
  }

  // Cursor helpers.
  EMDB_cursor* open_cursor(size_t t, const std::string& desc) {
    EMDB_cursor* c = nullptr;
    const int rc = emdb_cursor_open(w(), dbi_[t], &c);
    expect_rc(EMDB_SUCCESS, rc, desc + ": cursor_open");
    return c;
  }
  // Runs a positioning op and checks it against the model's answer. Returns the position.
  std::optional<Pair> seek_check(EMDB_cursor* c, size_t t, EMDB_cursor_op op,
                                 const std::string& key, const std::string& val,
                                 const std::optional<Pair>& want, int want_rc,
                                 const std::string& desc) {
    EMDB_val k = V(key), d = V(val);
    const int rc = emdb_cursor_get(c, &k, &d, op);
    const std::string what = desc + " " + op_name(op);
    if (!want) {
      if (rc != EMDB_NOTFOUND) {
        emdb_cursor_close(c);
        expect_rc(EMDB_NOTFOUND, rc, what + " expected " + pair_str(want));
      }
      return std::nullopt;
    }
    if (rc != want_rc) {
      const std::string got = (rc == EMDB_SUCCESS || rc == EMDB_RESULT_TRUE)
                                  ? pair_str(Pair(S(k), S(d)))
                                  : std::string("-");
      emdb_cursor_close(c);
      fail(what + ": expected " + rc_name(want_rc) + " at " + pair_str(want) + ", got " +
           rc_name(rc) + " at " + got);
    }
    const Pair got(op == EMDB_SET ? key : S(k), S(d));
    if (got != *want) {
      emdb_cursor_close(c);
      fail(what + ": expected " + pair_str(want) + ", got " + pair_str(got));
    }
    (void)t;
    return got;
  }

  void op_seek(size_t t) {
    const Spec& s = kSpecs[t];
    const Table& m = view(t);
    const std::string key = pick_key(t), val = pick_value(t);
    std::string desc =
        std::string("seek ") + s.name + " key=" + printable(key) + " val=" + printable(val);
    note(desc);
    const uint64_t which = rng_() % (s.dup ? 5 : 3);
    static const char* const which_name[] = {"SET_RANGE", "SET_KEY", "SET", "GET_BOTH",
                                             "GET_BOTH_RANGE"};
    desc += std::string(" via ") + which_name[which];
    EMDB_cursor* c = open_cursor(t, desc);
    bool exact = false;
    std::optional<Pair> pos;
    if (which == 0) {  // SET_RANGE
      pos = seek_check(c, t, EMDB_SET_RANGE, key, val, m.lower_bound(key, nullptr, &exact),
                       EMDB_SUCCESS, desc);
    } else if (which == 1) {  // SET_KEY
      std::optional<Pair> want;
      if (m.has_key(key)) want = Pair(key, m.first_val(key));
      pos = seek_check(c, t, EMDB_SET_KEY, key, val, want, EMDB_SUCCESS, desc);
    } else if (which == 2) {  // SET
      std::optional<Pair> want;
      if (m.has_key(key)) want = Pair(key, m.first_val(key));
      pos = seek_check(c, t, EMDB_SET, key, val, want, EMDB_SUCCESS, desc);
    } else if (which == 3) {  // GET_BOTH
      std::optional<Pair> want;
      if (m.has_pair(key, val)) want = Pair(key, val);
      pos = seek_check(c, t, EMDB_GET_BOTH, key, val, want, EMDB_SUCCESS, desc);
    } else {  // GET_BOTH_RANGE: this key only
      std::optional<Pair> want;
      if (m.has_key(key)) {
        auto lb = m.lower_bound(key, &val, &exact);
        if (lb && lb->first == key) want = lb;
      }
      pos = seek_check(c, t, EMDB_GET_BOTH_RANGE, key, val, want, EMDB_SUCCESS, desc);
    }
    if (pos && !avoided("count")) {
      size_t count = 0;
      const int rc = emdb_cursor_count(c, &count);
      if (rc != EMDB_SUCCESS || count != m.nvals(pos->first)) {
        emdb_cursor_close(c);
        fail(desc + ": cursor_count " + rc_name(rc) + " " + std::to_string(count) + ", model " +
             std::to_string(m.nvals(pos->first)));
      }
    }
    if (pos) walk_from(c, t, *pos, 1 + rng_() % 6, desc);
    emdb_cursor_close(c);
  }

  void op_bounds(size_t t) {
    const Spec& s = kSpecs[t];
    const Table& m = view(t);
    const std::string key = pick_key(t), val = pick_value(t);
    const bool upper = chance(2);
    const std::string desc = std::string(upper ? "upperbound " : "lowerbound ") + s.name +
                             " key=" + printable(key) + " val=" + printable(val);
    note(desc);
    EMDB_cursor* c = open_cursor(t, desc);
    bool exact = false;
    std::optional<Pair> want = m.lower_bound(key, s.dup ? &val : nullptr, &exact);
    int want_rc = exact ? EMDB_SUCCESS : EMDB_RESULT_TRUE;
    if (upper) {
      if (want && exact) want = m.move(*want, Table::Move::Next);
      want_rc = EMDB_SUCCESS;
    }
    const auto pos = seek_check(c, t, upper ? EMDB_SET_UPPERBOUND : EMDB_SET_LOWERBOUND, key, val,
                                want, want_rc, desc);
    if (pos) walk_from(c, t, *pos, 1 + rng_() % 4, desc);
    emdb_cursor_close(c);
  }

  // The values of a key in the model and in the db (for failure messages).
  std::string describe_key(size_t t, const std::string& key) {
    const Table& m = view(t);
    std::string out =
        "\n  model values of " + printable(key) + " (" + std::to_string(m.nvals(key)) + "):";
    if (kSpecs[t].dup && m.has_key(key)) {
      size_t n = 0;
      for (const auto& v : *m.dup.at(key)) {
        if (n++ == 64) {
          out += " ...";
          break;
        }
        out += " " + printable(v, 16);
      }
    }
    out += "\n  db values:";
    EMDB_cursor* c = nullptr;
    if (emdb_cursor_open(w(), dbi_[t], &c) != EMDB_SUCCESS) return out + " <cursor_open failed>";
    EMDB_val k = V(key), d = V0();
    int rc = emdb_cursor_get(c, &k, &d, EMDB_SET_KEY);
    size_t n = 0;
    while (rc == EMDB_SUCCESS) {
      if (n++ == 64) {
        out += " ...";
        break;
      }
      out += " " + printable(S(d), 16);
      rc = emdb_cursor_get(c, &k, &d, EMDB_NEXT_DUP);
    }
    if (rc != EMDB_SUCCESS && rc != EMDB_NOTFOUND) out += " <" + rc_name(rc) + ">";
    emdb_cursor_close(c);
    return out;
  }

  // Random moves from a known position, each checked.
  void walk_from(EMDB_cursor* c, size_t t, Pair pos, size_t steps, const std::string& desc) {
    const Table& m = view(t);
    static const std::pair<EMDB_cursor_op, Table::Move> moves[] = {
        {EMDB_NEXT, Table::Move::Next},
        {EMDB_PREV, Table::Move::Prev},
        {EMDB_NEXT_NODUP, Table::Move::NextNodup},
        {EMDB_PREV_NODUP, Table::Move::PrevNodup},
        {EMDB_NEXT_DUP, Table::Move::NextDup},
        {EMDB_PREV_DUP, Table::Move::PrevDup},
        {EMDB_FIRST_DUP, Table::Move::FirstDup},
        {EMDB_LAST_DUP, Table::Move::LastDup}};
    std::string trail;  // the moves made so far, for the failure message
    for (size_t i = 0; i < steps; ++i) {
      const bool current = chance(8);
      const auto& mv = moves[rng_() % std::size(moves)];
      const EMDB_cursor_op op = current ? EMDB_GET_CURRENT : mv.first;
      const std::optional<Pair> want = current ? std::optional<Pair>(pos) : m.move(pos, mv.second);
      EMDB_val k = V0(), d = V0();
      const int rc = emdb_cursor_get(c, &k, &d, op);
      const std::string what = desc + trail + " then " + op_name(op) + " from " + pair_str(pos);
      trail += std::string(" then ") + op_name(op) + (want ? "" : "(NOTFOUND)");
      if (!want) {
        if (rc != EMDB_NOTFOUND) {
          emdb_cursor_close(c);
          fail(what + ": expected NOTFOUND, got " + rc_name(rc) +
               (rc == EMDB_SUCCESS ? " at " + pair_str(Pair(S(k), S(d))) : std::string()) +
               describe_key(t, pos.first));
        }
        // NEXT_DUP / PREV_DUP at the end of a key's values do not move the cursor; the
        // others leave it at an end: stop there.
        if (op == EMDB_NEXT_DUP || op == EMDB_PREV_DUP) continue;
        return;
      }
      if (rc != EMDB_SUCCESS) {
        emdb_cursor_close(c);
        fail(what + ": expected " + pair_str(want) + ", got " + rc_name(rc) +
             describe_key(t, pos.first));
      }
      const Pair got(S(k), S(d));
      if (got != *want) {
        emdb_cursor_close(c);
        fail(what + ": expected " + pair_str(want) + ", got " + pair_str(got) +
             describe_key(t, pos.first));
      }
      pos = got;
    }
  }

  void op_walk(size_t t) {
    const Table& m = view(t);
    const bool from_end = chance(2);
    const std::string desc =
        std::string("walk from ") + (from_end ? "LAST " : "FIRST ") + kSpecs[t].name;
    note(desc);
    EMDB_cursor* c = open_cursor(t, desc);
    const auto all = m.flatten();
    std::optional<Pair> want;
    if (!all.empty()) want = from_end ? all.back() : all.front();
    const auto pos =
        seek_check(c, t, from_end ? EMDB_LAST : EMDB_FIRST, "", "", want, EMDB_SUCCESS, desc);
    if (pos) walk_from(c, t, *pos, 4 + rng_() % 24, desc);
    emdb_cursor_close(c);
  }

  void op_cursor_del(size_t t) {
    const Spec& s = kSpecs[t];
    const auto p = view(t).random_pair(rng_);
    if (!p) return;
    const bool alldups = s.dup && chance(3);
    focus(t, p->first);
    const std::string desc =
        std::string("cursor_del") + (alldups ? "(ALLDUPS) " : " ") + s.name + " at " + pair_str(p);
    note(desc);
    EMDB_cursor* c = open_cursor(t, desc);
    seek_check(c, t, s.dup ? EMDB_GET_BOTH : EMDB_SET_KEY, p->first, p->second, p, EMDB_SUCCESS,
               desc);
    // What NEXT gives after the delete: the pair following the deleted one(s).
    const Table& m = view(t);
    std::optional<Pair> after =
        m.move(alldups ? Pair(p->first, m.last_val(p->first)) : *p, Table::Move::Next);
    // Flags 0 (LMDB style) for a single pair; EMDB_CURRENT is covered by the API tests.
    const int rc = emdb_cursor_del(c, alldups ? EMDB_ALLDUPS : EMDB_UPSERT);
    if (rc != EMDB_SUCCESS) {
      emdb_cursor_close(c);
      expect_rc(EMDB_SUCCESS, rc, desc);
    }
    alldups ? mut(t).erase_key(p->first) : mut(t).erase_pair(p->first, p->second);
    EMDB_val k = V0(), d = V0();
    const int nrc = emdb_cursor_get(c, &k, &d, EMDB_NEXT);
    emdb_cursor_close(c);
    if (!after) {
      expect_rc(EMDB_NOTFOUND, nrc, desc + " then NEXT");
      return;
    }
    expect_rc(EMDB_SUCCESS, nrc, desc + " then NEXT (expected " + pair_str(after) + ")");
    const Pair got(S(k), S(d));
    if (got != *after)
      fail(desc + " then NEXT: expected " + pair_str(after) + ", got " + pair_str(got));
  }

  void op_cursor_put(size_t t) {
    const Spec& s = kSpecs[t];
    const Table& m = view(t);
    const bool current = !s.dup && !m.empty() && chance(2);
    std::string key = pick_key(t);
    if (current) key = m.random_pair(rng_)->first;
    const std::string val = pick_value(t);
    const unsigned flags = current ? EMDB_CURRENT : (s.dup && chance(2)) ? EMDB_NODUPDATA : 0;
    focus(t, key);
    const std::string desc = std::string("cursor_put(") + flags_name(flags) + ") " + s.name +
                             " key=" + printable(key) + " val=" + printable(val);
    note(desc);
    EMDB_cursor* c = open_cursor(t, desc);
    if (current)
      seek_check(c, t, EMDB_SET_KEY, key, "", Pair(key, m.first_val(key)), EMDB_SUCCESS, desc);
    EMDB_val k = V(key), d = V(val);
    const int rc = emdb_cursor_put(c, &k, &d, EMDB_put_flags_t(flags));
    if ((flags & EMDB_NODUPDATA) && m.has_pair(key, val)) {
      emdb_cursor_close(c);
      expect_rc(EMDB_KEYEXIST, rc, desc);
      return;
    }
    if (rc != EMDB_SUCCESS) {
      emdb_cursor_close(c);
      expect_rc(EMDB_SUCCESS, rc, desc);
    }
    s.dup ? mut(t).add_dup(key, val) : mut(t).set_plain(key, val);
    // The cursor stands on the pair just written.
    EMDB_val gk = V0(), gd = V0();
    const int grc = emdb_cursor_get(c, &gk, &gd, EMDB_GET_CURRENT);
    emdb_cursor_close(c);
    expect_rc(EMDB_SUCCESS, grc, desc + " then GET_CURRENT");
    expect_eq(key, S(gk), desc + " then GET_CURRENT (key)");
    expect_eq(val, S(gd), desc + " then GET_CURRENT (value)");
  }

  void op_drop(size_t t) {
    const std::string desc = std::string("drop(empty) ") + kSpecs[t].name;
    note(desc);
    const int rc = emdb_drop(w(), dbi_[t], false);
    expect_rc(EMDB_SUCCESS, rc, desc);
    mut(t).clear();
    verify_table(w(), t, view(t), desc);
  }

  // --- state -----------------------------------------------------------------------------
  static constexpr size_t kKeyPool = 900;
  static constexpr size_t kDupKeyPool = 220;
  static constexpr size_t kDupPool = 28;

  const uint64_t seed_;
  const intptr_t pagesize_;
  const uint64_t ops_;
  const std::string dir_;
  std::mt19937_64 rng_;
  uint64_t step_ = 0;
  uint64_t verify_every_ = 2500;

  EMDB_env* env_ = nullptr;
  unsigned env_flags_ = 0;
  std::array<EMDB_dbi, kTables> dbi_{};
  int maxkey_ = 0, maxval_dup_ = 0;

  std::vector<std::string> keys_, int_keys_, dupvals_, fixvals_;

  std::vector<EMDB_txn*> txns_;  // [0] top-level write txn, then nested ones
  std::vector<Model> models_;    // the model as seen by each of txns_
  Model committed_;
  uint64_t committed_id_ = 0, last_snapshot_id_ = 0;
  std::vector<Snapshot> snaps_;

  std::deque<std::string> history_;
  Stats stats_;
  const std::set<std::string> avoid_;
  bool focus_ = false;
  size_t focus_t_ = 0;
  std::string focus_key_;

 public:
  std::vector<size_t> tables_ = {0, 1, 2, 3, 4, 5, 6};  // tables the operations pick from
  size_t history_limit_ = 24;                           // operations shown on a mismatch
};

std::set<std::string> split_list(const std::string& text) {
  std::set<std::string> out;
  std::string item;
  for (char c : text + ",") {
    if (c == ',' || c == ' ') {
      if (!item.empty()) out.insert(item);
      item.clear();
    } else {
      item.push_back(c);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  intptr_t pagesize = 4096;
  std::optional<uint64_t> ops_arg;
  bool keep = false;
  std::optional<std::string> avoid_arg, tables_arg;
  size_t history = 24;
  for (int i = 1; i < argc; ++i) {
    const std::string a(argv[i]);
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--pagesize") {
      const auto v = parse_u64(value("--pagesize"));
      if (!v) return 2;
      pagesize = intptr_t(*v);
    } else if (a == "--ops") {
      ops_arg = parse_u64(value("--ops"));
      if (!ops_arg) return 2;
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--avoid") {
      avoid_arg = value("--avoid");
    } else if (a == "--tables") {
      tables_arg = value("--tables");
    } else if (a == "--history") {
      const auto v = parse_u64(value("--history"));
      if (!v) return 2;
      history = size_t(*v);
    } else if (a == "--seed") {
      ++i;  // handled by seed_from_args
    } else if (a.rfind("--seed=", 0) == 0) {
    } else {
      std::fprintf(stderr,
                   "usage: %s [--pagesize N] [--ops N] [--seed N] [--keep] [--avoid a,b] "
                   "[--tables a,b] [--history N]\n",
                   argv[0]);
      return 2;
    }
  }
  const auto seed_arg = seed_from_args(argc, argv);
  const uint64_t seed = seed_arg ? *seed_arg : test_seed();
  if (seed_arg) std::fprintf(stderr, "seed=%" PRIu64 "\n", seed);
  const uint64_t ops = ops_arg ? *ops_arg : env_u64("EMDB_MODEL_OPS", kDefaultOps);
  std::fprintf(stderr, "model: seed=%" PRIu64 " pagesize=%ld ops=%" PRIu64 "\n", seed,
               long(pagesize), ops);
  const char* avoid_env = std::getenv("EMDB_MODEL_AVOID");
  const std::set<std::string> avoid =
      split_list(avoid_arg ? *avoid_arg : std::string(avoid_env ? avoid_env : ""));
  if (!avoid.empty()) {
    std::string list;
    for (const auto& a : avoid) list += a + " ";
    std::fprintf(stderr, "model: avoiding %s\n", list.c_str());
  }
  TempDir dir("model-ps" + std::to_string(pagesize));
  Runner runner(seed, pagesize, ops, dir.path(), avoid);
  runner.history_limit_ = history;
  if (tables_arg) {
    runner.tables_.clear();
    for (const auto& name : split_list(*tables_arg))
      for (size_t t = 0; t < kTables; ++t)
        if (name == kSpecs[t].name) runner.tables_.push_back(t);
    if (runner.tables_.empty()) {
      std::fprintf(stderr, "--tables: no known table in '%s'\n", tables_arg->c_str());
      return 2;
    }
  }
  const bool ok = runner.run();
  if (!ok || keep) dir.keep();
  return ok ? 0 : 1;
}
