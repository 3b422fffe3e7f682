// The inproc backend driven exactly as the kernel's SGX selftests drive real
// hardware (see test_enclave.h). Runs under `nsgx exec` (tests/CMakeLists.txt).
#include <asm/sgx.h>
#include <cpuid.h>
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "arch/sgx/pageinfo.h"
#include "crypto/rsa.h"
#include "tests/inproc/test_enclave.h"
#include "tests/vectors.h"

namespace {

using nsgx::testing::EnclOp;
using nsgx::testing::find_vdso_entry;
using nsgx::testing::kEnclSize;
using nsgx::testing::kPage;

const nsgx::crypto::RsaPrivateKey& signing_key() {
  static const auto key = nsgx::crypto::RsaPrivateKey::from_pem(nsgx::testing::read_text_vector("sgx/enarx_encl.pem"));
  return *key;
}

// The test enclave, its set-up failures reported to gtest.
class Enclave : public nsgx::testing::TestEnclave {
 public:
  explicit Enclave(bool map_heap = true, Stop stop = Stop::kNone, std::uint64_t size = kEnclSize)
      : TestEnclave(NSGX_TEST_ENCL, signing_key(), map_heap, stop, size) {
    EXPECT_EQ(error, "");
  }
  void init() {
    TestEnclave::init();
    EXPECT_EQ(error, "");
  }
};

TEST(Selftest, DeviceLooksLikeTheKernels) {
  struct stat st {};
  ASSERT_EQ(stat("/dev/sgx_enclave", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_NE(find_vdso_entry(), nullptr);
  // The kernel's own vDSO functions still answer through the new image.
  timespec ts{};
  EXPECT_EQ(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
}

TEST(Selftest, PutAndGetThroughEnclaveMemory) {
  Enclave e;
  EnclOp op{1, 0x1234567890abcdefull, 0, 0};
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.function, 4u);  // EEXIT
  op = {2, 0, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 0x1234567890abcdefull);
  EXPECT_EQ(run.exception_vector, 0);
}

TEST(Selftest, CalleeSavedRegistersSurvive) {
  Enclave e;
  EnclOp op{7, 0, 0, 0};
  sgx_enclave_run run{};
  run.tcs = e.base;
  std::uint64_t r12 = 0, r13 = 0, r14 = 0, r15 = 0;
  int rc;
  __asm__ volatile(
      "mov $0xa12, %%r12\n mov $0xa13, %%r13\n mov $0xa14, %%r14\n mov $0xa15, %%r15\n"
      "sub $8, %%rsp\n push %[run]\n mov %[op], %%rdi\n xor %%esi, %%esi\n xor %%edx, %%edx\n mov $2, %%ecx\n"
      "xor %%r8d, %%r8d\n xor %%r9d, %%r9d\n call *%[fn]\n add $16, %%rsp\n"
      "mov %%r12, %[o12]\n mov %%r13, %[o13]\n mov %%r14, %[o14]\n mov %%r15, %[o15]\n"
      : "=a"(rc), [o12] "=m"(r12), [o13] "=m"(r13), [o14] "=m"(r14), [o15] "=m"(r15)
      : [run] "r"(&run), [op] "r"(&op), [fn] "r"(e.enter)
      : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory", "cc");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(r12, 0xa12u);
  EXPECT_EQ(r13, 0xa13u);
  EXPECT_EQ(r14, 0xa14u);
  EXPECT_EQ(r15, 0xa15u);
}

TEST(Selftest, PteWriteFaultIsReportedThroughTheRunStruct) {
  Enclave e;
  // Read first so the PTE is present (as the kernel selftest does): a write
  // to a never-touched page is a not-present fault (0x6) on hardware too.
  EnclOp read{4, 0, e.base + 10 * kPage, 0};
  sgx_enclave_run run;
  ASSERT_EQ(e.call(read, run), 0);
  ASSERT_EQ(run.function, 4u);              // EEXIT
  EnclOp op{3, 1, e.base + 10 * kPage, 0};  // write to the read-only page
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.function, 3u);  // ERESUME
  EXPECT_EQ(run.exception_vector, 14);
  EXPECT_EQ(run.exception_error_code, 0x7);
  EXPECT_EQ(run.exception_addr, e.base + 10 * kPage);
}

// As the kernel's pte_permissions test: mprotect(2) changes the PTE of a
// page the enclave has written in place, so the next write is a protection
// fault on a present page (error code 0x7 = P | W | U), not a not-present
// fault (0x6); with the permission back, ERESUME completes the write.
TEST(Selftest, WriteAfterMprotectReadOnlyIsAProtectionFault) {
  Enclave e;
  const std::uint64_t page = e.base + 15 * kPage;  // the spare RW page
  EnclOp op{3, 0x1122334455667788ull, page, 0};
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  ASSERT_EQ(run.function, 4u) << "vector " << run.exception_vector;  // EEXIT: the PTE is present and writable
  ASSERT_EQ(mprotect(reinterpret_cast<void*>(page), kPage, PROT_READ), 0) << std::strerror(errno);
  op = {3, 0x8877665544332211ull, page, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.function, 3u);  // ERESUME
  EXPECT_EQ(run.exception_vector, 14);
  EXPECT_EQ(run.exception_error_code, 0x7);
  EXPECT_EQ(run.exception_addr, page);
  ASSERT_EQ(mprotect(reinterpret_cast<void*>(page), kPage, PROT_READ | PROT_WRITE), 0) << std::strerror(errno);
  ASSERT_EQ(encl_call(e.enter, reinterpret_cast<unsigned long>(&op), &run, 3 /* ERESUME */), 0);
  EXPECT_EQ(run.function, 4u) << "vector " << run.exception_vector << " error " << run.exception_error_code;
  op = {4, 0, page, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 0x8877665544332211ull);
}

// A user handler sees the exception, fixes the mapping and resumes.
int fix_and_resume(long, long, long, long, long, long, sgx_enclave_run* run) {
  if (run->function == 3 && run->exception_vector == 14) {
    auto* data = reinterpret_cast<std::uint64_t*>(run->user_data);
    mprotect(reinterpret_cast<void*>(data[0]), kPage, PROT_READ | PROT_WRITE);
    ++data[1];
    run->exception_vector = 0;
    return 3;  // ERESUME
  }
  return 0;
}

TEST(Selftest, UserHandlerResumes) {
  Enclave e;
  // The data page mapped read-only: the write faults, the handler maps it
  // writable again and resumes.
  ASSERT_EQ(mprotect(reinterpret_cast<void*>(e.base + 9 * kPage), kPage, PROT_READ), 0);
  std::uint64_t data[2] = {e.base + 9 * kPage, 0};
  EnclOp op{1, 77, 0, 0};
  sgx_enclave_run run{};
  run.tcs = e.base;
  run.user_handler = reinterpret_cast<std::uint64_t>(&fix_and_resume);
  run.user_data = reinterpret_cast<std::uint64_t>(data);
  ASSERT_EQ(encl_call(e.enter, reinterpret_cast<unsigned long>(&op), &run, 2), 0);
  EXPECT_EQ(data[1], 1u);
  EXPECT_EQ(run.function, 4u);
  op = {2, 0, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 77u);
}

TEST(Selftest, EaugOnTouchAndEaccept) {
  Enclave e;
  const std::uint64_t page = e.base + 20 * kPage;
  // EACCEPT of a page that does not exist yet: the fault adds it (EAUG).
  EnclOp op{5, 0x20b /* REG | PENDING | R | W */ | (1u << 3), page, 0};
  op.value = 0x200 | 0x8 | 0x3;
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  ASSERT_EQ(run.function, 4u) << "vector " << run.exception_vector;
  EXPECT_EQ(op.value, 0u);  // EACCEPT succeeded
  op = {3, 0xfeed, page + 8, 0};
  ASSERT_EQ(e.call(op, run), 0);
  op = {4, 0, page + 8, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 0xfeedu);
  // A touch of a pending page without EACCEPT: #PF with the SGX bit.
  op = {4, 0, e.base + 30 * kPage, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.function, 3u);
  EXPECT_EQ(run.exception_vector, 14);
  EXPECT_EQ(run.exception_error_code, 0x8005);
}

TEST(Selftest, RestrictPermissionsThenEpcmFault) {
  Enclave e;
  sgx_enclave_restrict_permissions rp{15 * kPage, kPage, 0x1 /* R */, 0, 0};
  ASSERT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), 0) << std::strerror(errno);
  EXPECT_EQ(rp.count, kPage);
  EnclOp op{5, 0x200 | 0x20 /* PR */ | 0x1, e.base + 15 * kPage, 0};  // EACCEPT the restriction
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 0u);
  op = {3, 1, e.base + 15 * kPage, 0};  // the PTE still allows writes: EPCM fault
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.exception_vector, 14);
  EXPECT_EQ(run.exception_error_code, 0x8007);
  // RESTRICT_PERMISSIONS of a TCS page: EINVAL.
  sgx_enclave_restrict_permissions bad{0, kPage, 0x1, 0, 0};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &bad), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST(Selftest, IoctlErrors) {
  Enclave e;
  EXPECT_EQ(ioctl(e.fd, _IOW(SGX_MAGIC, 0x7f, int), nullptr), -1);
  EXPECT_EQ(errno, ENOTTY);
  alignas(64) nsgx::sgx::Secinfo si{};
  si.flags = 0x203;
  sgx_enclave_add_pages a{e.base, 20 * kPage, kPage, reinterpret_cast<std::uint64_t>(&si), 0, 0};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &a), -1);  // after INIT
  EXPECT_EQ(errno, EINVAL);
  sgx_enclave_init in{reinterpret_cast<std::uint64_t>(&e.sigstruct)};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_INIT, &in), -1);  // twice
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_CREATE, nullptr), -1);
  EXPECT_EQ(errno, EFAULT);
  sgx_enclave_remove_pages rm{16 * kPage, 123, 0};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), -1);  // unaligned length
  EXPECT_EQ(errno, EINVAL);
  // mmap rules: MAP_PRIVATE is EINVAL; outside ELRANGE after EINIT is EACCES;
  // beyond a page's SECINFO permissions is EACCES.
  EXPECT_EQ(mmap(reinterpret_cast<void*>(e.base), kPage, PROT_READ, MAP_PRIVATE | MAP_FIXED, e.fd, 0), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_SHARED, e.fd, 0), MAP_FAILED);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(mmap(reinterpret_cast<void*>(e.base + 10 * kPage), kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                 e.fd, 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(mprotect(reinterpret_cast<void*>(e.base + 8 * kPage), kPage, PROT_READ | PROT_WRITE), -1);
  EXPECT_EQ(errno, EACCES);
  // The enclave still works.
  EnclOp op{1, 5, 0, 0};
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.function, 4u);
  // An invalid function and a dirty reserved area: -EINVAL.
  run = {};
  run.tcs = e.base;
  EXPECT_EQ(e.enter(reinterpret_cast<unsigned long>(&op), 0, 0, 5, 0, 0, &run), -EINVAL);
  run.reserved[3] = 1;
  EXPECT_EQ(e.enter(reinterpret_cast<unsigned long>(&op), 0, 0, 2, 0, 0, &run), -EINVAL);
}

