// The untrusted runtime (SGX SDK interface: sgx_create_enclave,
// sgx_destroy_enclave, and sgx_ecall for the generated proxies), over one
// of two backends, chosen by NSGX_BACKEND:
//  - isolated (the default): the enclave lives in an enclave host process
//    of nsgx-monitor; this process never maps its memory. Loading goes over
//    the monitor's socket; EENTER/EEXIT through a mailbox per TCS in the
//    window (memory shared with the host), which also holds the untrusted
//    stacks of OCALLs and the staged ECALL buffers (nsgx_ecall_ex).
//  - inproc / sgx: the upstream Linux SGX interface — /dev/sgx_enclave's
//    ioctls and mmap, and __vdso_sgx_enter_enclave — as on SGX hardware or
//    under `nsgx exec` (which sets NSGX_BACKEND=inproc).
// Either way the image is replayed exactly as `nsgx measure` replays it
// (image::SdkImage), into the driver instead of a hash.
#include <asm/sgx.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/ssa.h"
#include "arch/sgx/tcs.h"
#include "base/low_memory.h"
#include "image/sdk_image.h"
#include "runtime/common/config.h"
#include "runtime/common/exit_gate.h"
#include "runtime/isolated/client.h"
#include "runtime/isolated/mailbox.h"
#include "sdk/urts/backend.h"
#include "sdk/urts/debugger.h"
#include "sdk/urts/load.h"
#include "sdk/urts/switchless.h"
#include "sdk/urts/system_features.h"
#include "sgx_edger8r.h"
#include "sgx_urts.h"

using vdso_fn = int (*)(unsigned long, unsigned long, unsigned long, unsigned int, unsigned long, unsigned long,
                        sgx_enclave_run*);
extern "C" {
int nsgx_urts_enter(vdso_fn fn, long rdi, void* rsi, sgx_enclave_run* run, std::uint64_t eexit_landing,
                    const std::uint64_t* r8_r9);
int nsgx_urts_vdso_handler(long, long, long, long, long, long, sgx_enclave_run*);
}

