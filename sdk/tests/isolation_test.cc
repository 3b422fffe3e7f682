// The isolated backend's isolation, attacked from the application and from
// hostile enclaves (docs/isolated.md, threat model). Every attack must fail
// with a clear error and leave the enclave — and every other enclave and
// the monitor — working.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "exceptions_u.h"
#include "identity/enclave_builder.h"
#include "image/sdk_image.h"
#include "runtime/isolated/client.h"
#include "runtime/isolated/mailbox.h"
#include "loaded_enclave.h"
#include "proc_util.h"
#include "sgx_urts.h"

namespace {

using nsgx::sdk_test::children;

// The exceptions enclave, loaded for a scope.
struct Loaded : nsgx::sdk_test::Loaded {
  Loaded() : nsgx::sdk_test::Loaded(NSGX_EXCEPTIONS_ENCLAVE) {}
};

bool works(sgx_enclave_id_t eid) {
  int r = 0;
  return ecall_divide(eid, &r, 84, 2) == SGX_SUCCESS && r == 42;
}

pid_t monitor_pid() {
  auto m = children(getpid(), "nsgx-monitor");
  return m.empty() ? 0 : m.front();
}

// Runs `f` in a child without CAP_SYS_PTRACE (CI runs as root; an ordinary
// user never has it): its exit code is f's result.
int without_ptrace_cap(int (*f)(pid_t), pid_t target) {
  const pid_t c = fork();
  if (c == 0) {
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2]{};
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_SYS_PTRACE);
    d[0].permitted &= ~(1u << CAP_SYS_PTRACE);
    syscall(SYS_capset, &h, d);
    _exit(f(target));
  }
  int st = 0;
  waitpid(c, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

// 0 when every way into `pid`'s memory is refused.
int try_read(pid_t pid) {
  int fails = 0;
  const std::string base = "/proc/" + std::to_string(pid);
  if (open((base + "/mem").c_str(), O_RDONLY) >= 0) fails |= 1;
  char buf[16];
  iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(0x400000), sizeof buf};
  if (process_vm_readv(pid, &local, 1, &remote, 1, 0) >= 0 || errno != EPERM) fails |= 2;
  if (ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) == 0) fails |= 4;
  // Its descriptors (the EPC memfd among them) cannot be opened either.
  for (int fd = 0; fd < 16; ++fd)
    if (open((base + "/fd/" + std::to_string(fd)).c_str(), O_RDONLY) >= 0) fails |= 8;
  return fails;
}

TEST(Isolation, ApplicationCannotReachEnclaveMemory) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  ASSERT_TRUE(works(e.eid));
  // The enclave range is a PROT_NONE reservation in this process.
  std::uint64_t base = 0;
  {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line))
      if (line.find("---p") != std::string::npos && line.rfind("1", 0) == 0 && line.size() > 12) {
        base = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
        break;
      }
  }
  ASSERT_NE(base, 0u);
  char buf[64];
  iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(base), sizeof buf};
  EXPECT_EQ(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), -1);
  EXPECT_EQ(errno, EFAULT);
  EXPECT_EQ(process_vm_writev(getpid(), &local, 1, &remote, 1, 0), -1);
  // No EPC memfd ever reaches this process.
  DIR* d = opendir("/proc/self/fd");
  while (dirent* ent = readdir(d)) {
    char target[256] = {};
    const std::string link = std::string("/proc/self/fd/") + ent->d_name;
    if (readlink(link.c_str(), target, sizeof target - 1) > 0) {
      EXPECT_EQ(std::strstr(target, "nsgx-enclave"), nullptr) << target;
    }
  }
  closedir(d);
  // The monitor and the enclave host: /proc/PID/mem, process_vm_readv, ptrace, /proc/PID/fd.
  const pid_t mon = monitor_pid();
  ASSERT_NE(mon, 0);
  auto hosts = children(mon, "nsgx-enclave");
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_EQ(without_ptrace_cap(try_read, mon), 0);
  EXPECT_EQ(without_ptrace_cap(try_read, hosts.front()), 0);
  EXPECT_TRUE(works(e.eid));
}