TEST(Selftest, ThreadsOnDifferentTcs) {
  Enclave e;
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (unsigned t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < 200; ++i) {
        EnclOp op{1, std::uint64_t{t} * 1000 + i, 0, 0};
        sgx_enclave_run run;
        if (e.call(op, run, t) != 0 || op.tcs_index != t) ++bad;
        op = {2, 0, 0, 0};
        if (e.call(op, run, t) != 0 || op.value != std::uint64_t{t} * 1000 + i) ++bad;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// The ioctls' validation before EINIT, with the upstream errnos; the
// enclave initializes and runs afterwards.
TEST(Selftest, IoctlErrorsBeforeInit) {
  Enclave e(true, Enclave::Stop::kBeforeInit);
  alignas(64) nsgx::sgx::Secinfo si{};
  si.flags = 0x203;
  alignas(4096) static std::uint8_t src[2 * kPage];
  const auto add = [&](std::uint64_t source, std::uint64_t offset, std::uint64_t length, std::uint64_t secinfo) {
    sgx_enclave_add_pages a{source, offset, length, secinfo, SGX_PAGE_MEASURE, 0};
    return ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &a) == 0 ? 0 : errno;
  };
  const auto s = reinterpret_cast<std::uint64_t>(src), sip = reinterpret_cast<std::uint64_t>(&si);
  EXPECT_EQ(add(s, 16 * kPage + 8, kPage, sip), EINVAL);  // unaligned offset
  EXPECT_EQ(add(s + 8, 16 * kPage, kPage, sip), EINVAL);  // unaligned source
  EXPECT_EQ(add(s, 16 * kPage, kPage + 8, sip), EINVAL);  // unaligned length
  EXPECT_EQ(add(s, 16 * kPage, 0, sip), EINVAL);          // empty
  EXPECT_EQ(add(s, kEnclSize, kPage, sip), EINVAL);       // beyond ELRANGE
  EXPECT_EQ(add(s, kEnclSize - kPage, 2 * kPage, sip), EINVAL);
  EXPECT_EQ(add(s, 0, kPage, sip), EEXIST);         // already added
  EXPECT_EQ(add(s, 16 * kPage, kPage, 0), EFAULT);  // SECINFO unreadable
  si.flags = 0x203 | (1ull << 20);                  // reserved SECINFO bit
  EXPECT_EQ(add(s, 16 * kPage, kPage, sip), EINVAL);
  si.flags = 0x201 | 0x2 | 0x4 | 0x300;  // not a page type ADD_PAGES takes
  EXPECT_EQ(add(s, 16 * kPage, kPage, sip), EINVAL);
  // A second ECREATE on the same file.
  sgx_enclave_create c{reinterpret_cast<std::uint64_t>(&e.secs)};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_CREATE, &c), -1);
  EXPECT_EQ(errno, EINVAL);
  // A SIGSTRUCT with a broken signature: EINIT fails with EPERM (an SGX
  // status, not a fault), and the enclave can still be initialized.
  nsgx::sgx::Sigstruct bad = e.sigstruct;
  bad.modulus[7] ^= 1;
  sgx_enclave_init in{reinterpret_cast<std::uint64_t>(&bad)};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_INIT, &in), -1);
  EXPECT_EQ(errno, EPERM);
  in.sigstruct = 0;
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_INIT, &in), -1);
  EXPECT_EQ(errno, EFAULT);
  e.init();
  EnclOp op{1, 9, 0, 0};
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  op = {2, 0, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 9u);
}

