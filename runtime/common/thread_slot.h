// The contract of runtime/common/signal_trampoline.S: per-thread slots of
// kSlotSize bytes (a power of two, so a slot is found from RSP), each
// starting with the fields the trampoline reads before any C code runs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsgx::runtime {

inline constexpr std::size_t kSlotSize = std::size_t{256} * 1024;  // signal_trampoline.S: SLOT_MASK + 1
inline constexpr std::size_t kAltStackOffset = std::size_t{2} * 4096;  // block page, guard page, then the stack

// Every slot's block starts with this.
struct SlotHeader {
  std::uint64_t host_fs = 0;     // offset 0: the host's bases, put back by the trampoline
  std::uint64_t host_gs = 0;     // offset 8
  std::uint32_t in_enclave = 0;  // offset 16: nonzero while enclave code runs
  std::uint32_t tid = 0;         // offset 20: free for the backend (inproc: the thread id)
  // The bases in effect on this thread, in FsgsMode::kArchPrctl (and in the
  // isolated backend's enclave host, kHold: the bases its worker holds).
  // Whoever changes a base with arch_prctl updates them — the backends'
  // FS gates too (runtime/common/exit_gate.h) — so no one reads a base
  // back with a system call.
  std::uint64_t cur_fs = 0;  // offset 24
  std::uint64_t cur_gs = 0;  // offset 32
};
static_assert(offsetof(SlotHeader, host_fs) == 0 && offsetof(SlotHeader, host_gs) == 8 &&
                  offsetof(SlotHeader, in_enclave) == 16 && offsetof(SlotHeader, cur_fs) == 24 &&
                  offsetof(SlotHeader, cur_gs) == 32 && sizeof(SlotHeader) == 40,
              "signal_trampoline.S reads these offsets");

// The trampoline's record of the bases, handed to the dispatcher: `fs` and
// `gs` are loaded on return (the interrupted code's, unless the dispatcher
// changes them, e.g. to enter an enclave); `slot` is the thread's block,
// which a dispatcher that gives the thread a slot only now sets.
struct SignalBases {
  std::uint64_t fs = 0;        // offset 0
  std::uint64_t gs = 0;        // offset 8
  SlotHeader* slot = nullptr;  // offset 16
};
static_assert(offsetof(SignalBases, fs) == 0 && offsetof(SignalBases, gs) == 8 && offsetof(SignalBases, slot) == 16,
              "signal_trampoline.S builds this on its stack");

}  // namespace nsgx::runtime

extern "C" {
// The sa_sigaction of every handler a native backend installs.
void nsgx_signal_trampoline(int sig, void* info, void* uc);
// Called by it with the host's FS/GS back (unless the mode is kHold):
// `block` is the thread's slot block (null when RSP is not on a slot's
// stack), `bases` the bases to load on return.
void nsgx_signal_dispatch(int sig, void* info, void* uc, void* block, nsgx::runtime::SignalBases* bases);
// The slot region, set once by the program.
extern std::uint64_t nsgx_altstack_lo;
extern std::uint64_t nsgx_altstack_span;
}
