// The debugging stub's framing (rsp.h): packets and their checksums, the
// interrupt, and hostile input — oversized packets, bad checksums, bad hex,
// lengths beyond the bound — each an error, never more than kMaxPacket kept.
#include "runtime/isolated/rsp.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace nsgx::isolated::rsp {
namespace {

std::vector<Event::Kind> feed(Reader& r, std::string_view bytes, std::string* last = nullptr) {
  std::vector<Event::Kind> kinds;
  for (const char c : bytes) {
    const Event ev = r.push(c);
    if (ev.kind == Event::kNone) continue;
    kinds.push_back(ev.kind);
    if (last != nullptr && ev.kind == Event::kPacket) *last = std::string(ev.payload);
  }
  return kinds;
}

TEST(Rsp, FramesAndReadsBack) {
  std::string out;
  frame("qSupported", out);
  EXPECT_EQ(out, "$qSupported#37");  // GDB manual: the byte sum modulo 256
  Reader r;
  std::string got;
  EXPECT_EQ(feed(r, "+" + out, &got), (std::vector<Event::Kind>{Event::kAck, Event::kPacket}));
  EXPECT_EQ(got, "qSupported");
  EXPECT_EQ(feed(r, "\x03"), std::vector<Event::Kind>{Event::kInterrupt});
  EXPECT_EQ(feed(r, "-"), std::vector<Event::Kind>{Event::kNak});
}

TEST(Rsp, BadChecksumsAreRefused) {
  Reader r;
  EXPECT_EQ(feed(r, "$g#00"), std::vector<Event::Kind>{Event::kBadChecksum});
  EXPECT_EQ(feed(r, "$g#zz"), std::vector<Event::Kind>{Event::kBadChecksum});
  EXPECT_EQ(feed(r, "$g#6z"), std::vector<Event::Kind>{Event::kBadChecksum});
  std::string got;
  EXPECT_EQ(feed(r, "$g#67", &got), std::vector<Event::Kind>{Event::kPacket});  // and the next one is read
  EXPECT_EQ(got, "g");
}

TEST(Rsp, OversizedPacketIsRefusedWhole) {
  Reader r;
  std::string big(kMaxPacket + 1, 'a'), framed;
  frame(big, framed);
  EXPECT_EQ(feed(r, framed), std::vector<Event::Kind>{Event::kTooLong});
  std::string exact(kMaxPacket, 'a'), got;
  framed.clear();
  frame(exact, framed);
  EXPECT_EQ(feed(r, framed, &got), std::vector<Event::Kind>{Event::kPacket});
  EXPECT_EQ(got.size(), kMaxPacket);
}

TEST(Rsp, RandomBytesNeverBreakTheReader) {
  std::mt19937 rng(17);
  Reader r;
  for (int i = 0; i < 200000; ++i) {
    const Event ev = r.push(static_cast<char>(rng() & 0xff));
    if (ev.kind == Event::kPacket) {
      EXPECT_LE(ev.payload.size(), kMaxPacket);
    }
  }
  std::string got;
  EXPECT_EQ(feed(r, "#00$?#3f", &got).back(), Event::kPacket);  // resynchronises at the next '$'
  EXPECT_EQ(got, "?");
}

TEST(Rsp, Hex) {
  std::uint64_t v = 0;
  EXPECT_TRUE(parse_hex("ffffffffffffffff", v));
  EXPECT_EQ(v, ~std::uint64_t{0});
  EXPECT_FALSE(parse_hex("10000000000000000", v));  // 17 digits: no wrap-around
  EXPECT_FALSE(parse_hex("", v));
  EXPECT_FALSE(parse_hex("12g", v));
  std::uint8_t b[2];
  EXPECT_TRUE(decode_hex("cc90", b));
  EXPECT_EQ(b[0], 0xcc);
  EXPECT_FALSE(decode_hex("cc9", b));
  EXPECT_FALSE(decode_hex("cc9x", b));
  std::string s;
  append_hex(s, b);
  EXPECT_EQ(s, "cc90");
}

TEST(Rsp, MemoryRequestsAreBounded) {
  auto m = parse_memory("7f0000001000,10", false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->addr, 0x7f0000001000u);
  EXPECT_EQ(m->length, 0x10u);
  EXPECT_FALSE(parse_memory("1000,ffffffff", false));  // beyond kMaxMemory
  EXPECT_FALSE(parse_memory("1000", false));
  EXPECT_FALSE(parse_memory(",10", false));
  m = parse_memory("1000,2:cc90", true);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->hex, "cc90");
  EXPECT_FALSE(parse_memory("1000,3:cc90", true));  // the data must be LENGTH bytes
  EXPECT_FALSE(parse_memory("1000,2", true));
}

}  // namespace
}  // namespace nsgx::isolated::rsp