namespace nsgx::urts {

bool use_isolated() {
  const char* b = std::getenv("NSGX_BACKEND");
  // Otherwise "inproc" (under nsgx exec) or "sgx" (hardware): /dev/sgx_enclave.
  return b == nullptr || *b == 0 || std::strcmp(b, "isolated") == 0;
}

namespace {

constexpr long kEcmdInitEnclave = -1, kEcmdOret = -2, kEcmdExcept = -3, kOcmdEret = -1;

constexpr std::uint64_t kPage = 4096;
// Isolated backend: mailboxes beyond the image's TCSs, for TCSs an enclave
// adds at run time (SGX2).
constexpr std::uint32_t kSpareTcs = 16;

// The classic vDSO symbol lookup (Documentation/vDSO/parse_vdso.c): the
// address of `name`, or 0.
std::uint64_t vdso_symbol(const char* name) {
  const auto base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return 0;
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  const Elf64_Dyn* dyn = nullptr;
  for (int i = 0; i < eh->e_phnum; ++i) {
    const auto* ph =
        reinterpret_cast<const Elf64_Phdr*>(base + eh->e_phoff + static_cast<std::uint64_t>(i) * eh->e_phentsize);
    if (ph->p_type == PT_DYNAMIC) dyn = reinterpret_cast<const Elf64_Dyn*>(base + ph->p_offset);
  }
  const Elf64_Word* hash = nullptr;
  const Elf64_Sym* sym = nullptr;
  const char* str = nullptr;
  for (; dyn && dyn->d_tag != DT_NULL; ++dyn) {
    if (dyn->d_tag == DT_HASH) hash = reinterpret_cast<const Elf64_Word*>(base + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_SYMTAB) sym = reinterpret_cast<const Elf64_Sym*>(base + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) str = reinterpret_cast<const char*>(base + dyn->d_un.d_ptr);
  }
  if (!hash || !sym || !str) return 0;
  for (Elf64_Word i = 0; i < hash[1]; ++i)
    if (sym[i].st_shndx != SHN_UNDEF && std::strcmp(str + sym[i].st_name, name) == 0) return base + sym[i].st_value;
  return 0;
}

vdso_fn find_vdso() { return reinterpret_cast<vdso_fn>(vdso_symbol("__vdso_sgx_enter_enclave")); }

// The inproc backend's exit-gate offer (docs/inproc.md, "The exit gate"):
// its vDSO image (runtime/inproc/vdso_image.cc) exports this beside
// __vdso_sgx_enter_enclave; no kernel's vDSO does, and without it every
// exit traps. It returns the calling thread's descriptor (nullptr if none)
// and how many exits the thread has made through it.
using exit_gate_fn = const nsgx_exit_gate* (*)(std::uint64_t*);
exit_gate_fn find_exit_gate() { return reinterpret_cast<exit_gate_fn>(vdso_symbol("__vdso_nsgx_exit_gate")); }

// Where an enclave's EEXIT must land in the vDSO: the instruction after its
// one ENCLU, which is also the AEP (vsgx.S: `lea .Lasync_exit_pointer(%rip),
// %rcx` before it; SDM EENTER puts that next address in RCX). The SGX SDK's
// trusted runtime (2.20's enclave_entry) takes its EEXIT target from R13
// instead, so nsgx_urts_enter puts it there as well — the vDSO itself keeps
// R13 as it is (the kernel's selftests check that it does). Found by
// decoding that LEA and checking ENCLU at its target; 0 if not found (our
// own trusted runtime does not need it).
std::uint64_t vdso_eexit_landing(vdso_fn fn) {
  if (fn == nullptr) return 0;
  const auto* code = reinterpret_cast<const std::uint8_t*>(fn);
  // nsgx exec's vDSO image holds thunks to the real function: `movabs
  // $target, %rax; jmp *%rax` (runtime/inproc/vdso_image.cc).
  if (code[0] == 0x48 && code[1] == 0xb8 && code[10] == 0xff && code[11] == 0xe0) {
    std::uint64_t target;
    std::memcpy(&target, code + 2, 8);
    code = reinterpret_cast<const std::uint8_t*>(target);
  }
  for (std::size_t i = 0; i + 7 <= 512; ++i) {
    if (code[i] != 0x48 || code[i + 1] != 0x8d || code[i + 2] != 0x0d) continue;  // lea disp32(%rip), %rcx
    std::int32_t disp;
    std::memcpy(&disp, code + i + 3, 4);
    const auto* aep = code + i + 7 + disp;
    if (aep[0] == 0x0f && aep[1] == 0x01 && aep[2] == 0xd7) return reinterpret_cast<std::uint64_t>(aep + 3);
  }
  return 0;
}

struct Enclave {
  int fd = -1;
  std::uint8_t* area = nullptr;
  std::size_t area_size = 0;
  std::uint64_t base = 0, size = 0;
  std::uint64_t low = 0;  // ELRANGE's bytes below vm.mmap_min_addr, never mapped (base 0 only)
  std::mutex tcs_mu;
  std::vector<std::uint64_t> free_tcs;
  std::atomic<bool> crashed{false};
  bool debug = false;  // SECS.ATTRIBUTES.DEBUG: a crash may be described (NSGX_DEBUG)
  std::map<std::uint64_t, std::uint64_t> tcs_ossa;  // /dev/sgx_enclave: each image TCS's OSSA
  EnclaveIdentity identity{};  // what sgx_get_target_info reports
  // Isolated backend.
  isolated::Client* client = nullptr;
  std::uint64_t handle = 0;
  std::vector<std::uint64_t> tcs;       // mailbox i serves tcs[i]
  std::uint32_t host_pid = 0;           // isolated: the enclave host (for a debugger)
  std::uint8_t* mailboxes = nullptr;    // in the window
  std::vector<std::uint8_t*> stacks;    // per TCS, in the window: the untrusted stack OCALLs use
  std::size_t stack_size = 0;
  std::atomic<bool> lost{false};
  // Whether the host offers the enclave its exit gate (NSGX_EXIT_GATE at
  // creation; docs/isolated.md), and how the enclave's EEXITs came out.
  isolated::MailGate gate = isolated::MailGate::kOffer;
  // Test builds only (NSGX_EXIT_GATE=test-app-offer): a gate offer of the
  // application's own in the mailbox's R8/R9, which the host must never
  // pass on (window memory: the descriptor, naming itself as the gate).
  nsgx_exit_gate* app_offer = nullptr;
  mutable std::atomic<std::uint64_t> gate_exits{0}, trap_exits{0};
  // Whether the host may turn AEXs around without this process
  // (NSGX_EXCEPTION_TURNAROUND at creation; docs/isolated.md, "The
  // exception turnaround"), and how the enclave's exceptions were turned
  // around: by the host alone, or with this process's exception entry.
  isolated::MailTurnaround turnaround = isolated::MailTurnaround::kSdk;
  std::atomic<std::uint64_t> host_turnarounds{0};
  mutable std::atomic<std::uint64_t> app_exception_entries{0};  // counted where only a const Enclave is at hand
  // Switchless calls (sgx_create_enclave_ex): its workers use this object
  // and are joined first thing in the destructor.
  std::unique_ptr<Switchless> sl;
  // The debugger's view (sdk/include/nsgx_debugger.h): announced once the
  // pages are in place, withdrawn before they go.
  DebugRegistration dbg;
  ~Enclave() {
    if (sl) sl->stop();
    dbg.remove();
    if (client) {
      if (handle) client->destroy(handle);
      if (app_offer) client->window_free(app_offer);
      client->window_free(mailboxes);
      for (auto* st : stacks) client->window_free(st);
    }
    if (area) munmap(area, area_size);
    if (fd >= 0) close(fd);
  }
};

std::shared_mutex g_mu;
std::map<sgx_enclave_id_t, std::shared_ptr<Enclave>> g_enclaves;
std::atomic<sgx_enclave_id_t> g_next_id{1};

// What this thread is inside: a nested ECALL (from an OCALL) reuses the TCS.
struct Active {
  sgx_enclave_id_t eid;
  std::uint64_t tcs;
  std::uint64_t ursp = 0;  // isolated: the window stack pointer a nested ECALL starts from
  std::size_t slot = 0;    // isolated: the TCS's mailbox
  const void* ocall_table = nullptr;  // the ECALL's (a thread an OCALL starts enters with it)
};
thread_local std::vector<Active> t_active;
// This thread's mailbox waits on the isolated backend (mailbox.h).
thread_local isolated::SpinBudget t_spin;
// The isolated request this thread waits for, for nsgx_interrupt_reentry
// from a signal handler on this thread: its mailbox (null while none is
// outstanding), that request's counter value and the enclave's doorbell
// (mailbox 0). Set before the request is posted, cleared once it is
// answered; a handler sees either nothing or all three.
// `asked`: a handler asked since wait_begin — if that was before the
// request was posted, the host looked for it too early (it interrupts only
// a posted request), so the poster rings again (wait_posted).
struct IsolatedWait {
  std::atomic<isolated::Mailbox*> mb{nullptr};
  isolated::Mailbox* bell = nullptr;
  std::uint32_t request = 0;
  std::atomic<bool> asked{false};
};
thread_local IsolatedWait t_wait;

void ring(isolated::Mailbox* bell) {
  bell->doorbell.fetch_add(1, std::memory_order_seq_cst);
  (void)isolated::futex(&bell->doorbell, FUTEX_WAKE, 1);
}

void wait_begin(isolated::Mailbox* mb, isolated::Mailbox* bell, std::uint32_t request) {
  t_wait.bell = bell;
  t_wait.request = request;
  t_wait.asked.store(false, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_wait.mb.store(mb, std::memory_order_relaxed);
}

// After the request is posted: nothing, unless a handler asked meanwhile
// (one load on the hot path).
void wait_posted() {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (t_wait.asked.load(std::memory_order_relaxed)) ring(t_wait.bell);
}

void wait_end() { t_wait.mb.store(nullptr, std::memory_order_relaxed); }

// The last exception this thread saw leave an enclave (for NSGX_DEBUG).
struct Fault {
  bool valid = false;
  std::uint16_t vector = 0, error_code = 0;
  std::uint64_t address = 0;
  bool has_rip = false;
  std::uint64_t rip = 0;  // relative to the enclave base
};
thread_local Fault t_fault;

const char* vector_name(std::uint16_t v) {
  switch (v) {
    case 0: return "#DE";
    case 1: return "#DB";
    case 3: return "#BP";
    case 5: return "#BR";
    case 6: return "#UD";
    case 13: return "#GP";
    case 14: return "#PF";
    case 16: return "#MF";
    case 17: return "#AC";
    case 19: return "#XM";
    case isolated::kInterruptVector:
      return "an interrupt";
    default: return "exception";
  }
}

// The enclave cannot continue: every thread of this process waiting on it
// learns it now (untrusted events; an OCALL that returns does not re-enter).
// For a debug enclave, NSGX_DEBUG=1 describes the fault on stderr.
void mark_crashed(Enclave& e) {
  const bool first = !e.crashed.exchange(true);
  wake_untrusted_event_waiters();
  // A debugger hears of a debug enclave's crash whether or not NSGX_DEBUG is set.
  if (first && e.debug)
    e.dbg.crash(t_fault.valid, t_fault.vector, t_fault.error_code, t_fault.address, t_fault.has_rip, t_fault.rip);
  const char* dbg = std::getenv("NSGX_DEBUG");
  if (!first || !e.debug || dbg == nullptr || *dbg == 0 || std::strcmp(dbg, "0") == 0) return;
  if (!t_fault.valid) {
    std::fprintf(stderr, "nsgx: enclave at 0x%llx crashed (no exception reported: EENTER/ERESUME refused)\n",
                 static_cast<unsigned long long>(e.base));
    return;
  }
  std::fprintf(stderr, "nsgx: enclave at 0x%llx crashed: %s (vector %u), error code 0x%x, address 0x%llx", 
               static_cast<unsigned long long>(e.base), vector_name(t_fault.vector), t_fault.vector,
               t_fault.error_code, static_cast<unsigned long long>(t_fault.address));
  if (t_fault.has_rip) std::fprintf(stderr, ", rip = base + 0x%llx", static_cast<unsigned long long>(t_fault.rip));
  std::fprintf(stderr, "\n");
}

// The faulting RIP of a debug enclave's unhandled exception, for NSGX_DEBUG
// and the debugger: the AEX saved it in the TCS's SSA frame (GPRSGX.RIP,
// SDM 37.4.1). The vDSO does not report it, and on SGX hardware only
// EDBGRD on a debug enclave could read it; on the inproc backend the
// enclave's pages are mapped in this process, so a debug enclave's frame
// is read here — never a non-debug one's. Read with process_vm_readv,
// which fails rather than faults on a page that is not there.
// The TCS itself is not readable (no EPCM permissions), so its OSSA comes
// from the image page the loader added; the frame is the first, which the
// AEX from the ECALL's level (CSSA 0) wrote and the refused ECMD_EXCEPT
// left as it was (a crash during exception handling is not located).
void debug_fault_rip(const Enclave& e, std::uint64_t tcs_addr) {
  const char* b = std::getenv("NSGX_BACKEND");
  if (!e.debug || b == nullptr || std::strcmp(b, "inproc") != 0) return;
  const auto it = e.tcs_ossa.find(tcs_addr);
  const std::uint64_t frame_bytes = std::uint64_t{e.identity.secs.ssa_frame_size} * kPage;
  if (it == e.tcs_ossa.end() || frame_bytes < sizeof(sgx::Gprsgx) || it->second >= e.size ||
      e.size - it->second < frame_bytes)
    return;
  sgx::Gprsgx gpr{};
  iovec local{&gpr, sizeof gpr};
  iovec remote{reinterpret_cast<void*>(e.base + it->second + frame_bytes - sizeof gpr), sizeof gpr};
  if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof gpr)) return;
  if (gpr.rip < e.base || gpr.rip - e.base >= e.size) return;
  t_fault.has_rip = true;
  t_fault.rip = gpr.rip - e.base;
}

void mark_lost(Enclave& e) {
  e.lost = true;
  wake_untrusted_event_waiters();
}

// One vDSO call's state, reached from the exit handler through run->user_data.
struct CallContext {
  const void* ocall_table;
  vdso_fn vdso = nullptr;
  sgx_status_t status = SGX_ERROR_UNEXPECTED;
  bool returned = false;
  const Enclave* enclave = nullptr;  // the ECALL's (OCALLs check it has not failed meanwhile)
  const Enclave* gate_enclave = nullptr;  // whose exit-gate setting applies (gate_offer), counts its exits
  std::uint64_t offer[2] = {0, 0};        // R8/R9 at every EENTER of this call
};

// Replays an image into /dev/sgx_enclave: each page by SGX_IOC_ENCLAVE_ADD_PAGES.
class DriverLoader final : public identity::EnclaveBuilder {
 public:
  explicit DriverLoader(int fd) : fd_(fd) {}
  Status ecreate(std::uint32_t, std::uint64_t) override { return {}; }  // done by SGX_IOC_ENCLAVE_CREATE
  Status add_page(std::uint64_t offset, std::uint64_t flags, std::span<const std::uint8_t, sgx::kPageSize> data,
                  std::uint16_t extend_mask) override {
    if (extend_mask != 0 && extend_mask != 0xffff) return Error("partial EEXTEND is not offered by the Linux driver");
    std::memcpy(page_, data.data(), kPage);
    alignas(64) sgx::Secinfo si{};
    si.flags = flags;
    sgx_enclave_add_pages a{reinterpret_cast<std::uint64_t>(page_),
                            offset,
                            kPage,
                            reinterpret_cast<std::uint64_t>(&si),
                            extend_mask ? static_cast<std::uint64_t>(SGX_PAGE_MEASURE) : 0u,
                            0};
    if (ioctl(fd_, SGX_IOC_ENCLAVE_ADD_PAGES, &a) != 0)
      return Error("SGX_IOC_ENCLAVE_ADD_PAGES at " + std::to_string(offset) + ": " + std::strerror(errno));
    pages_.push_back({offset, flags});
    if ((flags & 0xff00) == 0x100) {  // a TCS: its OSSA, where its SSA frames are (debug_fault_rip)
      sgx::Tcs tcs{};
      std::memcpy(&tcs, data.data(), sizeof tcs);
      tcs_ossa_[offset] = tcs.ossa;
    }
    return {};
  }
  const std::map<std::uint64_t, std::uint64_t>& tcs_ossa() const { return tcs_ossa_; }
  struct Added {
    std::uint64_t offset, flags;
  };
  const std::vector<Added>& pages() const { return pages_; }

