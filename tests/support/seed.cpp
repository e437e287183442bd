#include "support/seed.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>

namespace emdb_test {

std::optional<uint64_t> parse_u64(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || end == text.c_str() || *end != '\0' || text[0] == '-') return std::nullopt;
  return static_cast<uint64_t>(v);
}

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  const auto parsed = parse_u64(v);
  if (!parsed) {
    std::fprintf(stderr, "%s=%s is not a number; using %llu\n", name, v,
                 static_cast<unsigned long long>(fallback));
    return fallback;
  }
  return *parsed;
}

uint64_t test_seed() {
  static std::once_flag once;
  static uint64_t seed = 0;
  std::call_once(once, [] {
    const char* v = std::getenv("EMDB_TEST_SEED");
    std::optional<uint64_t> parsed;
    if (v && *v) {
      parsed = parse_u64(v);
      if (!parsed) std::fprintf(stderr, "EMDB_TEST_SEED=%s is not a number; ignored\n", v);
    }
    if (parsed) {
      seed = *parsed;
    } else {
      std::random_device rd;
      seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    }
    std::fprintf(stderr, "seed=%llu\n", static_cast<unsigned long long>(seed));
  });
  return seed;
}

uint64_t test_seed_for(const std::string& name) {
  // FNV-1a of the name mixed into the base seed (splitmix64 finalizer).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  uint64_t z = test_seed() ^ h;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  std::fprintf(stderr, "seed=%llu (%s; replay with EMDB_TEST_SEED=%llu)\n",
               static_cast<unsigned long long>(z), name.c_str(),
               static_cast<unsigned long long>(test_seed()));
  return z;
}

std::optional<uint64_t> seed_from_args(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a(argv[i]);
    std::string value;
    if (a == "--seed") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "--seed needs a value\n");
        std::exit(2);
      }
      value = argv[i + 1];
    } else if (a.rfind("--seed=", 0) == 0) {
      value = a.substr(7);
    } else {
      continue;
    }
    const auto parsed = parse_u64(value);
    if (!parsed) {
      std::fprintf(stderr, "bad --seed value '%s'\n", value.c_str());
      std::exit(2);
    }
    return parsed;
  }
  return std::nullopt;
}

}  // namespace emdb_test
