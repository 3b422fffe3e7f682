// Exception handling in real enclaves under `nsgx exec`: the SDK's
// two-phase flow (AEX, ECMD_EXCEPT, ERESUME into the handlers) for #DE,
// #UD, #BP, an EPCM #PF and a #PF on an unbacked page of ELRANGE, handlers
// that change the state and continue; an unhandled exception crashes that
// enclave only; the CPUID instruction inside.
#include <asm/prctl.h>
#include <cpuid.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "exceptions_u.h"
#include "loaded_enclave.h"
#include "sgx_urts.h"

namespace {

// The exceptions enclave, loaded for a scope.
struct Loaded : nsgx::sdk_test::Loaded {
  Loaded() : nsgx::sdk_test::Loaded(NSGX_EXCEPTIONS_ENCLAVE) {}
};

// Whether CPUID faults in this process (the inproc backend's CPUID
// faulting, arch_prctl(ARCH_SET_CPUID)): then the enclave's CPUID is #UD,
// as on SGX; else it runs as any instruction does.
bool cpuid_faults() { return syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) == 0; }

// The CPUID instruction inside an enclave built with this SDK: leaves 0, 1
// and 7 give what the application sees (leaf 1's EBX[31:24], the APIC id
// of whichever CPU ran it, aside), whether CPUID ran (no CPUID faulting) or
// was #UD and answered by the trusted runtime from the rows the
// application passed (with no handler, and after a handler that declines
// it, which sees the #UD first as on SGX). A leaf that was not passed stays
// #UD: the enclave crashes. Before, every CPUID that faulted crashed the
// enclave — Debian's mbedTLS executes one at its first AES, so sealing,
// reports and key exchange crashed wherever CPUID faults (and on SGX).
// sdk_exceptions_nocpuid_inproc runs this without CPUID faulting.
TEST(Exceptions, CpuidInsideIsAnsweredFromTheApplicationsRows) {
  const bool faults = cpuid_faults();
  std::printf("CPUID %s in this process\n", faults ? "faults (answered by the trusted runtime)" : "runs");
  const auto expect_leaves = [](sgx_enclave_id_t eid) {
    for (std::uint32_t leaf : {0u, 1u, 7u}) {
      std::uint32_t in[4] = {}, out[4] = {};
      ASSERT_EQ(ecall_cpuid_insn(eid, leaf, 0, in), SGX_SUCCESS) << "leaf " << leaf;
      __cpuid_count(leaf, 0, out[0], out[1], out[2], out[3]);
      if (leaf == 1) in[1] &= 0x00ffffffu, out[1] &= 0x00ffffffu;
      for (int r = 0; r < 4; ++r) EXPECT_EQ(in[r], out[r]) << "leaf " << leaf << " register " << r;
    }
  };
  Loaded plain;
  ASSERT_EQ(plain.status, SGX_SUCCESS);
  expect_leaves(plain.eid);
  Loaded declining;
  ASSERT_EQ(declining.status, SGX_SUCCESS);
  int ok = 0;
  ASSERT_EQ(ecall_install_decliner(declining.eid, &ok), SGX_SUCCESS);
  ASSERT_EQ(ok, 1);
  expect_leaves(declining.eid);
  int seen = -1;
  ASSERT_EQ(ecall_declined_uds(declining.eid, &seen), SGX_SUCCESS);
  EXPECT_EQ(seen, faults ? 3 : 0);
  if (faults) {
    std::uint32_t regs[4];
    EXPECT_EQ(ecall_cpuid_insn(plain.eid, 0x80000000u, 0, regs), SGX_ERROR_ENCLAVE_CRASHED);
    EXPECT_EQ(ecall_cpuid_insn(declining.eid, 7, 1, regs), SGX_ERROR_ENCLAVE_CRASHED);  // only sub-leaf 0 was passed
  }
}

