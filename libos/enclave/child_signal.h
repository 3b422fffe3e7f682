// SIGCHLD's siginfo across the host boundary (docs/libos.md, "Signals").
//
// The host forwards the signals its process receives as bits of a word in
// untrusted memory (libos_signals_init). For SIGCHLD the kernel's siginfo
// says which child ended and how (sigaction(2): si_code CLD_EXITED,
// CLD_KILLED, CLD_DUMPED, …; si_pid; si_status the exit status or the
// signal), and programs read it in SA_SIGINFO handlers. The host records
// the latest SIGCHLD's in the word after it, packed into one 64-bit value
// so that the enclave reads it whole even while a second SIGCHLD arrives:
//   bit 63      a record is there
//   bits 40-47  si_code (1-6)
//   bits 32-39  si_status (0-255)
//   bits 0-31   si_pid
// The enclave parses it (an untrusted host may write anything): a record
// that is not a child's end as Linux reports one is no record, and the
// signal keeps the siginfo of a sender unknown inside (SI_USER, pid 0).
// Only a process's end is reported: there is no job control inside, so
// stopped and continued children (CLD_STOPPED, CLD_CONTINUED, CLD_TRAPPED)
// are not either.
#pragma once

#include <cstdint>
#include <optional>

namespace nsgx::libos {

inline constexpr int32_t kCldExited = 1, kCldKilled = 2, kCldDumped = 3;  // <bits/siginfo-consts.h>
inline constexpr int32_t kPidLimit = 1 << 22;  // PID_MAX_LIMIT (<linux/threads.h>): every process id is below

struct ChildEnd {
  int32_t code = 0;    // kCldExited, kCldKilled or kCldDumped
  int32_t pid = 0;     // the child's process id (the host's: what fork and wait answer inside)
  int32_t status = 0;  // CLD_EXITED: the exit status; else the signal
};

inline constexpr uint64_t kChildRecord = uint64_t{1} << 63;

inline uint64_t pack_child_end(int32_t code, int32_t pid, int32_t status) {
  return kChildRecord | (uint64_t{static_cast<uint8_t>(code)} << 40) | (uint64_t{static_cast<uint8_t>(status)} << 32) |
         static_cast<uint32_t>(pid);
}

// A child's end as the host recorded it, if it is one: pid 2 to
// kPidLimit - 1 (1 is init, never a child), an exit status of 0-255, a
// signal of 1-64, nothing in the unused bits.
inline std::optional<ChildEnd> parse_child_end(uint64_t v) {
  if ((v & kChildRecord) == 0 || (v & 0x7fff000000000000ull) != 0) return std::nullopt;
  ChildEnd e;
  e.code = static_cast<int32_t>((v >> 40) & 0xff);
  e.status = static_cast<int32_t>((v >> 32) & 0xff);
  const uint32_t pid = static_cast<uint32_t>(v);
  if (pid < 2 || pid >= static_cast<uint32_t>(kPidLimit)) return std::nullopt;
  e.pid = static_cast<int32_t>(pid);
  switch (e.code) {
    case kCldExited:
      return e;
    case kCldKilled:
    case kCldDumped:
      if (e.status >= 1 && e.status <= 64) return e;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace nsgx::libos
