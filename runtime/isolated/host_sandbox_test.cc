// The enclave host's filters, installed in a child process exactly as the
// host installs them after start-up, then attacked from that child: a
// mapping of a descriptor is refused, anonymous memory management (thread
// stacks, the allocator, MAP_FIXED replacements) still works, and any call
// outside the policy raises SIGSYS.
#include "runtime/isolated/host_sandbox.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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

}  // namespace
}  // namespace nsgx::isolated
