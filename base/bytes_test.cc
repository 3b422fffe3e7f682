#include "base/bytes.h"

#include <gtest/gtest.h>

namespace nsgx {
namespace {

TEST(Hex, RoundTrip) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(b), "0001abff");
  auto back = from_hex("0x00 01AB\nff");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, b);
}

TEST(Hex, RejectsBadInput) {
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
}

TEST(LittleEndian, LoadStore) {
  std::uint8_t buf[8];
  store_le<std::uint64_t>(buf, 0x0102030405060708ull);
  EXPECT_EQ(buf[0], 0x08);
  EXPECT_EQ(load_le<std::uint64_t>(buf), 0x0102030405060708ull);
  EXPECT_EQ(load_le<std::uint16_t>(buf), 0x0708);
}

TEST(ByteReader, ChecksBounds) {
  Bytes b = {1, 2, 3};
  ByteReader r(b);
  auto v = r.read_le<std::uint16_t>();
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 0x0201);
  EXPECT_FALSE(r.read_le<std::uint16_t>());
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(Range, Within) {
  EXPECT_TRUE(range_within(0, 10, 10));
  EXPECT_FALSE(range_within(1, 10, 10));
  EXPECT_FALSE(range_within(UINT64_MAX, 2, 10));
  EXPECT_FALSE(range_within(5, UINT64_MAX, 10));
}

}  // namespace
}  // namespace nsgx
