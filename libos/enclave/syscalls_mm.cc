// The program's memory calls (syscalls_mm.h). Everything lives in the user
// region (user_region.h); the pages a call may touch are the program's own
// (program_owns: its image, its interpreter's, what mmap gave it), never
// the brk area, trusted files' copies or anything else of the library OS.
//
// File mappings are copies: of a trusted file from its hash-checked enclave
// copy (never re-read from the host), of an allowed file through the POSIX
// layer's checked pread OCALL, of an encrypted file through the
// protected-file layer. Nothing is shared with the file afterwards, which
// is what MAP_PRIVATE promises as long as nobody writes the file. A
// MAP_SHARED mapping of an allowed or encrypted file opened for writing is
// written back to it (shared_maps.h); of a trusted file it is a copy as a
// private one (the file cannot change), never writable (its descriptor is
// read-only).
#include "libos/enclave/syscalls_mm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/shared_maps.h"
#include "libos/enclave/syscall_args.h"
#include "libos/enclave/syscall_rewrite.h"
#include "libos/enclave/user_region.h"

namespace nsgx::libos {
namespace {

// mmap(2)'s flags and protections (Linux uapi asm-generic/mman-common.h,
// mman.h).
constexpr uint64_t kProtWrite = 0x2, kProtExec = 0x4;
constexpr uint64_t kMapShared = 0x1, kMapPrivate = 0x2, kMapSharedValidate = 0x3, kMapTypeMask = 0xf;
constexpr uint64_t kMapFixed = 0x10, kMapAnonymous = 0x20, kMapStack = 0x20000, kMapFixedNoreplace = 0x100000;
// Anonymous mappings from this size on are zero-filled on demand
// (defer_pages): each page then costs an exception at its first touch, so
// small ones (glibc's malloc chunks, thread stacks) are accepted at once.
constexpr uint64_t kDeferFrom = 256;  // pages: 1 MiB

using sc::err;

bool in_brk_area(uint64_t page) {
  const uint64_t a = reinterpret_cast<uint64_t>(region_base()) + page * kPage;
  return a >= g_program.brk_start && a < g_program.brk_end;
}

// The file's bytes [off, off + len) at `dst` (already zeroed): what lies
// past the end of the file stays zero, as the kernel's partial last page
// and the pages past EOF read.
long copy_file(const Fd& f, uint64_t off, uint8_t* dst, uint64_t len) {
  if (f.kind == FdKind::kTrusted) {
    if (off < f.copy->size) memcpy(dst, f.copy->data + off, f.copy->size - off < len ? f.copy->size - off : len);
    return 0;
  }
  uint64_t got = 0;
  while (got < len) {
    if (off + got > static_cast<uint64_t>(INT64_MAX)) return err(EINVAL);
    long r;
    if (f.kind == FdKind::kEncrypted) {
      // The plaintext, checked chunk by chunk against the file's tree
      // (encrypted_files.h; its lock is held: syscalls.cc). A descriptor
      // not open for reading: Linux's EACCES.
      r = encrypted_read_locked(f.enc, dst + got, len - got, static_cast<int64_t>(off + got));
      if (r == -EBADF) return err(EACCES);
      if (r < 0) return r;
    } else {
      r = ::pread(f.host, dst + got, len - got, static_cast<off_t>(off + got));  // r <= asked: nsgx_tposix
      if (r < 0) return err(errno);
    }
    if (r == 0) break;  // end of file: the rest stays zero
    got += static_cast<uint64_t>(r);
  }
  return 0;
}

// Whether a shared mapping of `f` is written back, and to what; EACCES
// for a writable one Linux refuses (a descriptor not open for writing).
// An allowed file's mode is the host's answer, which only decides whether
// its own file is written. A descriptor open for writing gets its mapping
// tracked even without PROT_WRITE: mprotect may add it later. O_APPEND
// descriptors are not (pwrite there appends, and a protected file's
// handle writes at its end): a writable mapping of one is EACCES here.
long shared_target(const Fd& f, uint64_t prot, bool& tracked) {
  tracked = false;
  const long mode = f.kind == FdKind::kEncrypted ? encrypted_status_flags_locked(f.enc) : ::fcntl(f.host, F_GETFL);
  if (mode < 0) return err(errno);
  const bool writable = (mode & O_ACCMODE) != O_RDONLY, append = (mode & O_APPEND) != 0;
  if ((prot & kProtWrite) != 0 && (!writable || append)) return err(EACCES);
  tracked = writable && !append;
  return 0;
}

}  // namespace

long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int64_t fd, uint64_t off,
              bool encrypted_locked) {
  bool tracked = false;  // a shared mapping written back to its file (shared_maps.h)
  if (len == 0 || len > region_pages() * kPage || off % kPage != 0) return err(EINVAL);
  const uint64_t type = flags & kMapTypeMask;
  if (type != kMapShared && type != kMapPrivate && type != kMapSharedValidate) return err(EINVAL);
  const uint64_t n = (len + kPage - 1) / kPage;
  const Fd* f = nullptr;
  if (!(flags & kMapAnonymous)) {
    f = fd_at(fd);
    if (f == nullptr) return err(EBADF);
    if (f->kind == FdKind::kDevice) {
      // /dev/zero's pages are anonymous memory (Linux's mmap_zero), shared
      // or private alike here (below); the other devices have no mmap.
      if (f->device != Device::kZero) return err(ENODEV);
      f = nullptr;
    } else {
      if (f->kind != FdKind::kTrusted && f->kind != FdKind::kHost && f->kind != FdKind::kEncrypted)
        return err(ENODEV);  // stdio: no pages
      if (f->kind == FdKind::kEncrypted && !encrypted_locked) return kNeedEncryptedLock;
      if (off > UINT64_MAX - n * kPage) return err(EINVAL);
      if (type != kMapPrivate && f->kind == FdKind::kTrusted && (prot & kProtWrite) != 0)
        return err(EACCES);  // a writable shared mapping needs a writable descriptor (Linux), never a trusted file's
      if (type != kMapPrivate && f->kind != FdKind::kTrusted) {
        if (const long r = shared_target(*f, prot, tracked); r < 0) return r;
      }
    }
  }
  // An anonymous MAP_SHARED mapping is private here: one process, no fork.
  uint64_t first;
  const bool fixed = (flags & kMapFixed) != 0, noreplace = (flags & kMapFixedNoreplace) != 0;
  if (fixed || noreplace) {
    if (addr % kPage != 0) return err(EINVAL);
    if (!in_region(addr, n * kPage)) return err(ENOMEM);
    first = page_index(reinterpret_cast<void*>(addr));
    if (noreplace) {
      // Only where nothing is (with or without MAP_FIXED, as Linux): EEXIST
      // over anything in use, the program's or not.
      if (!reserve_pages_at(first, n)) return err(EEXIST);
    } else if (!program_owns(first, n)) {
      // MAP_FIXED replaces only what the program already owns (the
      // reserve-then-map pattern of ld.so); never the brk area, a trusted
      // file's copy or free pages the library OS may hand out next.
      return err(EINVAL);
    } else {
      // Over a shared file mapping: what it held reaches its file first,
      // as the kernel's unmap of it would.
      (void)shared_map_write_back(first, n, true);
    }
  } else {
    first = reserve_pages(n);  // addr is a hint only, as on Linux
    if (first == kNoPages) return err(ENOMEM);
  }
  const bool was_owned = fixed && !noreplace;
  uint8_t* at = region_base() + first * kPage;
  if (f == nullptr && (prot & 7) == 0) {
    // An anonymous PROT_NONE mapping is only reserved: its pages are
    // accepted when mprotect opens them (glibc reserves 64 MiB and more per
    // thread arena, and ld.so a library's whole span, of which the program
    // touches little). Pages accepted before read as zero again.
    clear_accepted(first, n);
    set_program_owned(first, n, true);
    return static_cast<long>(reinterpret_cast<uint64_t>(at));
  }
  // make_usable zeroes every page (fresh from EAUG, or cleared): the
  // mapping's tail past the file's end reads zero. Pages that are only
  // zeros — a large anonymous mapping (ld.so's .bss of a library:
  // libceph-common's is 136 MiB), the part of a trusted file's mapping past
  // its end (ld.so maps a library's whole span from its file) — are
  // accepted at their first touch instead (defer_pages), unless executable.
  uint64_t eager = n;
  if ((prot & kProtExec) == 0) {
    // Never a stack (MAP_STACK): a fault's first phase runs on the faulting
    // stack (user_region.h, commit_deferred), so its untouched pages cannot
    // be served by a fault.
    if (f == nullptr && n >= kDeferFrom && (flags & kMapStack) == 0) {
      eager = 0;
    } else if (f != nullptr && f->kind == FdKind::kTrusted) {
      const uint64_t size = f->copy->size;
      const uint64_t file_pages = off >= size ? 0 : (size - off + kPage - 1) / kPage;
      eager = file_pages < n ? file_pages : n;
    }
  }
  if (eager < n) {
    if (!was_owned) set_program_owned(first + eager, n - eager, true);
    defer_pages(first + eager, n - eager);
  }
  if (!make_usable(first, eager, (prot & kProtExec) != 0)) {
    if (!was_owned) release_pages(first, n);
    return err(ENOMEM);
  }
  if (f != nullptr) {
    const long r = copy_file(*f, off, at, len);
    if (r < 0) {
      // As Linux, a failed MAP_FIXED leaves nothing mapped there.
      release_pages(first, n);
      return r;
    }
    // A trusted file's code (ld.so maps the libraries' text this way):
    // rewritten in this copy before the program can run it.
    if (f->kind == FdKind::kTrusted && (prot & kProtExec) != 0)
      rewrite_mapping(f->copy->data, f->copy->size, off, len, at);
    if (tracked) {
      // The mapping holds the file itself: the program may close its
      // descriptor after mmap (shared_maps.h).
      if (const long r = shared_map_track(first, n, *f, off); r < 0) {
        release_pages(first, n);
        return r;
      }
    }
  }
  set_program_owned(first, n, true);
  return static_cast<long>(reinterpret_cast<uint64_t>(at));
}

