// The trusted runtime's qsort, strtod, string and calendar functions
// (stdlib.c), built here under other names (NSGX_LIBC_TEST_NAMES) beside
// glibc's, which are the reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

extern "C" {
void nsgx_libc_qsort(void* base, size_t n, size_t size, int (*cmp)(const void*, const void*));
double nsgx_libc_strtod(const char* s, char** end);
size_t nsgx_libc_strcspn(const char* s, const char* reject);
size_t nsgx_libc_strspn(const char* s, const char* accept);
char* nsgx_libc_strchrnul(const char* s, int c);
struct tm* nsgx_libc_gmtime_r(const time_t* t, struct tm* out);
struct tm* nsgx_libc_localtime_r(const time_t* t, struct tm* out);
}

namespace {

int cmp_int(const void* a, const void* b) {
  const int x = *static_cast<const int*>(a), y = *static_cast<const int*>(b);
  return (x > y) - (x < y);
}

struct Rec {  // an odd size, so that swaps are byte-wise
  std::uint32_t key;
  char tag[9];
};
int cmp_rec(const void* a, const void* b) {
  const auto x = static_cast<const Rec*>(a)->key, y = static_cast<const Rec*>(b)->key;
  return (x > y) - (x < y);
}

TEST(TrtsStdlib, QsortSortsAPermutation) {
  std::mt19937 rng(1);
  for (std::size_t n : {0u, 1u, 2u, 3u, 17u, 1000u, 4097u}) {
    std::vector<int> v(n);
    for (auto& x : v) x = static_cast<int>(rng() % 100) - 50;  // many duplicates
    std::vector<int> want = v;
    std::sort(want.begin(), want.end());
    nsgx_libc_qsort(v.data(), v.size(), sizeof(int), cmp_int);
    EXPECT_EQ(v, want) << n;
  }
  std::vector<Rec> r(500);
  for (std::size_t i = 0; i < r.size(); ++i) {
    r[i].key = static_cast<std::uint32_t>(rng());
    std::snprintf(r[i].tag, sizeof r[i].tag, "%08x", r[i].key);
  }
  nsgx_libc_qsort(r.data(), r.size(), sizeof(Rec), cmp_rec);
  for (std::size_t i = 0; i < r.size(); ++i) {
    char want[9];
    std::snprintf(want, sizeof want, "%08x", r[i].key);
    EXPECT_STREQ(r[i].tag, want);  // records moved whole
    if (i > 0) {
      EXPECT_LE(r[i - 1].key, r[i].key);
    }
  }
}

TEST(TrtsStdlib, StringFunctionsAsGlibc) {
  const char* strs[] = {"", "abc", "hello, world", "a;b,c", "   x", ";;;"};
  const char* sets[] = {"", ";", ", ", "abc", "xyz ", ";,"};
  for (const char* s : strs)
    for (const char* set : sets) {
      EXPECT_EQ(nsgx_libc_strcspn(s, set), std::strcspn(s, set)) << s << " / " << set;
      EXPECT_EQ(nsgx_libc_strspn(s, set), std::strspn(s, set)) << s << " / " << set;
    }
  const char* s = "path/to/file";
  EXPECT_EQ(nsgx_libc_strchrnul(s, '/'), s + 4);
  EXPECT_EQ(nsgx_libc_strchrnul(s, 'z'), s + std::strlen(s));
  EXPECT_EQ(nsgx_libc_strchrnul(s, '\0'), s + std::strlen(s));
}

std::uint64_t ulps(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : UINT64_MAX;
  if (a == b) return 0;
  if (std::signbit(a) != std::signbit(b)) return UINT64_MAX;
  const auto x = std::bit_cast<std::uint64_t>(std::fabs(a)), y = std::bit_cast<std::uint64_t>(std::fabs(b));
  return x > y ? x - y : y - x;
}

// Parses s both ways: the same end, within 1 ulp, ERANGE on overflow and
// on underflow to zero as glibc.
void same_as_glibc(const std::string& s) {
  char *e1 = nullptr, *e2 = nullptr;
  errno = 0;
  const double ours = nsgx_libc_strtod(s.c_str(), &e1);
  const int err1 = errno;
  errno = 0;
  const double ref = std::strtod(s.c_str(), &e2);
  const int err2 = errno;
  EXPECT_EQ(e1 - s.c_str(), e2 - s.c_str()) << "\"" << s << "\"";
  EXPECT_LE(ulps(ours, ref), 1u) << "\"" << s << "\": " << ours << " vs " << ref;
  if (std::isinf(ref) || (ref == 0 && err2 == ERANGE)) {
    EXPECT_EQ(err1, err2) << "\"" << s << "\"";
  }
}

TEST(TrtsStdlib, StrtodSyntaxAsGlibc) {
  for (const char* s : {"0",
                        "-0",
                        "+1.5",
                        "  \t42abc",
                        "1e10",
                        "1E-10",
                        "1e",
                        "1e+",
                        ".5",
                        "5.",
                        ".",
                        "-",
                        "",
                        "abc",
                        "0x1p3",
                        "0x1.8p-1",
                        "0X.8",
                        "0x",
                        "0xg",
                        "inf",
                        "-Infinity",
                        "INFINITYx",
                        "infin",
                        "nan",
                        "NaN(123abc)",
                        "nan(",
                        "1.5e400",
                        "-1e-400",
                        "4.9406564584124654e-324",
                        "2.2250738585072014e-308",
                        "1.7976931348623157e308",
                        "1e308",
                        "00000.0001",
                        "123456789012345678901234567890",
                        "0.000000000000000000000000000012345678901234567890123",
                        "9007199254740993",
                        "1e-5000",
                        "1e5000",
                        "1e99999999999999999999"})
    same_as_glibc(s);
}

TEST(TrtsStdlib, StrtodWithinOneUlpOfGlibc) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 100000; ++i) {
    // Random doubles printed with 1..25 significant digits, and random
    // digit strings with random exponents (subnormals and overflow too).
    std::string s;
    char buf[64];
    if (i % 2) {
      double d;
      do d = std::bit_cast<double>(rng());
      while (!std::isfinite(d));
      std::snprintf(buf, sizeof buf, "%.*g", 1 + static_cast<int>(rng() % 25), d);
      s = buf;
    } else {
      const int nd = 1 + static_cast<int>(rng() % 30);
      for (int k = 0; k < nd; ++k) s += static_cast<char>('0' + rng() % 10);
      if (rng() % 2) s.insert(rng() % s.size(), ".");
      std::snprintf(buf, sizeof buf, "e%d", static_cast<int>(rng() % 700) - 350);
      s += buf;
    }
    same_as_glibc(s);
    if (HasFailure()) break;
  }
}

