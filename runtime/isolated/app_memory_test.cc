// AppMemory (the enclave host's mirror of the application's memory) driven
// directly: this process plays the enclave host, a child the application.
// A fault that mapping cannot explain is retried a bounded number of times,
// then reported as stuck instead of retried for ever.
#include "runtime/isolated/app_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace nsgx::isolated {
namespace {

constexpr std::uint32_t kRead = 0, kWrite = 1u << 1;  // native #PF error codes (bit 1: write)

void* map_anon(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

class AppMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int to_parent[2], to_child[2];
    ASSERT_EQ(pipe(to_parent), 0);
    ASSERT_EQ(pipe(to_child), 0);
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      close(to_child[1]);
      // The application: one page of its own (mapped after the fork, so the
      // "host" does not have it), then wait.
      // Far below where the kernel places this process's own mappings, so
      // that the "host" (the parent) never puts its bookkeeping there.
      void* p = mmap(reinterpret_cast<void*>(0x5a5a00000000ull), 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      if (p == MAP_FAILED) _exit(1);
      std::memset(p, 0x5a, 4096);
      const auto addr = reinterpret_cast<std::uint64_t>(p);
      if (write(to_parent[1], &addr, sizeof addr) != sizeof addr) _exit(1);
      char c;
      (void)!read(to_child[0], &c, 1);
      _exit(0);
    }
    release_ = to_child[1];
    close(to_child[0]);
    close(to_parent[1]);
    ASSERT_EQ(read(to_parent[0], &page_, sizeof page_), static_cast<ssize_t>(sizeof page_)) << "no application page";
    close(to_parent[0]);
    // The page is free here (or the test cannot play the host).
    ASSERT_EQ(msync(reinterpret_cast<void*>(page_), 4096, MS_ASYNC), -1);
    fd_ = open(("/proc/" + std::to_string(child_) + "/mem").c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
    // ELRANGE and the window: somewhere else.
    ASSERT_TRUE(mem_.init(fd_, 0x10000, 0x1000, 0x20000, 0x1000, 16, map_anon));
  }
  void TearDown() override {
    if (fd_ >= 0) mem_.sync();
    if (release_ >= 0) close(release_);
    if (child_ > 0) waitpid(child_, nullptr, 0);
    if (fd_ >= 0) close(fd_);
  }

  pid_t child_ = -1;
  int release_ = -1, fd_ = -1;
  std::uint64_t page_ = 0;
  AppMemory mem_;
};

TEST_F(AppMemoryTest, APersistingFaultOnAMappedPageIsReportedNotRetriedForEver) {
  AppMemory::Progress p;
  ASSERT_EQ(mem_.fault(page_ + 8, kRead, p), AppMemory::Fault::kMapped);
  EXPECT_EQ(*reinterpret_cast<volatile std::uint8_t*>(page_ + 8), 0x5a);   // the application's bytes
  ASSERT_EQ(mem_.fault(page_ + 8, kWrite, p), AppMemory::Fault::kMapped);  // now writable
  // The page is writable, yet the write faults again and again (what no
  // mapping change can fix): bounded retries, then stuck.
  int retries = 0;
  AppMemory::Fault f = AppMemory::Fault::kMapped;
  while (retries < 1000 && (f = mem_.fault(page_ + 8, kWrite, p)) == AppMemory::Fault::kMapped) ++retries;
  EXPECT_EQ(f, AppMemory::Fault::kStuck);
  EXPECT_EQ(retries, static_cast<int>(AppMemory::kMaxStalls));
}

TEST_F(AppMemoryTest, ARaceIsRetriedAndProgressResetsTheCount) {
  AppMemory::Progress mine, other;
  // Another thread mapped the page between this thread's fault and its
  // turn: a retry, many times over a long run as long as faults make progress.
  for (int round = 0; round < 3 * static_cast<int>(AppMemory::kMaxStalls); ++round) {
    ASSERT_EQ(mem_.fault(page_, kRead, other), AppMemory::Fault::kMapped);
    ASSERT_EQ(mem_.fault(page_, kRead, mine), AppMemory::Fault::kMapped) << round;
    mem_.sync();  // another thread's transition forgets every page
  }
  // An unmapped address of the application is not its memory: the enclave's #PF.
  EXPECT_EQ(mem_.fault(0x30000, kRead, mine), AppMemory::Fault::kNotMirrored);
  EXPECT_EQ(mem_.fault(page_, 1u << 4, mine), AppMemory::Fault::kNotMirrored);  // an instruction fetch
}

}  // namespace
}  // namespace nsgx::isolated
