// The user region (docs/libos.md): <UserRegionSize> of ELRANGE the loader
// never EADDs, EACCEPTed page by page as the program needs it (SGX2 EAUG on
// first touch). The program's image, brk, anonymous mappings and the
// trusted files' copies live there. The region's bookkeeping is private to
// user_region.cc; the others see pages by index.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kNoPages = UINT64_MAX;  // reserve_pages' failure

// Finds the region from the trusted runtime's global data; false if the
// enclave has none (or it lies outside ELRANGE) or no memory for its maps.
// ELRANGE's first byte. The library OS's image lies above the user region
// where the signer put the region first (sdk/common/global_data.h).
uint64_t enclave_base();
bool region_init();
// Whether `addr` lies in the first 64 KiB of ELRANGE where the user region
// starts at its base (an enclave at 0 for a non-PIE program: NULL's page
// and the ones after it, never used) or is 0: never the program's memory,
// so a system call given such a pointer answers EFAULT, as Linux does,
// rather than faulting inside the library OS.
bool near_null(uint64_t addr);
uint8_t* region_base();
uint64_t region_pages();
// Pages not handed out (sysinfo's free memory).
uint64_t free_pages();
// [addr, addr + len) lies within the region.
bool in_region(uint64_t addr, uint64_t len);
// The index of the page holding `p` (which lies in the region).
uint64_t page_index(const void* p);

// Makes pages [first, first + n) usable, zeroed and (if `x`) executable.
bool make_usable(uint64_t first, uint64_t n, bool x);
// PROT_NONE reservations (glibc reserves its thread arenas, 64 MiB and
// more, this way and opens them with mprotect as they grow): pages of
// [first, first + n) accepted before are cleared, the others left
// unaccepted; make_present then accepts those not yet accepted and leaves
// the rest as they are.
void clear_accepted(uint64_t first, uint64_t n);
bool make_present(uint64_t first, uint64_t n, bool x);
// Zero-fill on demand (a large anonymous mapping, a .bss, the span ld.so
// reserves for a library past its file's end): pages of [first, first + n)
// accepted before are cleared, the others are marked to be accepted at
// their first touch (commit_on_fault) instead of now — the program touches
// little of a 136 MiB .bss, and accepting it all would take that much EPC
// (past the isolated monitor's EPC the enclave is lost). make_usable,
// make_present and release clear the mark.
void defer_pages(uint64_t first, uint64_t n);
// The first phase's answer to a #PF at `addr` (EXINFO.MADDR): if its page
// is the program's and deferred, accepts it (zero) and returns true — the
// access is then retried; false for every other fault (the signal path).
// When the faults follow each other page after page (upward or downward,
// up to 4 such streams at once) it accepts the next deferred pages of the
// run as well, up to 16 a fault (fault-around, user_region.cc). Runs on the exception-entry stack: no
// allocation, no OCALL.
bool commit_on_fault(uint64_t addr);
// The first touches commit_on_fault served and the pages they accepted
// (the touched one and its fault-around): `nsgx run --trace` reports them.
void first_touch_counts(uint64_t& faults, uint64_t& pages);
// Accepts the deferred pages among those [addr, addr + len) covers now,
// as commit_on_fault would at their first touch: for memory that becomes
// a stack. A fault's first phase runs on the faulting stack, below its red
// zone (sdk/trts/entry.S), so an untouched page there faults again inside
// the first phase, with no SSA frame left: the enclave would be lost.
void commit_deferred(uint64_t addr, uint64_t len);
// Pages deferred and not yet accepted (tests of the region's accounting).
uint64_t deferred_pages();
// Makes the pages of [first, first + n) that are already usable executable
// too (EMODPE); the others become so when made usable.
void make_executable(uint64_t first, uint64_t n);
// Finds n free pages (first fit from the last allocation), marks them
// used; returns the first page's index or kNoPages.
uint64_t reserve_pages(uint64_t n);
void release_pages(uint64_t first, uint64_t n);
// Reserves exactly pages [first, first + n) if all are free; false if any
// is in use (or the range leaves the region).
bool reserve_pages_at(uint64_t first, uint64_t n);
// The program's own pages: its image, its interpreter's and what mmap gave
// it (not the brk area, not trusted files' copies, not the library OS's).
// MAP_FIXED, munmap and mprotect act on these only.
void set_program_owned(uint64_t first, uint64_t n, bool owned);
bool program_owns(uint64_t first, uint64_t n);
bool program_owns_page(uint64_t page);
// reserve_pages + make_usable for `bytes`; nullptr if either fails.
void* alloc_pages(uint64_t bytes, bool x);

// fork (syscalls_fork.h): a page's state as the maps hold it, and its
// restoration in a fork child's fresh region. Bits: used, program,
// deferred, executable, accepted (then the page's bytes are readable).
namespace page_state {
constexpr uint8_t kUsed = 1, kProgram = 2, kDeferred = 4, kExec = 8, kAccepted = 16, kAll = 31;
}
// Read without the maps' lock (the caller holds g_memory_lock, so no
// system call changes them; a concurrent fault only accepts a deferred
// page: either state is a state the page had).
uint8_t page_state_of(uint64_t page);
// A fork child's page `page`, not yet used nor accepted, put in `state`
// (a consistent one: used, never deferred and accepted): EACCEPTed (zero,
// executable if kExec) when kAccepted; false if the EACCEPT fails or the
// state is not consistent.
bool restore_page_state(uint64_t page, uint8_t state);

}  // namespace nsgx::libos