TEST(TrtsStdlib, CalendarAsGlibcGmtime) {
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> times = {
      0,           -1, 86399, 86400, 951782400 /* 2000-02-29 */, 4107542400 /* 2100-03-01 */, -2208988800 /* 1900 */,
      253402300799 /* 9999-12-31 */};
  for (int i = 0; i < 20000; ++i)
    times.push_back(static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 40)) - (std::int64_t{1} << 39));
  for (std::int64_t v : times) {
    const time_t t = static_cast<time_t>(v);
    struct tm a {
    }, b{};
    ASSERT_NE(nsgx_libc_gmtime_r(&t, &a), nullptr);
    ASSERT_NE(gmtime_r(&t, &b), nullptr);
    EXPECT_EQ(a.tm_year, b.tm_year) << v;
    EXPECT_EQ(a.tm_mon, b.tm_mon) << v;
    EXPECT_EQ(a.tm_mday, b.tm_mday) << v;
    EXPECT_EQ(a.tm_hour, b.tm_hour) << v;
    EXPECT_EQ(a.tm_min, b.tm_min) << v;
    EXPECT_EQ(a.tm_sec, b.tm_sec) << v;
    EXPECT_EQ(a.tm_wday, b.tm_wday) << v;
    EXPECT_EQ(a.tm_yday, b.tm_yday) << v;
    if (HasFailure()) break;
  }
  const time_t t = 1700000000;
  struct tm l {};
  ASSERT_NE(nsgx_libc_localtime_r(&t, &l), nullptr);  // local time is UTC in an enclave
  EXPECT_EQ(l.tm_hour, 22);
  EXPECT_EQ(l.tm_gmtoff, 0);
  EXPECT_STREQ(l.tm_zone, "UTC");
}

}  // namespace
