// Randomized: the C++ API against a std::map / std::set model, through commits and aborts.
// Prints its seed; set EMDB_TEST_SEED to replay one.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cpp_test_util.hpp"

namespace {

std::uint64_t test_seed() {
  if (const char *s = std::getenv("EMDB_TEST_SEED"); s != nullptr && *s != '\0')
    return std::strtoull(s, nullptr, 0);
  return std::random_device{}();
}

std::string random_key(std::mt19937_64 &rng) {
  // short keys from a small alphabet, so that updates, prefixes and misses are frequent
  std::uniform_int_distribution<int> len(0, 6), ch('a', 'e');
  std::string k(static_cast<std::size_t>(len(rng)), 'a');
  for (char &c : k) c = static_cast<char>(ch(rng));
  return k;
}

TEST(CppModel, RandomOpsMatchAStdMap) {
  const std::uint64_t seed = test_seed();
  std::cout << "seed=" << seed << " (replay with EMDB_TEST_SEED=" << seed << ")\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);

  emdb_test::temp_dir dir;
  emdb::env env = emdb::env::open(dir.sub("db"));
  emdb::table t, d;
  {
    emdb::txn w = env.begin_write();
    t = w.create_table("map");
    d = w.create_table("multi", EMDB_DUPSORT);
    w.commit();
  }
  std::map<std::string, std::string> model;
  std::set<std::pair<std::string, std::string>> dup_model;

  for (int round = 0; round < 60; ++round) {
    auto next_model = model;
    auto next_dup_model = dup_model;
    emdb::txn w = env.begin_write();
    std::uniform_int_distribution<int> op_count(1, 60), op_kind(0, 9);
    for (int i = op_count(rng); i > 0; --i) {
      const std::string k = random_key(rng);
      const std::string v = "v" + std::to_string(rng() % 1000);
      switch (op_kind(rng)) {
        case 0:
        case 1:
        case 2:
          w.put(t, k, v);
          next_model[k] = v;
          break;
        case 3: {
          const bool inserted = w.insert(t, k, v);
          EXPECT_EQ(inserted, next_model.emplace(k, v).second) << "seed " << seed;
          break;
        }
        case 4:
          EXPECT_EQ(w.erase(t, k), next_model.erase(k) == 1) << "seed " << seed;
          break;
        case 5:
        case 6:
          if (!k.empty()) {
            w.put(d, k, v);
            next_dup_model.emplace(k, v);
          }
          break;
        case 7:
          if (!k.empty()) {
            const bool erased = w.erase(d, k, v);
            EXPECT_EQ(erased, next_dup_model.erase({k, v}) == 1) << "seed " << seed;
          }
          break;
        default: {
          const auto got = w.get(t, k);
          const auto it = next_model.find(k);
          ASSERT_EQ(got.has_value(), it != next_model.end()) << "seed " << seed << " key " << k;
          if (got) {
            EXPECT_EQ(*got, it->second) << "seed " << seed;
          }
          break;
        }
      }
    }
    if (rng() % 4 == 0) {
      w.abort();  // the model keeps its old state
    } else {
      w.commit();
      model = std::move(next_model);
      dup_model = std::move(next_dup_model);
    }

    // full scans and a range scan against the models
    emdb::txn r = env.begin_read();
    std::vector<std::pair<std::string, std::string>> got, want(model.begin(), model.end());
    for (auto [k, v] : r.scan(t)) got.emplace_back(k.to_string(), v.to_string());
    ASSERT_EQ(got, want) << "seed " << seed << " round " << round;
    EXPECT_EQ(r.stat(t).ms_entries, model.size());

    std::vector<std::pair<std::string, std::string>> dgot,
        dwant(dup_model.begin(), dup_model.end());
    for (auto [k, v] : r.scan(d)) dgot.emplace_back(k.to_string(), v.to_string());
    ASSERT_EQ(dgot, dwant) << "seed " << seed << " round " << round;

    const std::string from = random_key(rng);
    std::vector<std::pair<std::string, std::string>> tail,
        want_tail(model.lower_bound(from), model.end());
    for (auto [k, v] : r.scan_from(t, from)) tail.emplace_back(k.to_string(), v.to_string());
    EXPECT_EQ(tail, want_tail) << "seed " << seed << " from '" << from << "'";

    if (!from.empty()) {
      std::vector<std::string> values, want_values;
      for (auto it = dup_model.lower_bound({from, ""}); it != dup_model.end() && it->first == from;
           ++it)
        want_values.push_back(it->second);
      for (auto [k, v] : r.values(d, from)) values.push_back(v.to_string());
      EXPECT_EQ(values, want_values) << "seed " << seed << " key '" << from << "'";
    }
  }
}

}  // namespace
