// The program's system calls (syscalls.h). SYSCALL is #UD in an enclave
// (docs/libos.md): the first-phase handler answers arch_prctl(ARCH_SET_FS/
// GET_FS) through the SSA frame, the second-phase handler everything else.
// Every host answer comes through nsgx_tposix, which checks counts and
// sizes (docs/posix.md); this file adds what depends on state (a monotonic
// clock that never goes back).
#include "libos/enclave/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "libos/enclave/bitmap.h"
#include "libos/enclave/encrypted_files.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/program_entry.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/user_region.h"
#include "libos/manifest/manifest.h"
#include "nsgx_first_phase.h"
#include "sgx_trts.h"
#include "sgx_trts_exception.h"

namespace nsgx::libos {
namespace {

// Linux x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
enum : long {
  kRead = 0,
  kWrite = 1,
  kClose = 3,
  kFstat = 5,
  kLseek = 8,
  kMmap = 9,
  kMprotect = 10,
  kMunmap = 11,
  kBrk = 12,
  kIoctl = 16,
  kPread64 = 17,
  kPwrite64 = 18,
  kReadv = 19,
  kWritev = 20,
  kMadvise = 28,
  kGetpid = 39,
  kExit = 60,
  kUname = 63,
  kFsync = 74,
  kFdatasync = 75,
  kFtruncate = 77,
  kArchPrctl = 158,
  kGettid = 186,
  kSetTidAddress = 218,
  kClockGettime = 228,
  kExitGroup = 231,
  kOpenat = 257,
  kNewfstatat = 262,
  kSetRobustList = 273,
  kPrlimit64 = 302,
  kGetrandom = 318,
  kRseq = 334,
};
constexpr uint64_t kArchSetFs = 0x1002, kArchGetFs = 0x1003;
constexpr int kAtFdcwd = -100, kAtEmptyPath = 0x1000;
constexpr uint64_t kFixedPid = 1;

uint64_t g_program_fs = 0;            // the program's FS base (ARCH_SET_FS), 0 before it set one
uint64_t g_resume_rip = 0;            // where libos_fs_stub's #UD resumes
struct timespec g_last_monotonic[8];  // per clock id < 8, the latest answer given

bool program_buffer(uint64_t addr, uint64_t len) {
  return len == 0 || (addr != 0 && sgx_is_within_enclave(reinterpret_cast<const void*>(addr), len));
}

// ---- system calls ----

long fail(int e) { return -static_cast<long>(e); }

long sys_brk(uint64_t want) {
  if (want == 0 || want < g_program.brk_start || want > g_program.brk_end) return static_cast<long>(g_program.brk);
  const uint64_t old_top = (g_program.brk + kPage - 1) & ~(kPage - 1), new_top = (want + kPage - 1) & ~(kPage - 1);
  if (new_top > old_top) {
    if (!make_usable(page_index(reinterpret_cast<void*>(old_top)), (new_top - old_top) / kPage, false))
      return static_cast<long>(g_program.brk);
  } else if (want < g_program.brk) {
    memset(reinterpret_cast<void*>(want), 0, g_program.brk - want);  // grown again, it reads as zero (as Linux's)
  }
  g_program.brk = want;
  return static_cast<long>(g_program.brk);
}

long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int64_t fd) {
  constexpr uint64_t kMapFixed = 0x10, kMapAnonymous = 0x20, kProtExec = 4;
  (void)addr;
  if (len == 0) return fail(EINVAL);
  if (!(flags & kMapAnonymous) || fd != -1) return fail(ENODEV);  // file mappings: M3
  if (flags & kMapFixed) return fail(EINVAL);
  void* p = alloc_pages(len, (prot & kProtExec) != 0);
  return p ? static_cast<long>(reinterpret_cast<uint64_t>(p)) : fail(ENOMEM);
}

long sys_munmap(uint64_t addr, uint64_t len) {
  if (addr % kPage != 0 || len == 0) return fail(EINVAL);
  const uint64_t n = (len + kPage - 1) / kPage;
  if (!in_region(addr, n * kPage)) return fail(EINVAL);
  const uint64_t first = page_index(reinterpret_cast<void*>(addr));
  for (uint64_t k = first; k < first + n; ++k)
    if (reinterpret_cast<uint64_t>(region_base()) + k * kPage >= g_program.brk_start &&
        reinterpret_cast<uint64_t>(region_base()) + k * kPage < g_program.brk_end)
      return fail(EINVAL);  // never hand the brk area out twice
  release_pages(first, n);
  return 0;
}

long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot) {
  if (addr % kPage != 0) return fail(EINVAL);
  const uint64_t n = (len + kPage - 1) / kPage;
  if (n == 0) return 0;
  if (!in_region(addr, n * kPage)) return fail(ENOMEM);
  if (prot & 4) {
    make_executable(page_index(reinterpret_cast<void*>(addr)), n);
  }
  return 0;  // restricting needs the host (EMODPR): pages keep RW (docs/libos.md)
}