TEST(Selftest, EcreateRejectsBadSecs) {
  const int fd = open("/dev/sgx_enclave", O_RDWR);
  ASSERT_GE(fd, 0);
  alignas(4096) static nsgx::sgx::Secs secs{};
  const auto create = [&] {
    sgx_enclave_create c{reinterpret_cast<std::uint64_t>(&secs)};
    return ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &c) == 0 ? 0 : errno;
  };
  auto good = [&] {
    secs = {};
    secs.size = kEnclSize;
    secs.base_addr = 0x7f0000000000;
    secs.ssa_frame_size = 1;
    secs.attributes = {nsgx::sgx::attr::kMode64Bit | nsgx::sgx::attr::kDebug, 3};
  };
  good();
  secs.size = 3 * kPage;  // not a power of two
  EXPECT_EQ(create(), EINVAL);
  good();
  secs.base_addr += kPage;  // not aligned to its size
  EXPECT_EQ(create(), EINVAL);
  good();
  secs.ssa_frame_size = 0;  // too small for XFRM
  EXPECT_EQ(create(), EINVAL);
  good();
  secs.attributes.flags |= 1ull << 40;  // reserved attribute
  EXPECT_EQ(create(), EINVAL);
  good();
  secs.attributes.flags &= ~nsgx::sgx::attr::kMode64Bit;  // 32-bit enclaves are refused
  EXPECT_EQ(create(), EINVAL);
  good();
  EXPECT_EQ(create(), 0);
  EXPECT_EQ(create(), EINVAL);  // once per file
  close(fd);
}

