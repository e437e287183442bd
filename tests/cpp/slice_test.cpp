// emdb::slice and emdb::error: conversions, comparisons, copies out. No database needed.
#include <array>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cpp_test_util.hpp"

namespace {

struct point {
  std::int32_t x;
  std::int32_t y;
};

// What converts implicitly, what only explicitly, what not at all.
static_assert(std::is_convertible_v<std::string, emdb::slice>);
static_assert(std::is_convertible_v<std::string_view, emdb::slice>);
static_assert(std::is_convertible_v<const char *, emdb::slice>);
static_assert(std::is_convertible_v<std::span<const std::byte>, emdb::slice>);
static_assert(std::is_convertible_v<std::span<std::byte>, emdb::slice>);
static_assert(std::is_convertible_v<std::array<std::byte, 4>, emdb::slice>);
static_assert(std::is_convertible_v<std::array<char, 4>, emdb::slice>);
static_assert(std::is_convertible_v<std::vector<std::uint8_t>, emdb::slice>);
static_assert(std::is_convertible_v<EMDB_val, emdb::slice>);
static_assert(!std::is_convertible_v<int, emdb::slice>);
static_assert(std::is_constructible_v<emdb::slice, int>);
static_assert(std::is_constructible_v<emdb::slice, point>);
static_assert(!std::is_constructible_v<emdb::slice, int *>);
static_assert(!std::is_constructible_v<emdb::slice, std::vector<int>>);
static_assert(std::is_convertible_v<emdb::slice, std::string_view>);
static_assert(std::is_convertible_v<emdb::slice, std::span<const std::byte>>);
static_assert(std::is_trivially_copyable_v<emdb::slice>);
static_assert(std::ranges::contiguous_range<emdb::slice>);

TEST(Slice, DefaultIsEmpty) {
  const emdb::slice s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.view(), "");
  EXPECT_EQ(s, "");
}

TEST(Slice, FromStringViewsTheSameBytes) {
  const std::string str = "hello";
  const emdb::slice s = str;
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(static_cast<const void *>(s.data()), static_cast<const void *>(str.data()));
  EXPECT_EQ(s.view(), "hello");
  EXPECT_EQ(s.to_string(), "hello");
}

TEST(Slice, FromCStringDropsTheTerminator) {
  const emdb::slice s = "abc";
  EXPECT_EQ(s.size(), 3u);
  const char *null_str = nullptr;
  EXPECT_TRUE(emdb::slice(null_str).empty());
}

TEST(Slice, FromSpanArrayAndVector) {
  const std::array<std::byte, 3> arr{std::byte{1}, std::byte{2}, std::byte{3}};
  const emdb::slice from_array = arr;
  EXPECT_EQ(from_array.size(), 3u);
  EXPECT_EQ(from_array[2], std::byte{3});

  const std::span<const std::byte> sp(arr);
  const emdb::slice from_span = sp;
  EXPECT_EQ(from_span.data(), arr.data());
  EXPECT_EQ(from_span, from_array);

  const std::vector<std::uint8_t> vec{1, 2, 3};
  const emdb::slice from_vector = vec;
  EXPECT_EQ(from_vector, from_array);

  const std::array<char, 2> chars{'h', 'i'};
  EXPECT_EQ(emdb::slice(chars), "hi");
}

TEST(Slice, ToStringViewAndSpan) {
  const std::string str = "xyz";
  const emdb::slice s = str;
  const std::string_view sv = s;
  EXPECT_EQ(sv, "xyz");
  const std::span<const std::byte> sp = s;
  EXPECT_EQ(sp.size(), 3u);
  EXPECT_EQ(sp.data(), s.data());
  EXPECT_EQ(s.bytes().size(), 3u);
  std::string copied;
  for (std::byte b : s) copied.push_back(static_cast<char>(b));
  EXPECT_EQ(copied, "xyz");
}

