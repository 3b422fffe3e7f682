// A clock read inside the enclave between the host's readings (docs/libos.md,
// "Time": the enclave's clock), as the kernel's vDSO reads one natively.
//
// A program reads CLOCK_MONOTONIC and CLOCK_REALTIME often — redis and
// lighttpd per request, fio per I/O — and natively that costs ~80 cycles
// (the vDSO: RDTSC and the kernel's scale). Inside, each reading was an
// OCALL. Where the kernel promises a TSC that ticks at one rate in every
// state (/proc/cpuinfo's constant_tsc and nonstop_tsc; cpu_facts.h
// kCpuInvariantTsc) and RDTSC may run (the SDM's "Enclave Operation":
// legal inside an enclave on processors with SGX2, subject to CR4.TSD —
// Linux's PR_GET_TSC), the library OS answers from the
// TSC, scaled by the rate measured between two of the host's readings,
// and asks the host again after kResyncNs of its own time.
//
// What it trusts: nothing more than before. Time inside is the host's
// either way (the host answers the OCALL and its kernel and hypervisor
// run the TSC); a reading made here is the latest host reading plus TSC
// ticks, and the caller keeps what it kept before — MONOTONIC never goes
// back (syscalls_time.cc). A rate beyond 0.1–20 GHz, or a TSC that went
// back, is refused and the host is asked instead.
//
// Accuracy: a host reading lies between the TSC values read just before
// and after its OCALL, so it is taken at their midpoint, off by at most
// half that spread. A rate is taken from two readings only when their
// spreads together are at most 1/kErrorRatio (50 ppm) of the ticks between
// them — with a 2 µs OCALL after ~40 ms, with a preempted one (10 ms)
// only after 200 s, so a rate hardly ever rests on one — and the latest
// such reading anchors the clock for kResyncNs (1 s): an answer is off by
// at most the anchor's half spread plus 50 µs, and the caller never lets
// MONOTONIC go back at the next anchor. The rate is measured anew at each
// resynchronisation, so it follows the host's NTP slewing.
//
// Pure arithmetic, no state of the enclave's: one per clock, used under
// the caller's lock; unit-tested with synthetic readings.
#pragma once

#include <cstdint>
#include <optional>

namespace nsgx::libos {

class TscClock {
 public:
  static constexpr int64_t kResyncNs = 1'000'000'000;  // the host is asked again after 1 s of this clock
  static constexpr uint64_t kErrorRatio = 20'000;      // a rate's error: at most 1/20,000 (50 ppm)
  // Rates outside 0.1-20 GHz are no TSC's: in ns per tick, 32.32 fixed point.
  static constexpr uint64_t kMinMult = (uint64_t{1} << 32) / 20;  // 20 GHz: 0.05 ns per tick
  static constexpr uint64_t kMaxMult = uint64_t{10} << 32;        // 0.1 GHz: 10 ns per tick

  // A host reading `ns` of this clock, made between TSC values `tsc0` and
  // `tsc1` (read just before and after the OCALL).
  void add(uint64_t tsc0, uint64_t tsc1, int64_t ns) {
    if (tsc1 < tsc0) return;
    const Reading r{tsc0 + (tsc1 - tsc0) / 2, ns, tsc1 - tsc0};
    if (!have_anchor_) {
      anchor_ = r;
      have_anchor_ = true;
      return;
    }
    if (r.tsc <= anchor_.tsc || r.ns <= anchor_.ns) {
      // The TSC or the host's clock went back (a host's lie, a migration,
      // a clock step): start over from here.
      anchor_ = r;
      mult_ = 0;
      return;
    }
    const uint64_t ticks = r.tsc - anchor_.tsc;
    if ((anchor_.spread + r.spread) / 2 > ticks / kErrorRatio) {
      // Too imprecise for a rate yet. A much finer reading replaces the
      // anchor (a preempted first reading would otherwise hold it for
      // ever); the rate known so far, if any, stays.
      if (r.spread < anchor_.spread / 2) anchor_ = r;
      return;
    }
    const unsigned __int128 m = (static_cast<unsigned __int128>(r.ns - anchor_.ns) << 32) / ticks;
    anchor_ = r;
    mult_ = m >= kMinMult && m <= kMaxMult ? static_cast<uint64_t>(m) : 0;
  }

  // This clock at TSC value `tsc`, if the TSC may answer it: a rate is
  // known and the anchor is less than kResyncNs behind. Otherwise nothing:
  // ask the host (and add() its reading).
  std::optional<int64_t> at(uint64_t tsc) const {
    if (mult_ == 0 || tsc < anchor_.tsc) return std::nullopt;
    const uint64_t d = scale(tsc - anchor_.tsc, mult_);
    if (d >= static_cast<uint64_t>(kResyncNs)) return std::nullopt;
    return anchor_.ns + static_cast<int64_t>(d);
  }

  bool calibrated() const { return mult_ != 0; }
  // ns per tick in 32.32 fixed point (0: not calibrated), for --trace.
  uint64_t mult() const { return mult_; }

 private:
  struct Reading {
    uint64_t tsc = 0;     // the midpoint of the OCALL's TSC values
    int64_t ns = 0;       // the host's reading
    uint64_t spread = 0;  // the OCALL's ticks: the midpoint is off by at most half
  };
  static uint64_t scale(uint64_t ticks, uint64_t mult) {
    const unsigned __int128 v = (static_cast<unsigned __int128>(ticks) * mult) >> 32;
    return v > UINT64_MAX / 2 ? UINT64_MAX / 2 : static_cast<uint64_t>(v);
  }
  Reading anchor_;
  bool have_anchor_ = false;
  uint64_t mult_ = 0;
};

}  // namespace nsgx::libos