std::atomic<long> g_alarms{0};
void on_alarm(int) { ++g_alarms; }

TEST(Selftest, SignalStormChangesNoResult) {
  Enclave e;
  struct sigaction sa {};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  ASSERT_EQ(sigaction(SIGALRM, &sa, nullptr), 0);
  itimerval it{{0, 1000}, {0, 1000}};  // 1 kHz
  ASSERT_EQ(setitimer(ITIMER_REAL, &it, nullptr), 0);
  const std::uint64_t n = 20'000'000;
  for (int round = 0; round < 5; ++round) {
    EnclOp op{8, n, 0, 0};
    sgx_enclave_run run;
    ASSERT_EQ(e.call(op, run), 0);
    ASSERT_EQ(run.function, 4u);
    EXPECT_EQ(op.value, n * (n - 1) / 2);
  }
  itimerval off{};
  setitimer(ITIMER_REAL, &off, nullptr);
  EXPECT_GT(g_alarms.load(), 0);
}

TEST(Selftest, ForkedChildHasItsOwnEnclaves) {
  Enclave e;
  EnclOp op{1, 42, 0, 0};
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    // A new enclave of the child's own works; the parent's is gone.
    Enclave mine;
    EnclOp o{1, 7, 0, 0};
    sgx_enclave_run r;
    const bool ok = mine.call(o, r) == 0 && r.function == 4;
    o = {2, 0, 0, 0};
    _exit(ok && mine.call(o, r) == 0 && o.value == 7 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  op = {2, 0, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 42u);
}

}  // namespace

