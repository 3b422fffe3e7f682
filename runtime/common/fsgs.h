// FS/GS bases for the backends that run enclave code natively.
//
// SGX loads FS and GS from the TCS on EENTER/ERESUME and puts the host's back
// on EEXIT/AEX (SDM Vol.3D, the EENTER and ERESUME operations: the FS and GS
// bases become SECS.BASEADDR + TCS.OFSBASGX/OGSBASGX). A process can change its own bases in two ways:
//   - the FSGSBASE instructions, which are only usable when the kernel has
//     enabled CR4.FSGSBASE *and saves and restores the bases they write on
//     every context switch*. It says so in AT_HWCAP2 (HWCAP2_FSGSBASE, Linux
//     5.9+). On some hypervisors (PVM guests) the instructions execute even
//     though the kernel never enabled them, and a base written with them is
//     lost at the next preemption: executing is not permission.
//   - arch_prctl(ARCH_SET_FS/ARCH_SET_GS), which every x86-64 kernel keeps
//     across context switches, at the cost of a system call per base.
//
// How a process switches is chosen once at start-up and published in
// `nsgx_fsgs_mode`, which the signal trampoline (signal_trampoline.S) reads:
//   kHold          the thread holds the enclave's bases for its lifetime and
//                  never switches (the isolated backend's enclave host: one
//                  thread per TCS, and no TLS in its code between hand-offs);
//   kInstructions  RDFSBASE/WRFSBASE (only where AT_HWCAP2 says so);
//   kArchPrctl     arch_prctl, with the bases in effect tracked in the
//                  thread's slot (SlotHeader::cur_fs/cur_gs) so that nothing
//                  has to read them back with a system call.
// Everything here is free of TLS and errno: it runs with an enclave's FS.
#pragma once

#include <asm/prctl.h>
#include <sys/syscall.h>

#include <cstdint>

namespace nsgx::runtime {

enum class FsgsMode : std::uint32_t { kHold = 0, kInstructions = 1, kArchPrctl = 2 };

// A system call without libc: no errno (TLS), no cancellation point (which
// reads the thread descriptor through FS). Returns the kernel's value
// (-errno on failure).
inline long raw_syscall(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

inline long set_fs_base(std::uint64_t v) { return raw_syscall(SYS_arch_prctl, ARCH_SET_FS, static_cast<long>(v)); }
inline long set_gs_base(std::uint64_t v) { return raw_syscall(SYS_arch_prctl, ARCH_SET_GS, static_cast<long>(v)); }
inline long get_fs_base(std::uint64_t& v) {
  return raw_syscall(SYS_arch_prctl, ARCH_GET_FS, reinterpret_cast<long>(&v));
}
inline long get_gs_base(std::uint64_t& v) {
  return raw_syscall(SYS_arch_prctl, ARCH_GET_GS, reinterpret_cast<long>(&v));
}

// Whether the kernel lets user space use the FSGSBASE instructions
// (AT_HWCAP2 bit 1, HWCAP2_FSGSBASE; arch/x86/include/uapi/asm/hwcap2.h).
bool kernel_offers_fsgsbase();

// The mode for a process that switches bases around enclave code:
// kInstructions where the kernel offers them, unless `env` (the value of
// NSGX_FSGSBASE) is "off", which forces the arch_prctl path (to test it on
// machines that have both); otherwise kArchPrctl. "force-unsafe" uses the
// instructions regardless — only to demonstrate, in a test, the crashes the
// check prevents.
FsgsMode choose_fsgs_mode(const char* env);

const char* fsgs_mode_name(FsgsMode m);

}  // namespace nsgx::runtime

extern "C" {
// The process's mode (an FsgsMode), read by the signal trampoline; defined by
// the program that links the trampoline, set before any handler is installed.
extern std::uint32_t nsgx_fsgs_mode;
}