 private:
  int fd_;
  alignas(4096) std::uint8_t page_[4096];
  std::vector<Added> pages_;
  std::map<std::uint64_t, std::uint64_t> tcs_ossa_;
};

int prot_of(std::uint64_t flags) {
  if ((flags & 0xff00) == 0x100) return PROT_READ | PROT_WRITE;  // TCS: the driver allows R/W
  return ((flags & 1) ? PROT_READ : 0) | ((flags & 2) ? PROT_WRITE : 0) | ((flags & 4) ? PROT_EXEC : 0);
}

// The gate's exit count of this thread when it was last looked at
// (count_exit): an EEXIT that moved it went through the gate.
thread_local std::uint64_t t_gate_exits_seen = 0;

exit_gate_fn exit_gate() {
  static const exit_gate_fn fn = find_exit_gate();
  return fn;
}

// R8/R9 for every EENTER of a call into `e` through the vDSO: the inproc
// backend's offer of this thread's exit gate (docs/inproc.md), or zeros —
// with NSGX_EXIT_GATE=off, or where the vDSO offers none (SGX hardware).
// Test builds also make the broken offers the enclave must refuse
// (NSGX_EXIT_GATE=test-*, sdk/tests/exit_gate_test.cc), from a copy of the
// descriptor in this thread's own memory.
void gate_offer(const Enclave* e, std::uint64_t offer[2]) {
  offer[0] = offer[1] = 0;
  const exit_gate_fn fn = exit_gate();
  if (fn == nullptr || e == nullptr) return;
  std::uint64_t exits = 0;
  const nsgx_exit_gate* g = fn(&exits);
  t_gate_exits_seen = exits;
  if (g == nullptr || e->gate == isolated::MailGate::kOff) return;
  offer[0] = NSGX_EXIT_GATE_OFFER;
  offer[1] = reinterpret_cast<std::uint64_t>(g);
  if (e->gate == isolated::MailGate::kNoFsGate) {
    thread_local nsgx_exit_gate t_no_fs;
    t_no_fs = *g;
    t_no_fs.fs_gate = 0;
    offer[1] = reinterpret_cast<std::uint64_t>(&t_no_fs);
    return;
  }
#if NSGX_ENV_OVERRIDES
  thread_local nsgx_exit_gate t_broken;
  t_broken = *g;
  switch (e->gate) {
    case isolated::MailGate::kTestInside:
      t_broken.gate = e->base + e->size / 2;  // inside ELRANGE (at base 0, 0 would read as "no gate")
      break;
    case isolated::MailGate::kTestFsInside:
      t_broken.fs_gate = e->base + e->size / 2;  // the FS gate inside ELRANGE: the whole offer is refused
      break;
    case isolated::MailGate::kTestMagic:
      t_broken.magic ^= 1;
      break;
    case isolated::MailGate::kTestVersion:
      t_broken.version += 1;
      break;
    case isolated::MailGate::kTestOffer:
      offer[0] ^= 1;  // the real descriptor, R8 not the offer
      return;
    default:
      return;
  }
  offer[1] = reinterpret_cast<std::uint64_t>(&t_broken);
#endif
}

// After an EEXIT through the vDSO: through the gate or through the trap.
void count_exit(const Enclave* e) {
  const exit_gate_fn fn = exit_gate();
  if (fn == nullptr || e == nullptr) return;
  std::uint64_t exits = 0;
  if (fn(&exits) == nullptr) return;
  (exits != t_gate_exits_seen ? e->gate_exits : e->trap_exits).fetch_add(1, std::memory_order_relaxed);
  t_gate_exits_seen = exits;
}

// ECMD_EXCEPT on `tcs` (CSSA 1 after an AEX): the enclave's handlers get
// the exception; true if the enclave can be resumed.
// One EENTER through the vDSO on `tcs`, OCALLs and exceptions served by
// the exit handler; false if the enclave did not return (ERET).
bool enter(vdso_fn vdso, std::uint64_t tcs, long rdi, void* rsi, CallContext& ctx) {
  sgx_enclave_run run{};
  run.tcs = tcs;
  run.user_handler = reinterpret_cast<std::uint64_t>(&nsgx_urts_vdso_handler);
  run.user_data = reinterpret_cast<std::uint64_t>(&ctx);
  static const std::uint64_t landing = vdso_eexit_landing(vdso);
  gate_offer(ctx.gate_enclave, ctx.offer);
  return nsgx_urts_enter(vdso, rdi, rsi, &run, landing, ctx.offer) == 0 && ctx.returned;
}

bool run_exception_handling(vdso_fn vdso, std::uint64_t tcs, const Enclave* e) {
  if (e != nullptr) e->app_exception_entries.fetch_add(1, std::memory_order_relaxed);
  CallContext except{nullptr, vdso};
  except.gate_enclave = e;
  return enter(vdso, tcs, kEcmdExcept, nullptr, except) && except.status == SGX_SUCCESS;
}

// #BP and #DB are not reported through the vDSO (the kernel does not fix
// them up); they arrive as SIGTRAP at the AEP, as on SGX hardware. As the
// SDK's runtime does, run the enclave's exception handling, then return to
// the AEP, whose ENCLU resumes the enclave.
struct sigaction g_prev_sigtrap;
void on_sigtrap(int sig, siginfo_t* info, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  const auto reg = [&](int r) { return static_cast<std::uint64_t>(uc->uc_mcontext.gregs[r]); };
  // The synthetic state after an AEX: RAX = ERESUME, RBX = the TCS, RCX = RIP = the AEP.
  if (!t_active.empty() && reg(REG_RAX) == 3 && reg(REG_RBX) == t_active.back().tcs && reg(REG_RCX) == reg(REG_RIP)) {
    static const vdso_fn vdso = find_vdso();
    std::shared_ptr<Enclave> e;
    {
      std::shared_lock lock(g_mu);
      if (auto it = g_enclaves.find(t_active.back().eid); it != g_enclaves.end()) e = it->second;
    }
    if (vdso != nullptr && run_exception_handling(vdso, t_active.back().tcs, e.get())) return;
    // Not handled: the enclave crashed; its thread cannot resume.
    t_fault = Fault{true, static_cast<std::uint16_t>(info->si_signo == SIGTRAP ? 3 : 0), 0, 0};
    if (e) mark_crashed(*e);
  }
  if (g_prev_sigtrap.sa_flags & SA_SIGINFO) {
    if (g_prev_sigtrap.sa_sigaction) return g_prev_sigtrap.sa_sigaction(sig, info, ctx);
  } else if (g_prev_sigtrap.sa_handler != SIG_DFL && g_prev_sigtrap.sa_handler != SIG_IGN) {
    return g_prev_sigtrap.sa_handler(sig);
  }
  signal(SIGTRAP, SIG_DFL);
  raise(SIGTRAP);
}

void install_sigtrap_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigtrap;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, &g_prev_sigtrap);
  });
}

// The threads inside an outermost ECALL, for nsgx_signal_threads_inside:
// fixed slots a signal handler reads without a lock.
struct InsideSlot {
  std::atomic<sgx_enclave_id_t> eid{0};
  std::atomic<pid_t> tid{0};
};
constexpr std::size_t kInsideSlots = 1024;
InsideSlot g_inside[kInsideSlots];

// Claims a slot for this thread in `eid` (none left: the thread is not
// signalled, only a liveness loss). Returns the slot or -1.
long enter_inside(sgx_enclave_id_t eid) {
  const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  for (std::size_t i = 0; i < kInsideSlots; ++i) {
    pid_t free_tid = 0;
    if (g_inside[i].tid.compare_exchange_strong(free_tid, -1)) {
      g_inside[i].eid.store(eid);
      g_inside[i].tid.store(tid);
      return static_cast<long>(i);
    }
  }
  return -1;
}

void leave_inside(long slot) {
  if (slot < 0) return;
  g_inside[slot].eid.store(0);
  g_inside[slot].tid.store(0);
}

// The SECS for an image (the untrusted side's choice of base and size;
// EINIT checks everything the SIGSTRUCT fixes).
sgx::Secs secs_for(const image::SdkImage& img, bool debug, std::uint64_t base, const LoadOptions& opts) {
  const sgx::Sigstruct& ss = img.sigstruct();
  sgx::Secs secs{};
  secs.size = img.metadata().enclave_size;
  secs.base_addr = base;
  secs.ssa_frame_size = img.metadata().ssa_frame_size;
  secs.misc_select = ss.misc_select;
  secs.attributes = ss.attributes;
  secs.attributes.flags = (ss.attributes.flags & ~sgx::attr::kDebug) | (debug ? sgx::attr::kDebug : 0);
  if (opts.kss) {  // SDM ECREATE: CONFIGID/CONFIGSVN, which the monitor accepts only with ATTRIBUTES.KSS
    std::memcpy(secs.config_id, opts.config_id, sizeof secs.config_id);
    secs.config_svn = opts.config_svn;
  }
  return secs;
}

