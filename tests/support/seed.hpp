// seed.hpp — seeds for randomized tests, so that every failure can be replayed.
//
// test_seed() returns EMDB_TEST_SEED when it is set (decimal or 0x-hex), otherwise a random
// value, and prints "seed=N" to stderr the first time it is called in a process. Re-run a
// failing test with EMDB_TEST_SEED=N (or --seed N for the stand-alone programs) to replay it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace emdb_test {

// The process-wide base seed (see above). Thread-safe.
uint64_t test_seed();

// A seed derived from the base seed and a name (e.g. the test's name), so each test gets its own
// stream and one EMDB_TEST_SEED replays all of them. Prints "seed=N (name)" once per call.
uint64_t test_seed_for(const std::string& name);

// Parses "--seed N" or "--seed=N" from argv; nullopt if absent. Exits with a message when the
// value is malformed.
std::optional<uint64_t> seed_from_args(int argc, char** argv);

// Parses a decimal or 0x-hex unsigned number; nullopt if malformed.
std::optional<uint64_t> parse_u64(const std::string& text);

// Reads an unsigned number from the environment variable `name`, or returns `fallback`.
uint64_t env_u64(const char* name, uint64_t fallback);

}  // namespace emdb_test
