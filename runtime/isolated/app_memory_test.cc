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
#include <cstdio>
#include <cstring>
#include <string>

namespace nsgx::isolated {
namespace {

constexpr std::uint32_t kRead = 0, kWrite = 1u << 1;  // native #PF error codes (bit 1: write)

void* map_anon(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// The application's pages, from page_: 0 read/write, 1 read-only, 2 no
// access, 3 read/write (its "window", which is never mirrored).
constexpr std::uint64_t kPages = 4, kPage = 4096;

class AppMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { start(AppMemory::Protections::kQuery); }
  // `how`: hand AppMemory the application's /proc/PID/maps (kQuery, kText:
  // and have it read the text), or not (kNone).
  void start(AppMemory::Protections how) {
    const bool protections = how != AppMemory::Protections::kNone;
    int to_parent[2], to_child[2];
    ASSERT_EQ(pipe(to_parent), 0);
    ASSERT_EQ(pipe(to_child), 0);
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      close(to_child[1]);
      // The application: pages of its own (mapped after the fork, so the
      // "host" does not have them), then wait.
      // Far below where the kernel places this process's own mappings, so
      // that the "host" (the parent) never puts its bookkeeping there.
      void* p = mmap(reinterpret_cast<void*>(0x5a5a00000000ull), kPages * 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      if (p == MAP_FAILED) _exit(1);
      std::memset(p, 0x5a, kPages * 4096);
      auto* b = static_cast<std::uint8_t*>(p);
      if (mprotect(b + 4096, 4096, PROT_READ) != 0 || mprotect(b + 2 * kPage, 4096, PROT_NONE) != 0) _exit(1);
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
    // The pages are free here (or the test cannot play the host).
    ASSERT_EQ(msync(reinterpret_cast<void*>(page_), kPages * 4096, MS_ASYNC), -1);
    fd_ = open(("/proc/" + std::to_string(child_) + "/mem").c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd_, 0);
    const int maps =
        protections ? open(("/proc/" + std::to_string(child_) + "/maps").c_str(), O_RDONLY | O_CLOEXEC) : -1;
    // ELRANGE somewhere else; the window is the application's page 3.
    ASSERT_TRUE(mem_.init(fd_, maps, how == AppMemory::Protections::kText, 0x10000, 0x1000, page_ + 3 * kPage, 0x1000,
                          16, map_anon));
    // Where the kernel lacks PROCMAP_QUERY (before Linux 6.11) the text is
    // read instead.
    if (how == AppMemory::Protections::kQuery && mem_.protections() == AppMemory::Protections::kText)
      std::fprintf(stderr, "this kernel lacks PROCMAP_QUERY (Linux 6.11): the maps' text is read\n");
    else
      ASSERT_EQ(mem_.protections(), how);
  }
  // The application's protections, as its page tables would apply them to
  // enclave code on SGX: a read-only page is read but not written, a
  // PROT_NONE page neither — the enclave's #PF (kNotMirrored).
  void check_protections() {
    AppMemory::Progress p;
    const std::uint64_t rw = page_, ro = page_ + 4096, none = page_ + 2 * kPage;
    EXPECT_EQ(mem_.fault(ro + 16, kWrite, p), AppMemory::Fault::kNotMirrored);
    EXPECT_EQ(mem_.fault(ro + 16, kRead, p), AppMemory::Fault::kMapped);
    EXPECT_EQ(*reinterpret_cast<const std::uint8_t*>(ro + 16), 0x5a);
    EXPECT_EQ(mem_.fault(ro + 16, kWrite, p), AppMemory::Fault::kNotMirrored);  // mirrored read-only, stays so
    EXPECT_EQ(mem_.fault(none, kRead, p), AppMemory::Fault::kNotMirrored);
    EXPECT_EQ(mem_.fault(none, kWrite, p), AppMemory::Fault::kNotMirrored);
    EXPECT_EQ(mem_.fault(rw, kWrite, p), AppMemory::Fault::kMapped);
    mem_.sync();
    // Fault-around from the writable page must not carry its protection to
    // the read-only page after it, nor fetch the PROT_NONE one.
    EXPECT_EQ(mem_.fault(rw, kRead, p), AppMemory::Fault::kMapped);
    EXPECT_EQ(mem_.fault(ro, kWrite, p), AppMemory::Fault::kNotMirrored);
    EXPECT_EQ(mem_.fault(none, kRead, p), AppMemory::Fault::kNotMirrored);
    EXPECT_EQ(msync(reinterpret_cast<void*>(none), 4096, MS_ASYNC), -1) << "the PROT_NONE page was mirrored";
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

class AppMemoryNoProtections : public AppMemoryTest {
 protected:
  void SetUp() override { start(AppMemory::Protections::kNone); }
};

// The application's protections read from its maps' text (maps_text.h),
// the way of kernels before 6.11: the same answers as PROCMAP_QUERY's.
class AppMemoryMapsText : public AppMemoryTest {
 protected:
  void SetUp() override { start(AppMemory::Protections::kText); }
};

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

TEST_F(AppMemoryTest, TheApplicationsProtectionsDecide) { check_protections(); }

TEST_F(AppMemoryMapsText, TheApplicationsProtectionsDecide) { check_protections(); }

// Without the application's maps (NSGX_APP_PROTECTIONS=off) every page it maps is mirrored read/write, as
// docs/isolated.md says.
TEST_F(AppMemoryNoProtections, EveryMappedPageIsMirrored) {
  AppMemory::Progress p;
  EXPECT_EQ(mem_.fault(page_ + 4096, kWrite, p), AppMemory::Fault::kMapped);
  EXPECT_EQ(mem_.fault(page_ + 2 * kPage, kRead, p), AppMemory::Fault::kMapped);
  EXPECT_EQ(mem_.fault(0x30000, kRead, p), AppMemory::Fault::kNotMirrored);
}

}  // namespace
}  // namespace nsgx::isolated