// Fills the whole 64-page range — ctest runs the suite with a 32-page EPC too, so the
// enclave is twice the EPC: pages are EWB'd and ELDU'd behind the enclave's
// back and every value must come back.
TEST(Selftest, EnclaveLargerThanTheEpc) {
  Enclave e;
  sgx_enclave_run run;
  const std::uint64_t pages = kEnclSize / kPage;
  for (std::uint64_t p = 16; p < pages; ++p) {
    EnclOp op{5, 0x200 | 0x8 | 0x3, e.base + p * kPage, 0};  // EAUG on touch, EACCEPT
    ASSERT_EQ(e.call(op, run), 0);
    ASSERT_EQ(run.function, 4u) << "page " << p << " vector " << run.exception_vector;
    ASSERT_EQ(op.value, 0u) << "page " << p;
  }
  for (int round = 0; round < 2; ++round) {
    for (std::uint64_t p = 9; p < pages; ++p) {
      if (p == 10) continue;  // read-only
      EnclOp op{3, 0x5eed0000 + p * 3 + static_cast<std::uint64_t>(round), e.base + p * kPage + 64, 0};
      ASSERT_EQ(e.call(op, run), 0);
      ASSERT_EQ(run.function, 4u) << "page " << p;
    }
    for (std::uint64_t p = 9; p < pages; ++p) {
      if (p == 10) continue;
      EnclOp op{4, 0, e.base + p * kPage + 64, 0};
      ASSERT_EQ(e.call(op, run), 0);
      ASSERT_EQ(run.function, 4u) << "page " << p;
      EXPECT_EQ(op.value, 0x5eed0000 + p * 3 + static_cast<std::uint64_t>(round)) << "page " << p;
    }
  }
  // The enclave still runs: code, stack and TCS came through.
  EnclOp op{1, 77, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  op = {2, 0, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 77u);
}

// SECINFO flags (SDM 34.11.1): R W X, PENDING, MODIFIED, PR, page type << 8.
constexpr std::uint64_t kR = 0x1, kW = 0x2, kPending = 0x8, kModified = 0x10, kPr = 0x20;
constexpr std::uint64_t kPtTcs = 0x100, kPtReg = 0x200, kPtTrim = 0x400;

// EMODPE extends what RESTRICT_PERMISSIONS took away, from inside.
TEST(Selftest, EmodpeExtendsPermissionsAgain) {
  Enclave e;
  const std::uint64_t page = e.base + 15 * kPage;
  sgx_enclave_restrict_permissions rp{15 * kPage, kPage, kR, 0, 0};
  ASSERT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), 0) << std::strerror(errno);
  EnclOp op{5, kPtReg | kPr | kR, page, 0};
  sgx_enclave_run run;
  ASSERT_EQ(e.call(op, run), 0);
  ASSERT_EQ(op.value, 0u);
  op = {3, 1, page, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.exception_error_code, 0x8007);  // read-only in the EPCM
  // TCS 0's only SSA frame holds that fault (CSSA = NSSA): go on with TCS 1.
  op = {6, kR | kW, page, 0};  // EMODPE RW
  ASSERT_EQ(e.call(op, run, 1), 0);
  ASSERT_EQ(run.function, 4u) << "vector " << run.exception_vector;
  op = {3, 0xabc, page, 0};
  ASSERT_EQ(e.call(op, run, 1), 0);
  ASSERT_EQ(run.function, 4u) << "vector " << run.exception_vector << " error " << run.exception_error_code;
  op = {4, 0, page, 0};
  ASSERT_EQ(e.call(op, run, 1), 0);
  EXPECT_EQ(op.value, 0xabcu);
}