TEST(Slice, ExplicitFromTriviallyCopyableValueAndBack) {
  const std::uint64_t n = 0x0102030405060708ull;
  const emdb::slice s(n);
  EXPECT_EQ(s.size(), sizeof n);
  EXPECT_EQ(s.as<std::uint64_t>(), n);

  const point p{-3, 7};
  const auto back = emdb::slice(p).as<point>();
  EXPECT_EQ(back.x, -3);
  EXPECT_EQ(back.y, 7);
}

TEST(Slice, AsWithTheWrongSizeThrowsBadValsize) {
  const emdb::slice s = "abc";
  EXPECT_EQ(emdb_test::code_of([&] { (void)s.as<std::uint32_t>(); }), EMDB_BAD_VALSIZE);
}

TEST(Slice, EqualityAgainstEveryStringType) {
  const std::string str = "key";
  const emdb::slice s = str;
  EXPECT_TRUE(s == "key");
  EXPECT_TRUE("key" == s);
  EXPECT_TRUE(s == std::string_view("key"));
  EXPECT_TRUE(std::string_view("key") == s);
  EXPECT_TRUE(s == std::string("key"));
  EXPECT_TRUE(s == emdb::slice("key"));
  EXPECT_TRUE(s != "kez");
  EXPECT_TRUE(s != "ke");
  EXPECT_FALSE(s == "keys");
}

TEST(Slice, CompareIsBytewiseLexicographic) {
  EXPECT_LT(emdb::slice("a").compare("b"), 0);
  EXPECT_GT(emdb::slice("b").compare("a"), 0);
  EXPECT_LT(emdb::slice("ab").compare("abc"), 0);
  EXPECT_GT(emdb::slice("abc").compare("ab"), 0);
  EXPECT_EQ(emdb::slice("abc").compare("abc"), 0);
  EXPECT_EQ(emdb::slice().compare(""), 0);
  // bytes compare unsigned: 0xff sorts after 0x01
  const std::array<std::uint8_t, 1> hi{0xff}, lo{0x01};
  EXPECT_GT(emdb::slice(hi).compare(lo), 0);
  EXPECT_TRUE(emdb::slice("prefix-rest").starts_with("prefix"));
  EXPECT_FALSE(emdb::slice("pre").starts_with("prefix"));
}

TEST(Slice, ValRoundTrip) {
  const std::string str = "round";
  const EMDB_val v = emdb::slice(str).val();
  EXPECT_EQ(v.iov_base, static_cast<const void *>(str.data()));
  EXPECT_EQ(v.iov_len, 5u);
  EXPECT_EQ(emdb::slice(v), "round");
}

TEST(Slice, PrintsItsBytes) {
  std::ostringstream os;
  os << emdb::slice("shown");
  EXPECT_EQ(os.str(), "shown");
}

TEST(Error, CarriesCodeAndText) {
  const emdb::error e(EMDB_NOTFOUND, "emdb_get");
  EXPECT_EQ(e.code(), EMDB_NOTFOUND);
  const std::string what = e.what();
  EXPECT_EQ(what.rfind("emdb_get: ", 0), 0u) << what;
  EXPECT_GT(what.size(), std::string("emdb_get: ").size());
  const std::runtime_error &base = e;  // an emdb::error is a std::runtime_error
  EXPECT_STREQ(base.what(), e.what());
  EXPECT_EQ(emdb::error(EMDB_EINVAL).code(), EMDB_EINVAL);
  EXPECT_NO_THROW(emdb::error::check(EMDB_SUCCESS, "nothing"));
  EXPECT_EQ(emdb_test::code_of([] { emdb::error::check(EMDB_MAP_FULL, "x"); }), EMDB_MAP_FULL);
}

TEST(Version, MatchesTheHeader) {
  const std::string expected = std::to_string(EMDB_VERSION_MAJOR) + "." +
                               std::to_string(EMDB_VERSION_MINOR) + "." +
                               std::to_string(EMDB_VERSION_PATCH);
  EXPECT_EQ(emdb::version(), expected);
}

}  // namespace
