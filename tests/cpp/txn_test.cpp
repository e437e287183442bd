// emdb::txn: RAII abort, commit and abort, moves, data calls, errors, nested transactions.
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpp_test_util.hpp"

namespace {

using emdb_test::key_of;
using emdb_test::str;
using emdb_test::value_of;

using emdb_test::code_of;

class Txn : public emdb_test::env_fixture {
 protected:
  void SetUp() override {
    env_fixture::SetUp();
    emdb::txn w = env.begin_write();
    t = w.create_table("t");
    dups = w.create_table("dups", EMDB_DUPSORT);
    w.commit();
  }
  /** The value of key in t as a copy, read in a fresh read transaction ("<none>" if absent). */
  std::string committed(emdb::slice key) {
    emdb::txn r = env.begin_read();
    const auto v = r.get(t, key);
    return v ? v->to_string() : "<none>";
  }
  emdb::table t;
  emdb::table dups;
};

TEST_F(Txn, DestructorAbortsAnUncommittedTxn) {
  {
    emdb::txn w = env.begin_write();
    w.put(t, "k", "v");
    EXPECT_EQ(str(w.get(t, "k")), "v");  // visible inside the txn
  }
  EXPECT_EQ(committed("k"), "<none>");
}

TEST_F(Txn, ExceptionUnwindingDiscardsPartialChanges) {
  EXPECT_THROW(
      {
        emdb::txn w = env.begin_write();
        w.put(t, "a", "1");
        throw std::runtime_error("application error");
      },
      std::runtime_error);
  EXPECT_EQ(committed("a"), "<none>");
}

TEST_F(Txn, CommitPersistsAndEmptiesTheHandle) {
  emdb::txn w = env.begin_write();
  EXPECT_TRUE(w);
  w.put(t, "k", "v");
  w.commit();
  EXPECT_FALSE(w);
  EXPECT_EQ(w.handle(), nullptr);
  EXPECT_EQ(committed("k"), "v");
}

TEST_F(Txn, ExplicitAbortDiscards) {
  emdb::txn w = env.begin_write();
  w.put(t, "k", "v");
  w.abort();
  EXPECT_FALSE(w);
  EXPECT_EQ(committed("k"), "<none>");
}

TEST_F(Txn, CommitWithLatencyPersists) {
  emdb::txn w = env.begin_write();
  w.put(t, "k", "v");
  const EMDB_commit_latency lat = w.commit_with_latency();
  EXPECT_GE(lat.whole, lat.write);
  EXPECT_EQ(committed("k"), "v");
}

TEST_F(Txn, CommitOfAnEndedTxnThrows) {
  emdb::txn w = env.begin_write();
  w.commit();
  EXPECT_NE(code_of([&] { w.commit(); }), 0);
  EXPECT_NE(code_of([&] { w.abort(); }), 0);
}

TEST_F(Txn, MoveKeepsTheTransaction) {
  emdb::txn a = env.begin_write();
  a.put(t, "k", "v");
  emdb::txn b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(str(b.get(t, "k")), "v");
  emdb::txn c;
  c = std::move(b);
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
  c.commit();
  EXPECT_EQ(committed("k"), "v");
}

TEST_F(Txn, MoveAssignOverALiveTxnAbortsIt) {
  emdb::txn w = env.begin_write();
  w.put(t, "k", "v");
  w = emdb::txn();  // aborts the write txn
  EXPECT_FALSE(w);
  EXPECT_EQ(committed("k"), "<none>");
  // the writer lock was released: a new write txn can start
  emdb::txn again = env.begin_write();
  again.put(t, "k", "w");
  again.commit();
  EXPECT_EQ(committed("k"), "w");
}

TEST_F(Txn, GetOfAMissingKeyIsNullopt) {
  emdb::txn r = env.begin_read();
  EXPECT_EQ(r.get(t, "absent"), std::nullopt);
  EXPECT_FALSE(r.get(t, "").has_value());
}

TEST_F(Txn, PutInAReadTxnThrowsEaccess) {
  emdb::txn r = env.begin_read();
  EXPECT_TRUE(r.is_readonly());
  EXPECT_EQ(code_of([&] { r.put(t, "k", "v"); }), EMDB_EACCESS);
  EXPECT_EQ(code_of([&] { (void)r.erase(t, "k"); }), EMDB_EACCESS);
  EXPECT_EQ(code_of([&] { (void)r.insert(t, "k", "v"); }), EMDB_EACCESS);
  // the read txn still works
  EXPECT_FALSE(r.get(t, "k").has_value());
}

TEST_F(Txn, PutOverwritesAndInsertDoesNot) {
  emdb::txn w = env.begin_write();
  w.put(t, "k", "one");
  w.put(t, "k", "two");
  EXPECT_EQ(str(w.get(t, "k")), "two");
  EXPECT_TRUE(w.insert(t, "new", "1"));
  EXPECT_FALSE(w.insert(t, "k", "three"));
  EXPECT_EQ(str(w.get(t, "k")), "two");
  EXPECT_EQ(code_of([&] { w.put(t, "k", "x", EMDB_NOOVERWRITE); }), EMDB_KEYEXIST);
  // KEYEXIST does not poison the transaction
  w.commit();
  EXPECT_EQ(committed("k"), "two");
  EXPECT_EQ(committed("new"), "1");
}

TEST_F(Txn, InsertWithNoDupDataOnADupsortTable) {
  emdb::txn w = env.begin_write();
  EXPECT_TRUE(w.insert(dups, "k", "a", EMDB_NODUPDATA));
  EXPECT_TRUE(w.insert(dups, "k", "b", EMDB_NODUPDATA));
  EXPECT_FALSE(w.insert(dups, "k", "a", EMDB_NODUPDATA));
  EXPECT_EQ(w.stat(dups).ms_entries, 2u);
}

TEST_F(Txn, EraseReportsWhetherSomethingWasDeleted) {
  emdb::txn w = env.begin_write();
  w.put(t, "k", "v");
  EXPECT_TRUE(w.erase(t, "k"));
  EXPECT_FALSE(w.erase(t, "k"));
  EXPECT_FALSE(w.get(t, "k").has_value());
  w.put(dups, "k", "a");
  w.put(dups, "k", "b");
  EXPECT_TRUE(w.erase(dups, "k", "a"));
  EXPECT_FALSE(w.erase(dups, "k", "a"));
  EXPECT_EQ(str(w.get(dups, "k")), "b");
  w.put(dups, "k", "c");
  EXPECT_TRUE(w.erase(dups, "k"));  // every value
  EXPECT_FALSE(w.get(dups, "k").has_value());
}

TEST_F(Txn, SlicesFromStringSpanArrayAndValues) {
  emdb::txn w = env.begin_write();
  const std::string skey = "string-key";
  const std::array<std::byte, 4> akey{std::byte{0}, std::byte{1}, std::byte{2}, std::byte{3}};
  const std::vector<std::byte> vvalue(100, std::byte{0x5a});
  const std::span<const std::byte> svalue(vvalue);
  const std::uint64_t nkey = 42;
  const double nvalue = 2.5;
  w.put(t, skey, std::string("string-value"));
  w.put(t, akey, svalue);
  w.put(t, emdb::slice(nkey), emdb::slice(nvalue));
  w.commit();

  emdb::txn r = env.begin_read();
  EXPECT_EQ(str(r.get(t, "string-key")), "string-value");
  const auto bytes = r.get(t, akey);
  ASSERT_TRUE(bytes);
  ASSERT_EQ(bytes->size(), 100u);
  EXPECT_EQ(std::memcmp(bytes->data(), vvalue.data(), 100), 0);
  const std::span<const std::byte> as_span = *bytes;
  EXPECT_EQ(as_span.size(), 100u);
  EXPECT_EQ(r.get(t, emdb::slice(nkey)).value_or(emdb::slice()).as<double>(), 2.5);
}

TEST_F(Txn, ViewsAreValidUntilTheTxnEnds) {
  {
    emdb::txn w = env.begin_write();
    w.put(t, "k", std::string(3000, 'x'));  // large enough to live on its own pages
    w.commit();
  }
  emdb::txn r = env.begin_read();
  const emdb::slice v = r.get(t, "k").value();
  // a commit by another writer does not disturb the reader's snapshot or its views
  emdb_test::in_other_thread([&] {
    emdb::txn w = env.begin_write();
    w.put(t, "k", std::string(3000, 'y'));
    w.erase(t, "k");
    w.commit();
  });
  EXPECT_EQ(v, std::string(3000, 'x'));
  EXPECT_EQ(str(r.get(t, "k")), std::string(3000, 'x'));
}

TEST_F(Txn, PutReserveFillsInPlace) {
  emdb::txn w = env.begin_write();
  const std::span<std::byte> room = w.put_reserve(t, "reserved", 5);
  ASSERT_EQ(room.size(), 5u);
  std::memcpy(room.data(), "hello", 5);
  w.commit();
  EXPECT_EQ(committed("reserved"), "hello");
}

TEST_F(Txn, LowerBoundFindsTheFirstKeyNotLess) {
  emdb::txn w = env.begin_write();
  w.put(t, "b", "2");
  w.put(t, "d", "4");
  const auto exact = w.lower_bound(t, "b");
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->key, "b");
  EXPECT_EQ(exact->value, "2");
  const auto next = w.lower_bound(t, "c");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->key, "d");
  const auto first = w.lower_bound(t, "");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->key, "b");
  EXPECT_FALSE(w.lower_bound(t, "e").has_value());
}

