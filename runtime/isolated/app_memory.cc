// The application's memory as enclave code sees it (app_memory.h).
#include "runtime/isolated/app_memory.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cstring>

#include "runtime/common/fsgs.h"
#include "runtime/isolated/maps_text.h"
#include "runtime/isolated/procmap_query.h"

namespace nsgx::isolated {
namespace {

using runtime::raw_syscall;
constexpr std::uint64_t kPage = 4096;
// x86-64 user addresses end below 2^47 (4-level paging; the kernel maps no
// user page above it unless asked for 5-level addresses, which the SDK's
// applications never are).
constexpr std::uint64_t kUserTop = 1ull << 47;
// Pages fetched per fault at most (fault-around): marshalled data and
// user_check buffers are usually contiguous, and one fault per page costs
// a signal and five system calls.
constexpr std::uint64_t kAround = 8;
// The native #PF error code's instruction-fetch and write bits.
constexpr std::uint32_t kPfWrite = 1u << 1, kPfFetch = 1u << 4;

void* raw_mmap(std::uint64_t addr, std::uint64_t len, int prot, int flags) {
  const long r = raw_syscall(SYS_mmap, static_cast<long>(addr), static_cast<long>(len), prot, flags, -1, 0);
  return r < 0 && r > -4096 ? MAP_FAILED : reinterpret_cast<void*>(r);
}
long raw_munmap(std::uint64_t addr, std::uint64_t len) {
  return raw_syscall(SYS_munmap, static_cast<long>(addr), static_cast<long>(len));
}
long raw_mprotect(std::uint64_t addr, std::uint64_t len, int prot) {
  return raw_syscall(SYS_mprotect, static_cast<long>(addr), static_cast<long>(len), prot);
}

std::size_t round_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

bool AppMemory::init(int fd, int maps_fd, bool maps_text, std::uint64_t base, std::uint64_t size, std::uint64_t window,
                     std::uint64_t window_size, std::size_t capacity, MapFn map) {
  if (fd < 0 || capacity == 0) return false;
  // Whether this kernel answers PROCMAP_QUERY (Linux 6.11): the window is
  // the application's, read/write, so the answer is known. Otherwise
  // (ENOTTY before 6.11), or when asked to, the maps' text must describe
  // the window so; failing both, faults do without protections.
  maps_fd_ = maps_fd;
  const auto window_rw = [&] {
    Mapping w{};
    return query(window, w) &&
           (w.flags & (kProcmapReadable | kProcmapWritable)) == (kProcmapReadable | kProcmapWritable);
  };
  if (maps_fd_ >= 0) {
    maps_mode_ = Protections::kQuery;
    if (maps_text || !window_rw()) {
      text_ = static_cast<char*>(map(kPage));
      maps_mode_ = Protections::kText;
      if (text_ == nullptr || !window_rw()) {
        raw_syscall(SYS_close, maps_fd_);
        maps_fd_ = -1;
      }
    }
  }
  base_ = base, size_ = size, window_ = window, window_size_ = window_size;
  capacity_ = capacity;
  buckets_ = round_pow2(2 * capacity);
  void* t = map(buckets_ * sizeof(Entry));
  void* s = map(capacity_ * kPage);
  void* u = map(capacity_ * sizeof(std::uint64_t));
  // The scratch range stays the host's: pages are filled there and moved
  // out whole, so it is free again after every fault.
  void* x = map(kAround * kPage);
  if (t == nullptr || s == nullptr || u == nullptr || x == nullptr) return false;
  scratch_ = reinterpret_cast<std::uint64_t>(x);
  raw_munmap(scratch_, kAround * kPage);
  table_ = static_cast<Entry*>(t);
  snapshots_ = static_cast<std::uint8_t*>(s);
  used_ = static_cast<std::uint64_t*>(u);
  fd_ = fd;
  return true;
}

// A three-state futex lock (0 free, 1 held, 2 held with waiters). Taken in
// signal handlers too: the thread that holds it never runs enclave code
// meanwhile, so it cannot fault into the handler that wants it.
void AppMemory::lock() {
  std::uint32_t c = 0;
  if (lock_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
  if (c != 2) c = lock_.exchange(2, std::memory_order_acquire);
  while (c != 0) {
    raw_syscall(SYS_futex, reinterpret_cast<long>(&lock_), FUTEX_WAIT_PRIVATE, 2, 0);
    c = lock_.exchange(2, std::memory_order_acquire);
  }
}

void AppMemory::unlock() {
  if (lock_.exchange(0, std::memory_order_release) == 2)
    raw_syscall(SYS_futex, reinterpret_cast<long>(&lock_), FUTEX_WAKE_PRIVATE, 1);
}

bool AppMemory::mirrorable(std::uint64_t page) const {
  if (page == 0 || page >= kUserTop) return false;
  if (page - base_ < size_) return false;           // ELRANGE: the enclave's own
  if (page - window_ < window_size_) return false;  // already shared
  return true;
}

bool AppMemory::query(std::uint64_t page, Mapping& out) const {
  return maps_mode_ == Protections::kText ? query_text(page, out) : query_ioctl(page, out);
}

bool AppMemory::query_text(std::uint64_t page, Mapping& out) const {
  // The whole list up to the page, read afresh (the application may have
  // changed its mappings since the last fault). pread at increasing
  // offsets: the kernel's seq_file resumes (or walks the list again) there.
  MapsTextScanner scan(page);
  MapsTextScanner::State st = MapsTextScanner::State::kMore;
  for (long off = 0; st == MapsTextScanner::State::kMore;) {
    const long got = raw_syscall(SYS_pread64, maps_fd_, reinterpret_cast<long>(text_), static_cast<long>(kPage), off);
    if (got < 0) return false;
    st = got == 0 ? scan.finish() : scan.feed(text_, static_cast<std::size_t>(got));
    off += got;
  }
  if (st != MapsTextScanner::State::kFound) return false;
  out = {scan.flags(), scan.end()};
  return true;
}

bool AppMemory::query_ioctl(std::uint64_t page, Mapping& out) const {
  ProcmapQuery q{};
  q.size = sizeof q;
  q.query_addr = page;  // query_flags 0: the mapping covering it, whatever its protection
  if (raw_syscall(SYS_ioctl, maps_fd_, static_cast<long>(kProcmapQuery), reinterpret_cast<long>(&q)) != 0)
    return false;  // ENOENT: nothing there
  if (q.vma_start > page || q.vma_end <= page) return false;
  out = {q.vma_flags, q.vma_end};
  return true;
}

AppMemory::Entry* AppMemory::find(std::uint64_t page) {
  for (std::size_t i = (page / kPage) & (buckets_ - 1);; i = (i + 1) & (buckets_ - 1)) {
    if (table_[i].page == page) return &table_[i];
    if (table_[i].page == 0) return nullptr;
  }
}

AppMemory::Entry* AppMemory::insert(std::uint64_t page, std::uint32_t slot) {
  std::size_t i = (page / kPage) & (buckets_ - 1);
  while (table_[i].page != 0) i = (i + 1) & (buckets_ - 1);  // never full: 2 x capacity buckets
  table_[i] = {page, slot, 0, 0};
  used_[slot] = i;
  return &table_[i];
}

AppMemory::Fault AppMemory::fault(std::uint64_t addr, std::uint32_t error_code, Progress& progress) {
  if (fd_ < 0 || (error_code & kPfFetch) != 0)
    return Fault::kNotMirrored;  // SGX: no enclave-mode fetch outside ELRANGE
  const std::uint64_t page = addr & ~(kPage - 1);
  if (!mirrorable(page)) return Fault::kNotMirrored;
  const bool write = (error_code & kPfWrite) != 0;
  lock();
  if (Entry* e = find(page)) {
    // Mapped read-only until the enclave first writes it (that is how the
    // write-back knows which pages to compare); or another thread mapped it
    // since this one faulted: the access is retried either way.
    if (write && e->dirty == 0) {
      if (e->writable == 0 || raw_mprotect(page, kPage, PROT_READ | PROT_WRITE) != 0) {
        unlock();
        return Fault::kNotMirrored;
      }
      e->dirty = 1;
      progress = {};
      unlock();
      return Fault::kMapped;
    }
    // Nothing to change: the page is mapped as this access needs. Once is
    // a race with another thread; again and again, with no other fault of
    // this thread between, a fault the mapping does not explain (a write
    // fault on a writable page) — retrying it would spin for ever.
    // Pages forgotten by a transition since this thread's last stall make
    // a new fault on the page ordinary, however often it recurs.
    if (progress.page != page || progress.generation != generation_) progress = {page, generation_, 0};
    unlock();
    return ++progress.stalls > kMaxStalls ? Fault::kStuck : Fault::kMapped;
  }
  // What the application's page tables would allow (init): on SGX a read
  // of a page the application maps PROT_NONE, or a write to one it maps
  // read-only, is a #PF in the enclave. Execute-only counts as readable:
  // x86 page tables without protection keys cannot refuse the read.
  Mapping m{~0ull, kUserTop};
  if (maps_fd_ >= 0) {
    if (!query(page, m) || (m.flags & (kProcmapReadable | kProcmapExecutable)) == 0 ||
        (write && (m.flags & kProcmapWritable) == 0)) {
      unlock();
      return Fault::kNotMirrored;
    }
  }
  const std::uint16_t writable = (m.flags & kProcmapWritable) != 0 ? 1 : 0;
  progress = {};
  if (count_ + 1 > capacity_) sync_locked();  // full: an early transition's write-back
  // Fault-around stays within the one mapping whose protection was asked.
  std::uint64_t n = 1;
  while (n < kAround && count_ + n < capacity_ && page + n * kPage < m.end && mirrorable(page + n * kPage) &&
         find(page + n * kPage) == nullptr)
    ++n;
  // Claim the range first (PROT_NONE, never over a mapping of the host's
  // own: an address the host uses cannot be the application's here), fill
  // the pages elsewhere and move them in whole: another enclave thread sees
  // the page absent (and waits on the lock) or complete, never half-filled.
  void* claim = raw_mmap(page, n * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE);
  if (claim != reinterpret_cast<void*>(page) && n > 1) {
    if (claim != MAP_FAILED) raw_munmap(reinterpret_cast<std::uint64_t>(claim), n * kPage);
    n = 1;
    claim = raw_mmap(page, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE);
  }
  if (claim != reinterpret_cast<void*>(page)) {
    if (claim != MAP_FAILED) raw_munmap(reinterpret_cast<std::uint64_t>(claim), n * kPage);
    unlock();
    return Fault::kNotMirrored;
  }
  std::uint8_t* snap = snapshots_ + count_ * kPage;
  const long got = raw_syscall(SYS_pread64, fd_, reinterpret_cast<long>(snap), static_cast<long>(n * kPage),
                               static_cast<long>(page));
  const std::uint64_t pages = got > 0 ? static_cast<std::uint64_t>(got) / kPage : 0;
  if (pages < n) raw_munmap(page + pages * kPage, (n - pages) * kPage);
  if (pages == 0) {  // the application has no such page
    unlock();
    return Fault::kNotMirrored;
  }
  void* scratch =
      raw_mmap(scratch_, pages * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
  if (scratch != reinterpret_cast<void*>(scratch_)) {
    if (scratch != MAP_FAILED) raw_munmap(reinterpret_cast<std::uint64_t>(scratch), pages * kPage);
    scratch = MAP_FAILED;
  }
  bool ok = scratch != MAP_FAILED;
  if (ok) {
    std::memcpy(scratch, snap, pages * kPage);
    ok = raw_mprotect(reinterpret_cast<std::uint64_t>(scratch), pages * kPage, PROT_READ) == 0 &&
         raw_syscall(SYS_mremap, reinterpret_cast<long>(scratch), static_cast<long>(pages * kPage),
                     static_cast<long>(pages * kPage), MREMAP_MAYMOVE | MREMAP_FIXED,
                     static_cast<long>(page)) == static_cast<long>(page);
  }
  if (!ok) {
    if (scratch != MAP_FAILED) raw_munmap(reinterpret_cast<std::uint64_t>(scratch), pages * kPage);
    raw_munmap(page, pages * kPage);
    unlock();
    return Fault::kNotMirrored;
  }
  for (std::uint64_t i = 0; i < pages; ++i)
    insert(page + i * kPage, static_cast<std::uint32_t>(count_ + i))->writable = writable;
  count_ += pages;
  fetched_.fetch_add(pages, std::memory_order_relaxed);
  if (write) {
    Entry* e = find(page);
    if (raw_mprotect(page, kPage, PROT_READ | PROT_WRITE) == 0) e->dirty = 1;
  }
  unlock();
  return Fault::kMapped;
}

// The bytes of a dirty page that differ from what was fetched are written
// back; bytes the enclave left as they were are not, so the application's
// own writes to them since (another of its threads, the same page)
// survive. Each maximal run of changed bytes is one pwrite; a page with
// more than kRuns runs (an array rewritten with values whose high bytes did
// not change) would cost hundreds of system calls, so its runs are joined
// across the unchanged bytes that the application's page, read again just
// now, still holds as fetched — writing them writes the value they have.
// Only an application write to such a byte in the microseconds between
// that read and the write can be lost (docs/isolated.md, guarantee 3).
void AppMemory::write_back(const Entry& e) {
  constexpr std::size_t kRuns = 16;
  const auto* cur = reinterpret_cast<const std::uint8_t*>(e.page);
  const std::uint8_t* snap = snapshots_ + std::size_t{e.slot} * kPage;
  std::uint16_t run_start[kRuns], run_end[kRuns];
  std::size_t runs = 0;
  bool many = false;
  for (std::uint64_t i = 0; i < kPage && !many;) {
    if ((i & 7) == 0) {
      std::uint64_t a, b;
      std::memcpy(&a, cur + i, 8);
      std::memcpy(&b, snap + i, 8);
      if (a == b) {
        i += 8;
        continue;
      }
    }
    if (cur[i] == snap[i]) {
      ++i;
      continue;
    }
    std::uint64_t end = i + 1;
    while (end < kPage && cur[end] != snap[end]) ++end;
    if (runs == kRuns) {
      many = true;
    } else {
      run_start[runs] = static_cast<std::uint16_t>(i);
      run_end[runs] = static_cast<std::uint16_t>(end);  // < 2^16: kPage is 4096
      ++runs;
    }
    i = end;
  }
  const auto put = [&](std::uint64_t from, std::uint64_t to) {
    const long r = raw_syscall(SYS_pwrite64, fd_, reinterpret_cast<long>(cur + from), static_cast<long>(to - from),
                               static_cast<long>(e.page + from));
    if (r > 0) written_.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
  };
  std::uint8_t now[kPage];
  if (many && raw_syscall(SYS_pread64, fd_, reinterpret_cast<long>(now), static_cast<long>(kPage),
                          static_cast<long>(e.page)) == static_cast<long>(kPage)) {
    // Runs of bytes that either changed or still hold, in the application,
    // what the enclave fetched.
    for (std::uint64_t i = 0; i < kPage;) {
      if (cur[i] == snap[i]) {
        ++i;
        continue;
      }
      std::uint64_t end = i + 1, last = i + 1;  // last: just past the last changed byte
      while (end < kPage && (cur[end] != snap[end] || now[end] == snap[end])) {
        if (cur[end] != snap[end]) last = end + 1;
        ++end;
      }
      put(i, last);
      i = end;
    }
    return;
  }
  if (many) {  // no fresh copy: every run alone
    for (std::uint64_t i = 0; i < kPage;) {
      if (cur[i] == snap[i]) {
        ++i;
        continue;
      }
      std::uint64_t end = i + 1;
      while (end < kPage && cur[end] != snap[end]) ++end;
      put(i, end);
      i = end;
    }
    return;
  }
  for (std::size_t r = 0; r < runs; ++r) put(run_start[r], run_end[r]);
}

void AppMemory::sync() {
  if (fd_ < 0) return;
  lock();
  sync_locked();
  unlock();
}

void AppMemory::sync_locked() {
  if (count_ == 0) return;
  ++generation_;  // pages forgotten: a fault after this one is no stall (fault)
  for (std::size_t s = 0; s < count_; ++s) {
    Entry& e = table_[used_[s]];
    if (e.dirty == 0) continue;
    // Read-only first: no enclave thread can change the page while it is
    // compared (a write now faults and waits for the lock, then fetches
    // the page again, with this write-back in it).
    raw_mprotect(e.page, kPage, PROT_READ);
    write_back(e);
  }
  // Forget them all, in runs of consecutive pages (as they were fetched).
  for (std::size_t s = 0; s < count_;) {
    const std::uint64_t first = table_[used_[s]].page;
    std::size_t n = 1;
    while (s + n < count_ && table_[used_[s + n]].page == first + n * kPage) ++n;
    raw_munmap(first, n * kPage);
    s += n;
  }
  for (std::size_t s = 0; s < count_; ++s) table_[used_[s]] = {};
  if (count_ > 16)
    raw_syscall(SYS_madvise, reinterpret_cast<long>(snapshots_), static_cast<long>(count_ * kPage), MADV_DONTNEED);
  count_ = 0;
}

}  // namespace nsgx::isolated
