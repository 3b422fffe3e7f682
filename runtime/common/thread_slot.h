// The contract of runtime/common/signal_trampoline.S: per-thread slots of
// kSlotSize bytes (a power of two, so a slot is found from RSP), each
// starting with the fields the trampoline reads before any C code runs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsgx::runtime {

inline constexpr std::size_t kSlotSize = 256 * 1024;  // signal_trampoline.S: SLOT_MASK + 1
inline constexpr std::size_t kAltStackOffset = 2 * 4096;  // block page, guard page, then the stack

// Every slot's block starts with this.
struct SlotHeader {
  std::uint64_t host_fs = 0;     // offset 0: put back by the trampoline
  std::uint64_t host_gs = 0;     // offset 8
  std::uint32_t in_enclave = 0;  // offset 16: nonzero while enclave code runs
};
static_assert(offsetof(SlotHeader, host_fs) == 0 && offsetof(SlotHeader, host_gs) == 8 &&
              offsetof(SlotHeader, in_enclave) == 16, "signal_trampoline.S reads these offsets");

}  // namespace nsgx::runtime

extern "C" {
// The sa_sigaction of every handler a native backend installs.
void nsgx_signal_trampoline(int sig, void* info, void* uc);
// Called by it with the host's FS/GS back: `block` is the thread's slot
// block (null when RSP is not on a slot's stack), `fsgs` the bases to load
// on return (the interrupted code's, unless the dispatcher changes them).
void nsgx_signal_dispatch(int sig, void* info, void* uc, void* block, std::uint64_t* fsgs);
// The slot region, set once by the program.
extern std::uint64_t nsgx_altstack_lo;
extern std::uint64_t nsgx_altstack_span;
}