TEST_F(Txn, IdFlagsAndInfo) {
  emdb::txn w = env.begin_write();
  EXPECT_FALSE(w.is_readonly());
  const std::uint64_t write_id = w.id();
  EXPECT_GT(write_id, 0u);
  EXPECT_EQ(w.env_handle(), env.handle());
  w.put(t, "k", "v");
  EXPECT_NE(w.flags() & EMDB_TXN_DIRTY, 0);
  EXPECT_EQ(w.info().txn_id, write_id);
  w.commit();
  emdb::txn r = env.begin_read();
  EXPECT_TRUE(r.is_readonly());
  EXPECT_EQ(r.id(), write_id);  // the reader sees the snapshot that commit made
  EXPECT_EQ(r.info().txn_reader_lag, 0u);
  const emdb::txn none;
  EXPECT_EQ(none.id(), 0u);
  EXPECT_FALSE(none.is_readonly());
}

TEST_F(Txn, ResetAndRenewTakeAFreshSnapshot) {
  emdb::txn r = env.begin_read();
  EXPECT_FALSE(r.get(t, "k").has_value());
  emdb_test::in_other_thread([&] {
    emdb::txn w = env.begin_write();
    w.put(t, "k", "v");
    w.commit();
  });
  EXPECT_FALSE(r.get(t, "k").has_value());  // still the old snapshot
  r.reset();
  r.renew();
  EXPECT_EQ(str(r.get(t, "k")), "v");
}

