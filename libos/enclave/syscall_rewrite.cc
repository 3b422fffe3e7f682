// Load-time system-call rewriting (syscall_rewrite.h). Stub layout and the
// register contract: syscall_stub.S.
#include "libos/enclave/syscall_rewrite.h"

#include <string.h>

#include <string>

#include "libos/enclave/program_entry.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/syscall_sites.h"
#include "libos/enclave/syscalls.h"
#include "libos/enclave/threads.h"
#include "libos/enclave/user_region.h"
#include "sgx_trts_exception.h"

extern "C" const char libos_syscall_entry[];

namespace nsgx::libos {
namespace {

// A stub: lea -128(%rsp),%rsp (5) | the site's head, mov $nr,%eax (5) or
// xor %eax,%eax (2: its flags are the program's at the syscall, as
// natively) | tail (<= 12) | call *slot(%rip) (6) | .quad resume (8): at
// most 36 bytes, in 48.
constexpr uint64_t kStubSize = 48;
constexpr uint64_t kSlotArea = 16;  // the block's first word: libos_syscall_entry's address

// System calls the stubs never take: arch_prctl sets FS, which only the
// first phase can (through the SSA frame and ERESUME); rt_sigreturn
// replaces every register, RIP and FS included.
bool kept_on_trap_path(uint32_t nr) { return nr == 158 /* arch_prctl */ || nr == 15 /* rt_sigreturn */; }

uint64_t g_sites_rewritten = 0;  // under the callers' locks (loading, or the memory lock in mmap)
uint64_t g_sites_out_of_reach = 0;
uint64_t g_rewritten_calls = 0;  // atomic
uint64_t g_trapped_calls = 0;    // atomic

bool enabled() { return g_program.manifest != nullptr && g_program.manifest->syscall_rewrite; }

// The site's bytes in enclave memory (and an xor site's trampoline's) are
// still what the file says.
bool unchanged(const SyscallSite& s, const uint8_t* code, const uint8_t* tramp) {
  const size_t h = s.head_len;
  if ((h != 5 && h != 2) || memcmp(code, s.head_bytes, h) != 0 || memcmp(code + h, s.tail, s.tail_len) != 0 ||
      code[h + s.tail_len] != 0x0F || code[h + s.tail_len + 1] != 0x05)
    return false;
  return s.head == SiteHead::kMovImm || (tramp != nullptr && memcmp(tramp, s.tramp_bytes, 5) == 0);
}

bool fits_rel32(uint64_t from_next, uint64_t to) {
  const int64_t d = static_cast<int64_t>(to - from_next);
  return d >= INT32_MIN && d <= INT32_MAX;
}

void put32(uint8_t* p, uint64_t from_next, uint64_t to) {
  const int32_t d = static_cast<int32_t>(static_cast<int64_t>(to - from_next));
  memcpy(p, &d, 4);
}

// Writes the stub for `s` at `stub` and points the site at it (an xor
// site through its trampoline, `tramp`).
bool apply(const SyscallSite& s, uint8_t* code, uint8_t* tramp, uint8_t* stub, uint64_t slot) {
  const uint64_t site = reinterpret_cast<uint64_t>(code), at = reinterpret_cast<uint64_t>(stub);
  const bool xor_site = s.head == SiteHead::kXorEax;
  const uint64_t jump_from = xor_site ? reinterpret_cast<uint64_t>(tramp) : site;
  if (!unchanged(s, code, tramp) || !fits_rel32(jump_from + 5, at)) return false;
  if (xor_site) {  // the scan placed it within a rel8; check the addresses as mapped
    const int64_t d = static_cast<int64_t>(jump_from - (site + 2));
    if (d < -128 || d > 127) return false;
  }
  uint8_t* p = stub;
  const uint8_t lea[5] = {0x48, 0x8D, 0x64, 0x24, 0x80};  // lea -0x80(%rsp), %rsp
  memcpy(p, lea, 5);
  p += 5;
  memcpy(p, s.head_bytes, s.head_len);  // mov $nr, %eax or xor %eax, %eax
  p += s.head_len;
  memcpy(p, s.tail, s.tail_len);
  p += s.tail_len;
  *p++ = 0xFF;  // call *slot(%rip)
  *p++ = 0x15;
  put32(p, reinterpret_cast<uint64_t>(p) + 4, slot);
  p += 4;
  const uint64_t resume = site + s.head_len + s.tail_len + 2;
  memcpy(p, &resume, 8);
  // Then the jump to the stub, the site's own bytes last (the tail and
  // 0F 05 stay): E9 rel32 over the B8 imm32; or E9 rel32 in the padding
  // and EB rel8 over the xor.
  if (xor_site) {
    tramp[0] = 0xE9;
    put32(tramp + 1, jump_from + 5, at);
    const int8_t d = static_cast<int8_t>(static_cast<int64_t>(jump_from - (site + 2)));
    code[1] = static_cast<uint8_t>(d);
    code[0] = 0xEB;
  } else {
    code[0] = 0xE9;
    put32(code + 1, site + 5, at);
  }
  return true;
}

// Rewrites each site `where` places in enclave memory (nullptr: not mapped here).
template <typename Where>
void rewrite(const uint8_t* file, uint64_t size, Where where) {
  if (!enabled()) return;
  SiteScan scan;
  std::string why;
  if (!scan_elf(file, size, scan, why)) return;  // the loader has refused it already, or will
  uint64_t n = 0;
  for (const SyscallSite& s : scan.sites)
    if (!kept_on_trap_path(s.nr) && where(s.vaddr, s.file_off, s.head_len + s.tail_len + 2) != nullptr) ++n;
  if (n == 0) return;
  auto* block = static_cast<uint8_t*>(alloc_pages(kSlotArea + n * kStubSize, /*x=*/true));
  if (block == nullptr) return;  // no memory: every site keeps trapping
  const uint64_t entry = reinterpret_cast<uint64_t>(libos_syscall_entry);
  memcpy(block, &entry, 8);
  uint8_t* next = block + kSlotArea;
  for (const SyscallSite& s : scan.sites) {
    uint8_t* code = kept_on_trap_path(s.nr) ? nullptr : where(s.vaddr, s.file_off, s.head_len + s.tail_len + 2);
    if (code == nullptr) continue;
    uint8_t* tramp = s.head == SiteHead::kXorEax ? where(s.tramp_vaddr, s.tramp_off, 5) : nullptr;
    if (apply(s, code, tramp, next, reinterpret_cast<uint64_t>(block))) {
      next += kStubSize;
      ++g_sites_rewritten;
    } else {
      ++g_sites_out_of_reach;
    }
  }
  if (g_program.trace > 1)
    say("nsgx libos: " + std::to_string(scan.sites.size()) + " system-call sites found, " +
        std::to_string(scan.syscalls) + " syscall instructions on trusted walks\n");
}

}  // namespace

// `where(vaddr, file_off, bytes)`: the enclave address holding the image's
// bytes at vaddr (the file's [file_off, file_off + bytes)), or nullptr when
// they are not all mapped here.
void rewrite_image(const uint8_t* file, uint64_t size, uint64_t base) {
  rewrite(file, size, [base](uint64_t vaddr, uint64_t, uint64_t) { return reinterpret_cast<uint8_t*>(base + vaddr); });
}

void rewrite_mapping(const uint8_t* file, uint64_t size, uint64_t off, uint64_t len, uint8_t* at) {
  rewrite(file, size, [=](uint64_t, uint64_t file_off, uint64_t bytes) -> uint8_t* {
    if (file_off < off || file_off - off > len || len - (file_off - off) < bytes) return nullptr;
    return at + (file_off - off);
  });
}

void rewrite_report() {
  if (!g_program.trace) return;
  say("nsgx libos: syscall rewriting " + std::string(enabled() ? "on" : "off") + ": " +
      std::to_string(g_sites_rewritten) + " sites rewritten (" + std::to_string(g_sites_out_of_reach) + " left), " +
      std::to_string(__atomic_load_n(&g_rewritten_calls, __ATOMIC_RELAXED)) + " system calls through stubs, " +
      std::to_string(__atomic_load_n(&g_trapped_calls, __ATOMIC_RELAXED)) + " trapped\n");
  say("nsgx libos: the program's FS after OCALLs: " +
      std::to_string(__atomic_load_n(&g_fs_gate_loads, __ATOMIC_RELAXED)) + " through the FS gate, " +
      std::to_string(__atomic_load_n(&g_fs_stub_returns, __ATOMIC_RELAXED)) + " through the #UD stub\n");
}

void count_trapped_syscall() { __atomic_add_fetch(&g_trapped_calls, 1, __ATOMIC_RELAXED); }

}  // namespace nsgx::libos

