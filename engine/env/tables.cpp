// engine/env/tables.cpp — see tables.hpp.
#include "env/tables.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "btree/cursor.hpp"
#include "btree/tree.hpp"

namespace emdb::env {

using namespace format;

namespace {

bool SameName(const std::string& a, Slice b) {
  return a.size() == b.size && (b.size == 0 || std::memcmp(a.data(), b.data, b.size) == 0);
}

// The table record under the main cursor `c` (positioned on an entry), or false for user data.
bool IsTableNode(const uint8_t* node) {
  return (NodeFlags(node) & (kNodeTree | kNodeDup)) == kNodeTree &&
         NodeDsize(node) == kTableRecordSize;
}

}  // namespace

Status Rename(Txn* t, EMDB_dbi dbi, Slice name) {
  Env* env = t->env;
  std::lock_guard<std::mutex> g(env->dbi_mu);
  DbiInfo& info = env->dbis[dbi];
  if (SameName(info.name, name)) return 0;
  const unsigned n = env->num_dbis.load();
  for (EMDB_dbi d = kCoreDbs; d < n; d++) {
    if (d != dbi && env->dbis[d].used && SameName(env->dbis[d].name, name)) return EMDB_KEYEXIST;
  }
  Cursor c;
  bt::CursorInit(&c, t, kMainDbi);
  bool exact = false;
  Status rc = bt::Seek(&c, name, &exact);
  if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
  if (rc == 0 && exact) return EMDB_KEYEXIST;
  // Remove the record under the old name (a table created by this txn has none yet).
  Slice old(info.name.data(), info.name.size());
  rc = bt::Seek(&c, old, &exact);
  if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
  if (rc == 0 && exact) {
    if (!IsTableNode(bt::CurrentNode(&c))) return EMDB_INCOMPATIBLE;
    cur::SaveOthers(t, kMainDbi, nullptr);
    cur::MarkChanged(t, kMainDbi);
    EMDB_TRY(bt::TouchPath(&c));
    EMDB_TRY(bt::Delete(&c));
  }
  t->renamed.emplace_back(dbi, info.name);
  info.name.assign(reinterpret_cast<const char*>(name.data), name.size);
  DbState& s = t->dbs[dbi];
  s.state |= kDbDirty;
  t->flags |= EMDB_TXN_DIRTY;
  return 0;
}

Status EnumerateTables(Txn* t, TableVisitor visit, void* ctx) {
  Env* env = t->env;
  const CmpFn kcmp = env->dbis[kMainDbi].kcmp;
  // The tables whose handle this txn has loaded: their records may be newer than the main
  // tree's, or not in it yet.
  struct Open {
    EMDB_dbi dbi;
    std::string name;
  };
  std::vector<Open> open;
  {
    std::lock_guard<std::mutex> g(env->dbi_mu);
    const unsigned n = env->num_dbis.load();
    for (EMDB_dbi d = kCoreDbs; d < n && d < t->dbs.size(); d++) {
      const DbState& s = t->dbs[d];
      if (!env->dbis[d].used || !(s.state & kDbValid) || (s.state & kDbDropped)) continue;
      if (s.generation != env->dbis[d].generation) continue;
      open.push_back({d, env->dbis[d].name});
    }
  }
  auto slice = [](const std::string& s) {
    return Slice(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  std::sort(open.begin(), open.end(),
            [&](const Open& a, const Open& b) { return kcmp(slice(a.name), slice(b.name)) < 0; });
  size_t next_open = 0;
  auto emit_open_before = [&](const Slice* limit) -> int {
    while (next_open < open.size() &&
           (limit == nullptr || kcmp(slice(open[next_open].name), *limit) < 0)) {
      const Open& o = open[next_open++];
      int r = visit(ctx, slice(o.name), t->dbs[o.dbi].rec, o.dbi);
      if (r != 0) return r;
    }
    return 0;
  };
  Cursor c;
  bt::CursorInit(&c, t, kMainDbi);
  Status rc = bt::First(&c);
  std::string key;
  while (rc == 0) {
    const uint8_t* node = bt::CurrentNode(&c);
    Slice k(NodeKey(node), NodeKsize(node));
    key.assign(reinterpret_cast<const char*>(k.data), k.size);
    if (IsTableNode(node)) {
      TreeRecord rec = DecodeTableRecord(NodeData(node));
      Slice name = slice(key);
      int r = emit_open_before(&name);
      if (r != 0) return r;
      EMDB_dbi dbi = 0;
      if (next_open < open.size() && kcmp(slice(open[next_open].name), name) == 0) {
        dbi = open[next_open].dbi;
        rec = t->dbs[dbi].rec;
        next_open++;
      } else {
        std::lock_guard<std::mutex> g(env->dbi_mu);
        const unsigned n = env->num_dbis.load();
        for (EMDB_dbi d = kCoreDbs; d < n; d++) {
          if (env->dbis[d].used && SameName(env->dbis[d].name, name)) {
            dbi = d;
            break;
          }
        }
      }
      r = visit(ctx, name, rec, dbi);
      if (r != 0) return r;
      // The visitor may have changed the main tree: find the place again.
      bool exact = false;
      rc = bt::Seek(&c, slice(key), &exact);
      if (rc == 0 && exact) rc = bt::Next(&c);
    } else {
      rc = bt::Next(&c);
    }
  }
  if (rc != EMDB_NOTFOUND) return rc;
  return emit_open_before(nullptr);
}

}  // namespace emdb::env