// As the kernel's tcs_create test: pages added at run time (EAUG +
// EACCEPT), one filled with a TCS, changed to a TCS with MODIFY_TYPES,
// EACCEPTed, and entered.
TEST(Selftest, PageChangedToTcsIsEnterable) {
  Enclave e;
  constexpr std::uint64_t kTcs = 20, kSsa = 21, kStack = 31;  // the entry code puts TCS n's stack below page 12 + n
  sgx_enclave_run run;
  for (std::uint64_t p : {kTcs, kSsa, kStack}) {
    EnclOp op{5, kPtReg | kPending | kR | kW, e.base + p * kPage, 0};
    ASSERT_EQ(e.call(op, run), 0);
    ASSERT_EQ(run.function, 4u);
    ASSERT_EQ(op.value, 0u) << "page " << p;
  }
  // The TCS fields (SDM 34.8): OSSA, NSSA, OENTRY, FS/GS limits.
  const std::pair<std::uint64_t, std::uint64_t> fields[] = {
      {16, kSsa * kPage}, {24, 1ull << 32 /* CSSA 0, NSSA 1 */}, {32, 8 * kPage}, {64, 0xfff | (0xfffull << 32)}};
  for (auto [off, v] : fields) {
    EnclOp op{3, v, e.base + kTcs * kPage + off, 0};
    ASSERT_EQ(e.call(op, run), 0);
    ASSERT_EQ(run.function, 4u);
  }
  sgx_enclave_modify_types mt{kTcs * kPage, kPage, 1 /* PT_TCS */, 0, 0};
  ASSERT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt), 0) << std::strerror(errno);
  EXPECT_EQ(mt.count, kPage);
  // Not accepted yet: EENTER faults on the TCS page (EPCM.MODIFIED, SDM EENTER #PF).
  EnclOp op{0, 0, 0, 0};
  ASSERT_EQ(e.call(op, run, kTcs), 0);
  EXPECT_EQ(run.function, 2u);
  EXPECT_EQ(run.exception_vector, 14);
  EXPECT_EQ(run.exception_addr, e.base + kTcs * kPage);
  op = {5, kPtTcs | kModified, e.base + kTcs * kPage, 0};
  ASSERT_EQ(e.call(op, run), 0);
  ASSERT_EQ(run.function, 4u);
  ASSERT_EQ(op.value, 0u);
  op = {1, 4242, 0, 0};
  ASSERT_EQ(e.call(op, run, kTcs), 0);
  ASSERT_EQ(run.function, 4u) << "vector " << run.exception_vector;
  EXPECT_EQ(op.tcs_index, kTcs);
  op = {2, 0, 0, 0};
  ASSERT_EQ(e.call(op, run, kTcs), 0);
  EXPECT_EQ(op.value, 4242u);
}

// Trim, EACCEPT, remove — and the errors on the way (kernel selftests
// remove_added_page_no_eaccept and friends).
TEST(Selftest, RemovePagesAndItsErrors) {
  Enclave e;
  const std::uint64_t page = e.base + 15 * kPage;
  sgx_enclave_run run;
  EnclOp op{3, 0x77, page, 0};
  ASSERT_EQ(e.call(op, run), 0);
  // Not trimmed: EPERM.
  sgx_enclave_remove_pages rm{15 * kPage, kPage, 0};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), -1);
  EXPECT_EQ(errno, EPERM);
  sgx_enclave_modify_types mt{15 * kPage, kPage, 4 /* PT_TRIM */, 0, 0};
  ASSERT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt), 0) << std::strerror(errno);
  // Trimmed but not accepted: REMOVE_PAGES is EPERM, a touch an EPCM fault.
  rm = {15 * kPage, kPage, 0};
  EXPECT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), -1);
  EXPECT_EQ(errno, EPERM);
  op = {4, 0, page, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(run.function, 3u);
  EXPECT_EQ(run.exception_vector, 14);
  EXPECT_EQ(run.exception_error_code, 0x8005);
  EXPECT_EQ(run.exception_addr, page);
  // Accepted (on another TCS: the first one's SSA frame holds the fault).
  op = {5, kPtTrim | kModified, page, 0};
  ASSERT_EQ(e.call(op, run, 1), 0);
  ASSERT_EQ(run.function, 4u);
  EXPECT_EQ(op.value, 0u);
  rm = {15 * kPage, kPage, 0};
  ASSERT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), 0) << std::strerror(errno);
  EXPECT_EQ(rm.count, kPage);
  // Gone: a touch adds a fresh pending page (EAUG), unusable until EACCEPTed.
  op = {4, 0, page, 0};
  ASSERT_EQ(e.call(op, run, 1), 0);
  EXPECT_EQ(run.function, 3u);
  EXPECT_EQ(run.exception_error_code, 0x8005);
  op = {5, kPtReg | kPending | kR | kW, page, 0};
  ASSERT_EQ(e.call(op, run, 2), 0);
  ASSERT_EQ(op.value, 0u);
  op = {4, 1, page, 0};
  ASSERT_EQ(e.call(op, run, 2), 0);
  ASSERT_EQ(run.function, 4u);
  EXPECT_EQ(op.value, 0u);  // a fresh, zeroed page: the old contents are gone
}