TEST(Isolation, ForgedMonitorRequestsGetErrors) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  std::string why;
  nsgx::isolated::Client* c = nsgx::isolated::Client::get(&why);
  ASSERT_NE(c, nullptr) << why;
  using nsgx::isolated::Op;
  nsgx::isolated::Reply r{};
  std::vector<std::uint8_t> junk(100, 0xa5);
  // Unknown op, a handle this connection never got, short bodies, INIT
  // again, pages out of range, a second Hello.
  EXPECT_EQ(c->raw({static_cast<Op>(77), 0, 1}, junk, r), -ENOSYS);
  EXPECT_EQ(c->raw({Op::kAddPages, 0, 424242}, junk, r), -EINVAL);
  EXPECT_EQ(c->raw({Op::kDestroy, 0, 424242}, {}, r), -EINVAL);
  EXPECT_EQ(c->raw({Op::kCreate, 0, 0}, junk, r), -EINVAL);
  EXPECT_EQ(c->raw({Op::kInit, 0, 1}, junk, r), -EINVAL);
  EXPECT_EQ(c->raw({Op::kHello, 0, 0}, junk, r), -EPROTO);
  EXPECT_EQ(c->raw({Op::kEreport, 0, 1}, junk, r), -ENOSYS);  // host-only requests
  nsgx::isolated::AddPages a{1ull << 40, 0x201, 1, 1};
  std::vector<std::uint8_t> body(sizeof a + 4096);
  std::memcpy(body.data(), &a, sizeof a);
  // Handles are numbered from 1 per connection, so this range includes
  // `e`'s: a page added to an initialized enclave is refused as well as
  // one for a handle this connection never got.
  for (std::uint64_t h = 1; h <= 64; ++h) EXPECT_NE(c->raw({Op::kAddPages, 0, h}, body, r), 0) << "handle " << h;
  EXPECT_TRUE(works(e.eid));
  Loaded another;  // the monitor still serves
  EXPECT_EQ(another.status, SGX_SUCCESS);
  EXPECT_TRUE(works(another.eid));
}