long host_result(long r) { return r < 0 ? fail(errno) : r; }

long sys_read(int64_t fd, uint64_t buf, uint64_t n, int64_t at) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (!program_buffer(buf, n)) return fail(EFAULT);
  void* b = reinterpret_cast<void*>(buf);
  const uint64_t off = at >= 0 ? static_cast<uint64_t>(at) : f->offset;
  switch (f->kind) {
    case FdKind::kHostStdio:
      if (at >= 0) return fail(ESPIPE);
      return host_result(::read(f->host, b, n));
    case FdKind::kTrusted: {
      const uint64_t left = off >= f->copy->size ? 0 : f->copy->size - off;
      const uint64_t k = n < left ? n : left;
      memcpy(b, f->copy->data + off, k);
      if (at < 0) f->offset += k;
      return static_cast<long>(k);
    }
    case FdKind::kHost: {
      if (off > static_cast<uint64_t>(INT64_MAX)) return fail(EINVAL);
      const long r = host_result(::pread(f->host, b, n, static_cast<off_t>(off)));
      if (r > 0 && at < 0) f->offset += static_cast<uint64_t>(r);
      return r;
    }
    case FdKind::kEncrypted:
      return encrypted_read(f->enc, b, n, at);
    case FdKind::kFree:
      break;
  }
  return fail(EBADF);
}

long sys_write(int64_t fd, uint64_t buf, uint64_t n, int64_t at = -1) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (!program_buffer(buf, n)) return fail(EFAULT);
  const void* b = reinterpret_cast<const void*>(buf);
  const uint64_t off = at >= 0 ? static_cast<uint64_t>(at) : f->offset;
  switch (f->kind) {
    case FdKind::kHostStdio:
      if (at >= 0) return fail(ESPIPE);
      return host_result(::write(f->host, b, n));
    case FdKind::kHost: {
      if (off > static_cast<uint64_t>(INT64_MAX)) return fail(EINVAL);
      const long r = host_result(::pwrite(f->host, b, n, static_cast<off_t>(off)));
      if (r > 0 && at < 0) f->offset += static_cast<uint64_t>(r);
      return r;
    }
    case FdKind::kEncrypted:
      return encrypted_write(f->enc, b, n, at);
    default:
      return fail(EBADF);  // trusted files are read-only
  }
}

struct Iovec {
  uint64_t base, len;
};

long sys_rwv(bool write, int64_t fd, uint64_t iov, uint64_t cnt) {
  if (cnt > 1024) return fail(EINVAL);
  if (!program_buffer(iov, cnt * sizeof(Iovec))) return fail(EFAULT);
  long total = 0;
  for (uint64_t i = 0; i < cnt; ++i) {
    Iovec v;
    memcpy(&v, reinterpret_cast<const void*>(iov + i * sizeof v), sizeof v);
    if (v.len == 0) continue;
    const long r = write ? sys_write(fd, v.base, v.len) : sys_read(fd, v.base, v.len, -1);
    if (r < 0) return total > 0 ? total : r;
    total += r;
    if (static_cast<uint64_t>(r) < v.len) break;
  }
  return total;
}

bool read_path(uint64_t p, std::string& out) {
  // The program's string, inside the enclave, at most PATH_MAX bytes.
  for (uint64_t i = 0; i < 4096; ++i) {
    if (!program_buffer(p + i, 1)) return false;
    const char c = *reinterpret_cast<const char*>(p + i);
    if (c == 0) return true;
    out.push_back(c);
  }
  return false;
}

