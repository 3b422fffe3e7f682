// The enclave's clock between the host's readings (tsc_clock.h), with
// synthetic readings: a 3 GHz TSC against a host clock in ns.
#include "libos/enclave/tsc_clock.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace nsgx::libos {
namespace {

constexpr uint64_t kHz = 3'000'000'000;  // ticks per second
constexpr uint64_t kStart = 1'000'000'000'000;
constexpr int64_t kT0 = 5'000'000'000;  // the host's clock at kStart

// The host's clock at a TSC value, for a TSC at kHz (times `ppm_fast`
// parts per million fast against the host).
int64_t host_ns(uint64_t tsc, int64_t ppm_fast = 0) {
  const long double s = static_cast<long double>(tsc - kStart) / kHz;
  return kT0 + static_cast<int64_t>(s * 1e9L / (1.0L + ppm_fast * 1e-6L));
}

// A host reading whose OCALL took `spread` ticks around `mid`.
void read(TscClock& c, uint64_t mid, uint64_t spread, int64_t ppm_fast = 0) {
  c.add(mid - spread / 2, mid + spread / 2, host_ns(mid, ppm_fast));
}

constexpr uint64_t kMs = kHz / 1000;
constexpr uint64_t kOcall = 6'000;  // 2 µs

TEST(TscClock, AsksTheHostUntilARateIsKnown) {
  TscClock c;
  EXPECT_FALSE(c.at(kStart));
  read(c, kStart, kOcall);
  EXPECT_FALSE(c.at(kStart + kMs));  // one reading: no rate
  read(c, kStart + kMs, kOcall);     // 1 ms later: 2 µs of error is 2,000 ppm
  EXPECT_FALSE(c.calibrated());
  read(c, kStart + 50 * kMs, kOcall);  // 50 ms: 40 ppm
  ASSERT_TRUE(c.calibrated());
  // ns per tick: 1/3.
  EXPECT_NEAR(static_cast<double>(c.mult()) / 4294967296.0, 1.0 / 3.0, 1e-6);
}

TEST(TscClock, AnswersBetweenReadingsWithinTheError) {
  TscClock c;
  read(c, kStart, kOcall);
  read(c, kStart + 100 * kMs, kOcall);
  for (uint64_t t = kStart + 100 * kMs; t < kStart + 1099 * kMs; t += 7 * kMs) {
    const auto v = c.at(t);
    ASSERT_TRUE(v.has_value()) << t;
    // The anchor's half spread plus 50 ppm of the time since.
    EXPECT_NEAR(static_cast<double>(*v), static_cast<double>(host_ns(t)), 1'000 + 0.00005 * 1e9);
  }
  // 1 s after the anchor: the host again.
  EXPECT_FALSE(c.at(kStart + 1101 * kMs));
  read(c, kStart + 1101 * kMs, kOcall);
  EXPECT_TRUE(c.at(kStart + 1102 * kMs));
}

TEST(TscClock, FollowsARateThatChanges) {
  // The host's clock slews (NTP): the TSC runs 200 ppm fast against it.
  TscClock c;
  for (uint64_t s = 0; s <= 5; ++s) read(c, kStart + s * 1001 * kMs, kOcall, 200);
  const uint64_t t = kStart + 5 * 1001 * kMs + 900 * kMs;
  const auto v = c.at(t);
  ASSERT_TRUE(v.has_value());
  EXPECT_NEAR(static_cast<double>(*v), static_cast<double>(host_ns(t, 200)), 2'000);
}

TEST(TscClock, APreemptedReadingSetsNoRate) {
  TscClock c;
  read(c, kStart, kOcall);
  read(c, kStart + 100 * kMs, 10 * kMs);  // preempted for 10 ms in the OCALL
  EXPECT_FALSE(c.calibrated());
  read(c, kStart + 200 * kMs, kOcall);
  ASSERT_TRUE(c.calibrated());
  const auto v = c.at(kStart + 300 * kMs);
  ASSERT_TRUE(v.has_value());
  EXPECT_NEAR(static_cast<double>(*v), static_cast<double>(host_ns(kStart + 300 * kMs)), 10'000);
}

TEST(TscClock, APreemptedFirstReadingIsReplaced) {
  TscClock c;
  read(c, kStart, 30 * kMs);            // the first reading: 30 ms of spread
  read(c, kStart + 100 * kMs, kOcall);  // much finer: the new anchor
  read(c, kStart + 200 * kMs, kOcall);
  EXPECT_TRUE(c.calibrated());
}

TEST(TscClock, ATscOrHostClockThatGoesBackStartsOver) {
  TscClock c;
  read(c, kStart, kOcall);
  read(c, kStart + 100 * kMs, kOcall);
  ASSERT_TRUE(c.calibrated());
  c.add(kStart + 200 * kMs, kStart + 200 * kMs + kOcall, host_ns(kStart + 50 * kMs));  // the host's clock went back
  EXPECT_FALSE(c.calibrated());
  EXPECT_FALSE(c.at(kStart + 201 * kMs));
  read(c, kStart + 300 * kMs, kOcall);
  EXPECT_TRUE(c.calibrated());
  c.add(kStart + 10 * kMs, kStart + 10 * kMs + kOcall, host_ns(kStart + 400 * kMs));  // the TSC went back
  EXPECT_FALSE(c.calibrated());
  EXPECT_FALSE(c.at(kStart + 5 * kMs));  // and never before the anchor
}

TEST(TscClock, NoTscRunsBeyond20GHzOrBelow100MHz) {
  TscClock fast, slow;
  // 100 ms of the host's clock over 3e9 ticks (30 GHz) and over 3e6 ticks (30 MHz).
  fast.add(kStart, kStart + 100, kT0);
  fast.add(kStart + 3'000'000'000, kStart + 3'000'000'100, kT0 + 100'000'000);
  EXPECT_FALSE(fast.calibrated());
  slow.add(kStart, kStart + 10, kT0);
  slow.add(kStart + 3'000'000, kStart + 3'000'010, kT0 + 100'000'000);
  EXPECT_FALSE(slow.calibrated());
}

TEST(TscClock, AnOcallThatEndsBeforeItBeganIsIgnored) {
  TscClock c;
  c.add(kStart + 100, kStart, kT0);
  EXPECT_FALSE(c.at(kStart + 1000));
  read(c, kStart, kOcall);
  read(c, kStart + 100 * kMs, kOcall);
  EXPECT_TRUE(c.calibrated());
}

}  // namespace
}  // namespace nsgx::libos