TEST(Isolation, SyscallFromEnclaveIsUd) {
  Loaded e, other;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  ASSERT_EQ(other.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  ASSERT_EQ(ecall_syscall(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42 + 6 * 1000);  // the #UD handler ran; getpid never did
  ASSERT_TRUE(works(e.eid));
  // Unhandled: that enclave crashes, the other one does not notice.
  EXPECT_EQ(ecall_syscall(other.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);
  EXPECT_TRUE(works(e.eid));
}

TEST(Isolation, SpinningEnclaveIsStoppedOthersContinue) {
  Loaded other;
  ASSERT_EQ(other.status, SGX_SUCCESS);
  auto* e = new Loaded();
  ASSERT_EQ(e->status, SGX_SUCCESS);
  std::atomic<long> result{-1};
  std::thread t([&] { result = static_cast<long>(ecall_spin(e->eid)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(result.load(), -1);
  EXPECT_TRUE(works(other.eid));  // another enclave is unaffected by the spinner
  delete e;                       // destroys the enclave: its host is stopped
  t.join();
  EXPECT_EQ(result.load(), static_cast<long>(SGX_ERROR_ENCLAVE_LOST));
  EXPECT_TRUE(works(other.eid));
}

// The application is free to write a TCS's mailbox at any time, so it can
// post a second EENTER while the enclave runs on that TCS. SGX answers
// EENTER on a busy TCS with #GP; here the request must likewise be refused
// — never run on the TCS in use — and the enclave must go on working.
TEST(Isolation, EenterOnBusyTcsFaults) {
  using nsgx::isolated::MailExit;
  using nsgx::isolated::MailOp;
  using nsgx::isolated::Mailbox;
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  // flags[0]: release the enclave; flags[1]: the enclave is inside.
  auto* flags = static_cast<volatile int*>(nsgx_untrusted_alloc(64));
  ASSERT_NE(flags, nullptr);
  // A legitimate call first; its mailbox is the one whose request count
  // moved (stale mailboxes of enclaves gone stay in the window), and it
  // tells ecall_busy's index (the hostile side needs both).
  const auto window = nsgx::isolated::Client::get()->window();
  const std::size_t scan = std::min<std::size_t>(window.size(), 32u << 20);
  std::vector<std::uint32_t> before(scan / 64);
  for (std::size_t i = 0; i < before.size(); ++i)
    before[i] = reinterpret_cast<Mailbox*>(window.data() + i * 64)->request.load();
  flags[0] = 1;
  int r = 0;
  ASSERT_EQ(ecall_busy(e.eid, &r, const_cast<int*>(flags)), SGX_SUCCESS);
  ASSERT_EQ(r, 42);
  Mailbox* mb = nullptr;
  for (std::size_t i = 0; i + 5 < before.size(); ++i) {
    auto* m = reinterpret_cast<Mailbox*>(window.data() + i * 64);
    if (m->request.load() != before[i] && m->op == MailOp::kEenter && m->exit == MailExit::kEexit &&
        m->out_rdi == ~0ull && m->request.load() == m->response.load()) {
      ASSERT_EQ(mb, nullptr) << "two mailboxes look like the last call's";
      mb = m;
    }
  }
  ASSERT_NE(mb, nullptr);
  // ecall_busy again, by hand: its marshalling struct as edger8r lays it out.
  struct Ms {
    int retval;
    int* flags;
  };
  auto* ms = static_cast<Ms*>(nsgx_untrusted_alloc(sizeof(Ms)));
  ms->retval = 0;
  ms->flags = const_cast<int*>(flags);
  flags[0] = 0;
  flags[1] = 0;
  const std::uint64_t index = mb->rdi;
  auto post = [&](std::uint64_t rdi, std::uint64_t rsi) {
    mb->op = MailOp::kEenter;
    mb->rdi = rdi, mb->rsi = rsi;
    const std::uint32_t n = mb->request.load() + 1;
    nsgx::isolated::publish(mb->request, n, mb->host_sleeping);
    return n;
  };
  const auto wait_response = [&](std::uint32_t n) {
    for (int i = 0; i < 500 && mb->response.load() != n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return mb->response.load() == n;
  };
  const std::uint32_t first = post(index, reinterpret_cast<std::uint64_t>(ms));
  for (int i = 0; i < 500 && !flags[1]; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(flags[1], 1);                 // the enclave is inside and holds the TCS
  ASSERT_NE(mb->response.load(), first);
  // The hostile second EENTER on the busy TCS.
  const std::uint32_t second = post(index, reinterpret_cast<std::uint64_t>(ms));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(mb->response.load(), second);  // not answered by entering again meanwhile
  flags[0] = 1;
  ASSERT_TRUE(wait_response(second));
  EXPECT_EQ(mb->exit, MailExit::kFault);  // refused, as #GP
  EXPECT_EQ(ms->retval, 42);              // the first entry ran alone and completed
  EXPECT_TRUE(works(e.eid));              // and the enclave serves on
  nsgx_untrusted_free(ms);
  nsgx_untrusted_free(const_cast<int*>(flags));
}

// ecall_busy running on a thread of its own: inside the enclave, spinning,
// until release() (the two flags live in the window, where the enclave
// reads them).
class BusyCall {
 public:
  explicit BusyCall(sgx_enclave_id_t eid) : flags_(static_cast<volatile int*>(nsgx_untrusted_alloc(64))) {
    if (flags_ == nullptr) return;
    flags_[0] = 0;
    flags_[1] = 0;
    thread_ = std::thread([this, eid] { status = ecall_busy(eid, &result, const_cast<int*>(flags_)); });
    for (int i = 0; i < 500 && !flags_[1]; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~BusyCall() {
    release();
    if (flags_ != nullptr) nsgx_untrusted_free(const_cast<int*>(flags_));
  }
  BusyCall(const BusyCall&) = delete;
  BusyCall& operator=(const BusyCall&) = delete;
  bool inside() const { return flags_ != nullptr && flags_[1] == 1; }
  void release() {
    if (flags_ != nullptr) flags_[0] = 1;
    if (thread_.joinable()) thread_.join();
  }
  sgx_status_t status = SGX_ERROR_UNEXPECTED;
  int result = 0;

 private:
  volatile int* flags_;
  std::thread thread_;
};

// On SGX the OS cannot forge an exception. Signals sent by a process to the
// enclave host's threads (the application's user can signal them) must not
// reach the enclave as #DE/#BP/#GP/#UD/#PF nor move it: the enclave keeps
// running, its handler never runs, and its host survives.
TEST(Isolation, SignalsFromProcessesAreNoExceptions) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  BusyCall busy(e.eid);
  ASSERT_TRUE(busy.inside());  // spinning
  const pid_t mon = monitor_pid();
  ASSERT_NE(mon, 0);
  const auto hosts = children(mon, "nsgx-enclave");
  ASSERT_FALSE(hosts.empty());
  int sent = 0;
  for (pid_t h : hosts) {
    DIR* d = opendir(("/proc/" + std::to_string(h) + "/task").c_str());
    ASSERT_NE(d, nullptr);
    std::vector<pid_t> tids;
    while (dirent* de = readdir(d))
      if (const pid_t tid = std::atoi(de->d_name); tid > 0) tids.push_back(tid);
    closedir(d);
    for (int round = 0; round < 20; ++round)
      for (pid_t tid : tids)
        for (int sig : {SIGFPE, SIGTRAP, SIGSEGV, SIGILL, SIGBUS, SIGSYS})
          if (syscall(SYS_tgkill, h, tid, sig) == 0) ++sent;
  }
  EXPECT_GT(sent, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  busy.release();
  EXPECT_EQ(busy.status, SGX_SUCCESS);
  EXPECT_EQ(busy.result, 42);  // ran to its end, entered once
  std::uint64_t handled = 99;
  ASSERT_EQ(ecall_handled_count(e.eid, &handled), SGX_SUCCESS);
  EXPECT_EQ(handled, 0u) << "a forged signal reached the enclave's exception handler";
  EXPECT_TRUE(works(e.eid));
}

// Another process of the host's user sending `sig` to every thread of
// enclave host `h` as fast as it can, until the scope ends.
class Flood {
 public:
  Flood(pid_t h, int sig)
      : thread_([this, h, sig] {
          while (!stop_.load()) {
            DIR* d = opendir(("/proc/" + std::to_string(h) + "/task").c_str());
            if (d == nullptr) return;
            std::vector<pid_t> tids;
            while (dirent* de = readdir(d))
              if (const pid_t tid = std::atoi(de->d_name); tid > 0) tids.push_back(tid);
            closedir(d);
            for (int round = 0; round < 50; ++round)
              for (pid_t tid : tids)
                if (syscall(SYS_tgkill, h, tid, sig) == 0) sent_.fetch_add(1);
          }
        }) {}
  ~Flood() { stop(); }
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;
  long stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return sent_.load();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> sent_{0};
  std::thread thread_;
};

pid_t only_host() {
  const pid_t mon = monitor_pid();
  if (mon == 0) return 0;
  const auto hosts = children(mon, "nsgx-enclave");
  return hosts.size() == 1 ? hosts.front() : 0;
}

// Linux keeps one pending instance of a standard signal: one that another
// process sent and that is pending when the kernel raises its own makes
// the kernel's dropped. A trap (the RIP past the instruction) is then lost
// unless the host makes up for it:
// - ERESUME's INT3 (nsgx_host_resume_trap): a forged SIGTRAP took its
//   place, the dispatcher ignored it, and the worker ran on into the host
//   code after the INT3 — the host died (SGX_ERROR_ENCLAVE_LOST) within a
//   few of the 20,000 resumes below (each handled #UD is an AEX, the
//   handler's entry and an ERESUME).
// - seccomp's SIGSYS for the enclave's SYSCALL: the SYSCALL did not run and
//   no #UD came — the enclave went on with its call number in RAX for an
//   answer (a library OS's read would have read 0 bytes). The handler of
//   ecall_illegal(0) must see #UD at the SYSCALL every time.
// Up to 20,000 calls of `call` (an ECALL's status; its answer in `r`)
// while another process floods host `h` with `sig`, for as long as each
// answers `want`.
struct FloodRun {
  sgx_status_t st = SGX_SUCCESS;
  int r = 0;  // the first answer that was not `want`, else `want`
  int calls = 0;
  long sent = 0;
};
template <typename Call>
FloodRun under_flood(pid_t h, int sig, int want, Call call) {
  FloodRun run;
  run.r = want;
  Flood flood(h, sig);
  while (run.calls < 20000 && run.st == SGX_SUCCESS && run.r == want) {
    run.st = call(run.r);
    ++run.calls;
  }
  run.sent = flood.stop();
  return run;
}

TEST(Isolation, ForgedTrapsDoNotTakeAResumesPlace) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  const pid_t h = only_host();
  ASSERT_NE(h, 0);
  constexpr int kHandled = 42 + 6 * 1000;  // the #UD handler's value
  const FloodRun run = under_flood(h, SIGTRAP, kHandled, [&](int& r) { return ecall_ud2(e.eid, &r); });
  EXPECT_GT(run.sent, 0);
  EXPECT_EQ(run.st, SGX_SUCCESS) << "after " << run.calls << " resumes";
  EXPECT_EQ(run.r, kHandled) << "at the " << run.calls << "th";
  EXPECT_TRUE(works(e.eid));
}

TEST(Isolation, ForgedSigsysDoesNotSkipASyscall) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  const pid_t h = only_host();
  ASSERT_NE(h, 0);
  constexpr int kHandled = 42 + 6 * 1000;  // #UD at the SYSCALL, seen by the handler
  const FloodRun run = under_flood(h, SIGSYS, kHandled, [&](int& r) { return ecall_illegal(e.eid, &r, 0); });
  EXPECT_GT(run.sent, 0);
  EXPECT_EQ(run.st, SGX_SUCCESS) << "after " << run.calls << " system calls";
  EXPECT_EQ(run.r, kHandled) << "ecall_illegal's answer at the " << run.calls << "th (-1: no #UD at the SYSCALL)";
  EXPECT_TRUE(works(e.eid));
}

// The monitor knows which TCS a thread of the enclave host is inside (the
// host's thread table), so the SDM's checks on busy TCSs hold on the
// isolated backend too: while a thread runs inside, EMODT cannot trim its
// TCS (SGX_PAGE_NOT_MODIFIABLE) — trimming every TCS of the image leaves
// exactly the busy one — and the thread completes on it.
TEST(Isolation, BusyTcsCannotBeTrimmed) {
  struct TcsFinder final : nsgx::identity::EnclaveBuilder {
    std::vector<std::uint64_t> offsets;
    nsgx::Status ecreate(std::uint32_t, std::uint64_t) override { return {}; }
    nsgx::Status add_page(std::uint64_t offset, std::uint64_t flags, std::span<const std::uint8_t, 4096>,
                          std::uint16_t) override {
      if ((flags & 0xff00) == 0x100) offsets.push_back(offset);  // SECINFO PAGE_TYPE = PT_TCS
      return {};
    }
  };
  auto img = nsgx::image::SdkImage::parse(nsgx::read_file(NSGX_EXCEPTIONS_ENCLAVE).value()).value();
  TcsFinder found;
  ASSERT_TRUE(img.replay(found));
  ASSERT_GE(found.offsets.size(), 2u);
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  std::uint64_t last = 0;
  ASSERT_EQ(ecall_dynamic_addr(e.eid, &last), SGX_SUCCESS);
  const std::uint64_t base = last + 4096 - img.metadata().enclave_size;
  BusyCall busy(e.eid);
  ASSERT_TRUE(busy.inside());
  int refused = 0;
  for (std::uint64_t off : found.offsets) {
    std::uint64_t result = 0;
    if (nsgx_enclave_modify_types(e.eid, reinterpret_cast<void*>(base + off), 4096, 4 /* TRIM */, &result) !=
        SGX_SUCCESS) {
      ++refused;
      EXPECT_EQ(result, 20u /* SGX_PAGE_NOT_MODIFIABLE */);
    }
  }
  EXPECT_EQ(refused, 1) << "exactly the TCS in use must refuse EMODT";
  busy.release();
  EXPECT_EQ(busy.status, SGX_SUCCESS);
  EXPECT_EQ(busy.result, 42);
}

TEST(Isolation, KilledHostIsLostForItsApplicationOnly) {
  Loaded victim, other;
  ASSERT_EQ(victim.status, SGX_SUCCESS);
  ASSERT_EQ(other.status, SGX_SUCCESS);
  const pid_t mon = monitor_pid();
  auto before = children(mon, "nsgx-enclave");
  ASSERT_EQ(before.size(), 2u);
  // Whichever enclave that host runs must be lost, and only it.
  // No waiting: a call to the dead host returns once the monitor has seen
  // it go and marked its mailboxes lost.
  ASSERT_EQ(kill(before.front(), SIGKILL), 0);
  int r = 0;
  const sgx_status_t a = ecall_divide(victim.eid, &r, 4, 2), b = ecall_divide(other.eid, &r, 4, 2);
  EXPECT_TRUE((a == SGX_ERROR_ENCLAVE_LOST) != (b == SGX_ERROR_ENCLAVE_LOST)) << a << " " << b;
  EXPECT_TRUE(a == SGX_SUCCESS || b == SGX_SUCCESS);
  // The monitor serves on: a new enclave works.
  Loaded fresh;
  ASSERT_EQ(fresh.status, SGX_SUCCESS);
  EXPECT_TRUE(works(fresh.eid));
}

// Run alone, by the sdk_isolation_full_epc ctest entry, with an EPC smaller
// than the enclave (the private monitor takes NSGX_EPC_SIZE from this
// process); the sdk_isolation entry excludes it.
TEST(IsolationFullEpc, LoadingIsOutOfEpc) {
  ASSERT_NE(std::getenv("NSGX_EPC_SIZE"), nullptr) << "needs NSGX_EPC_SIZE smaller than the enclave";
  Loaded e;
  EXPECT_EQ(e.status, SGX_ERROR_OUT_OF_EPC);
}

}  // namespace