using nsgx::libos::ProgramThread;
using nsgx::libos::this_thread;

// The stack a rewritten call's handler runs on (syscall_stub.S step 2):
// a started thread's handler stack on its TCS, 0 (stay) for the main
// thread. Runs on the program's stack: a small frame, no OCALL.
extern "C" uint64_t libos_rewrite_stack() {
  const ProgramThread* t = this_thread();
  return t != nullptr ? t->handler_sp : 0;
}

// A rewritten call (syscall_stub.S step 4): the trap path's dispatch with
// the registers the stub saved, RIP at the `syscall`. Returns 1 when an
// OCALL on the way left the enclave's FS in place of the program's and no
// FS gate could load it (threads.h, program_fs_in_effect): the stub then
// resumes through libos_fs_stub, as the second phase does. The one
// function every rewritten call returns through.
extern "C" int libos_rewritten_syscall(sgx_cpu_context_t* c) {
  __atomic_add_fetch(&nsgx::libos::g_rewritten_calls, 1, __ATOMIC_RELAXED);
  nsgx::libos::run_syscall(*c);  // exactly the trap path's: RIP, RCX, R11 and any signal's handler
  ProgramThread* t = this_thread();
  if (!program_fs_in_effect(t)) {
    t->resume_rip = c->rip;
    return 1;
  }
  return 0;
}
