// The enclave host's filters, installed in a child process exactly as the
// host installs them after start-up, then attacked from that child: a
// mapping of a descriptor is refused, anonymous memory management (thread
// stacks, the allocator, MAP_FIXED replacements) still works, and any call
// outside the policy raises SIGSYS. A system call from ELRANGE traps,
// whether 64-bit or 32-bit (INT 0x80).
#include "runtime/isolated/host_sandbox.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace nsgx::isolated {
namespace {

// An ELRANGE far from the test's own code, so filter 1 lets it run.
constexpr std::uint64_t kBase = 0x100000000000ull, kSize = 1ull << 24;
constexpr int kChannel = 3;

// Runs `body` in a child under both filters; its exit status (or signal).
template <typename F>
int sandboxed(F body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (install_elrange_filter(kBase, kSize) != nullptr || install_host_filter(kChannel) != nullptr) _exit(100);
    _exit(body());
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

long raw_mmap(void* addr, std::size_t len, int prot, int flags, int fd) {
  return syscall(SYS_mmap, addr, len, prot, flags, fd, 0);
}

TEST(HostSandbox, MappingADescriptorIsRefused) {
  const int memfd = memfd_create("sandbox-test", MFD_CLOEXEC);
  ASSERT_GE(memfd, 0);
  ASSERT_EQ(pwrite(memfd, "secret", 6, 0), 6);
  const int st = sandboxed([memfd] {
    for (int flags : {MAP_SHARED, MAP_PRIVATE, MAP_SHARED | MAP_FIXED_NOREPLACE, MAP_SHARED_VALIDATE}) {
      const long r = raw_mmap(flags & MAP_FIXED_NOREPLACE ? reinterpret_cast<void*>(0x200000000000ull) : nullptr, 4096,
                              PROT_READ, flags, memfd);
      if (r != -1 || errno != EACCES) return 1;
    }
    // Upper bits of the flags register do not hide the descriptor.
    if (syscall(SYS_mmap, 0L, 4096L, static_cast<long>(PROT_READ), (1L << 32) | MAP_SHARED, static_cast<long>(memfd),
                0L) != -1)
      return 2;
    return 0;
  });
  close(memfd);
  ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(HostSandbox, AnonymousMemoryStillWorks) {
  const int memfd = memfd_create("sandbox-test", MFD_CLOEXEC);
  ASSERT_GE(memfd, 0);
  ASSERT_EQ(pwrite(memfd, "secret", 6, 0), 6);
  const int st = sandboxed([memfd] {
    auto* p = reinterpret_cast<char*>(
        raw_mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1));
    if (reinterpret_cast<long>(p) < 0) return 1;
    p[0] = 1;
    // MAP_FIXED over the host's own pages (application-memory mirroring).
    if (raw_mmap(p, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1) !=
            reinterpret_cast<long>(p) ||
        p[0] != 0)
      return 2;
    // MAP_ANONYMOUS with a descriptor: the kernel ignores it, so nothing of
    // the file appears.
    auto* q = reinterpret_cast<char*>(raw_mmap(nullptr, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, memfd));
    if (reinterpret_cast<long>(q) < 0 || std::memcmp(q, "secret", 6) == 0) return 3;
    if (mprotect(p, 4096, PROT_READ) != 0 || munmap(p, 2 * 4096) != 0 || munmap(q, 4096) != 0) return 4;
    return 0;
  });
  close(memfd);
  ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(HostSandbox, AnythingElseRaisesSigsys) {
  const int st = sandboxed([] { return static_cast<int>(syscall(SYS_getppid)); });
  ASSERT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGSYS);
  // The channel, and only the channel, is open to sendmsg.
  const int st2 = sandboxed([] { return syscall(SYS_sendmsg, kChannel + 1, nullptr, 0) == -1 ? 0 : 1; });
  ASSERT_TRUE(WIFSIGNALED(st2));
  EXPECT_EQ(WTERMSIG(st2), SIGSYS);
}

// Both filters, as in the host: what a system call instruction in ELRANGE
// raises, and INT 0x80 outside it.
volatile int g_sig, g_code;
volatile unsigned g_arch;

void note(int sig, siginfo_t* si, void* uc_v) {
  g_sig = sig;
  g_code = si->si_code;
  g_arch = sig == SIGSYS ? si->si_arch : 0;
  // A #GP (INT 0x80 without IA-32 emulation) is reported at the
  // instruction: step over it, as a seccomp trap already has.
  if (sig == SIGSEGV) static_cast<ucontext_t*>(uc_v)->uc_mcontext.gregs[REG_RIP] += 2;
}

// Whether this kernel runs INT 0x80 from a 64-bit process as a 32-bit
// system call (IA-32 emulation), else it is #GP. Asked in a child.
bool ia32_emulation() {
  const pid_t pid = fork();
  if (pid == 0) {
    long r = 20;  // i386 getpid
    __asm__ volatile("int $0x80" : "+a"(r) : : "memory");
    _exit(r == getpid() ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

using Stub = long (*)();

// A child with ELRANGE mapped and both filters on: runs `insn` (2 bytes, then
// RET) placed at the start of ELRANGE, or outside it; exits with
// what was noted: the signal, and 1 for a seccomp trap of arch I386, 2 of
// X86_64.
int elrange_child(const unsigned char (&insn)[2], bool inside) {
  const pid_t pid = fork();
  if (pid == 0) {
    // This child's own ELRANGE: kSize-aligned, wherever the kernel has room
    // (not at kBase, which lies in AddressSanitizer's shadow memory).
    auto* span = static_cast<unsigned char*>(
        mmap(nullptr, 2 * kSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    if (span == MAP_FAILED) _exit(100);
    const std::uint64_t base = (reinterpret_cast<std::uint64_t>(span) + kSize - 1) & ~(kSize - 1);
    // Outside: the page just past ELRANGE, still in the reserved span
    // (base - span <= kSize - 4096).
    auto* code = reinterpret_cast<unsigned char*>(inside ? base : base + kSize);
    if (mprotect(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) _exit(100);
    // mov $N, %eax: getpid (20 on i386, 39 on x86-64)
    const unsigned char body[] = {0xb8, insn[0] == 0xcd ? std::uint8_t{20} : std::uint8_t{39}, 0, 0, 0};
    std::memcpy(code, body, sizeof body);
    std::memcpy(code + sizeof body, insn, 2);
    code[sizeof body + 2] = 0xc3;
    struct sigaction sa {};
    sa.sa_sigaction = note;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, nullptr);
    sigaction(SIGSEGV, &sa, nullptr);
    if (install_elrange_filter(base, kSize) != nullptr || install_host_filter(kChannel) != nullptr) _exit(101);
    (void)reinterpret_cast<Stub>(code)();
    int how = 0;
    if (g_sig == SIGSYS && g_code == 1 /* SYS_SECCOMP */)
      how = g_arch == AUDIT_ARCH_I386 ? 1 : g_arch == AUDIT_ARCH_X86_64 ? 2 : 3;
    _exit(g_sig * 4 + how);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

TEST(HostSandbox, SystemCallsFromElrangeTrapEither64Or32Bit) {
  constexpr unsigned char kSyscall[2] = {0x0f, 0x05}, kInt80[2] = {0xcd, 0x80};
  int st = elrange_child(kSyscall, true);
  ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), SIGSYS * 4 + 2);
  st = elrange_child(kInt80, true);
  ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
  if (ia32_emulation()) {
    // A 32-bit call from ELRANGE traps (before: the process was killed).
    EXPECT_EQ(WEXITSTATUS(st), SIGSYS * 4 + 1);
    // Outside ELRANGE, where only the host's own code runs, it kills.
    st = elrange_child(kInt80, false);
    ASSERT_TRUE(WIFSIGNALED(st));
    EXPECT_EQ(WTERMSIG(st), SIGSYS);
  } else {
    std::printf("this kernel has no IA-32 emulation: INT 0x80 is #GP\n");
    EXPECT_EQ(WEXITSTATUS(st), SIGSEGV * 4);
    st = elrange_child(kInt80, false);
    ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
    EXPECT_EQ(WEXITSTATUS(st), SIGSEGV * 4);
  }
}

}  // namespace
}  // namespace nsgx::isolated