long sys_openat(int64_t dirfd, uint64_t pathp, uint64_t flags, uint64_t mode) {
  std::string path;
  if (!read_path(pathp, path)) return fail(EFAULT);
  if (path.empty()) return fail(ENOENT);
  if (path[0] != '/' && static_cast<int>(dirfd) != kAtFdcwd) return fail(EACCES);
  if (path[0] != '/' || !nsgx::libos::check_path(path)) {
    if (g_program.trace) say("nsgx libos: openat " + path + ": not an absolute, normal path: EACCES\n");
    return fail(EACCES);
  }
  const int fd = new_fd();
  if (fd < 0) return fail(EMFILE);
  if (const EncryptedPath* e = g_program.manifest->encrypted(path)) {
    EncryptedHandle* h = nullptr;
    const long r = encrypted_open(*e, path, flags, mode, &h);
    if (r < 0) return r;
    set_fd(fd, Fd{FdKind::kEncrypted, -1, nullptr, 0, h});
    return fd;
  }
  if (const auto* tf = g_program.manifest->trusted(path)) {
    if ((flags & 3) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) != 0) return fail(EACCES);
    std::string why;
    const TrustedCopy* c = load_trusted(*tf, why);
    if (c == nullptr) {
      say("nsgx run: " + why + "\n");
      return fail(EACCES);
    }
    set_fd(fd, Fd{FdKind::kTrusted, -1, c, 0});
    return fd;
  }
  if (g_program.manifest->allowed(path)) {
    const int h =
        ::open(path.c_str(), static_cast<int>(flags & ~static_cast<uint64_t>(O_CLOEXEC)), static_cast<unsigned>(mode));
    if (h < 0) return fail(errno);
    set_fd(fd, Fd{FdKind::kHost, h, nullptr, 0});
    return fd;
  }
  if (g_program.trace) say("nsgx libos: openat " + path + ": neither trusted nor allowed: EACCES\n");
  return fail(EACCES);
}

long sys_close(int64_t fd) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind == FdKind::kHost) (void)::close(f->host);
  EncryptedHandle* enc = f->kind == FdKind::kEncrypted ? f->enc : nullptr;
  *f = Fd{};
  return encrypted_close(enc);  // the last close flushes: its error is the program's
}

long sys_fstat(int64_t fd, uint64_t out) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (!program_buffer(out, sizeof(struct stat))) return fail(EFAULT);
  struct stat st;
  memset(&st, 0, sizeof st);
  if (f->kind == FdKind::kTrusted) {
    st.st_mode = S_IFREG | 0444;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(f->copy->size);
    st.st_blksize = 4096;
    st.st_blocks = static_cast<blkcnt_t>((f->copy->size + 511) / 512);
  } else if (f->kind == FdKind::kEncrypted) {
    if (const long r = encrypted_fstat(f->enc, &st); r < 0) return r;
  } else if (::fstat(f->host, &st) != 0) {  // sizes and times checked by nsgx_tposix
    return fail(errno);
  }
  memcpy(reinterpret_cast<void*>(out), &st, sizeof st);
  return 0;
}

long sys_lseek(int64_t fd, int64_t off, uint64_t whence) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind == FdKind::kHostStdio) return fail(ESPIPE);
  if (f->kind == FdKind::kEncrypted) return encrypted_lseek(f->enc, off, whence);
  int64_t size = 0;
  if (f->kind == FdKind::kTrusted) {
    size = static_cast<int64_t>(f->copy->size);
  } else if (whence == SEEK_END) {
    struct stat st;
    if (::fstat(f->host, &st) != 0) return fail(errno);
    size = st.st_size;
  }
  int64_t base = 0;
  if (whence == SEEK_SET)
    base = 0;
  else if (whence == SEEK_CUR)
    base = static_cast<int64_t>(f->offset);
  else if (whence == SEEK_END)
    base = size;
  else
    return fail(EINVAL);
  if ((off > 0 && base > INT64_MAX - off) || base + off < 0) return fail(EINVAL);
  f->offset = static_cast<uint64_t>(base + off);
  return static_cast<long>(f->offset);
}

long sys_fsync(int64_t fd) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind == FdKind::kEncrypted) return encrypted_fsync(f->enc);
  if (f->kind == FdKind::kHost) return host_result(::fsync(f->host));
  return f->kind == FdKind::kTrusted ? 0 : fail(EINVAL);  // stdio: Linux's EINVAL for pipes and terminals
}

long sys_ftruncate(int64_t fd, int64_t size) {
  Fd* f = fd_at(fd);
  if (f == nullptr) return fail(EBADF);
  if (f->kind == FdKind::kEncrypted) return encrypted_ftruncate(f->enc, size);
  if (f->kind == FdKind::kHost && size >= 0) return host_result(::ftruncate(f->host, static_cast<off_t>(size)));
  return fail(EINVAL);
}

