#include "runtime/isolated/host_sandbox.h"

#include <asm/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <initializer_list>

#include "runtime/isolated/procmap_query.h"

namespace nsgx::isolated {

// Raw BPF, because libseccomp cannot test the instruction pointer.
// ELRANGE is naturally aligned (ECREATE), so "in ELRANGE" is
// (RIP & ~(SIZE-1)) == BASE, tested on the two 32-bit halves.
//
// A 32-bit system call from a 64-bit process (INT 0x80 where the kernel
// has IA-32 emulation) arrives with arch I386. From ELRANGE it traps like
// any other — INT n is #UD in an enclave (cpu_context.h) — and from
// anywhere else it kills: the host itself never makes one. (SYSENTER on
// Intel arrives at the vDSO's landing address, outside ELRANGE: killed.)
const char* install_elrange_filter(std::uint64_t base, std::uint64_t size) {
  const std::uint64_t mask = ~(size - 1);
  const auto lo = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
  const auto hi = [](std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); };
  sock_filter f[] = {
      // X = 0 for an x86-64 call, 1 for any other.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 1),
      // In ELRANGE: trap; else an x86-64 call is allowed (on to the
      // second filter) and any other killed.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer) + 4),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, hi(mask)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi(base & mask), 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer)),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, lo(mask)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo(base & mask), 3, 0),
      BPF_STMT(BPF_MISC | BPF_TXA, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "no_new_privs";
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) return "seccomp (ELRANGE)";
  return nullptr;
}

const char* install_host_filter(int channel, int app_fd, int maps_fd, bool maps_text, bool remap, int debug_fd) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
  if (ctx == nullptr) return "seccomp_init";
  // Argument N compared with `v` (spelled out: SCMP_A0's compound literal
  // leaves a field to default, which clang warns about).
  const auto arg0_is = [](scmp_datum_t v) { return scmp_arg_cmp{0, SCMP_CMP_EQ, v, 0}; };
  const auto ch = static_cast<scmp_datum_t>(channel);
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  // A 32-bit call (libseccomp's "bad arch": its default kills the thread
  // alone, and the host then waited for a worker that was gone) traps
  // here; filter 1 has already decided it: the enclave's #UD from
  // ELRANGE, the process killed from anywhere else.
  rc |= seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, arg0_is(ch));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1, arg0_is(ch));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, arg0_is(2));
  // A debug enclave's debugging stub: its one channel (host_main.cc, Stub).
  if (debug_fd >= 0) {
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, arg0_is(static_cast<scmp_datum_t>(debug_fd)));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1, arg0_is(static_cast<scmp_datum_t>(debug_fd)));
  }
  // The application's memory (app_memory.h): read and written at offsets
  // (addresses) through the one descriptor the application gave; pages
  // move into place with mremap.
  if (app_fd >= 0) {
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pread64), 1, arg0_is(static_cast<scmp_datum_t>(app_fd)));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pwrite64), 1, arg0_is(static_cast<scmp_datum_t>(app_fd)));
  }
  // mremap moves or duplicates mappings the host already has, never a
  // descriptor's: for the application's pages, and for a debug enclave's
  // private code page that becomes writable (host_main.cc, apply_map).
  if (app_fd >= 0 || remap) rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mremap), 0);
  // Its protections: PROCMAP_QUERY on its /proc/self/maps, nothing else;
  // or reading its text, nothing else.
  if (maps_fd >= 0 && maps_text)
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pread64), 1, arg0_is(static_cast<scmp_datum_t>(maps_fd)));
  else if (maps_fd >= 0)
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2, arg0_is(static_cast<scmp_datum_t>(maps_fd)),
                           scmp_arg_cmp{1, SCMP_CMP_EQ, static_cast<scmp_datum_t>(kProcmapQuery), 0});
  for (int nr :
       {SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack), SCMP_SYS(mprotect),
        SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(gettid),
        SCMP_SYS(getpid), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
        SCMP_SYS(sched_yield), SCMP_SYS(restart_syscall), SCMP_SYS(set_robust_list), SCMP_SYS(rseq)})
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  // mmap(2): with MAP_ANONYMOUS the kernel ignores the descriptor, so such
  // mappings (thread stacks, the allocator, MAP_FIXED replacements of the
  // host's own pages) name no file. Without it the call maps argument 4, a
  // descriptor: after start-up the host has only /dev/null and its channel,
  // but a descriptor it might yet receive (SCM_RIGHTS on the channel) or
  // one it should never have had must not become memory. EACCES rather
  // than SIGSYS: a refused call, like the kernel's own refusals of mmap.
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                         scmp_arg_cmp{3, SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS});
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(mmap), 1,
                         scmp_arg_cmp{3, SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, 0});
  // Threads for TCSs added later: clone with CLONE_THREAD only (clone3's
  // flags are in memory the filter cannot read: ENOSYS makes glibc fall
  // back to clone).
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                         scmp_arg_cmp{0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD});
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // A worker's FS/GS: the TCS's bases, held for the thread's lifetime
  // (host_main.cc hold_bases). Exactly ARCH_SET_FS and ARCH_SET_GS; the
  // enclave's own code cannot reach them (filter 1 traps every system call
  // from ELRANGE).
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1, arg0_is(ARCH_SET_FS));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1, arg0_is(ARCH_SET_GS));
  // Signals only to itself (abort()).
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, arg0_is(static_cast<scmp_datum_t>(getpid())));
  const char* why = rc != 0 ? "seccomp rules (host)" : seccomp_load(ctx) != 0 ? "seccomp (host)" : nullptr;
  seccomp_release(ctx);
  return why;
}

}  // namespace nsgx::isolated