TEST_F(Txn, SequenceCountsPersistently) {
  emdb::txn w = env.begin_write();
  EXPECT_EQ(w.sequence(t), 0u);
  EXPECT_EQ(w.sequence(t, 5), 0u);
  EXPECT_EQ(w.sequence(t, 1), 5u);
  EXPECT_EQ(w.sequence(t), 6u);
  w.commit();
  emdb::txn r = env.begin_read();
  EXPECT_EQ(r.sequence(t), 6u);
  EXPECT_NE(code_of([&] { (void)r.sequence(t, 1); }), 0);
}

TEST_F(Txn, CanaryRoundTrip) {
  emdb::txn w = env.begin_write();
  w.put_canary(EMDB_canary{1, 2, 3, 0});
  const std::uint64_t id = w.id();
  w.commit();
  emdb::txn r = env.begin_read();
  const EMDB_canary c = r.canary();
  EXPECT_EQ(c.x, 1u);
  EXPECT_EQ(c.y, 2u);
  EXPECT_EQ(c.z, 3u);
  EXPECT_EQ(c.v, id);
}

TEST_F(Txn, ReleaseAndAdopt) {
  emdb::txn w = env.begin_write();
  w.put(t, "k", "v");
  EMDB_txn *raw = w.release();
  EXPECT_FALSE(w);
  emdb::txn adopted(raw);
  adopted.commit();
  EXPECT_EQ(committed("k"), "v");
}

/* Nested transactions ------------------------------------------------------------------ */

TEST_F(Txn, NestedCommitMergesIntoTheParent) {
  emdb::txn parent = env.begin_write();
  parent.put(t, "parent", "1");
  {
    emdb::txn child = parent.begin_nested();
    EXPECT_EQ(str(child.get(t, "parent")), "1");  // the child sees the parent's changes
    child.put(t, "child", "2");
    child.commit();
  }
  EXPECT_EQ(str(parent.get(t, "child")), "2");
  parent.commit();
  EXPECT_EQ(committed("parent"), "1");
  EXPECT_EQ(committed("child"), "2");
}

TEST_F(Txn, NestedAbortAndDestructorDiscardOnlyTheChild) {
  emdb::txn parent = env.begin_write();
  parent.put(t, "parent", "1");
  {
    emdb::txn child = parent.begin_nested();
    child.put(t, "aborted", "x");
    child.abort();
  }
  {
    emdb::txn child = parent.begin_nested();
    child.put(t, "dropped", "x");
    child.erase(t, "parent");
  }  // destructor aborts the child
  EXPECT_FALSE(parent.get(t, "aborted").has_value());
  EXPECT_FALSE(parent.get(t, "dropped").has_value());
  EXPECT_EQ(str(parent.get(t, "parent")), "1");
  parent.commit();
  EXPECT_EQ(committed("parent"), "1");
  EXPECT_EQ(committed("aborted"), "<none>");
}

TEST_F(Txn, EndingTheParentEmptiesTheChildHandle) {
  emdb::txn parent = env.begin_write();
  emdb::txn child = parent.begin_nested();
  child.put(t, "k", "v");
  emdb::txn moved_child = std::move(child);  // the link follows the move
  parent.abort();
  EXPECT_FALSE(moved_child);  // the engine ended it with its parent; its destructor is a no-op
  EXPECT_EQ(committed("k"), "<none>");
}

TEST_F(Txn, MovingTheParentKeepsTheLink) {
  emdb::txn parent = env.begin_write();
  emdb::txn child = parent.begin_nested();
  child.put(t, "k", "v");
  emdb::txn moved_parent = std::move(parent);
  moved_parent.abort();
  EXPECT_FALSE(child);
  EXPECT_EQ(committed("k"), "<none>");
}

TEST_F(Txn, NestedInAReadTxnIsRefused) {
  emdb::txn r = env.begin_read();
  EXPECT_NE(code_of([&] { (void)r.begin_nested(); }), 0);
  EXPECT_TRUE(r);
}

}  // namespace