// ELRANGE reserved (no access, no memory) at exactly the caller's base
// (LoadOptions::base), naturally aligned to e.size, or not at all:
// MAP_FIXED_NOREPLACE never replaces a mapping. At base 0 the bytes below
// vm.mmap_min_addr stay out (e.low): nothing is added there. Both
// backends: the driver's mappings go over it, the isolated application
// only keeps the range free for its enclave host's addresses.
sgx_status_t reserve_at_base(Enclave& e, std::uint64_t base) {
  if (base % e.size != 0) return SGX_ERROR_INVALID_PARAMETER;
  e.low = unmappable_prefix(base, e.size);
  if (e.low == e.size) return SGX_ERROR_MEMORY_MAP_CONFLICT;
  void* at = reinterpret_cast<void*>(base + e.low);
  void* area =
      mmap(at, e.size - e.low, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (area != at) {
    if (area != MAP_FAILED) munmap(area, e.size - e.low);  // a kernel before 4.17 takes the flag as a hint
    return SGX_ERROR_MEMORY_MAP_CONFLICT;
  }
  e.area = static_cast<std::uint8_t*>(area);
  e.area_size = e.size - e.low;
  e.base = base;
  return SGX_SUCCESS;
}

sgx_status_t load_device(const image::SdkImage& img, bool debug, const LoadOptions& opts, Enclave& e,
                         sgx::Secs& secs_out) {
  const sgx::Sigstruct& ss = img.sigstruct();
  e.fd = open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
  if (e.fd < 0) {
    std::fprintf(stderr, "nsgx urts: cannot open /dev/sgx_enclave (%s); run the program under `nsgx exec`\n",
                 std::strerror(errno));
    return SGX_ERROR_NO_DEVICE;
  }
  e.size = img.metadata().enclave_size;
  if (opts.base) {
    if (const sgx_status_t st = reserve_at_base(e, *opts.base); st != SGX_SUCCESS) return st;
  } else {
    e.area_size = 2 * e.size;
    void* area = mmap(nullptr, e.area_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (area == MAP_FAILED) return SGX_ERROR_OUT_OF_MEMORY;
    e.area = static_cast<std::uint8_t*>(area);
    e.base = (reinterpret_cast<std::uint64_t>(area) + e.size - 1) & ~(e.size - 1);
  }

  alignas(4096) static thread_local sgx::Secs secs;
  secs = secs_for(img, debug, e.base, opts);
  secs_out = secs;
  sgx_enclave_create c{reinterpret_cast<std::uint64_t>(&secs)};
  if (ioctl(e.fd, SGX_IOC_ENCLAVE_CREATE, &c) != 0)
    return errno == ENOMEM ? SGX_ERROR_OUT_OF_EPC : SGX_ERROR_INVALID_ENCLAVE;
  // An enclave with ATTRIBUTES.PROVISIONKEY may only be initialised once
  // the caller has shown access to /dev/sgx_provision
  // (SGX_IOC_ENCLAVE_PROVISION; Documentation/x86/sgx.rst), as the SDK's
  // runtime does for the PCE and QE.
  if (secs.attributes.flags & sgx::attr::kProvisionKey) {
    int pfd = open("/dev/sgx_provision", O_RDONLY | O_CLOEXEC);
    if (pfd < 0) pfd = open("/dev/sgx/provision", O_RDONLY | O_CLOEXEC);
    sgx_enclave_provision p{static_cast<__u64>(pfd)};
    const bool granted = pfd >= 0 && ioctl(e.fd, SGX_IOC_ENCLAVE_PROVISION, &p) == 0;
    if (pfd >= 0) close(pfd);
    if (!granted) {
      std::fprintf(stderr,
                   "nsgx urts: the enclave asks for the provisioning key and /dev/sgx_provision is not available\n");
      return SGX_ERROR_SERVICE_INVALID_PRIVILEGE;
    }
  }
  DriverLoader loader(e.fd);
  if (auto st = img.replay(loader); !st) {
    std::fprintf(stderr, "nsgx urts: %s\n", st.error().message().c_str());
    return errno == ENOMEM ? SGX_ERROR_OUT_OF_EPC : SGX_ERROR_INVALID_ENCLAVE;
  }
  sgx_enclave_init in{reinterpret_cast<std::uint64_t>(&ss)};
  if (ioctl(e.fd, SGX_IOC_ENCLAVE_INIT, &in) != 0)
    // EINIT refused it (signature, attributes against their mask, launch policy).
    return errno == EPERM ? SGX_ERROR_INVALID_SIGNATURE : SGX_ERROR_UNEXPECTED;
  // Map runs of pages with equal permissions; TCSs go to the pool.
  const auto& pages = loader.pages();
  std::vector<DriverLoader::Added> sorted(pages.begin(), pages.end());
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    const int prot = prot_of(sorted[i].flags);
    while (j < sorted.size() && sorted[j].offset == sorted[j - 1].offset + kPage && prot_of(sorted[j].flags) == prot)
      ++j;
    void* at = reinterpret_cast<void*>(e.base + sorted[i].offset);
    if (mmap(at, (j - i) * kPage, prot, MAP_SHARED | MAP_FIXED, e.fd, 0) != at) return SGX_ERROR_MEMORY_MAP_CONFLICT;
    i = j;
  }
  // The rest of ELRANGE is where SGX2 pages appear (EAUG on the first
  // touch, EACCEPT, EMODPE): mapped with every permission, as the driver
  // allows for pages that do not exist yet (sgx_encl_may_map() checks only
  // existing ones); the EPCM decides what each page really permits.
  std::uint64_t next = e.low;
  auto map_gap = [&](std::uint64_t from, std::uint64_t to) {
    if (from >= to) return true;
    void* at = reinterpret_cast<void*>(e.base + from);
    return mmap(at, to - from, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_FIXED, e.fd, 0) == at;
  };
  for (const auto& p : sorted) {
    if (!map_gap(next, p.offset)) return SGX_ERROR_MEMORY_MAP_CONFLICT;
    next = p.offset + kPage;
  }
  if (!map_gap(next, e.size)) return SGX_ERROR_MEMORY_MAP_CONFLICT;
  for (const auto& p : sorted)
    if ((p.flags & 0xff00) == 0x100) e.free_tcs.push_back(e.base + p.offset);
  for (const auto& [offset, ossa] : loader.tcs_ossa()) e.tcs_ossa[e.base + offset] = ossa;
  std::reverse(e.free_tcs.begin(), e.free_tcs.end());  // the first TCS is handed out first
  return e.free_tcs.empty() ? SGX_ERROR_INVALID_ENCLAVE : SGX_SUCCESS;
}

// Replays an image into the isolated monitor, runs of pages per request.
class MonitorLoader final : public identity::EnclaveBuilder {
 public:
  MonitorLoader(isolated::Client& c, std::uint64_t handle) : c_(c), handle_(handle) {}
  Status ecreate(std::uint32_t, std::uint64_t) override { return {}; }
  Status add_page(std::uint64_t offset, std::uint64_t flags, std::span<const std::uint8_t, sgx::kPageSize> data,
                  std::uint16_t extend_mask) override {
    if (extend_mask != 0 && extend_mask != 0xffff) return Error("partial EEXTEND is not offered by the driver layer");
    const bool measure = extend_mask != 0;
    if (!buf_.empty() && (offset != run_offset_ + buf_.size() || flags != run_flags_ || measure != run_measure_ ||
                          buf_.size() >= isolated::kPagesPerAdd * kPage))
      NSGX_RETURN_IF_ERROR(flush());
    if (buf_.empty()) run_offset_ = offset, run_flags_ = flags, run_measure_ = measure;
    buf_.insert(buf_.end(), data.begin(), data.end());
    if ((flags & 0xff00) == 0x100) ++tcs_count_;
    return {};
  }
  Status flush() {
    if (buf_.empty()) return {};
    rc_ = c_.add_pages(handle_, run_offset_, run_flags_, run_measure_, buf_);
    buf_.clear();
    if (rc_ != 0) return Error(std::string("adding pages: ") + std::strerror(-rc_));
    return {};
  }
  int rc() const { return rc_; }
  std::uint32_t tcs_count() const { return tcs_count_; }

 private:
  isolated::Client& c_;
  std::uint64_t handle_;
  std::vector<std::uint8_t> buf_;
  std::uint64_t run_offset_ = 0, run_flags_ = 0;
  bool run_measure_ = false;
  int rc_ = 0;
  std::uint32_t tcs_count_ = 0;
};

// NSGX_EXIT_GATE: "on" (or unset) lets the enclave host offer its exit
// gate, "off" makes every exit trap, "no-fs-gate" offers the exit gate
// without its FS gate; the test-* values ask a test build of
// the host for offers the enclave must refuse (protocol.h, MailGate).
// Anything else: nullopt.
std::optional<isolated::MailGate> exit_gate_mode() {
  const char* v = std::getenv("NSGX_EXIT_GATE");
  if (v == nullptr || *v == 0 || std::strcmp(v, "on") == 0) return isolated::MailGate::kOffer;
  static constexpr std::pair<const char*, isolated::MailGate> kModes[] = {
      {"off", isolated::MailGate::kOff},
      {"no-fs-gate", isolated::MailGate::kNoFsGate},
      {"test-inside", isolated::MailGate::kTestInside},
      {"test-magic", isolated::MailGate::kTestMagic},
      {"test-version", isolated::MailGate::kTestVersion},
      {"test-offer", isolated::MailGate::kTestOffer},
      {"test-fs-inside", isolated::MailGate::kTestFsInside}};
  for (const auto& [name, mode] : kModes)
    if (std::strcmp(v, name) == 0) return mode;
#if NSGX_ENV_OVERRIDES
  if (std::strcmp(v, "test-app-offer") == 0) return isolated::MailGate::kOff;  // plus the application's offer
#endif
  return std::nullopt;
}

// NSGX_EXCEPTION_TURNAROUND: "on" (or unset) lets the enclave host turn an
// AEX around itself when this process would only re-enter for the
// exception and resume (protocol.h, MailTurnaround); "off" reports every
// AEX here. Anything else: nullopt.
std::optional<isolated::MailTurnaround> turnaround_mode() {
  const char* v = std::getenv("NSGX_EXCEPTION_TURNAROUND");
  if (v == nullptr || *v == 0 || std::strcmp(v, "on") == 0) return isolated::MailTurnaround::kSdk;
  if (std::strcmp(v, "off") == 0) return isolated::MailTurnaround::kOff;
  return std::nullopt;
}

sgx_status_t load_isolated(const image::SdkImage& img, bool debug, const LoadOptions& opts, Enclave& e,
                           sgx::Secs& secs_out) {
  e.size = img.metadata().enclave_size;
  // ELRANGE stays reserved and inaccessible here: this process never maps
  // enclave memory (a pointer into it is refused by the trusted bridges).
  // Reserved before the monitor is reached: a fork child's base that is
  // taken ends here without starting a private monitor, which would be
  // left a child of the process image the library OS's host then replaces
  // (its end a SIGCHLD the program would be given).
  if (opts.base) {
    if (const sgx_status_t st = reserve_at_base(e, *opts.base); st != SGX_SUCCESS) return st;
  } else {
    void* area = isolated::Client::reserve(e.size);
    if (area == nullptr) return SGX_ERROR_MEMORY_MAP_CONFLICT;
    e.area = static_cast<std::uint8_t*>(area);
    e.area_size = e.size;
    e.base = reinterpret_cast<std::uint64_t>(area);
  }
  std::string why;
  isolated::Client* c = isolated::Client::get(&why);
  if (c == nullptr) {
    std::fprintf(stderr, "nsgx urts: isolated backend unavailable: %s\n", why.c_str());
    return SGX_ERROR_NO_DEVICE;
  }
  e.client = c;
  const sgx::Secs secs = secs_for(img, debug, e.base, opts);
  secs_out = secs;
  if (const int rc = c->create(secs, e.handle); rc != 0)
    return rc == -ENOMEM ? SGX_ERROR_OUT_OF_EPC : SGX_ERROR_INVALID_ENCLAVE;
  MonitorLoader loader(*c, e.handle);
  auto st = img.replay(loader);
  if (st) st = loader.flush();
  if (!st) {
    std::fprintf(stderr, "nsgx urts: %s\n", st.error().message().c_str());
    return loader.rc() == -ENOMEM ? SGX_ERROR_OUT_OF_EPC : SGX_ERROR_INVALID_ENCLAVE;
  }
  if (loader.tcs_count() == 0) return SGX_ERROR_INVALID_ENCLAVE;
  // A mailbox per TCS, and spares for TCSs the enclave adds with SGX2.
  const std::uint32_t mailboxes = loader.tcs_count() + kSpareTcs;
  e.mailboxes = static_cast<std::uint8_t*>(c->window_alloc(mailboxes * isolated::kMailboxStride, 4096));
  if (e.mailboxes == nullptr) return SGX_ERROR_OUT_OF_MEMORY;
  const int rc =
      c->init(e.handle, img.sigstruct(), reinterpret_cast<std::uint64_t>(e.mailboxes), mailboxes, e.tcs, &e.host_pid);
  if (rc == -EPERM) return SGX_ERROR_INVALID_SIGNATURE;
  if (rc == -EACCES) return SGX_ERROR_INVALID_ATTRIBUTE;
  if (rc == -EAGAIN) return SGX_ERROR_OUT_OF_MEMORY;  // the monitor's quota of enclave threads for this user
  if (rc != 0) return SGX_ERROR_UNEXPECTED;
  const auto gate = exit_gate_mode();
  if (!gate) {
    std::fprintf(stderr, "nestedsgx: NSGX_EXIT_GATE must be on or off\n");
    return SGX_ERROR_INVALID_PARAMETER;
  }
  e.gate = *gate;
  const auto turnaround = turnaround_mode();
  if (!turnaround) {
    std::fprintf(stderr, "nestedsgx: NSGX_EXCEPTION_TURNAROUND must be on or off\n");
    return SGX_ERROR_INVALID_PARAMETER;
  }
  e.turnaround = *turnaround;
#if NSGX_ENV_OVERRIDES
  if (std::strcmp(std::getenv("NSGX_EXIT_GATE") ? std::getenv("NSGX_EXIT_GATE") : "", "test-app-offer") == 0) {
    e.app_offer = static_cast<nsgx_exit_gate*>(c->window_alloc(sizeof(nsgx_exit_gate), 64));
    if (e.app_offer == nullptr) return SGX_ERROR_OUT_OF_MEMORY;
    *e.app_offer = {NSGX_EXIT_GATE_MAGIC, NSGX_EXIT_GATE_VERSION, NSGX_EXIT_GATE_SIZE,
                    reinterpret_cast<std::uint64_t>(e.app_offer), reinterpret_cast<std::uint64_t>(e.app_offer)};
  }
#endif
  const char* ss = std::getenv("NSGX_OCALL_STACK");
  e.stack_size = (ss && *ss) ? runtime::parse_size(ss) : std::size_t{256} * 1024;
  e.stack_size = std::max<std::size_t>(e.stack_size & ~std::size_t{4095}, std::size_t{16} * 1024);
  for (std::size_t i = 0; i < e.tcs.size(); ++i) {
    auto* p = static_cast<std::uint8_t*>(c->window_alloc(e.stack_size, 4096));
    if (p == nullptr) return SGX_ERROR_OUT_OF_MEMORY;
    e.stacks.push_back(p);
  }
  for (std::size_t i = e.tcs.size(); i-- > 0;) e.free_tcs.push_back(e.tcs[i]);
  e.tcs.resize(mailboxes, 0);  // spares: no TCS yet
  e.stacks.resize(mailboxes, nullptr);
  return SGX_SUCCESS;
}

// An ordinary ECALL on an enclave the caller keeps alive (defined with sgx_ecall).
sgx_status_t call_enclave(Enclave* e, sgx_enclave_id_t eid, long index, const void* ocall_table, void* ms);

}  // namespace