TEST(Exceptions, HandlersRepairAndContinue) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  ASSERT_EQ(ok, 1);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 0), SGX_SUCCESS);  // #DE, handled: -1
  EXPECT_EQ(r, -1);
  ASSERT_EQ(ecall_ud2(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42 + 6 * 1000);  // the handler's value, vector 6
  ASSERT_EQ(ecall_int3(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 7 + 3 * 1000 + 6 * 100000);  // vector 3, SGX_EXCEPTION_SOFTWARE
  ASSERT_EQ(ecall_write_code(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42 + 14 * 1000);  // #PF on the read-only code page
  r = 0;
  ASSERT_EQ(ecall_touch_unmapped(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42 + 14 * 1000);  // #PF on a guard page of ELRANGE (no EPC page)
  // Many in a row: each exception uses the second SSA frame and gives it back.
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(ecall_divide(e.eid, &r, i, 0), SGX_SUCCESS);
    ASSERT_EQ(r, -1);
  }
  std::uint64_t n = 0;
  ASSERT_EQ(ecall_handled_count(e.eid, &n), SGX_SUCCESS);
  EXPECT_EQ(n, 5u + 50u);
  ASSERT_EQ(ecall_handler_api(e.eid, &ok), SGX_SUCCESS);
  EXPECT_EQ(ok, 1);
}

TEST(Exceptions, UnhandledCrashesThatEnclaveOnly) {
  Loaded victim, other;
  ASSERT_EQ(victim.status, SGX_SUCCESS);
  ASSERT_EQ(other.status, SGX_SUCCESS);
  int r = 0;
  EXPECT_EQ(ecall_divide(victim.eid, &r, 1, 0), SGX_ERROR_ENCLAVE_CRASHED);  // no handler installed
  EXPECT_EQ(ecall_divide(victim.eid, &r, 4, 2), SGX_ERROR_ENCLAVE_CRASHED);  // and it stays crashed
  ASSERT_EQ(ecall_divide(other.eid, &r, 4, 2), SGX_SUCCESS);                 // the other one is fine
  EXPECT_EQ(r, 2);
  int ok = 0;
  ASSERT_EQ(ecall_install(other.eid, &ok), SGX_SUCCESS);
  ecall_uninstall(other.eid);
  EXPECT_EQ(ecall_ud2(other.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);  // handlers removed again
}

// SYSCALL, SYSENTER and INT 0x80 are #UD inside an enclave (SDM Vol. 3D):
// none reaches the kernel (each asks for exit_group, which would end this
// process), each reaches the enclave's handler at the instruction, which
// skips it, and the enclave goes on. Without a handler the enclave crashes
// and another one goes on.
TEST(Exceptions, SystemCallInstructionsAreUd) {
  Loaded e, other;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  ASSERT_EQ(other.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  for (int round = 0; round < 3; ++round) {
    for (int which = 0; which < 3; ++which) {
      ASSERT_EQ(ecall_illegal(e.eid, &r, which), SGX_SUCCESS) << which;
      EXPECT_EQ(r, 42 + 6 * 1000) << "instruction " << which;  // #UD, at the instruction
    }
  }
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  EXPECT_EQ(ecall_illegal(other.eid, &r, 0), SGX_ERROR_ENCLAVE_CRASHED);  // no handler there
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
}

// A program's FS base without FSGSBASE (docs/libos.md): arch_prctl is #UD
// inside; a first-phase handler writes the value into the SSA frame and the
// ERESUME that follows loads it (SDM ERESUME: FS/GS from GPRSGX), on each
// backend; it survives a later exception and the enclave's own comes back.
TEST(Exceptions, FirstPhaseHandlerSetsFsThroughEresume) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);  // the phase-2 #UD handler for the ud2 inside
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ecall_program_fs(e.eid, &r), SGX_SUCCESS);
    EXPECT_EQ(r, 42) << "round " << i;
  }
  ASSERT_EQ(ecall_illegal(e.eid, &r, 0), SGX_SUCCESS);  // the phase-2 handlers still see system calls
  EXPECT_EQ(r, 42 + 6 * 1000);
}

