// SIGCHLD's record from the host (child_signal.h): what a child's end
// packs into, and every record that is not one refused.
#include "libos/enclave/child_signal.h"

#include <gtest/gtest.h>

namespace nsgx::libos {
namespace {

TEST(ChildSignal, AChildsEndComesBackWhole) {
  const auto e = parse_child_end(pack_child_end(kCldExited, 4242, 255));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, kCldExited);
  EXPECT_EQ(e->pid, 4242);
  EXPECT_EQ(e->status, 255);
  const auto k = parse_child_end(pack_child_end(kCldKilled, kPidLimit - 1, 9));
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->code, kCldKilled);
  EXPECT_EQ(k->pid, kPidLimit - 1);
  EXPECT_EQ(k->status, 9);
  const auto d = parse_child_end(pack_child_end(kCldDumped, 2, 64));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->code, kCldDumped);
}

TEST(ChildSignal, WhatIsNotAChildsEndIsRefused) {
  EXPECT_FALSE(parse_child_end(0));  // no record
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldExited, 4242, 0) & ~kChildRecord));
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldExited, 1, 0)));  // init is nobody's child
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldExited, 0, 0)));
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldExited, -5, 0)));  // beyond every pid
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldExited, kPidLimit, 0)));
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldKilled, 4242, 0)));   // no signal 0
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldKilled, 4242, 65)));  // nor 65
  EXPECT_FALSE(parse_child_end(pack_child_end(0, 4242, 0)));            // SI_USER is no child's end
  EXPECT_FALSE(parse_child_end(pack_child_end(4, 4242, 5)));            // CLD_TRAPPED: no job control
  EXPECT_FALSE(parse_child_end(pack_child_end(5, 4242, 19)));           // CLD_STOPPED
  EXPECT_FALSE(parse_child_end(pack_child_end(6, 4242, 18)));           // CLD_CONTINUED
  EXPECT_FALSE(parse_child_end(pack_child_end(kCldExited, 4242, 0) | (uint64_t{1} << 50)));  // unused bits
}

}  // namespace
}  // namespace nsgx::libos
