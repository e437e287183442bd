// workloads.cpp — the engine-independent part of workloads.hpp.
#include "workloads.hpp"

namespace emdb_bench {

Dataset make_dataset(const Settings &s, uint64_t n) {
  Dataset ds;
  ds.n = n;
  ds.fill_order = permutation(n, s.seed + 1);
  ds.read_order = permutation(n, s.seed + 2);
  ds.rec_hash.resize(n);
  std::vector<uint8_t> k(s.key_size), v(s.value_size);
  for (uint64_t i = 0; i < n; ++i) {
    make_key(i, 0, k.data(), k.size());
    make_value(i, 0, s.seed, v.data(), v.size());
    ds.rec_hash[i] = record_hash(Slice{k.data(), k.size()}, Slice{v.data(), v.size()});
    ds.total_hash += ds.rec_hash[i];
  }
  return ds;
}

}  // namespace emdb_bench
