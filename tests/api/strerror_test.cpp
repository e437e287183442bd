// strerror_test.cpp — every EMDB_* code has its own non-empty text from emdb_strerror,
// emdb_strerror_r and emdb_liberr2str; errno values get the system's text.
#include <set>
#include <thread>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

const int kLibCodes[] = {
    EMDB_KEYEXIST,
    EMDB_NOTFOUND,
    EMDB_PAGE_NOTFOUND,
    EMDB_CORRUPTED,
    EMDB_PANIC,
    EMDB_VERSION_MISMATCH,
    EMDB_INVALID,
    EMDB_MAP_FULL,
    EMDB_DBS_FULL,
    EMDB_READERS_FULL,
    EMDB_TXN_FULL,
    EMDB_CURSOR_FULL,
    EMDB_PAGE_FULL,
    EMDB_UNABLE_EXTEND_MAPSIZE,
    EMDB_INCOMPATIBLE,
    EMDB_BAD_RSLOT,
    EMDB_BAD_TXN,
    EMDB_BAD_VALSIZE,
    EMDB_BAD_DBI,
    EMDB_PROBLEM,
    EMDB_BUSY,
    EMDB_EMULTIVAL,
    EMDB_EBADSIGN,
    EMDB_WANNA_RECOVERY,
    EMDB_EKEYMISMATCH,
    EMDB_TOO_LARGE,
    EMDB_THREAD_MISMATCH,
    EMDB_TXN_OVERLAPPING,
    EMDB_BACKLOG_DEPLETED,
    EMDB_DUPLICATED_CLK,
    EMDB_DANGLING_DBI,
    EMDB_OUSTED,
    EMDB_MVCC_RETARDED,
};

const int kErrnoCodes[] = {EMDB_ENODATA, EMDB_EINVAL,  EMDB_EACCESS, EMDB_ENOMEM,
                           EMDB_EROFS,   EMDB_ENOSYS,  EMDB_EIO,     EMDB_EPERM,
                           EMDB_EINTR,   EMDB_ENOFILE, EMDB_EREMOTE, EMDB_EDEADLK};

TEST(Strerror, EveryLibraryCodeHasDistinctText) {
  std::set<std::string> texts, lib_texts;
  for (int code : kLibCodes) {
    SCOPED_TRACE(rc_name(code));
    const char* s = emdb_strerror(code);
    ASSERT_NE(nullptr, s);
    const std::string text(s);
    EXPECT_FALSE(text.empty());
    EXPECT_TRUE(texts.insert(text).second) << "duplicate text: " << text;

    char buf[256];
    std::memset(buf, 'X', sizeof buf);
    const char* r = emdb_strerror_r(code, buf, sizeof buf);
    ASSERT_NE(nullptr, r);
    EXPECT_EQ(text, std::string(r));

    const char* l = emdb_liberr2str(code);
    ASSERT_NE(nullptr, l);
    EXPECT_FALSE(std::string(l).empty());
    EXPECT_TRUE(lib_texts.insert(l).second) << "duplicate liberr2str text: " << l;
  }
  // SUCCESS and RESULT_TRUE have texts of their own too.
  const std::string ok(emdb_strerror(EMDB_SUCCESS));
  EXPECT_FALSE(ok.empty());
  EXPECT_EQ(0u, texts.count(ok));
  const char* t = emdb_strerror(EMDB_RESULT_TRUE);
  ASSERT_NE(nullptr, t);
  EXPECT_FALSE(std::string(t).empty());
  EXPECT_NE(ok, std::string(t));
}

TEST(Strerror, ErrnoValuesUseSystemText) {
  std::set<std::string> texts;
  for (int code : kErrnoCodes) {
    SCOPED_TRACE(rc_name(code));
    const char* s = emdb_strerror(code);
    ASSERT_NE(nullptr, s);
    const std::string text(s);
    EXPECT_FALSE(text.empty());
    EXPECT_TRUE(texts.insert(text).second) << "duplicate text: " << text;
    EXPECT_EQ(std::string(std::strerror(code)), text);
    char buf[256];
    const char* r = emdb_strerror_r(code, buf, sizeof buf);
    ASSERT_NE(nullptr, r);
    EXPECT_EQ(text, std::string(r));
    // liberr2str knows only the library's own codes.
    EXPECT_EQ(nullptr, emdb_liberr2str(code));
  }
}

TEST(Strerror, UnknownCodesStillGetText) {
  for (int code : {-30000, -1000, -30789, 12345}) {
    const char* s = emdb_strerror(code);
    ASSERT_NE(nullptr, s) << code;
    EXPECT_FALSE(std::string(s).empty()) << code;
    char buf[64];
    const char* r = emdb_strerror_r(code, buf, sizeof buf);
    ASSERT_NE(nullptr, r) << code;
    EXPECT_FALSE(std::string(r).empty()) << code;
  }
}

TEST(Strerror, SmallBufferIsNotOverrun) {
  char buf[16];
  for (int code : {int(EMDB_EINVAL), int(EMDB_EIO), int(EMDB_KEYEXIST)}) {
    std::memset(buf, 'Z', sizeof buf);
    const char* r = emdb_strerror_r(code, buf, 8);
    ASSERT_NE(nullptr, r);
    for (size_t i = 8; i < sizeof buf; ++i) EXPECT_EQ('Z', buf[i]) << code;
    if (r == buf) {
      EXPECT_LT(std::strlen(buf), 8u) << code;
    }
  }
}

TEST(Strerror, StrerrorRIsThreadSafe) {
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      char buf[256];
      for (int i = 0; i < 2000; ++i) {
        const int code = (i + t) % 2 ? EMDB_EIO : EMDB_NOTFOUND;
        const char* r = emdb_strerror_r(code, buf, sizeof buf);
        if (!r || std::string(r) != std::string(emdb_strerror_r(code, buf, sizeof buf))) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, bad.load());
}

}  // namespace
}  // namespace emdb_test
