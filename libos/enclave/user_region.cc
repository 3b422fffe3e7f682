// The user region: pages EACCEPTed on demand (user_region.h). Its maps are
// under g_region_lock (spin_lock.h): threads map and unmap at once.
#include "libos/enclave/user_region.h"

#include <stdlib.h>
#include <string.h>

#include "arch/sgx/pageinfo.h"
#include "arch/sgx/types.h"
#include "libos/enclave/bitmap.h"
#include "libos/enclave/spin_lock.h"
#include "sdk/common/global_data.h"
#include "sgx_trts.h"

extern "C" volatile nsgx_global_data_t g_global_data;
extern "C" const char __ehdr_start[];  // the image's first byte (global_data.h: image_offset)

namespace nsgx::libos {
namespace {

static_assert(kPage == sgx::kPageSize);
// The region's first pages, never used (region_init).
constexpr uint64_t kLowPages = 0x10000 / kPage;

// EACCEPT and EMODPE take the SECINFO's effective address in RBX, which
// must be 64-byte aligned (SDM Vol. 3D, EACCEPT/EMODPE "Instruction Operand
// Encoding" and #GP(0) conditions); sgx::Secinfo (arch/sgx/pageinfo.h) is
// the architectural layout, aligned here where it is used.
struct alignas(64) AlignedSecinfo {
  sgx::Secinfo si;
};
static_assert(sizeof(AlignedSecinfo) == 64, "SDM Vol. 3D: SECINFO is 64 bytes");
static_assert(alignof(AlignedSecinfo) == 64, "SDM Vol. 3D: ENCLU takes SECINFO 64-byte aligned");

uint64_t enclu(sgx::Enclu leaf, const AlignedSecinfo* si, uint64_t addr) {
  uint64_t rax;
  __asm__ volatile(".byte 0x0f, 0x01, 0xd7"
                   : "=a"(rax)
                   : "a"(static_cast<uint64_t>(leaf)), "b"(si), "c"(addr)
                   : "memory", "cc");
  return rax;
}

void emodpe_x(uint8_t* page) {
  const AlignedSecinfo si{{sgx::secinfo_flags::kX, {}}};
  (void)enclu(sgx::Enclu::kEmodpe, &si, reinterpret_cast<uint64_t>(page));
}

struct Region {
  uint8_t* base = nullptr;
  uint64_t pages = 0;
  uint8_t* accepted = nullptr;  // bit per page: EACCEPTed (then it is ours, RW)
  uint8_t* used = nullptr;      // bit per page: handed out
  uint8_t* exec = nullptr;      // bit per page: EMODPEd executable
  uint8_t* program = nullptr;   // bit per page: the program's own (a subset of used)
  uint8_t* deferred = nullptr;  // bit per page: to be accepted at first touch (not accepted)
  uint64_t hint = 0;
};
Region g_region;

// A bit read outside the lock (commit_on_fault): one byte, loaded whole.
bool bit_relaxed(const uint8_t* m, uint64_t i) {
  return ((__atomic_load_n(&m[i / 8], __ATOMIC_RELAXED) >> (i % 8)) & 1) != 0;
}
// The maps' lock (spin_lock.h's order): every function below that reads or
// changes them takes it; the *_locked ones expect it held.
SpinLock g_region_lock;

}  // namespace

uint64_t enclave_base() { return reinterpret_cast<uint64_t>(__ehdr_start) - g_global_data.image_offset; }

bool region_init() {
  const uint64_t off = g_global_data.user_region_offset, size = g_global_data.user_region_size;
  if (size == 0 || size % kPage != 0) return false;
  g_region.base = reinterpret_cast<uint8_t*>(enclave_base() + off);
  if (!sgx_is_within_enclave(g_region.base, size)) return false;
  g_region.pages = size / kPage;
  const uint64_t bytes = (g_region.pages + 7) / 8;
  g_region.accepted = static_cast<uint8_t*>(calloc(1, bytes));
  g_region.used = static_cast<uint8_t*>(calloc(1, bytes));
  g_region.exec = static_cast<uint8_t*>(calloc(1, bytes));
  g_region.program = static_cast<uint8_t*>(calloc(1, bytes));
  g_region.deferred = static_cast<uint8_t*>(calloc(1, bytes));
  if (!(g_region.accepted && g_region.used && g_region.exec && g_region.program && g_region.deferred)) return false;
  // The region's first 64 KiB are never used. Where the region starts at
  // ELRANGE's base and that is 0 (a non-PIE program's layout,
  // global_data.h), the host cannot map them (vm.mmap_min_addr, 64 KiB on
  // Debian) and page 0 must stay unmapped for NULL to fault; everywhere
  // they leave phase 1 of exception handling room below the lowest stack
  // the program can have here (sdk/trts/entry.S, PHASE1_USER_REGION_ROOM).
  const uint64_t low = kLowPages < g_region.pages ? kLowPages : g_region.pages;
  for (uint64_t k = 0; k < low; ++k) set_bit(g_region.used, k, true);
  // A region that starts at ELRANGE's base (laid out for a non-PIE
  // program) is used from its middle first: a non-PIE program's fixed
  // addresses are low (0x400000 and up), and the copies of the program
  // and its interpreter are made before it is loaded (elf_loader.cc).
  g_region.hint = off == 0 && g_region.pages / 2 > low ? g_region.pages / 2 : low;
  return true;
}

uint8_t* region_base() { return g_region.base; }

bool near_null(uint64_t addr) {
  const uint64_t base = enclave_base();
  return addr == 0 || (g_global_data.user_region_offset == 0 && addr >= base && addr - base < kLowPages * kPage);
}
uint64_t region_pages() { return g_region.pages; }

bool in_region(uint64_t addr, uint64_t len) {
  const uint64_t b = reinterpret_cast<uint64_t>(g_region.base);
  return addr >= b && len <= g_region.pages * kPage && addr - b <= g_region.pages * kPage - len;
}

uint64_t page_index(const void* p) {
  return (reinterpret_cast<uint64_t>(p) - reinterpret_cast<uint64_t>(g_region.base)) / kPage;
}

namespace {

// EACCEPT of a page not yet added makes the backend EAUG it (a fresh zero
// page, SDM 38.5.1); a page accepted before is cleared instead.
bool make_usable_locked(uint64_t first, uint64_t n, bool x) {
  for (uint64_t i = first; i < first + n; ++i) {
    uint8_t* p = g_region.base + i * kPage;
    set_bit(g_region.deferred, i, false);
    if (!bit(g_region.accepted, i)) {
      namespace f = sgx::secinfo_flags;
      const AlignedSecinfo si{{f::kR | f::kW | f::kPending | f::page_type(sgx::PageType::kReg), {}}};
      if (enclu(sgx::Enclu::kEaccept, &si, reinterpret_cast<uint64_t>(p)) != 0) return false;
      set_bit(g_region.accepted, i, true);
    } else {
      memset(p, 0, kPage);
    }
    if (x && !bit(g_region.exec, i)) {
      emodpe_x(p);
      set_bit(g_region.exec, i, true);
    }
  }
  return true;
}

void make_executable_locked(uint64_t first, uint64_t n) {
  for (uint64_t k = first; k < first + n; ++k)
    if (bit(g_region.accepted, k) && !bit(g_region.exec, k)) {
      emodpe_x(g_region.base + k * kPage);
      set_bit(g_region.exec, k, true);
    }
}

uint64_t reserve_pages_locked(uint64_t n) {
  if (n == 0 || n > g_region.pages) return kNoPages;
  for (int pass = 0; pass < 2; ++pass) {
    uint64_t run = 0;
    for (uint64_t i = pass == 0 ? g_region.hint : 0; i < g_region.pages; ++i) {
      run = bit(g_region.used, i) ? 0 : run + 1;
      if (run == n) {
        const uint64_t first = i + 1 - n;
        for (uint64_t k = first; k <= i; ++k) set_bit(g_region.used, k, true);
        g_region.hint = i + 1;
        return first;
      }
    }
  }
  return kNoPages;
}

void release_pages_locked(uint64_t first, uint64_t n) {
  for (uint64_t k = first; k < first + n; ++k) {
    set_bit(g_region.used, k, false);
    set_bit(g_region.program, k, false);
    set_bit(g_region.deferred, k, false);
  }
  if (first < g_region.hint) g_region.hint = first;
}

}  // namespace

bool make_usable(uint64_t first, uint64_t n, bool x) {
  SpinGuard g(g_region_lock);
  return make_usable_locked(first, n, x);
}

void clear_accepted(uint64_t first, uint64_t n) {
  SpinGuard g(g_region_lock);
  for (uint64_t i = first; i < first + n; ++i) {
    set_bit(g_region.deferred, i, false);  // PROT_NONE: a touch is the program's fault
    if (bit(g_region.accepted, i)) memset(g_region.base + i * kPage, 0, kPage);
  }
}

void defer_pages(uint64_t first, uint64_t n) {
  SpinGuard g(g_region_lock);
  for (uint64_t i = first; i < first + n; ++i) {
    if (bit(g_region.accepted, i)) {
      memset(g_region.base + i * kPage, 0, kPage);
    } else {
      set_bit(g_region.deferred, i, true);
    }
  }
}

namespace {

// Fault-around (docs/libos.md, "Zero-fill on demand"): a first touch costs
// a host #PF, the backend's EAUG, an exception entry and ERESUME on top of
// the page's EACCEPT, so a program that touches deferred pages one after
// another (upward or downward) gets the next ones accepted with the one it
// touched: 2, 4, 8, then kFaultAroundMax pages a fault while each fault
// lands exactly where the last run of its stream ended. kStreams streams
// are followed at once (a program filling two arrays in turn, as bzip2
// does); a fault that continues none starts a new stream at one page, in
// place of the one used least recently. A program that touches sparsely
// never earns a window, so it takes no EPC it does not touch; one that
// stops leaves at most kStreams * (kFaultAroundMax - 1) pages accepted
// untouched.
constexpr uint64_t kFaultAroundMax = 16;
constexpr int kStreams = 4;
struct FaultAround {
  uint64_t next_up = UINT64_MAX;    // the page past the stream's last run, upward
  uint64_t next_down = UINT64_MAX;  // the page below it, downward
  uint64_t window = 1;
  uint64_t used = 0;  // g_fault_clock at its last fault
};
FaultAround g_streams[kStreams];            // under g_region_lock
uint64_t g_fault_clock = 0;                 // under g_region_lock
uint64_t g_touches = 0, g_touch_pages = 0;  // under g_region_lock: faults served, pages they accepted

// A deferred page of the program's, not accepted yet, with the executable
// mark `x`: one commit_on_fault may accept.
bool committable_locked(uint64_t i, bool x) {
  return i < g_region.pages && bit(g_region.deferred, i) && bit(g_region.program, i) && !bit(g_region.accepted, i) &&
         bit(g_region.exec, i) == x;
}

}  // namespace

bool commit_on_fault(uint64_t addr) {
  if (!in_region(addr, 1)) return false;
  const uint64_t i = page_index(reinterpret_cast<void*>(addr));
  if (!bit_relaxed(g_region.deferred, i)) return false;  // as commit_page (below)
  SpinGuard g(g_region_lock);
  const bool x = bit(g_region.exec, i);
  if (!committable_locked(i, x) || !make_usable_locked(i, 1, x)) return false;
  FaultAround* st = &g_streams[0];
  int dir = 0;
  for (FaultAround& t : g_streams) {
    dir = i == t.next_up ? 1 : i == t.next_down ? -1 : 0;
    if (dir != 0) {
      st = &t;
      break;
    }
    if (t.used < st->used) st = &t;
  }
  if (dir == 0) *st = FaultAround{};
  st->window = dir == 0 ? 1 : st->window * 2 > kFaultAroundMax ? kFaultAroundMax : st->window * 2;
  uint64_t lo = i, hi = i;
  for (uint64_t k = 1; dir != 0 && k < st->window; ++k) {
    // Stays within the run of deferred pages of the same kind; an EACCEPT
    // that fails (the host's EAUG refused) ends it quietly: the touched
    // page is accepted, the others stay deferred.
    const uint64_t j = dir > 0 ? i + k : i - k;
    if ((dir < 0 && k > i) || !committable_locked(j, x)) break;
    if (!make_usable_locked(j, 1, x)) {
      set_bit(g_region.deferred, j, true);  // still to be accepted at its own touch
      break;
    }
    (dir > 0 ? hi : lo) = j;
  }
  st->next_up = hi + 1;
  st->next_down = lo == 0 ? UINT64_MAX : lo - 1;
  st->used = ++g_fault_clock;
  g_touches += 1;
  g_touch_pages += hi - lo + 1;
  return true;
}

void first_touch_counts(uint64_t& faults, uint64_t& pages) {
  SpinGuard g(g_region_lock);
  faults = g_touches;
  pages = g_touch_pages;
}

namespace {

// One deferred page accepted (commit_deferred), with no fault-around.
bool commit_page(uint64_t addr) {
  if (!in_region(addr, 1)) return false;
  const uint64_t i = page_index(reinterpret_cast<void*>(addr));
  // Looked at before the lock: a fault under the lock (an EACCEPT whose
  // EAUG the host refused — the EPC is full) must not wait for it here.
  // make_usable clears the mark before its EACCEPT, so such a fault is
  // never a deferred page's: it goes on to phase 2 (the enclave is lost,
  // as it was before deferral) instead of spinning forever.
  if (!bit_relaxed(g_region.deferred, i)) return false;
  SpinGuard g(g_region_lock);
  // Only a deferred page of the program's: a fault anywhere else (a page
  // released, PROT_NONE, the library OS's) stays the fault it is.
  if (!bit(g_region.deferred, i) || !bit(g_region.program, i) || bit(g_region.accepted, i)) return false;
  return make_usable_locked(i, 1, bit(g_region.exec, i));
}

}  // namespace

void commit_deferred(uint64_t addr, uint64_t len) {
  if (len == 0 || !in_region(addr, len)) return;
  for (uint64_t a = addr & ~(kPage - 1); a < addr + len; a += kPage) (void)commit_page(a);
}

uint64_t deferred_pages() {
  SpinGuard g(g_region_lock);
  uint64_t n = 0;
  for (uint64_t i = 0; i < g_region.pages; ++i) n += bit(g_region.deferred, i) ? 1 : 0;
  return n;
}

bool make_present(uint64_t first, uint64_t n, bool x) {
  SpinGuard g(g_region_lock);
  for (uint64_t i = first; i < first + n; ++i)
    if (!bit(g_region.accepted, i) && !make_usable_locked(i, 1, x)) return false;
  if (x) make_executable_locked(first, n);
  return true;
}

void make_executable(uint64_t first, uint64_t n) {
  SpinGuard g(g_region_lock);
  make_executable_locked(first, n);
}

uint64_t free_pages() {
  SpinGuard g(g_region_lock);
  uint64_t n = 0;
  for (uint64_t i = 0; i < g_region.pages; ++i) n += bit(g_region.used, i) ? 0 : 1;
  return n;
}

uint64_t reserve_pages(uint64_t n) {
  SpinGuard g(g_region_lock);
  return reserve_pages_locked(n);
}

void release_pages(uint64_t first, uint64_t n) {
  SpinGuard g(g_region_lock);
  release_pages_locked(first, n);
}

bool reserve_pages_at(uint64_t first, uint64_t n) {
  SpinGuard g(g_region_lock);
  if (n == 0 || first >= g_region.pages || g_region.pages - first < n) return false;
  for (uint64_t k = first; k < first + n; ++k)
    if (bit(g_region.used, k)) return false;
  for (uint64_t k = first; k < first + n; ++k) set_bit(g_region.used, k, true);
  return true;
}

void set_program_owned(uint64_t first, uint64_t n, bool owned) {
  SpinGuard g(g_region_lock);
  for (uint64_t k = first; k < first + n; ++k) set_bit(g_region.program, k, owned);
}

bool program_owns_page(uint64_t page) {
  SpinGuard g(g_region_lock);
  return page < g_region.pages && bit(g_region.program, page);
}

bool program_owns(uint64_t first, uint64_t n) {
  SpinGuard g(g_region_lock);
  if (first >= g_region.pages || g_region.pages - first < n) return false;
  for (uint64_t k = first; k < first + n; ++k)
    if (!bit(g_region.program, k)) return false;
  return true;
}

void* alloc_pages(uint64_t bytes, bool x) {
  const uint64_t n = (bytes + kPage - 1) / kPage;
  SpinGuard g(g_region_lock);
  const uint64_t first = reserve_pages_locked(n);
  if (first == kNoPages) return nullptr;
  if (!make_usable_locked(first, n, x)) {
    release_pages_locked(first, n);
    return nullptr;
  }
  return g_region.base + first * kPage;
}

uint8_t page_state_of(uint64_t page) {
  namespace ps = page_state;
  if (page >= g_region.pages) return 0;
  uint8_t st = 0;
  if (bit_relaxed(g_region.used, page)) st |= ps::kUsed;
  if (bit_relaxed(g_region.program, page)) st |= ps::kProgram;
  if (bit_relaxed(g_region.exec, page)) st |= ps::kExec;
  // Accepted before deferred: commit_on_fault sets accepted, then clears
  // nothing (make_usable_locked cleared deferred first).
  if (bit_relaxed(g_region.accepted, page))
    st |= ps::kAccepted;
  else if (bit_relaxed(g_region.deferred, page))
    st |= ps::kDeferred;
  return st;
}

bool restore_page_state(uint64_t page, uint8_t state) {
  namespace ps = page_state;
  if (page >= g_region.pages || (state & ~ps::kAll) != 0) return false;
  if ((state & ps::kUsed) == 0) return false;  // a free page has no state worth carrying
  if ((state & ps::kDeferred) != 0 && (state & ps::kAccepted) != 0) return false;
  if (page < kLowPages) return state == ps::kUsed;  // never used, in the parent as here (region_init)
  SpinGuard g(g_region_lock);
  if (bit(g_region.accepted, page) || bit(g_region.used, page)) return false;  // a page of the child's own already
  if ((state & ps::kAccepted) != 0 && !make_usable_locked(page, 1, (state & ps::kExec) != 0)) return false;
  set_bit(g_region.used, page, (state & ps::kUsed) != 0);
  set_bit(g_region.program, page, (state & ps::kProgram) != 0);
  set_bit(g_region.deferred, page, (state & ps::kDeferred) != 0);
  set_bit(g_region.exec, page, (state & ps::kExec) != 0);
  return true;
}

}  // namespace nsgx::libos