// Unmapping what is not mapped is no error (Linux): only the program's own
// pages in the range are released; the brk area and the library OS's pages
// stay as they are.
long sys_munmap(uint64_t addr, uint64_t len) {
  if (addr % kPage != 0 || len == 0) return err(EINVAL);
  const uint64_t n = (len + kPage - 1) / kPage;
  if (!in_region(addr, n * kPage)) return err(EINVAL);
  const uint64_t first = page_index(reinterpret_cast<void*>(addr));
  (void)shared_map_write_back(first, n, true);  // as the kernel's, whatever the host answers
  for (uint64_t k = first; k < first + n; ++k)
    if (program_owns_page(k)) release_pages(k, 1);
  return 0;
}

namespace {

// The pages of [addr, addr + len) (addr page-aligned): 0 with n == 0 for
// none, ENOMEM unless each is mapped — the program's own or its brk area,
// as Linux's ENOMEM for unmapped pages.
long mapped_range(uint64_t addr, uint64_t len, uint64_t& first, uint64_t& n) {
  n = (len + kPage - 1) / kPage;
  if (n == 0) return 0;
  if (!in_region(addr, n * kPage)) return err(ENOMEM);
  first = page_index(reinterpret_cast<void*>(addr));
  for (uint64_t k = first; k < first + n; ++k)
    if (!program_owns_page(k) && !in_brk_area(k)) return err(ENOMEM);
  return 0;
}

}  // namespace