// A first-phase handler may change the frame and still leave the exception
// to the phase-2 handlers (NSGX_FIRST_PHASE_SECOND; the library OS moves a
// started thread's RSP onto its TCS's stack this way, docs/libos.md
// "Threads"); they see the change. Returning 0 keeps nothing it changed.
TEST(Exceptions, FirstPhaseHandlerCanHandTheChangedFrameToPhaseTwo) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  ASSERT_EQ(ecall_first_phase_to_second(e.eid, &r, 1), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_first_phase_to_second(e.eid, &r, 0), SGX_SUCCESS);
  EXPECT_EQ(r, 43);
  ASSERT_EQ(ecall_illegal(e.eid, &r, 0), SGX_SUCCESS);  // the phase-2 handlers still see system calls
  EXPECT_EQ(r, 42 + 6 * 1000);
}

// The exception turnaround (docs/isolated.md): on the isolated backend the
// enclave host answers an AEX that the enclave handles — the SDK's
// exception entry, its EEXIT, ERESUME — without a round trip through the
// application, and reports to the application only an exception the
// enclave does not handle; with NSGX_EXCEPTION_TURNAROUND=off, or on
// inproc (no application round trip to remove there), the application
// makes every exception entry. The enclave's handlers see the same either
// way.
bool isolated_backend() {
  const char* b = std::getenv("NSGX_BACKEND");
  return b == nullptr || *b == 0 || std::strcmp(b, "isolated") == 0;
}

struct Counts {
  std::uint64_t host = 0, app = 0;
};
Counts counts(sgx_enclave_id_t eid) {
  Counts c;
  EXPECT_EQ(nsgx_enclave_exception_counts(eid, &c.host, &c.app), SGX_SUCCESS);
  return c;
}

