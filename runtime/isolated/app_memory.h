// The application's memory as enclave code sees it on the isolated backend.
//
// On SGX an enclave reads and writes every address its application has
// mapped outside ELRANGE (SDM Vol. 3D 36.3: enclave accesses to non-EPC
// memory are ordinary accesses, checked by the page tables only). Our
// enclave code runs in its own host process, so the host mirrors the
// application's pages at the same addresses, on demand: a fault by enclave
// code at an address outside ELRANGE and the window fetches the page from
// the application's memory — a descriptor of /proc/self/mem that the
// application opened and handed over (the kernel checked the access when
// the application opened it; pread/pwrite need no further right) — and
// maps it; pages the enclave writes are written back at the next
// transition, byte by byte where they differ from what was fetched, and
// every transition forgets all pages so that the next access fetches what
// the application wrote meanwhile. docs/isolated.md states the guarantee.
//
// Runs on the host's worker threads and in their signal handlers, which
// hold the enclave's FS (host_main.cc): no TLS, so no errno, no malloc, no
// libc locks — raw system calls and a futex lock of its own.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace nsgx::isolated {

class AppMemory {
 public:
  // Before the sandbox: `fd` reads and writes the application's memory
  // (pread/pwrite at the address); addresses in [base, base+size) (ELRANGE)
  // and [window, window+window_size) are never mirrored. Reserves room for
  // `capacity` pages between transitions (more makes a transition early).
  // `map` places the host's own anonymous read/write memory (host_main.cc:
  // in the host area, protocol.h); it returns nullptr on failure.
  // `maps_fd` (or -1) is the application's /proc/self/maps: where the
  // kernel answers PROCMAP_QUERY (procmap_query.h), a fault honours the
  // application's protections, as its page tables would on SGX (SDM Vol. 3D
  // 36.3): no page where it maps none or PROT_NONE, no write where it maps
  // read-only — the enclave sees the #PF. Where the kernel lacks
  // PROCMAP_QUERY (before Linux 6.11), or `maps_text` asks for it, the host
  // reads the maps' text instead (maps_text.h: the list up to the page,
  // read again at each fault). Without `maps_fd` (the application's
  // NSGX_APP_PROTECTIONS=off), or if neither way describes the window, a
  // page the application maps is mirrored whatever its protection
  // (docs/isolated.md). init asks once, about the window, and keeps
  // `maps_fd` only if that works.
  using MapFn = void* (*)(std::size_t bytes);
  bool init(int fd, int maps_fd, bool maps_text, std::uint64_t base, std::uint64_t size, std::uint64_t window,
            std::uint64_t window_size, std::size_t capacity, MapFn map);
  bool enabled() const { return fd_ >= 0; }
  // How faults learn the application's protections (init): kNone, they do
  // not; kQuery, PROCMAP_QUERY; kText, reading the maps' text. The sandbox
  // leaves the host the one call its way needs (host_sandbox.h).
  enum class Protections { kNone, kQuery, kText };
  Protections protections() const { return maps_fd_ < 0 ? Protections::kNone : maps_mode_; }

  // A #PF by enclave code at `addr` with the native error code `error_code`.
  // kMapped: the page is now mapped as the application has it; the access
  // is retried. kNotMirrored: not the application's memory (no such page in
  // the application, an instruction fetch, an address the host itself uses):
  // the enclave sees the #PF, as on SGX. kStuck: the page is already mapped
  // as the access needs and yet the same thread faulted on it more than
  // kMaxStalls times in a row: retrying cannot help (the host stops the
  // enclave, host_main.cc).
  // kNotMirrored also: an access the application's protection of the page
  // refuses (init).
  enum class Fault { kMapped, kNotMirrored, kStuck };
  // One enclave thread's faults that changed nothing, kept by its caller: a
  // fault on a page another thread has just mapped is retried, a fault that
  // keeps coming back on the same page with no transition of any thread
  // between (nothing unmapped it) is counted. Reset by a fault that maps or
  // unprotects a page, by any `sync` since, and by the caller at each entry.
  struct Progress {
    std::uint64_t page = ~0ull;
    std::uint64_t generation = 0;  // generation_ at the first stall
    std::uint32_t stalls = 0;
  };
  static constexpr std::uint32_t kMaxStalls = 16;
  Fault fault(std::uint64_t addr, std::uint32_t error_code, Progress& progress);

  // At every entry and exit of enclave code: writes back the bytes enclave
  // code changed and forgets every mirrored page.
  void sync();

  // Statistics (tests, NSGX_DEBUG): pages fetched and bytes written back.
  std::uint64_t fetched() const { return fetched_.load(std::memory_order_relaxed); }
  std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::uint64_t page;  // 0: free
    std::uint32_t slot;  // its snapshot
    std::uint16_t dirty;
    std::uint16_t writable;  // the application maps it writable (as of its fetch)
  };
  // The application's protection of the mapping that covers `page`: its
  // kProcmap* flags and end.
  struct Mapping {
    std::uint64_t flags, end;
  };
  bool query(std::uint64_t page, Mapping& out) const;  // false: nothing mapped there (or malformed text)
  bool query_ioctl(std::uint64_t page, Mapping& out) const;
  bool query_text(std::uint64_t page, Mapping& out) const;
  void lock();
  void unlock();
  bool mirrorable(std::uint64_t page) const;
  Entry* find(std::uint64_t page);
  Entry* insert(std::uint64_t page, std::uint32_t slot);
  void sync_locked();
  void write_back(const Entry& e);

  int fd_ = -1;
  int maps_fd_ = -1;  // -1: protections unknown (init)
  Protections maps_mode_ = Protections::kQuery;
  char* text_ = nullptr;  // kText: a page for the maps' text, read under the lock
  std::uint64_t base_ = 0, size_ = 0, window_ = 0, window_size_ = 0;
  std::size_t capacity_ = 0;  // snapshot slots
  std::size_t buckets_ = 0;   // table entries (a power of two, 2 x capacity)
  Entry* table_ = nullptr;
  std::uint8_t* snapshots_ = nullptr;  // capacity_ pages: each page as fetched
  std::uint64_t* used_ = nullptr;      // the mirrored pages, in the order fetched
  std::size_t count_ = 0;              // = snapshot slots in use
  std::uint64_t scratch_ = 0;          // where pages are filled before they move into place
  std::atomic<std::uint32_t> lock_{0};
  std::uint64_t generation_ = 0;  // sync_locked calls (under lock_)
  std::atomic<std::uint64_t> fetched_{0}, written_{0};
};

}  // namespace nsgx::isolated