// msync(2): the shared file mappings in the range written back now (the
// page cache's "eventually" has no other moment here), MS_ASYNC as
// MS_SYNC; MS_INVALIDATE has nothing to drop. The range must be mapped.
long sys_msync(uint64_t addr, uint64_t len, uint64_t flags) {
  constexpr uint64_t kAsync = 1, kInvalidate = 2, kSync = 4;
  if (addr % kPage != 0 || (flags & ~(kAsync | kInvalidate | kSync)) != 0 ||
      (flags & (kAsync | kSync)) == (kAsync | kSync))
    return err(EINVAL);
  uint64_t first = 0, n = 0;
  if (const long r = mapped_range(addr, len, first, n); r < 0 || n == 0) return r;
  return shared_map_write_back(first, n, false);
}

// EPCM permissions can only grow from inside (EMODPE): PROT_EXEC makes the
// pages executable, removing rights changes nothing (docs/libos.md: W^X is
// not enforced). Pages a PROT_NONE mmap left unaccepted are accepted (zero)
// when opened. The range must be mapped: the program's own pages or its
// brk area (ENOMEM otherwise, as Linux for unmapped pages).
long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot) {
  if (addr % kPage != 0) return err(EINVAL);
  uint64_t first = 0, n = 0;
  if (const long r = mapped_range(addr, len, first, n); r < 0 || n == 0) return r;
  if ((prot & 7) != 0 && !make_present(first, n, (prot & kProtExec) != 0)) return err(ENOMEM);
  return 0;
}

}  // namespace nsgx::libos
