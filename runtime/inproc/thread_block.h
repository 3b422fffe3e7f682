// Per-thread state of the inproc backend, found without TLS.
//
// While enclave code runs, FS and GS hold the enclave's bases (SDM EENTER:
// FS/GS from TCS.OFSBASGX/OGSBASGX), so the signal trampoline cannot use
// thread-local storage, errno or anything in libc until it has put the
// host's bases back. Every thread that enters an enclave gets a slot in one
// reserved region: its ThreadBlock at the start, then a guard page, then its
// alternate signal stack. Every handler we install runs on that stack
// (SA_ONSTACK), so the trampoline finds the block from RSP alone, and
// signal frames never land on the enclave's stack.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "runtime/common/exit_gate.h"
#include "runtime/common/thread_slot.h"

namespace nsgx::inproc {

inline constexpr std::size_t kSlotSize = std::size_t{256} * 1024;  // power of two: block = rsp & ~(kSlotSize-1)
inline constexpr std::size_t kMaxThreads = 1024;
inline constexpr std::size_t kAltStackOffset = std::size_t{2} * 4096;  // block page, guard page

class InprocEnclave;

// Starts with runtime::SlotHeader's fields, at its offsets.
struct ThreadBlock {
  std::uint64_t host_fs = 0;     // offset 0: the application's bases, restored by the trampoline
  std::uint64_t host_gs = 0;     // offset 8  (cached per thread: read once when the block is taken)
  std::uint32_t in_enclave = 0;  // offset 16: 1 from EENTER/ERESUME until EEXIT/AEX
  std::uint32_t tid = 0;
  std::uint64_t cur_fs = 0;          // offset 24: the bases in effect (FsgsMode::kArchPrctl only)
  std::uint64_t cur_gs = 0;          // offset 32
  InprocEnclave* enclave = nullptr;  // the enclave this thread is inside (or was, last)
  std::uint64_t tcs = 0;
  std::uint64_t elrange_base = 0, elrange_size = 0;
  std::uint64_t aep = 0;
  // The range this thread's syscall user dispatch traps (the ELRANGE it last
  // entered; 0/0: none): a system call made there is SIGSYS, reported to the
  // enclave as #UD (exceptions.cc, trap_enclave_syscalls).
  std::uint64_t sud_base = 0, sud_size = 0;
  std::atomic<std::uint32_t> used{0};
  // The exit gate this thread offers its enclaves (docs/inproc.md, "The
  // exit gate"): the descriptor names this slot's stub in entry.S, and
  // gate_exits counts the EEXITs made through it (the trap path's are not).
  nsgx_exit_gate gate{};
  std::uint64_t gate_exits = 0;
};
static_assert(offsetof(ThreadBlock, host_fs) == offsetof(runtime::SlotHeader, host_fs) &&
                  offsetof(ThreadBlock, host_gs) == offsetof(runtime::SlotHeader, host_gs) &&
                  offsetof(ThreadBlock, in_enclave) == offsetof(runtime::SlotHeader, in_enclave) &&
                  offsetof(ThreadBlock, cur_fs) == offsetof(runtime::SlotHeader, cur_fs) &&
                  offsetof(ThreadBlock, cur_gs) == offsetof(runtime::SlotHeader, cur_gs),
              "the signal trampoline and entry.S read a ThreadBlock as a SlotHeader");
static_assert(sizeof(ThreadBlock) <= 4096, "the block fits its page");
static_assert(kMaxThreads == 1024 && kSlotSize == std::size_t{1} << 18, "entry.S: GATE_STUBS, SLOT_SHIFT");
static_assert(kSlotSize == runtime::kSlotSize && kAltStackOffset == runtime::kAltStackOffset,
              "one slot layout for the trampoline");

}  // namespace nsgx::inproc

// Symbols of entry.S.
extern "C" {
// The vDSO entry (arch/x86/entry/vdso/vsgx.S semantics).
int nsgx_vdso_sgx_enter_enclave(unsigned long rdi, unsigned long rsi, unsigned long rdx, unsigned int function,
                                unsigned long r8, unsigned long r9, void* run);
// Labels inside it: the ENCLU (also the AEP), the instruction after it
// (where EEXIT returns), and the exception fix-up target.
extern const char nsgx_vdso_aep[];
extern const char nsgx_vdso_after_enclu[];
extern const char nsgx_vdso_handle_exception[];
// The exit gates: one 16-byte stub per thread slot (kMaxThreads).
extern const char nsgx_inproc_gates[];
extern const char nsgx_inproc_gates_end[];
// The FS gates: the same, for the enclave's nsgx_set_fs_base.
extern const char nsgx_inproc_fs_gates[];
extern const char nsgx_inproc_fs_gates_end[];
// What the application's runtime calls (through the vDSO image's
// __vdso_nsgx_exit_gate) for the calling thread's offer: its descriptor, or
// nullptr without a slot; `gate_exits` (if not null) gets the number of
// exits it made through the gate so far.
const nsgx_exit_gate* nsgx_vdso_exit_gate(std::uint64_t* gate_exits);
}