sgx_status_t load_image(Bytes file, const char* name, bool debug, const LoadOptions& opts, sgx_enclave_id_t* eid,
                        sgx_misc_attribute_t* misc) {
  auto img = image::SdkImage::parse(std::move(file));
  if (!img) {
    std::fprintf(stderr, "nsgx urts: %s: %s\n", name, img.error().message().c_str());
    return SGX_ERROR_INVALID_ENCLAVE;
  }
  const sgx::Sigstruct& ss = img->sigstruct();
  // A debug launch of an enclave whose SIGSTRUCT forbids debugging.
  if (debug && (ss.attribute_mask.flags & sgx::attr::kDebug) && !(ss.attributes.flags & sgx::attr::kDebug))
    return SGX_ERROR_NDEBUG_ENCLAVE;
  auto e = std::make_shared<Enclave>();
  e->debug = debug;
  sgx::Secs secs{};
  const bool iso = use_isolated();
  if (!iso) {
    install_sigtrap_once();
    // Through the vDSO the offer is ours to make (gate_offer): on the
    // inproc backend, the exit gate its vDSO image offers.
    const auto gate = exit_gate_mode();
    if (!gate) {
      std::fprintf(stderr, "nestedsgx: NSGX_EXIT_GATE must be on or off\n");
      return SGX_ERROR_INVALID_PARAMETER;
    }
    e->gate = *gate;
  }
  if (const sgx_status_t st =
          iso ? load_isolated(*img, debug, opts, *e, secs) : load_device(*img, debug, opts, *e, secs);
      st != SGX_SUCCESS)
    return st;
  // EINIT accepted the SIGSTRUCT, so MRENCLAVE equals its ENCLAVEHASH
  // (SDM EINIT), and EINIT set ATTRIBUTES.INIT.
  e->identity.secs = secs;
  e->identity.secs.attributes.flags |= sgx::attr::kInit;
  std::memcpy(e->identity.secs.mr_enclave, ss.enclave_hash, sizeof ss.enclave_hash);

  const sgx_enclave_id_t id = g_next_id.fetch_add(1);
  {
    std::unique_lock lock(g_mu);
    g_enclaves[id] = e;
  }
  // Before the first ECALL, so that a debugger's breakpoints in the trusted
  // runtime's initialisation fire too.
  e->dbg.add(name, e->base, e->size, id, debug, iso, e->host_pid);
  // The trusted runtime's initialization: ECMD_INIT_ENCLAVE with the
  // SDK's system_features_t (CPUID facts the enclave cannot gather; an
  // SDK-built trusted runtime refuses to start without them), in the
  // window on the isolated backend, where the enclave can read it.
  alignas(64) static thread_local nsgx_system_features_t local_features;
  nsgx_system_features_t* features = &local_features;
  if (e->client)
    features = static_cast<nsgx_system_features_t*>(e->client->window_alloc(sizeof(nsgx_system_features_t), 64));
  if (features == nullptr) return SGX_ERROR_OUT_OF_MEMORY;
  static const CpuSource cpu = host_cpu();
  fill_system_features(cpu, *features);
  const sgx_status_t st = sgx_ecall(id, static_cast<int>(kEcmdInitEnclave), nullptr, features);
  if (e->client) e->client->window_free(features);
  if (st != SGX_SUCCESS) {
    std::unique_lock lock(g_mu);
    g_enclaves.erase(id);
    return st;
  }
  if (opts.switchless) {
    // Workers reach the enclave through this object, never through the
    // table: ~Enclave joins them before anything of it goes.
    Enclave* const raw = e.get();
    Switchless::Env env;
    env.ecall = [raw, id](long index, const void* table, void* ms) { return call_enclave(raw, id, index, table, ms); };
    env.failure = [raw] {
      return raw->lost ? SGX_ERROR_ENCLAVE_LOST : raw->crashed ? SGX_ERROR_ENCLAVE_CRASHED : SGX_SUCCESS;
    };
    env.coherent = [raw](const void* p, std::size_t n) {
      return raw->client == nullptr || raw->client->in_window(p, n);
    };
    env.app_memory_at_transitions = raw->client != nullptr;
    env.alloc = [](std::size_t n) { return nsgx_untrusted_alloc(n); };
    env.free = [](void* p) { nsgx_untrusted_free(p); };
    e->sl = std::make_unique<Switchless>(opts.switchless_config, std::move(env));
  }
  *eid = id;
  if (misc) {
    misc->secs_attr.flags = secs.attributes.flags;
    misc->secs_attr.xfrm = secs.attributes.xfrm;
    misc->misc_select = secs.misc_select;
  }
  return SGX_SUCCESS;
}