// EPC bytes as the kernel's selftests read them (get_total_epc_mem(): CPUID
// leaf 12H, sub-leaves 2 and up while they describe an EPC section); 0 where
// CPUID shows no SGX (no CPUID faulting under nsgx exec, docs/inproc.md).
std::uint64_t total_epc_bytes() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 0x12) return 0;
  std::uint64_t total = 0;
  for (unsigned sub = 2; sub < 18; ++sub) {
    __cpuid_count(0x12, sub, eax, ebx, ecx, edx);
    if ((eax & 0xf) != 1) break;  // not an EPC section: the list ends
    total += (static_cast<std::uint64_t>(edx & 0xfffff) << 32) | (ecx & 0xfffff000u);
  }
  return total;
}

// The kernel's page removal stress test (unclobbered_vdso_oversubscribed_remove)
// with the heap added by EAUG + EACCEPT as in augment_via_eaccept: a heap
// larger than the EPC, MODIFY_TYPES(TRIM) over all of it in one call,
// EACCEPT of every trimmed page, REMOVE_PAGES. Trimmed pages must be
// evictable for the trim to get through. ctest runs the suite with a 4M and
// a 128K EPC; without CPUID emulation the EPC is taken to be the larger.
TEST(Selftest, TrimAndRemoveAHeapLargerThanTheEpc) {
  const std::uint64_t epc = std::max<std::uint64_t>(total_epc_bytes(), 4ull << 20);
  const std::uint64_t size = std::bit_ceil(epc + kEnclSize);
  const std::uint64_t heap = 16 * kPage, heap_size = size - heap;
  ASSERT_GT(heap_size, epc);
  Enclave e(true, Enclave::Stop::kNone, size);
  ASSERT_EQ(e.error, "");
  sgx_enclave_run run;
  for (std::uint64_t off = heap; off < size; off += kPage) {
    EnclOp op{5, kPtReg | kPending | kR | kW, e.base + off, 0};  // EAUG on the touch, EACCEPT
    ASSERT_EQ(e.call(op, run), 0);
    ASSERT_EQ(run.function, 4u) << "offset " << off << " vector " << run.exception_vector;
    ASSERT_EQ(op.value, 0u) << "offset " << off;
  }
  sgx_enclave_modify_types mt{heap, heap_size, 4 /* PT_TRIM */, 0, 0};
  ASSERT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt), 0) << std::strerror(errno) << " after " << mt.count;
  EXPECT_EQ(mt.result, 0u);
  EXPECT_EQ(mt.count, heap_size);
  for (std::uint64_t off = heap; off < size; off += kPage) {
    EnclOp op{5, kPtTrim | kModified, e.base + off, 0};
    ASSERT_EQ(e.call(op, run), 0);
    ASSERT_EQ(run.function, 4u) << "offset " << off << " vector " << run.exception_vector;
    EXPECT_EQ(run.exception_vector, 0);
    ASSERT_EQ(op.value, 0u) << "offset " << off;
  }
  sgx_enclave_remove_pages rm{heap, heap_size, 0};
  ASSERT_EQ(ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), 0) << std::strerror(errno) << " after " << rm.count;
  EXPECT_EQ(rm.count, heap_size);
  // The enclave still runs.
  EnclOp op{1, 31, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  op = {2, 0, 0, 0};
  ASSERT_EQ(e.call(op, run), 0);
  EXPECT_EQ(op.value, 31u);
}