long sys_clock_gettime(int64_t clk, uint64_t out) {
  if (!program_buffer(out, sizeof(struct timespec))) return fail(EFAULT);
  if (clk < 0 || clk > 11) return fail(EINVAL);
  struct timespec ts = {0, 0};
  if (::clock_gettime(static_cast<clockid_t>(clk), &ts) != 0) return fail(errno);  // form checked by nsgx_tposix
  // Clocks that never go back on Linux (MONOTONIC, MONOTONIC_RAW,
  // MONOTONIC_COARSE, BOOTTIME) must not go back here either: a host that
  // answers an earlier time than it did before is refused (Iago).
  if (clk == 1 || clk == 4 || clk == 6 || clk == 7) {
    const struct timespec& last = g_last_monotonic[clk];
    if (ts.tv_sec < last.tv_sec || (ts.tv_sec == last.tv_sec && ts.tv_nsec < last.tv_nsec)) return fail(EIO);
    g_last_monotonic[clk] = ts;
  }
  memcpy(reinterpret_cast<void*>(out), &ts, sizeof ts);
  return 0;
}

long sys_uname(uint64_t out) {
  struct Utsname {
    char f[6][65];
  } u;
  if (!program_buffer(out, sizeof u)) return fail(EFAULT);
  memset(&u, 0, sizeof u);
  const char* v[6] = {"Linux", "nsgx-enclave", "6.1.0-nsgx-libos", "#1 nestedsgx library OS", "x86_64", "(none)"};
  for (int i = 0; i < 6; ++i) strncpy(u.f[i], v[i], 64);
  memcpy(reinterpret_cast<void*>(out), &u, sizeof u);
  return 0;
}

long sys_prlimit(int64_t pid, uint64_t res, uint64_t newp, uint64_t oldp) {
  if (pid != 0 && static_cast<uint64_t>(pid) != kFixedPid) return fail(ESRCH);
  if (newp != 0) return fail(EPERM);
  if (res > 15) return fail(EINVAL);
  if (oldp == 0) return 0;
  if (!program_buffer(oldp, 16)) return fail(EFAULT);
  uint64_t lim[2] = {UINT64_MAX, UINT64_MAX};
  if (res == 3 /* RLIMIT_STACK */) lim[0] = lim[1] = g_program.stack_size;
  if (res == 7 /* RLIMIT_NOFILE */) lim[0] = lim[1] = kMaxFds;
  memcpy(reinterpret_cast<void*>(oldp), lim, sizeof lim);
  return 0;
}

long sys_getrandom(uint64_t buf, uint64_t n) {
  if (!program_buffer(buf, n)) return fail(EFAULT);
  if (n > (1u << 25)) n = 1u << 25;  // Linux returns at most 32 MiB - 1 per call too
  if (sgx_read_rand(reinterpret_cast<unsigned char*>(buf), n) != SGX_SUCCESS) return fail(EIO);
  return static_cast<long>(n);
}

uint8_t g_traced[512 / 8];

long unknown(uint64_t nr) {
  if (g_program.trace && (nr >= 512 || !bit(g_traced, nr))) {
    if (nr < 512) set_bit(g_traced, nr, true);
    say("nsgx libos: system call " + std::to_string(nr) + " is not implemented: ENOSYS\n");
  }
  return fail(ENOSYS);
}

long dispatch(const sgx_cpu_context_t& c) {
  const uint64_t a0 = c.rdi, a1 = c.rsi, a2 = c.rdx, a3 = c.r10, a4 = c.r8;
  switch (static_cast<long>(c.rax)) {
    case kRead:
      return sys_read(static_cast<int64_t>(a0), a1, a2, -1);
    case kPread64:
      return static_cast<int64_t>(a3) < 0 ? fail(EINVAL)
                                          : sys_read(static_cast<int64_t>(a0), a1, a2, static_cast<int64_t>(a3));
    case kWrite:
      return sys_write(static_cast<int64_t>(a0), a1, a2);
    case kPwrite64:
      return static_cast<int64_t>(a3) < 0 ? fail(EINVAL)
                                          : sys_write(static_cast<int64_t>(a0), a1, a2, static_cast<int64_t>(a3));
    case kFsync:
    case kFdatasync:
      return sys_fsync(static_cast<int64_t>(a0));
    case kFtruncate:
      return sys_ftruncate(static_cast<int64_t>(a0), static_cast<int64_t>(a1));
    case kReadv:
      return sys_rwv(false, static_cast<int64_t>(a0), a1, a2);
    case kWritev:
      return sys_rwv(true, static_cast<int64_t>(a0), a1, a2);
    case kOpenat:
      return sys_openat(static_cast<int64_t>(a0), a1, a2, a3);
    case kClose:
      return sys_close(static_cast<int64_t>(a0));
    case kFstat:
      return sys_fstat(static_cast<int64_t>(a0), a1);
    case kNewfstatat: {
      std::string p;
      if (!read_path(a1, p)) return fail(EFAULT);
      if (p.empty() && (a3 & kAtEmptyPath)) return sys_fstat(static_cast<int64_t>(a0), a2);
      return fail(EACCES);  // stat by path: M3
    }
    case kLseek:
      return sys_lseek(static_cast<int64_t>(a0), static_cast<int64_t>(a1), a2);
    case kBrk:
      return sys_brk(a0);
    case kMmap:
      return sys_mmap(a0, a1, a2, a3, static_cast<int64_t>(a4));
    case kMunmap:
      return sys_munmap(a0, a1);
    case kMprotect:
      return sys_mprotect(a0, a1, a2);
    case kMadvise:
      return 0;   // advice only
    case kIoctl:  // TCGETS and everything else: no terminals here (isatty is false)
      return fd_at(static_cast<int64_t>(a0)) ? fail(ENOTTY) : fail(EBADF);
    case kArchPrctl:
      return fail(EINVAL);  // SET_FS/GET_FS were answered in the first phase
    case kSetTidAddress:    // the thread's id, as getpid and gettid: one process, one thread
    case kGetpid:
    case kGettid:
      return static_cast<long>(kFixedPid);
    case kSetRobustList:
      return 0;
    case kRseq:
      return fail(ENOSYS);  // glibc then does without
    case kPrlimit64:
      return sys_prlimit(static_cast<int64_t>(a0), a1, a2, a3);
    case kGetrandom:
      return sys_getrandom(a0, a1);
    case kClockGettime:
      return sys_clock_gettime(static_cast<int64_t>(a0), a1);
    case kUname:
      return sys_uname(a0);
    case kExit:
    case kExitGroup:
      libos_leave_program(g_program.jb, static_cast<int64_t>(a0 & 0xff));
    default:
      return unknown(c.rax);
  }
}