namespace {

sgx_status_t load(const char* path, bool debug, sgx_enclave_id_t* eid, sgx_misc_attribute_t* misc) {
  auto file = read_file(path);
  if (!file) return SGX_ERROR_ENCLAVE_FILE_ACCESS;
  return load_image(std::move(*file), path, debug, LoadOptions{}, eid, misc);
}

struct OcallTable {
  std::size_t nr_ocall;
  void* table[1];
};

// One OCALL through the proxy's table: its status.
sgx_status_t run_ocall(const void* ocall_table, long index, void* ms) {
  const auto* t = static_cast<const OcallTable*>(ocall_table);
  if (t == nullptr || index < 0 || static_cast<std::size_t>(index) >= t->nr_ocall) return SGX_ERROR_INVALID_FUNCTION;
  return reinterpret_cast<sgx_status_t (*)(void*)>(t->table[index])(ms);
}

// EENTER on the isolated backend: the request goes into the TCS's mailbox,
// the enclave host runs it; OCALLs are served here and answered with
// ECMD_ORET from the stack the enclave left (below its marshalling data);
// an AEX runs the enclave's exception handling (ECMD_EXCEPT on the same
// TCS) and then ERESUME. Returns the ECALL's status, or why there is none.
// `answered`: the request was the exception entry the host made itself
// for an AEX (the caller saw except_entered): its answer is already in the
// mailbox, nothing is posted first.
sgx_status_t isolated_call(Enclave& e, std::size_t slot, long index, void* ms, const void* ocall_table,
                           std::uint64_t ursp, bool answered = false) {
  static_assert(isolated::kTurnaroundEnterRdi == static_cast<std::uint64_t>(kEcmdExcept) &&
                    isolated::kTurnaroundExitRdi == static_cast<std::uint64_t>(kOcmdEret),
                "the host's turnaround is this runtime's exception flow");
  auto* mb = isolated::mailbox_at(reinterpret_cast<std::uint64_t>(e.mailboxes), static_cast<std::uint32_t>(slot));
  isolated::MailOp op = isolated::MailOp::kEenter;
  std::uint64_t rdi = static_cast<std::uint64_t>(index), rsi = reinterpret_cast<std::uint64_t>(ms);
  std::uint64_t sp = ursp, entry_sp = ursp;
  for (bool post = !answered;; post = true) {
    if (post) {
      if (mb->lost.load() || e.lost) {
        mark_lost(e);
        return SGX_ERROR_ENCLAVE_LOST;
      }
      mb->op = op;
      mb->gate = e.gate;
      mb->turnaround = e.turnaround;
      mb->rdi = rdi, mb->rsi = rsi, mb->rdx = 0, mb->r8 = 0, mb->r9 = 0;
      if (e.app_offer != nullptr) mb->r8 = NSGX_EXIT_GATE_OFFER, mb->r9 = reinterpret_cast<std::uint64_t>(e.app_offer);
      mb->ursp = sp, mb->urbp = sp;
      if (op == isolated::MailOp::kEenter) entry_sp = sp;
      const std::uint32_t before = mb->response.load();
      const std::uint32_t request = mb->request.load() + 1;
      wait_begin(mb, isolated::mailbox_at(reinterpret_cast<std::uint64_t>(e.mailboxes), 0), request);
      isolated::publish(mb->request, request, mb->host_sleeping);
      wait_posted();
      while (!isolated::wait_change(mb->response, before, mb->app_sleeping, e.client->spin(), 200, e.client->yields(),
                                    &t_spin))
        if (mb->lost.load() || !e.client->alive()) {
          wait_end();
          mark_lost(e);
          return SGX_ERROR_ENCLAVE_LOST;
        }
      wait_end();
    }
    if (mb->lost.load()) {
      mark_lost(e);
      return SGX_ERROR_ENCLAVE_LOST;
    }
    // The host may be hostile to this process too: read its answer once.
    const isolated::MailExit exit = mb->exit;
    const std::uint64_t out_rdi = mb->out_rdi, out_rsi = mb->out_rsi, out_rsp = mb->out_rsp;
    if (post) {
      // An answered request's turnarounds were the caller's to count.
      e.host_turnarounds.fetch_add(mb->turnarounds, std::memory_order_relaxed);
      if (mb->except_entered != 0) {
        // An AEX, and the host made the exception entry this process would
        // have made (ECMD_EXCEPT on the same TCS from the latest EENTER's
        // stack): its outcome is the answer below, as to that request.
        if (exit == isolated::MailExit::kEexit)
          t_fault = Fault{true, mb->vector, mb->error_code, mb->address, mb->fault_rip_valid != 0, mb->fault_rip};
        e.app_exception_entries.fetch_add(1, std::memory_order_relaxed);
        if (isolated_call(e, slot, kEcmdExcept, nullptr, nullptr, entry_sp, true) != SGX_SUCCESS)
          return SGX_ERROR_ENCLAVE_CRASHED;
        op = isolated::MailOp::kEresume;
        continue;
      }
    }
    if (exit == isolated::MailExit::kEexit) {
      (mb->via_gate != 0 ? e.gate_exits : e.trap_exits).fetch_add(1, std::memory_order_relaxed);
      if (static_cast<long>(out_rdi) == kOcmdEret) return static_cast<sgx_status_t>(static_cast<std::uint32_t>(out_rsi));
      // An OCALL: its marshalling struct is on the window stack below
      // out_rsp; a nested ECALL from it starts below that too.
      if (!e.client->in_window(reinterpret_cast<void*>(out_rsp), 0)) return SGX_ERROR_UNEXPECTED;
      if (!t_active.empty()) t_active.back().ursp = out_rsp;
      const sgx_status_t st = run_ocall(ocall_table, static_cast<long>(out_rdi), reinterpret_cast<void*>(out_rsi));
      if (e.sl) e.sl->after_ordinary_ocall();
      // Another thread's exception crashed the enclave meanwhile: no re-entry.
      if (e.lost) return SGX_ERROR_ENCLAVE_LOST;
      if (e.crashed) return SGX_ERROR_ENCLAVE_CRASHED;
      op = isolated::MailOp::kEenter;
      rdi = static_cast<std::uint64_t>(kEcmdOret), rsi = static_cast<std::uint64_t>(st), sp = out_rsp;
      continue;
    }
    if (exit == isolated::MailExit::kAex) {
      t_fault = Fault{true, mb->vector, mb->error_code, mb->address, mb->fault_rip_valid != 0, mb->fault_rip};
      e.app_exception_entries.fetch_add(1, std::memory_order_relaxed);
      // The untrusted stack after an AEX is the one EENTER saved.
      if (isolated_call(e, slot, kEcmdExcept, nullptr, nullptr, entry_sp) != SGX_SUCCESS) return SGX_ERROR_ENCLAVE_CRASHED;
      op = isolated::MailOp::kEresume;
      continue;
    }
    t_fault = Fault{};
    return SGX_ERROR_ENCLAVE_CRASHED;  // EENTER/ERESUME refused: no usable SSA frame
  }
}

// The enclave `eid` names in this process, or null.
std::shared_ptr<Enclave> find_enclave(sgx_enclave_id_t eid) {
  std::shared_lock lock(g_mu);
  auto it = g_enclaves.find(eid);
  return it == g_enclaves.end() ? nullptr : it->second;
}

// An SGX2 page operation on [addr, addr + length) of enclave `eid`: the
// driver's ioctl (device path) or the monitor's request (isolated), either
// of which may stop part-way (-EAGAIN/-EBUSY: go on from where it stopped,
// as the kernel documents for these ioctls).
sgx_status_t page_op(sgx_enclave_id_t eid, isolated::Op op, void* addr, std::size_t length, std::uint64_t arg,
                     std::uint64_t* sgx_result) {
  auto e = find_enclave(eid);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  if (e->lost) return SGX_ERROR_ENCLAVE_LOST;
  const auto a = reinterpret_cast<std::uint64_t>(addr);
  if (length == 0 || ((a | length) & (kPage - 1)) != 0 || a < e->base || a - e->base >= e->size ||
      length > e->size - (a - e->base))
    return SGX_ERROR_INVALID_PARAMETER;
  std::uint64_t done = 0, result = 0;
  for (int round = 0; done < length; ++round) {
    const std::uint64_t offset = a - e->base + done, left = length - done;
    std::uint64_t count = 0;
    int rc;
    if (e->client) {
      rc = e->client->page_op(op, e->handle, offset, left, arg, count, result);
    } else if (op == isolated::Op::kRestrict) {
      sgx_enclave_restrict_permissions r{offset, left, arg, 0, 0};
      rc = ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &r) == 0 ? 0 : -errno;
      count = r.count, result = r.result;
    } else if (op == isolated::Op::kModifyTypes) {
      sgx_enclave_modify_types m{offset, left, arg, 0, 0};
      rc = ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &m) == 0 ? 0 : -errno;
      count = m.count, result = m.result;
    } else {
      sgx_enclave_remove_pages r{offset, left, 0};
      rc = ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &r) == 0 ? 0 : -errno;
      count = r.count;
    }
    done += std::min(count, left);
    if (sgx_result) *sgx_result = result;
    if (rc == 0 && done >= length) break;
    if ((rc == -EAGAIN || rc == -EBUSY || rc == 0) && round < 10000) continue;
    if (rc == -ENOTCONN) return SGX_ERROR_ENCLAVE_LOST;
    if (rc == -ENOMEM) return SGX_ERROR_OUT_OF_EPC;
    if (rc == -EINVAL || rc == -EFAULT || rc == -EPERM) return SGX_ERROR_INVALID_PARAMETER;
    return SGX_ERROR_UNEXPECTED;
  }
  return SGX_SUCCESS;
}

}  // namespace

bool enclave_identity(sgx_enclave_id_t eid, EnclaveIdentity* out) {
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e) return false;
  *out = e->identity;
  return true;
}

bool current_enclave_failed() {
  if (t_active.empty()) return false;
  std::shared_lock lock(g_mu);
  auto it = g_enclaves.find(t_active.back().eid);
  return it == g_enclaves.end() || it->second->crashed || it->second->lost;
}

bool current_ecall(sgx_enclave_id_t* eid, const void** ocall_table) {
  if (t_active.empty()) return false;
  *eid = t_active.back().eid;
  *ocall_table = t_active.back().ocall_table;
  return true;
}

}  // namespace nsgx::urts

using namespace nsgx::urts;

// The vDSO exit handler's decision (see urts_entry.S).
// `out`: the OCALL's status, then R8 and R9 for the re-entry (the exit-gate
// offer again: the vDSO's call of this handler clobbered them).
extern "C" __attribute__((visibility("hidden"))) int nsgx_urts_exit(long rdi, long rsi, sgx_enclave_run* run,
                                                                    long* out) {
  auto* ctx = reinterpret_cast<CallContext*>(run->user_data);
  long* const ocall_status = out;
  out[1] = static_cast<long>(ctx->offer[0]);
  out[2] = static_cast<long>(ctx->offer[1]);
  // EENTER itself faulted (the TCS is no valid TCS, or no SSA frame is
  // free): nothing ran inside, there is nothing to handle — the call fails.
  // (An exception inside the enclave exits at the AEP's ERESUME, 3.)
  if (run->function == 2 /* EENTER */) return 0;
  if (run->function != 4 /* EEXIT */) {
    // An exception inside the enclave: give its handlers a chance (the
    // SDK's ECMD_EXCEPT, entered on the same TCS, now at CSSA 1), then
    // ERESUME. If the trusted runtime cannot handle it, the call fails.
    t_fault = Fault{true, run->exception_vector, run->exception_error_code, run->exception_addr};
    if (run_exception_handling(ctx->vdso, run->tcs, ctx->enclave)) return 2; /* ERESUME */
    if (ctx->enclave != nullptr) debug_fault_rip(*ctx->enclave, run->tcs);
    return 0;
  }
  count_exit(ctx->gate_enclave);
  if (rdi == kOcmdEret) {
    ctx->status = static_cast<sgx_status_t>(static_cast<std::uint32_t>(rsi));
    ctx->returned = true;
    return 0;
  }
  // An OCALL: index RDI, marshalling struct RSI, through the proxy's table.
  const sgx_status_t st = run_ocall(ctx->ocall_table, rdi, reinterpret_cast<void*>(rsi));
  if (ctx->enclave != nullptr && ctx->enclave->sl) ctx->enclave->sl->after_ordinary_ocall();
  // Another thread's exception crashed the enclave meanwhile: no re-entry
  // (the call then fails as crashed).
  if (ctx->enclave != nullptr && (ctx->enclave->crashed || ctx->enclave->lost)) return 0;
  *ocall_status = static_cast<long>(static_cast<std::uint32_t>(st));
  return 1;
}

