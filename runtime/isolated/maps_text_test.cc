// MapsTextScanner (maps_text.h): the kernel's /proc/PID/maps text, fed in
// chunks of any size, and hostile text (any regular file the application
// hands over) refused rather than misread.
#include "runtime/isolated/maps_text.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/isolated/procmap_query.h"

namespace nsgx::isolated {
namespace {

using State = MapsTextScanner::State;

const char kMaps[] =
    "55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1312   /usr/bin/cat\n"
    "55d0c0a02000-55d0c0a07000 r-xp 00002000 fe:01 1312   /usr/bin/cat\n"
    "55d0c0a0a000-55d0c0a0b000 rw-p 00009000 fe:01 1312   /usr/bin/cat\n"
    "7f0000000000-7f0000021000 ---p 00000000 00:00 0 \n"
    "7f1000000000-7f1000001000 rw-s 00000000 00:01 77     /memfd:window (deleted)\n"
    "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0      [stack]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]\n";

// Scans `text` for `addr`, feeding it `chunk` bytes at a time.
MapsTextScanner scan(const std::string& text, std::uint64_t addr, std::size_t chunk, State& st) {
  MapsTextScanner s(addr);
  st = State::kMore;
  for (std::size_t i = 0; i < text.size() && st == State::kMore; i += chunk)
    st = s.feed(text.data() + i, std::min(chunk, text.size() - i));
  if (st == State::kMore) st = s.finish();
  return s;
}

TEST(MapsText, FindsTheMappingAndItsProtectionInAnyChunking) {
  for (std::size_t chunk : {1ul, 2ul, 7ul, 64ul, 4096ul}) {
    State st;
    auto s = scan(kMaps, 0x55d0c0a03123, chunk, st);
    ASSERT_EQ(st, State::kFound) << chunk;
    EXPECT_EQ(s.start(), 0x55d0c0a02000u);
    EXPECT_EQ(s.end(), 0x55d0c0a07000u);
    EXPECT_EQ(s.flags(), kProcmapReadable | kProcmapExecutable);
    s = scan(kMaps, 0x55d0c0a0a000, chunk, st);
    ASSERT_EQ(st, State::kFound);
    EXPECT_EQ(s.flags(), kProcmapReadable | kProcmapWritable);
    s = scan(kMaps, 0x7f0000020fff, chunk, st);
    ASSERT_EQ(st, State::kFound);
    EXPECT_EQ(s.flags(), 0u);  // PROT_NONE
    s = scan(kMaps, 0x7f1000000000, chunk, st);
    ASSERT_EQ(st, State::kFound);
    EXPECT_EQ(s.flags(), kProcmapReadable | kProcmapWritable | kProcmapShared);
    s = scan(kMaps, 0xffffffffff600000, chunk, st);
    ASSERT_EQ(st, State::kFound);
    EXPECT_EQ(s.flags(), kProcmapExecutable);
  }
}

TEST(MapsText, AGapBeforeOrAfterEveryMappingIsAbsent) {
  State st;
  scan(kMaps, 0x1000, 5, st);
  EXPECT_EQ(st, State::kAbsent);
  scan(kMaps, 0x55d0c0a07000, 5, st);  // between the code and the data
  EXPECT_EQ(st, State::kAbsent);
  scan(kMaps, 0x55d0c0a02000 - 1, 5, st);  // the byte before a mapping: its page is the previous one's
  EXPECT_EQ(st, State::kFound);
  const std::string all = kMaps;
  scan(all.substr(0, all.find("ffffffffff600000")), 0xffffffffff600000, 5, st);  // the list ends first
  EXPECT_EQ(st, State::kAbsent);
  scan("", 0x1000, 1, st);
  EXPECT_EQ(st, State::kAbsent);
}

TEST(MapsText, ALastLineWithoutItsNewlineCounts) {
  State st;
  auto s = scan("1000-3000 rw-p", 0x2000, 3, st);
  ASSERT_EQ(st, State::kFound);
  EXPECT_EQ(s.flags(), kProcmapReadable | kProcmapWritable);
  scan("1000-3000 rw", 0x2000, 3, st);
  EXPECT_EQ(st, State::kMalformed);
}

TEST(MapsText, ALineOfAnyLengthIsSkipped) {
  // A path longer than any read chunk: only the first three fields count.
  const std::string text = "1000-2000 r--p 0 0:0 0 /" + std::string(20000, 'x') + "\n3000-4000 rw-p 0 0:0 0\n";
  for (std::size_t chunk : {1ul, 4096ul}) {
    State st;
    auto s = scan(text, 0x3000, chunk, st);
    ASSERT_EQ(st, State::kFound);
    EXPECT_EQ(s.flags(), kProcmapReadable | kProcmapWritable);
  }
}

TEST(MapsText, HostileTextIsMalformedNotMisread) {
  const char* bad[] = {
      "1000-2000 rw-p\n0800-1800 rw-p\n",  // going back (would hide a later line's answer)
      "1000-3000 rw-p\n2000-4000 rw-p\n",  // overlapping
      "2000-1000 rw-p\n",                  // empty range
      "1000-1000 rw-p\n",
      "1001-2000 rw-p\n",               // not page-aligned
      "10000000000000000-2000 rw-p\n",  // 17 hex digits: more than 64 bits
      "1000-2000 rwxq\n",               // not p or s
      "1000-2000 wr-p\n",               // letters out of place
      "1000 2000 rw-p\n",               // no '-'
      "-2000 rw-p\n",                   // no start
      "1000-2000  rw-p\n",              // two spaces
      "1000-2000 rw-pX\n",              // no space after perms
      "1000-2000\n",
      "X",
      "1000-2000 RW-P\n",
      "1000-2000 rw-p\n\n",  // an empty line
  };
  for (const char* b : bad) {
    State st;
    scan(b, 0x1f00000, 1, st);  // past every range: the whole text is read
    EXPECT_EQ(st, State::kMalformed) << b;
  }
  // Input after a decision changes nothing.
  MapsTextScanner s(0x1000);
  ASSERT_EQ(s.feed("1000-2000 r--p\n", 15), State::kFound);
  EXPECT_EQ(s.feed("garbage", 7), State::kFound);
  EXPECT_EQ(s.finish(), State::kFound);
  EXPECT_EQ(s.flags(), kProcmapReadable);
}

// This process's own /proc/self/maps, as the kernel writes it: a page it
// maps read-only is found read-only, after unmapping its neighbour absent.
TEST(MapsText, TheKernelsOwnText) {
  constexpr std::size_t kPage = 4096;
  auto* p =
      static_cast<std::uint8_t*>(mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_EQ(mprotect(p + kPage, kPage, PROT_READ), 0);
  ASSERT_EQ(munmap(p + 2 * kPage, kPage), 0);
  std::ifstream f("/proc/self/maps");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  State st;
  auto s = scan(text, reinterpret_cast<std::uint64_t>(p + kPage), 4096, st);
  ASSERT_EQ(st, State::kFound) << text;
  EXPECT_EQ(s.flags(), kProcmapReadable);
  EXPECT_EQ(s.start(), reinterpret_cast<std::uint64_t>(p + kPage));
  s = scan(text, reinterpret_cast<std::uint64_t>(p), 4096, st);
  ASSERT_EQ(st, State::kFound);
  EXPECT_EQ(s.flags(), kProcmapReadable | kProcmapWritable);
  scan(text, reinterpret_cast<std::uint64_t>(p + 2 * kPage), 4096, st);
  EXPECT_EQ(st, State::kAbsent);
  munmap(p, 2 * kPage);
}

}  // namespace
}  // namespace nsgx::isolated