TEST(Exceptions, HandledExceptionsAreTurnedAroundInTheHost) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  ASSERT_EQ(ok, 1);
  const Counts before = counts(e.eid);
  EXPECT_EQ(before.host + before.app, 0u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ecall_illegal(e.eid, &r, 0), SGX_SUCCESS);  // SYSCALL: #UD, handled
    EXPECT_EQ(r, 42 + 6 * 1000);
  }
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 0), SGX_SUCCESS);  // #DE, handled
  EXPECT_EQ(r, -1);
  // An exception inside a handler (#UD in the #DE handler), both handled.
  ASSERT_EQ(ecall_fault_in_handler(e.eid, &r, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  const Counts after = counts(e.eid);
  if (isolated_backend()) {
    EXPECT_EQ(after.host, 8u) << "each handled AEX answered in the enclave host";
    EXPECT_EQ(after.app, 0u) << "no exception entry by the application";
  } else {
    EXPECT_EQ(after.host, 0u);
    EXPECT_EQ(after.app, 8u);
  }
  // Unhandled (handlers removed): reported to the application, which sees
  // the crash as before.
  ecall_uninstall(e.eid);
  EXPECT_EQ(ecall_ud2(e.eid, &r), SGX_ERROR_ENCLAVE_CRASHED);
  const Counts crashed = counts(e.eid);
  EXPECT_EQ(crashed.host, after.host);
  EXPECT_EQ(crashed.app, after.app + 1) << "the unhandled AEX reached the application";
  std::uint64_t x = 0;
  EXPECT_EQ(nsgx_enclave_exception_counts(e.eid, nullptr, &x), SGX_ERROR_INVALID_PARAMETER);
}

// The same enclave with the turnaround off: every exception entry is the
// application's, and the handlers see the same. On inproc (no host; the
// setting is the isolated backend's and ignored there) that is always so.
TEST(Exceptions, TurnaroundOffReportsEveryAex) {
  setenv("NSGX_EXCEPTION_TURNAROUND", "off", 1);
  Loaded e;
  unsetenv("NSGX_EXCEPTION_TURNAROUND");
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int ok = 0, r = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(ecall_illegal(e.eid, &r, 0), SGX_SUCCESS);
    EXPECT_EQ(r, 42 + 6 * 1000);
  }
  ASSERT_EQ(ecall_fault_in_handler(e.eid, &r, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  const Counts c = counts(e.eid);
  EXPECT_EQ(c.host, 0u);
  EXPECT_EQ(c.app, 5u);
  if (!isolated_backend()) return;  // inproc does not read the setting
  setenv("NSGX_EXCEPTION_TURNAROUND", "sometimes", 1);
  Loaded bad;
  unsetenv("NSGX_EXCEPTION_TURNAROUND");
  EXPECT_EQ(bad.status, SGX_ERROR_INVALID_PARAMETER);
}

// A handler that faults during the exception entry (CSSA 1): its AEX takes
// the last SSA frame, the next exception entry is refused, and the
// application gets the crash — with the turnaround as without it; the
// crashed enclave stays crashed and another one goes on.
TEST(Exceptions, FirstPhaseHandlerThatFaultsCrashesThatEnclaveOnly) {
  for (const char* mode : {"on", "off"}) {
    SCOPED_TRACE(mode);
    setenv("NSGX_EXCEPTION_TURNAROUND", mode, 1);
    Loaded victim, other;
    unsetenv("NSGX_EXCEPTION_TURNAROUND");
    ASSERT_EQ(victim.status, SGX_SUCCESS);
    ASSERT_EQ(other.status, SGX_SUCCESS);
    int ok = 0, r = 0;
    ASSERT_EQ(ecall_install(victim.eid, &ok), SGX_SUCCESS);
    ASSERT_EQ(ecall_install(other.eid, &ok), SGX_SUCCESS);
    EXPECT_EQ(ecall_fault_in_handler(victim.eid, &r, 1), SGX_ERROR_ENCLAVE_CRASHED);
    const Counts c = counts(victim.eid);
    EXPECT_EQ(c.host, 0u) << "nothing handled";
    EXPECT_GE(c.app, 1u) << "the application learned of it";
    EXPECT_EQ(ecall_divide(victim.eid, &r, 4, 2), SGX_ERROR_ENCLAVE_CRASHED);
    ASSERT_EQ(ecall_illegal(other.eid, &r, 0), SGX_SUCCESS);
    EXPECT_EQ(r, 42 + 6 * 1000);
  }
}

// Interrupts (sgx_urts.h nsgx_interrupt_reentry; docs/isolated.md
// "Interrupts"): a signal handler of the application asks for one while the
// thread computes inside the enclave — on inproc the urts re-enters at the
// AEP, on isolated the enclave host interrupts its worker and makes the
// same entry. The enclave's first-phase handler is offered each as
// NSGX_INTERRUPT_VECTOR and declines; the computation resumes unchanged.
// Without interrupts the ECALL would never return (the test's timeout).
std::atomic<std::uint64_t> g_interrupt_asks{0};
void ask_interrupt(int, siginfo_t*, void* uc) {
  if (nsgx_interrupt_reentry(uc) != 0) g_interrupt_asks.fetch_add(1, std::memory_order_relaxed);
}

// Sends SIGUSR2 to `target` every `pause_us` (0: as fast as it can) until
// stopped.
class Kicker {
 public:
  Kicker(pthread_t target, unsigned pause_us) {
    struct sigaction sa {};
    sa.sa_sigaction = ask_interrupt;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, nullptr);
    thread_ = std::thread([this, target, pause_us] {
      while (!stop_.load()) {
        pthread_kill(target, SIGUSR2);
        ++sent_;
        if (pause_us != 0) usleep(pause_us);
      }
    });
  }
  ~Kicker() {
    stop_.store(true);
    thread_.join();
    signal(SIGUSR2, SIG_IGN);
  }
  std::uint64_t sent() const { return sent_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

TEST(Interrupts, ReachAThreadThatComputesAndKeepItsState) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0;
  {
    Kicker kicker(pthread_self(), 1000);
    ASSERT_EQ(ecall_count_interrupts(e.eid, &r, 20), SGX_SUCCESS);
  }
  EXPECT_EQ(r, 42) << "-2: an interrupt offered as an exception vector; -3: a register changed";
  EXPECT_GE(g_interrupt_asks.load(), 20u);
  // Interrupts are not exceptions: the turnaround's counts stay as they were.
  const Counts c = counts(e.eid);
  EXPECT_EQ(c.host + c.app, 0u);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);  // and calls go on as before
  EXPECT_EQ(r, 42);
}

// A storm of interrupts (the signal sent as fast as a thread can) while the
// enclave computes: it slows that enclave only. Another enclave of the
// same process (on isolated: the same monitor, another enclave host)
// answers checked calls meanwhile, and both go on afterwards.
TEST(Interrupts, AStormSlowsOnlyItsOwnEnclave) {
  Loaded e, other;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  ASSERT_EQ(other.status, SGX_SUCCESS);
  std::atomic<bool> done{false};
  std::atomic<int> other_calls{0}, other_wrong{0};
  std::thread beside([&] {
    int q = 0;
    for (int i = 1; !done.load(); ++i) {
      if (ecall_divide(other.eid, &q, 6 * i, 3) != SGX_SUCCESS || q != 2 * i) other_wrong.fetch_add(1);
      other_calls.fetch_add(1);
    }
  });
  int r = 0;
  std::uint64_t sent = 0;
  {
    Kicker kicker(pthread_self(), 0);
    EXPECT_EQ(ecall_count_interrupts(e.eid, &r, 500), SGX_SUCCESS);
    sent = kicker.sent();
  }
  done.store(true);
  beside.join();
  EXPECT_EQ(r, 42);
  EXPECT_GE(sent, 500u);
  EXPECT_GT(other_calls.load(), 0);
  EXPECT_EQ(other_wrong.load(), 0);
  int q = 0;
  ASSERT_EQ(ecall_divide(e.eid, &q, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(q, 42);
  ASSERT_EQ(ecall_divide(other.eid, &q, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(q, 42);
}

// Interrupts that find the thread on no stack of the enclave's: the
// trusted runtime's own exits and entries run a few dozen instructions on
// the untrusted stack (the registers scrubbed before EEXIT, the exit gate's
// checks after EENTER), which every OCALL passes twice. The first phase has
// no stack there: such an interrupt's re-entry is declined without it, and
// the thread resumes untouched, its exit gate too. Refused, each reported
// a crash and cleared the gate of the exit it interrupted, and an
// interrupt between an exit's gate check and its jump sent it to 0 (the
// library OS's bash job lost its enclave under CI's load, its children's
// SIGCHLD kicks landing there). Here the ECALL counts down on an untrusted
// stack, or on enclave memory that is no stack, in slices between slices
// on its own stack, while interrupts are asked as fast as the kicker can;
// its return must still leave through the gate. It goes on until 50
// interrupts were offered on its own stack, so that about as many landed
// off it, however loaded the machine.
void spin_off_stack(bool untrusted) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0;
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  std::uint64_t gate0 = 0, trap0 = 0;
  ASSERT_EQ(nsgx_enclave_exit_counts(e.eid, &gate0, &trap0), SGX_SUCCESS);
  ASSERT_GT(gate0, 0u) << "the ECALL did not leave through the exit gate";
  // Memory where untrusted stacks are: on isolated the window the enclave
  // host maps too (nsgx_untrusted_alloc). The loop pushes nothing; on
  // inproc the kernel's signal frames for the interrupts go below it, as
  // they do in those instructions.
  constexpr std::size_t kStack = 256 * 1024;
  void* stack = nsgx_untrusted_alloc(kStack);
  ASSERT_NE(stack, nullptr);
  auto* top = static_cast<std::uint64_t*>(stack) + kStack / 8 - 8;
  int slices = 0;
  {
    Kicker kicker(pthread_self(), 0);
    ASSERT_EQ(ecall_spin_off_stack(e.eid, &r, untrusted ? top : nullptr, 1u << 18, 50, &slices), SGX_SUCCESS);
  }
  nsgx_untrusted_free(stack);
  EXPECT_EQ(r, 42) << "-2: an interrupt offered as an exception vector; -3: too few reached the thread";
  std::uint64_t gate1 = 0, trap1 = 0;
  ASSERT_EQ(nsgx_enclave_exit_counts(e.eid, &gate1, &trap1), SGX_SUCCESS);
  EXPECT_EQ(trap1, trap0) << "an interrupt's entry took the ECALL's exit gate";
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);  // and the enclave goes on
  EXPECT_EQ(r, 42);
}

TEST(Interrupts, OnTheUntrustedStackAreDeclined) { spin_off_stack(true); }
TEST(Interrupts, OnEnclaveMemoryThatIsNoStackAreDeclined) { spin_off_stack(false); }

TEST(Cxx, ClassesNewDeleteAndStatics) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0;
  ASSERT_EQ(ecall_cxx(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 101);
  ASSERT_EQ(ecall_cxx(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 102);  // the local static was initialized once
}

// SGX2 from inside the enclave, as the SDK's EMM does it: the first touch
// of an unused ELRANGE page (EACCEPT) is EAUGed by the driver, EACCEPT makes
// it usable, EMODPE makes it executable, and the page tables follow the
// EPCM each time (inproc: the VMA; isolated: the enclave host's mapping).
TEST(Sgx2, DynamicPageAcceptedExtendedAndRun) {
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0;
  ASSERT_EQ(ecall_dynamic_page(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
}

// The untrusted half of SGX2 (nsgx_enclave_*: the driver's ioctls on either
// backend) with the enclave's EACCEPTs: restrict a dynamic page to read-only
// (EMODPR, then a write faults), trim it (EMODT), remove it; the next touch
// brings a fresh zeroed page. Each step changes what the monitor lets the
// backend map (Platform::page_mapped): the enclave's writes follow it on
// both backends. Misuse gets errors and changes nothing.
TEST(Sgx2, RestrictTrimAndRemove) {
  constexpr std::uint64_t kR = 1, kModified = 1u << 4, kPr = 1u << 5;
  constexpr std::uint64_t kPtReg = 2u << 8, kPtTrim = 4u << 8;
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  int r = 0, ok = 0;
  ASSERT_EQ(ecall_install(e.eid, &ok), SGX_SUCCESS);
  ASSERT_EQ(ecall_dynamic_page(e.eid, &r), SGX_SUCCESS);
  ASSERT_EQ(r, 42);
  std::uint64_t page = 0, st = 0, result = 0;
  ASSERT_EQ(ecall_dynamic_addr(e.eid, &page), SGX_SUCCESS);
  void* p = reinterpret_cast<void*>(page);
  ASSERT_EQ(ecall_write_at(e.eid, &r, page), SGX_SUCCESS);
  EXPECT_EQ(r, 0);  // writable now

  // Misuse: unaligned, outside the enclave, an unknown enclave.
  EXPECT_EQ(nsgx_enclave_restrict_permissions(e.eid, static_cast<char*>(p) + 1, 4096, kR, nullptr),
            SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(nsgx_enclave_restrict_permissions(e.eid, static_cast<char*>(p) + 4096, 4096, kR, nullptr),
            SGX_ERROR_INVALID_PARAMETER);
  EXPECT_EQ(nsgx_enclave_remove_pages(e.eid + 1000, p, 4096), SGX_ERROR_INVALID_ENCLAVE_ID);
  // A page not trimmed cannot be removed.
  EXPECT_EQ(nsgx_enclave_remove_pages(e.eid, p, 4096), SGX_ERROR_INVALID_PARAMETER);

  ASSERT_EQ(nsgx_enclave_restrict_permissions(e.eid, p, 4096, kR, &result), SGX_SUCCESS) << result;
  ASSERT_EQ(ecall_accept(e.eid, &st, page, kR | kPr | kPtReg), SGX_SUCCESS);
  EXPECT_EQ(st, 0u);
  ASSERT_EQ(ecall_write_at(e.eid, &r, page), SGX_SUCCESS);
  EXPECT_EQ(r, 42);  // the write faulted and the handler skipped it

  ASSERT_EQ(nsgx_enclave_modify_types(e.eid, p, 4096, 4 /* TRIM */, &result), SGX_SUCCESS) << result;
  // MODIFIED until accepted: no access at all (the monitor unmapped it).
  ASSERT_EQ(ecall_write_at(e.eid, &r, page), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_accept(e.eid, &st, page, kModified | kPtTrim), SGX_SUCCESS);
  EXPECT_EQ(st, 0u);
  ASSERT_EQ(ecall_write_at(e.eid, &r, page), SGX_SUCCESS);
  EXPECT_EQ(r, 42);  // a trimmed page stays inaccessible
  ASSERT_EQ(nsgx_enclave_remove_pages(e.eid, p, 4096), SGX_SUCCESS);
  // Gone: a touch brings a page (EAUG), but PENDING: no access until EACCEPT.
  ASSERT_EQ(ecall_write_at(e.eid, &r, page), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  // The EACCEPT of that pending page (zeroed, which ecall_dynamic_page checks) makes it usable.
  ASSERT_EQ(ecall_dynamic_page(e.eid, &r), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 42);
}

// SGX2 threads: the enclave builds a TCS in dynamic pages, the application
// changes the page's type (EMODT), the enclave accepts it, and the runtime
// adds it to the pool: the next ECALL runs on it; it cannot be added twice.
// Trimmed again (EMODT), it is no TCS: entering it faults as EENTER's #GP.
TEST(Sgx2, TcsAddedAtRunTimeServesCalls) {
  constexpr std::uint64_t kModified = 1u << 4, kPtTcs = 1u << 8;
  Loaded e;
  ASSERT_EQ(e.status, SGX_SUCCESS);
  std::uint64_t tcs = 0, st = 0, result = 0;
  ASSERT_EQ(ecall_prepare_tcs(e.eid, &tcs), SGX_SUCCESS);
  ASSERT_NE(tcs, 0u);
  void* t = reinterpret_cast<void*>(tcs);
  ASSERT_EQ(nsgx_enclave_modify_types(e.eid, t, 4096, 1 /* TCS */, &result), SGX_SUCCESS) << result;
  int r = 0;
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);  // still on the image's TCSs
  EXPECT_EQ(r, 42);
  ASSERT_EQ(ecall_accept(e.eid, &st, tcs, kPtTcs | kModified), SGX_SUCCESS);
  ASSERT_EQ(st, 0u);
  ASSERT_EQ(nsgx_enclave_add_tcs(e.eid, t), SGX_SUCCESS);
  EXPECT_EQ(nsgx_enclave_add_tcs(e.eid, t), SGX_ERROR_INVALID_PARAMETER);  // already there
  // The pool hands out the newest TCS first: this call runs the stub.
  r = 0;
  ASSERT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_SUCCESS);
  EXPECT_EQ(r, 0x7c5);
  ASSERT_EQ(nsgx_enclave_modify_types(e.eid, t, 4096, 4 /* TRIM */, &result), SGX_SUCCESS) << result;
  EXPECT_EQ(ecall_divide(e.eid, &r, 84, 2), SGX_ERROR_ENCLAVE_CRASHED);
}

}  // namespace