namespace nsgx::urts {
namespace {

// One ordinary ECALL (or builtin command) on `e`, which the caller keeps alive.
sgx_status_t call_enclave(Enclave* const e, const sgx_enclave_id_t eid, const long index, const void* ocall_table,
                          void* ms) {
  if (e->crashed) return SGX_ERROR_ENCLAVE_CRASHED;
  if (e->lost) return SGX_ERROR_ENCLAVE_LOST;
  static const vdso_fn vdso = e->client ? nullptr : find_vdso();
  if (!e->client && vdso == nullptr) return SGX_ERROR_NO_DEVICE;
  // A nested ECALL (this thread is in an OCALL of this enclave) uses the
  // same TCS; an outermost one takes a free TCS for its duration.
  std::uint64_t tcs = 0, ursp = 0;
  std::size_t slot = 0;
  bool borrowed = false;
  for (auto it = t_active.rbegin(); it != t_active.rend(); ++it)
    if (it->eid == eid) {
      tcs = it->tcs;
      ursp = it->ursp;
      slot = it->slot;
      break;
    }
  if (tcs == 0) {
    std::lock_guard lock(e->tcs_mu);  // also guards tcs/stacks, which nsgx_enclave_add_tcs extends
    if (e->free_tcs.empty()) return SGX_ERROR_OUT_OF_TCS;
    tcs = e->free_tcs.back();
    e->free_tcs.pop_back();
    borrowed = true;
    if (e->client) {
      slot = static_cast<std::size_t>(std::find(e->tcs.begin(), e->tcs.end(), tcs) - e->tcs.begin());
      ursp = reinterpret_cast<std::uint64_t>(e->stacks[slot]) + e->stack_size;
    }
  }
  bool returned = false;
  sgx_status_t result = SGX_ERROR_UNEXPECTED;
  const long inside = borrowed ? enter_inside(eid) : -1;
  if (e->client) {
    t_active.push_back({eid, tcs, ursp, slot, ocall_table});
    result = isolated_call(*e, slot, index, ms, ocall_table, ursp);
    t_active.pop_back();
    returned = result != SGX_ERROR_ENCLAVE_CRASHED && result != SGX_ERROR_ENCLAVE_LOST;
    if (result == SGX_ERROR_ENCLAVE_LOST) borrowed = false;
  } else {
    t_active.push_back({eid, tcs, 0, 0, ocall_table});
    CallContext ctx{ocall_table, vdso};
    ctx.enclave = e;
    ctx.gate_enclave = e;
    returned = enter(vdso, tcs, index, ms, ctx);
    t_active.pop_back();
    result = ctx.status;
  }
  leave_inside(inside);
  if (!returned && result != SGX_ERROR_ENCLAVE_LOST) {
    // An exception the enclave did not handle, or no usable TCS: the
    // enclave cannot continue (the SDK's SGX_ERROR_ENCLAVE_CRASHED).
    mark_crashed(*e);
    result = SGX_ERROR_ENCLAVE_CRASHED;
    borrowed = false;  // its SSA frame holds the exception: never reuse it
  }
  if (borrowed) {
    std::lock_guard lock(e->tcs_mu);
    e->free_tcs.push_back(tcs);
  }
  return result;
}

}  // namespace
}  // namespace nsgx::urts

extern "C" sgx_status_t sgx_ecall(const sgx_enclave_id_t eid, const int index, const void* ocall_table, void* ms) {
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  if (e->sl && index >= 0) e->sl->before_ecall(ocall_table);
  return call_enclave(e.get(), eid, index, ocall_table, ms);
}

// The switchless ECALL (sgx_edger8r.h): through a trusted worker when the
// enclave was created with switchless calls and one takes it in time
// (sdk/urts/switchless.h), else the ordinary way.
extern "C" sgx_status_t sgx_ecall_switchless(const sgx_enclave_id_t eid, const int index, const void* ocall_table,
                                             void* ms) {
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  if (!e->sl || index < 0) return call_enclave(e.get(), eid, index, ocall_table, ms);
  e->sl->before_ecall(ocall_table);
  return e->sl->ecall(index, ocall_table, ms, false);
}

// The proxies' ECALL with its buffers described (sgx_edger8r.h). On the
// isolated backend the enclave cannot read this process's memory, so the
// marshalling struct and every buffer the trusted bridge copies are staged
// in the window first — overlapping buffers as one block, so that the
// bridge sees the overlap it would see on hardware — and [out] buffers are
// copied back afterwards. Pointers into the window go as they are, and so
// do pointers into ELRANGE, which the trusted bridge refuses.
namespace {

// The ECALL itself once staged: ordinary, or switchless (`app_memory` as
// in nsgx_ecall_switchless_ex).
sgx_status_t staged_call(const sgx_enclave_id_t eid, const int index, const void* ocall_table, void* ms,
                         const bool switchless, const bool app_memory) {
  if (!switchless) return sgx_ecall(eid, index, ocall_table, ms);
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  if (!e->sl || index < 0) return call_enclave(e.get(), eid, index, ocall_table, ms);
  e->sl->before_ecall(ocall_table);
  return e->sl->ecall(index, ocall_table, ms, app_memory);
}

sgx_status_t ecall_staged(const sgx_enclave_id_t eid, const int index, const void* ocall_table, void* ms,
                          size_t ms_size, const nsgx_ecall_buffer_t* buffers, size_t count, const bool switchless,
                          const bool app_memory) {
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e || !e->client || ms == nullptr) return staged_call(eid, index, ocall_table, ms, switchless, app_memory);
  nsgx::isolated::Client& c = *e->client;
  struct Buf {
    std::size_t offset;
    std::uint64_t start, size;
    unsigned dir;
    std::size_t group;
  };
  struct Group {
    std::uint64_t start, end;
    std::uint8_t* staged = nullptr;
  };
  std::vector<Buf> bufs;
  for (std::size_t i = 0; i < count; ++i) {
    if (buffers[i].offset > ms_size || ms_size - buffers[i].offset < sizeof(void*)) return SGX_ERROR_INVALID_PARAMETER;
    void* p;
    std::memcpy(&p, static_cast<std::uint8_t*>(ms) + buffers[i].offset, sizeof p);
    const auto a = reinterpret_cast<std::uint64_t>(p);
    const std::uint64_t n = buffers[i].size;
    if (p == nullptr || n == 0 || a + n < a || c.in_window(p, n)) continue;
    if (a < e->base + e->size && a + n > e->base) continue;  // into the enclave: the bridge refuses it
    bufs.push_back({buffers[i].offset, a, n, buffers[i].dir, 0});
  }
  std::vector<std::size_t> order(bufs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return bufs[x].start < bufs[y].start; });
  std::vector<Group> groups;
  for (std::size_t i : order) {
    if (!groups.empty() && bufs[i].start < groups.back().end) {
      groups.back().end = std::max(groups.back().end, bufs[i].start + bufs[i].size);
    } else {
      groups.push_back({bufs[i].start, bufs[i].start + bufs[i].size});
    }
    bufs[i].group = groups.size() - 1;
  }
  sgx_status_t st = SGX_SUCCESS;
  auto* ms_copy = static_cast<std::uint8_t*>(c.window_alloc(ms_size, 64));
  if (ms_copy == nullptr) st = SGX_ERROR_OUT_OF_MEMORY;
  for (auto& g : groups) {
    if (st != SGX_SUCCESS) break;
    g.staged = static_cast<std::uint8_t*>(c.window_alloc(g.end - g.start, 64));
    if (g.staged == nullptr) st = SGX_ERROR_OUT_OF_MEMORY;
    else std::memcpy(g.staged, reinterpret_cast<const void*>(g.start), g.end - g.start);
  }
  if (st == SGX_SUCCESS) {
    std::memcpy(ms_copy, ms, ms_size);
    for (const auto& b : bufs) {
      void* staged = groups[b.group].staged + (b.start - groups[b.group].start);
      std::memcpy(ms_copy + b.offset, &staged, sizeof staged);
    }
    st = staged_call(eid, index, ocall_table, ms_copy, switchless, app_memory);
    if (st == SGX_SUCCESS)
      for (const auto& b : bufs)
        if (b.dir & 2)
          std::memcpy(reinterpret_cast<void*>(b.start), groups[b.group].staged + (b.start - groups[b.group].start),
                      b.size);
    // The struct comes back (return value, errno), with this process's pointers.
    std::vector<std::pair<std::size_t, std::uint64_t>> keep;
    keep.reserve(bufs.size());
    for (const auto& b : bufs) keep.emplace_back(b.offset, b.start);
    std::memcpy(ms, ms_copy, ms_size);
    for (const auto& [off, ptr] : keep) std::memcpy(static_cast<std::uint8_t*>(ms) + off, &ptr, sizeof ptr);
  }
  for (auto& g : groups) c.window_free(g.staged);
  c.window_free(ms_copy);
  return st;
}

}  // namespace