bool at_syscall(uint64_t rip) {
  const uint8_t* at = reinterpret_cast<const uint8_t*>(rip);
  return sgx_is_within_enclave(at, 2) && at[0] == 0x0f && at[1] == 0x05;
}

// Phase 1 (nsgx_first_phase.h): only arch_prctl's FS, which needs ERESUME.
extern "C" int libos_first_phase(uint32_t vector, nsgx_ssa_state_t* st) {
  if (vector != SGX_EXCEPTION_VECTOR_UD) return 0;
  if (st->rip == reinterpret_cast<uint64_t>(libos_fs_stub) && g_resume_rip != 0) {
    // Every register is already the program's (the second phase restored
    // them before jumping here) but RIP and FS.
    st->rip = g_resume_rip;
    st->fs_base = g_program_fs;
    g_resume_rip = 0;
    return 1;
  }
  if (st->rax != kArchPrctl || !at_syscall(st->rip)) return 0;
  if (st->rdi == kArchSetFs) {
    st->fs_base = st->rsi;
    g_program_fs = st->rsi;
  } else if (st->rdi == kArchGetFs && sgx_is_within_enclave(reinterpret_cast<const void*>(st->rsi), 8)) {
    memcpy(reinterpret_cast<void*>(st->rsi), &st->fs_base, 8);
  } else {
    return 0;
  }
  st->rax = 0;
  st->rcx = st->rip + 2;  // SYSCALL's own effects on RCX and R11
  st->r11 = st->rflags;
  st->rip += 2;
  return 1;
}

// Phase 2: every other system call, on the program's stack (below its red zone).
extern "C" int libos_syscall_handler(sgx_exception_info_t* info) {
  sgx_cpu_context_t& c = info->cpu_context;
  if (g_program.trace > 1)
    say("nsgx libos: exception " + std::to_string(info->exception_vector) + " at " + std::to_string(c.rip) + ", rax " +
        std::to_string(c.rax) + "\n");
  if (info->exception_vector != SGX_EXCEPTION_VECTOR_UD || !at_syscall(c.rip)) return EXCEPTION_CONTINUE_SEARCH;
  const long r = dispatch(c);
  c.rax = static_cast<uint64_t>(r);
  c.rcx = c.rip + 2;
  c.r11 = c.rflags;
  c.rip += 2;
  // glibc's TCB starts with a pointer to itself, as the trusted runtime's
  // TD does: %fs:0 tells whose FS is in effect.
  uint64_t fs0;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
  if (g_program_fs != 0 && fs0 != g_program_fs) {
    g_resume_rip = c.rip;
    c.rip = reinterpret_cast<uint64_t>(libos_fs_stub);
  }
  return EXCEPTION_CONTINUE_EXECUTION;
}

}  // namespace

bool install_syscall_handlers() {
  return nsgx_set_first_phase_handler(libos_first_phase) &&
         sgx_register_exception_handler(1, libos_syscall_handler) != nullptr;
}

}  // namespace nsgx::libos
