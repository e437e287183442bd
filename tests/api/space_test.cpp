// space_test.cpp — freed pages are reused: writing and deleting the same 100 MB for many rounds
// must not grow the data file beyond twice its size after the first round, in every sync mode
// (durable; SAFE_NOSYNC, which must sync rather than grow; UTTERLY_NOSYNC, which keeps no steady
// point at all).
//
// EMDB_SPACE_ROUNDS sets the number of rounds (default 50; sanitizer builds may use fewer).
#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class Space : public EnvTest {};
class SpaceMode : public EnvTest, public ::testing::WithParamInterface<unsigned> {};

long long data_file_size(const std::string& dir) { return file_size(dir + "/emdb.dat"); }

TEST_P(SpaceMode, RewritingTheSameDataDoesNotGrowTheFile) {
  const uint64_t rounds = env_u64("EMDB_SPACE_ROUNDS", 50);
  constexpr int kValues = 1000;
  constexpr size_t kValueSize = 100 * 1024;  // 1000 x 100 KiB = ~100 MB per round
  EnvOptions o;
  o.flags = GetParam();
  o.size_upper = intptr_t(8) << 30;
  open(o);
  const EMDB_dbi dbi = table("space");
  std::vector<std::string> values;
  for (int i = 0; i < 8; ++i) values.push_back(value_n(i, kValueSize));

  long long baseline = -1, largest = 0;
  for (uint64_t round = 0; round < rounds; ++round) {
    {
      Txn t = write_txn();
      for (int i = 0; i < kValues; ++i) {
        const std::string& v = values[(size_t(i) + round) % values.size()];
        ASSERT_OK(put(t, dbi, key_n(i), v)) << "round " << round << " value " << i;
      }
      ASSERT_OK(t.commit()) << "round " << round;
    }
    const long long size_full = data_file_size(db_path());
    ASSERT_GT(size_full, 0);
    if (baseline < 0) {
      baseline = size_full;
      std::fprintf(stderr, "space: data file after round 1: %lld bytes\n", baseline);
      ASSERT_GE(baseline, static_cast<long long>(kValues) * static_cast<long long>(kValueSize));
    }
    largest = std::max(largest, size_full);
    ASSERT_LE(size_full, 2 * baseline) << "round " << round << ": the file grew to " << size_full
                                       << " bytes, baseline " << baseline;
    // Spot-check the content of this round.
    {
      Txn r = read_txn();
      for (int i : {0, kValues / 2, kValues - 1}) {
        std::string v;
        ASSERT_OK(get(r, dbi, key_n(i), &v));
        ASSERT_TRUE(v == values[(size_t(i) + round) % values.size()]) << "round " << round;
      }
    }
    {
      Txn t = write_txn();
      for (int i = 0; i < kValues; ++i) ASSERT_OK(del(t, dbi, key_n(i)));
      ASSERT_OK(t.commit());
    }
    const long long size_empty = data_file_size(db_path());
    ASSERT_LE(size_empty, 2 * baseline) << "round " << round;
    largest = std::max(largest, size_empty);
  }
  std::fprintf(stderr, "space: %llu rounds, baseline %lld bytes, largest %lld bytes\n",
               static_cast<unsigned long long>(rounds), baseline, largest);
  EMDB_stat st;
  Txn r = read_txn();
  ASSERT_OK(emdb_dbi_stat(r, dbi, &st, sizeof st));
  EXPECT_EQ(0u, st.ms_entries);
}

INSTANTIATE_TEST_SUITE_P(SyncModes, SpaceMode,
                         ::testing::Values(unsigned(EMDB_SYNC_DURABLE), unsigned(EMDB_SAFE_NOSYNC),
                                           unsigned(EMDB_UTTERLY_NOSYNC)),
                         [](const auto& info) {
                           switch (info.param) {
                             case EMDB_SAFE_NOSYNC:
                               return std::string("SafeNoSync");
                             case EMDB_UTTERLY_NOSYNC:
                               return std::string("UtterlyNoSync");
                             default:
                               return std::string("Durable");
                           }
                         });

// The same with a long-lived reader released half-way: the space it pinned is reused after.
TEST_F(Space, SpacePinnedByAReaderIsReusedAfterItEnds) {
  constexpr int kValues = 200;
  constexpr size_t kValueSize = 64 * 1024;
  EnvOptions o;
  o.flags = EMDB_NOSTICKYTHREADS;
  o.size_upper = intptr_t(4) << 30;
  open(o);
  const EMDB_dbi dbi = table("space");
  const std::string value = value_n(1, kValueSize);
  auto fill = [&](int round) {
    Txn t = write_txn();
    for (int i = 0; i < kValues; ++i) ASSERT_OK(put(t, dbi, key_n(i), value)) << round;
    ASSERT_OK(t.commit());
  };
  auto clear = [&] {
    Txn t = write_txn();
    for (int i = 0; i < kValues; ++i) ASSERT_OK(del(t, dbi, key_n(i)));
    ASSERT_OK(t.commit());
  };
  fill(0);
  const long long baseline = data_file_size(db_path());
  Txn reader = read_txn();  // pins round 0
  clear();
  for (int round = 1; round < 4; ++round) {
    fill(round);
    clear();
  }
  // The reader still sees round 0.
  std::string v;
  ASSERT_OK(get(reader, dbi, key_n(7), &v));
  EXPECT_TRUE(v == value);
  reader.abort();
  const long long with_reader = data_file_size(db_path());
  for (int round = 4; round < 20; ++round) {
    fill(round);
    clear();
    ASSERT_LE(data_file_size(db_path()), std::max(with_reader, 2 * baseline)) << round;
  }
}

}  // namespace
}  // namespace emdb_test