extern "C" sgx_status_t nsgx_ecall_ex(const sgx_enclave_id_t eid, const int index, const void* ocall_table, void* ms,
                                      size_t ms_size, const nsgx_ecall_buffer_t* buffers, size_t count) {
  return ecall_staged(eid, index, ocall_table, ms, ms_size, buffers, count, false, false);
}

extern "C" sgx_status_t nsgx_ecall_switchless_ex(const sgx_enclave_id_t eid, const int index, const void* ocall_table,
                                                 void* ms, size_t ms_size, const nsgx_ecall_buffer_t* buffers,
                                                 size_t count, int app_memory) {
  return ecall_staged(eid, index, ocall_table, ms, ms_size, buffers, count, true, app_memory != 0);
}

extern "C" sgx_status_t nsgx_uswitchless_stats(const sgx_enclave_id_t eid, const sgx_uswitchless_worker_type_t type,
                                               sgx_uswitchless_worker_stats_t* stats) {
  if (stats == nullptr ||
      (type != SGX_USWITCHLESS_WORKER_TYPE_UNTRUSTED && type != SGX_USWITCHLESS_WORKER_TYPE_TRUSTED))
    return SGX_ERROR_INVALID_PARAMETER;
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  if (!e->sl) return SGX_ERROR_FEATURE_NOT_SUPPORTED;
  *stats = e->sl->stats(type);
  return SGX_SUCCESS;
}

extern "C" sgx_status_t nsgx_enclave_exit_counts(sgx_enclave_id_t eid, uint64_t* gate_exits, uint64_t* trap_exits) {
  if (gate_exits == nullptr || trap_exits == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  *gate_exits = e->gate_exits.load(std::memory_order_relaxed);
  *trap_exits = e->trap_exits.load(std::memory_order_relaxed);
  return SGX_SUCCESS;
}

extern "C" sgx_status_t nsgx_enclave_exception_counts(sgx_enclave_id_t eid, uint64_t* in_host,
                                                      uint64_t* in_application) {
  if (in_host == nullptr || in_application == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  const std::shared_ptr<Enclave> e = find_enclave(eid);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  *in_host = e->host_turnarounds.load(std::memory_order_relaxed);
  *in_application = e->app_exception_entries.load(std::memory_order_relaxed);
  return SGX_SUCCESS;
}

extern "C" int nsgx_interrupt_reentry(const void* ucontext) {
  // Isolated: the enclave thread runs in the enclave host; this thread
  // asks the host to interrupt it (docs/isolated.md "Interrupts"), which
  // then makes the same exception entry for the interrupt. Only an ask:
  // the host interrupts only enclave code it finds running for this
  // request.
  if (nsgx::isolated::Mailbox* mb = t_wait.mb.load(std::memory_order_relaxed)) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    mb->interrupt.store(nsgx::isolated::next_interrupt(mb->interrupt.load(std::memory_order_relaxed), t_wait.request),
                        std::memory_order_seq_cst);
    t_wait.asked.store(true, std::memory_order_relaxed);
    ring(t_wait.bell);
    return 1;
  }
  const auto* uc = static_cast<const ucontext_t*>(ucontext);
  if (uc == nullptr) return 0;
  const auto reg = [&](int r) { return static_cast<std::uint64_t>(uc->uc_mcontext.gregs[r]); };
  // The synthetic state after an AEX (SDM Vol. 3D 37.4): RAX = ERESUME,
  // RCX = RIP = the AEP. Checked before t_active is read: only a thread
  // at the AEP is inside enter(), where t_active does not change.
  if (reg(REG_RAX) != 3 || reg(REG_RCX) != reg(REG_RIP) || t_active.empty() || t_active.back().tcs != reg(REG_RBX) ||
      t_active.back().ursp != 0)  // isolated: never at an AEP in this process
    return 0;
  static const vdso_fn vdso = find_vdso();
  if (vdso == nullptr) return 0;
  // No Enclave: the handler takes no lock (counters and the exit gate's
  // offer are left out; the entry exits by the trap path).
  if (!run_exception_handling(vdso, t_active.back().tcs, nullptr)) {
    // The exception entry refused or crashed: the ERESUME that follows
    // fails as it would after any crash, and the call reports it.
    t_fault = Fault{true, 0, 0, 0};
  }
  return 1;
}

extern "C" int nsgx_signal_threads_inside(sgx_enclave_id_t eid, int sig) {
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid)), pid = getpid();
  int sent = 0;
  for (auto& s : g_inside) {
    const pid_t tid = s.tid.load();
    if (tid <= 0 || tid == self || s.eid.load() != eid) continue;
    if (syscall(SYS_tgkill, pid, tid, sig) == 0) ++sent;
  }
  return sent;
}

extern "C" void* nsgx_untrusted_alloc(size_t size) {
  if (!use_isolated()) return std::calloc(1, size ? size : 1);
  nsgx::isolated::Client* c = nsgx::isolated::Client::get();
  return c ? c->window_alloc(size, 64) : nullptr;
}

extern "C" void nsgx_untrusted_free(void* ptr) {
  if (ptr == nullptr) return;
  nsgx::isolated::Client* c = use_isolated() ? nsgx::isolated::Client::get() : nullptr;
  if (c && c->in_window(ptr, 1)) c->window_free(ptr);
  else std::free(ptr);
}

extern "C" sgx_status_t sgx_create_enclave(const char* file_name, const int debug, sgx_launch_token_t* launch_token,
                                           int* launch_token_updated, sgx_enclave_id_t* enclave_id,
                                           sgx_misc_attribute_t* misc_attr) {
  (void)launch_token;
  if (file_name == nullptr || enclave_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  if (launch_token_updated) *launch_token_updated = 0;
  return load(file_name, debug != 0, enclave_id, misc_attr);
}

extern "C" sgx_status_t nsgx_create_enclave_at(const char* file_name, const int debug, const uint64_t base,
                                               sgx_enclave_id_t* enclave_id) {
  if (file_name == nullptr || enclave_id == nullptr) return SGX_ERROR_INVALID_PARAMETER;
  auto file = nsgx::read_file(file_name);
  if (!file) return SGX_ERROR_ENCLAVE_FILE_ACCESS;
  nsgx::urts::LoadOptions opts;
  opts.base = base;
  return nsgx::urts::load_image(std::move(*file), file_name, debug != 0, opts, enclave_id, nullptr);
}

extern "C" sgx_status_t sgx_destroy_enclave(const sgx_enclave_id_t enclave_id) {
  std::shared_ptr<Enclave> e;
  {
    std::unique_lock lock(g_mu);
    auto it = g_enclaves.find(enclave_id);
    if (it == g_enclaves.end()) return SGX_ERROR_INVALID_ENCLAVE_ID;
    e = std::move(it->second);
    g_enclaves.erase(it);
  }
  // Switchless workers leave the enclave and end before it does.
  if (e->sl) e->sl->stop();
  e->dbg.remove();
  // On the isolated backend the enclave ends now, even with threads inside
  // (they return SGX_ERROR_ENCLAVE_LOST); its window memory goes with the
  // last reference.
  if (e->client && e->handle) {
    e->client->destroy(e->handle);
    e->handle = 0;
  }
  return SGX_SUCCESS;
}

extern "C" sgx_status_t nsgx_enclave_restrict_permissions(sgx_enclave_id_t enclave_id, void* addr, size_t length,
                                                          uint64_t permissions, uint64_t* sgx_result) {
  return page_op(enclave_id, nsgx::isolated::Op::kRestrict, addr, length, permissions, sgx_result);
}

extern "C" sgx_status_t nsgx_enclave_modify_types(sgx_enclave_id_t enclave_id, void* addr, size_t length,
                                                  uint64_t page_type, uint64_t* sgx_result) {
  return page_op(enclave_id, nsgx::isolated::Op::kModifyTypes, addr, length, page_type, sgx_result);
}

extern "C" sgx_status_t nsgx_enclave_remove_pages(sgx_enclave_id_t enclave_id, void* addr, size_t length) {
  return page_op(enclave_id, nsgx::isolated::Op::kRemovePages, addr, length, 0, nullptr);
}

extern "C" sgx_status_t nsgx_enclave_add_tcs(sgx_enclave_id_t enclave_id, void* tcs) {
  const auto e = find_enclave(enclave_id);
  if (!e) return SGX_ERROR_INVALID_ENCLAVE_ID;
  if (e->lost) return SGX_ERROR_ENCLAVE_LOST;
  const auto a = reinterpret_cast<std::uint64_t>(tcs);
  if ((a & (kPage - 1)) != 0 || a < e->base || a - e->base >= e->size) return SGX_ERROR_INVALID_PARAMETER;
  std::lock_guard lock(e->tcs_mu);
  if (std::find(e->free_tcs.begin(), e->free_tcs.end(), a) != e->free_tcs.end() ||
      std::find(e->tcs.begin(), e->tcs.end(), a) != e->tcs.end())
    return SGX_ERROR_INVALID_PARAMETER;  // already in the pool
  if (e->client) {
    // A spare mailbox, its OCALL stack, and the monitor's consent (the page
    // must be a TCS the enclave has accepted).
    const auto spare = std::find(e->tcs.begin(), e->tcs.end(), 0u);
    if (spare == e->tcs.end()) return SGX_ERROR_OUT_OF_TCS;
    const auto slot = static_cast<std::size_t>(spare - e->tcs.begin());
    auto* stack = static_cast<std::uint8_t*>(e->client->window_alloc(e->stack_size, 4096));
    if (stack == nullptr) return SGX_ERROR_OUT_OF_MEMORY;
    if (const int rc = e->client->add_tcs(e->handle, a, static_cast<std::uint32_t>(slot)); rc != 0) {
      e->client->window_free(stack);
      return rc == -ENOTCONN ? SGX_ERROR_ENCLAVE_LOST : SGX_ERROR_INVALID_PARAMETER;
    }
    e->tcs[slot] = a;
    e->stacks[slot] = stack;
  }
  e->free_tcs.push_back(a);
  return SGX_SUCCESS;
}
