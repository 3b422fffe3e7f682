// libnsgx_inproc.so: the upstream Linux SGX interface for an unmodified,
// dynamically linked program (`nsgx exec` puts it in LD_PRELOAD).
//
// Interposes the libc entry points through which a program reaches
// /dev/sgx_enclave and /dev/sgx_provision — open/openat (and their
// _FORTIFY_SOURCE variants), stat and access, ioctl, mmap, mprotect, munmap,
// dup/fcntl, close — plus sigaction/signal/sigaltstack (the runtime must see
// every signal first), and replaces AT_SYSINFO_EHDR in the auxiliary vector
// with a vDSO image that also exports __vdso_sgx_enter_enclave. Everything
// else passes through to the kernel unchanged.
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "runtime/inproc/cpuid.h"
#include "runtime/inproc/quote_abi.h"
#include "runtime/inproc/runtime.h"
#include "runtime/inproc/vdso_image.h"

using nsgx::inproc::Runtime;

namespace {

enum class Device { kNone, kEnclave, kProvision };

// Programs do pass NULL (libc declares these nonnull; the kernel answers
// EFAULT): the checks live here, on a parameter without that attribute.
bool absolute(const char* path) { return path != nullptr && path[0] == '/'; }
bool empty_path(const char* path) { return path != nullptr && path[0] == '\0'; }

Device device_of(const char* path) {
  if (path == nullptr) return Device::kNone;
  if (std::strcmp(path, "/dev/sgx_enclave") == 0 || std::strcmp(path, "/dev/sgx/enclave") == 0) return Device::kEnclave;
  if (std::strcmp(path, "/dev/sgx_provision") == 0 || std::strcmp(path, "/dev/sgx/provision") == 0)
    return Device::kProvision;
  return Device::kNone;
}

// Misc character devices, as the kernel registers them (major 10).
constexpr unsigned kMiscMajor = 10, kEnclaveMinor = 125, kProvisionMinor = 126;

int open_device(Device d, int flags) {
  const int fd = static_cast<int>(syscall(SYS_memfd_create, d == Device::kEnclave ? "sgx_enclave" : "sgx_provision",
                                          (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0));
  if (fd < 0) return -1;
  Runtime::get().opened(fd, d == Device::kProvision);
  return fd;
}

// syscall(2) already returns -1 with errno set.
int sys_ret(long rc) { return static_cast<int>(rc); }

int set_errno(long rc) {
  if (rc < 0) {
    errno = static_cast<int>(-rc);
    return -1;
  }
  return static_cast<int>(rc);
}

bool enclave_fd(int fd) {
  Runtime* rt = Runtime::peek();
  return rt != nullptr && (rt->is_enclave_fd(fd) || rt->is_provision_fd(fd));
}

void fill_stat(struct stat* st, bool provision) {
  std::memset(st, 0, sizeof *st);
  st->st_dev = makedev(0, 5);
  st->st_ino = provision ? 0x5c0 : 0x5b0;
  st->st_mode = S_IFCHR | 0666;
  st->st_nlink = 1;
  st->st_rdev = makedev(kMiscMajor, provision ? kProvisionMinor : kEnclaveMinor);
  st->st_blksize = 4096;
}

// stat() of a device path: true (and `st` filled) if it is one of ours.
bool device_stat(const char* path, struct stat* st) {
  const Device d = device_of(path);
  if (d == Device::kNone) return false;
  fill_stat(st, d == Device::kProvision);
  return true;
}

template <typename F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

// ------------------------------------------------------------ open

// The device files by absolute path, anything else by the real openat.
static int open_path(int dirfd, const char* path, int flags, mode_t mode) {
  if (absolute(path))
    if (Device d = device_of(path); d != Device::kNone) return open_device(d, flags);
  return sys_ret(syscall(SYS_openat, dirfd, path, flags, mode));
}

// The mode argument exists only with O_CREAT or O_TMPFILE.
#define NSGX_OPEN_MODE(flags, mode)    \
  mode_t mode = 0;                     \
  if (flags & (O_CREAT | O_TMPFILE)) { \
    va_list ap;                        \
    va_start(ap, flags);               \
    mode = va_arg(ap, mode_t);         \
    va_end(ap);                        \
  }

int open(const char* path, int flags, ...) {
  NSGX_OPEN_MODE(flags, mode)
  return open_path(AT_FDCWD, path, flags, mode);
}
int open64(const char* path, int flags, ...) __attribute__((alias("open")));
// This object's own open(), whichever the program's symbol resolution picks:
// nsgx_preload_init compares the two.
__attribute__((visibility("hidden"), nonnull(1))) int nsgx_inproc_own_open(const char* path, int flags, ...)
    __attribute__((alias("open")));

int openat(int dirfd, const char* path, int flags, ...) {
  NSGX_OPEN_MODE(flags, mode)
  return open_path(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char* path, int flags, ...) __attribute__((alias("openat")));

int __open_2(const char* path, int flags) { return open(path, flags); }
int __open64_2(const char* path, int flags) { return open(path, flags); }
int __openat_2(int dirfd, const char* path, int flags) { return openat(dirfd, path, flags); }
int __openat64_2(int dirfd, const char* path, int flags) { return openat(dirfd, path, flags); }

// ------------------------------------------------------------ stat

int stat(const char* path, struct stat* st) {
  if (device_stat(path, st)) return 0;
  static auto real = next<int (*)(const char*, struct stat*)>("stat");
  return real(path, st);
}
int stat64(const char* path, struct stat64* st) { return stat(path, reinterpret_cast<struct stat*>(st)); }

int lstat(const char* path, struct stat* st) {
  if (device_stat(path, st)) return 0;
  static auto real = next<int (*)(const char*, struct stat*)>("lstat");
  return real(path, st);
}
int lstat64(const char* path, struct stat64* st) { return lstat(path, reinterpret_cast<struct stat*>(st)); }

int fstat(int fd, struct stat* st) {
  if (Runtime* rt = Runtime::peek(); rt && (rt->is_enclave_fd(fd) || rt->is_provision_fd(fd))) {
    fill_stat(st, rt->is_provision_fd(fd));
    return 0;
  }
  return sys_ret(syscall(SYS_fstat, fd, st));
}
int fstat64(int fd, struct stat64* st) { return fstat(fd, reinterpret_cast<struct stat*>(st)); }

int fstatat(int dirfd, const char* path, struct stat* st, int flags) {
  if ((flags & AT_EMPTY_PATH) && empty_path(path)) return fstat(dirfd, st);
  if (absolute(path) && device_stat(path, st)) return 0;
  static auto real = next<int (*)(int, const char*, struct stat*, int)>("fstatat");
  return real(dirfd, path, st, flags);
}
int fstatat64(int dirfd, const char* path, struct stat64* st, int flags) {
  return fstatat(dirfd, path, reinterpret_cast<struct stat*>(st), flags);
}

// Pre-2.33 glibc entry points, for programs built against them.
int __xstat(int, const char* path, struct stat* st) { return stat(path, st); }
int __xstat64(int, const char* path, struct stat64* st) { return stat64(path, st); }
int __lxstat(int, const char* path, struct stat* st) { return lstat(path, st); }
int __lxstat64(int, const char* path, struct stat64* st) { return lstat64(path, st); }
int __fxstat(int, int fd, struct stat* st) { return fstat(fd, st); }
int __fxstat64(int, int fd, struct stat64* st) { return fstat64(fd, st); }

int access(const char* path, int mode) {
  if (device_of(path) != Device::kNone) return 0;  // crw-rw-rw-
  return sys_ret(syscall(SYS_faccessat, AT_FDCWD, path, mode));
}
int faccessat(int dirfd, const char* path, int mode, int flags) {
  if (absolute(path) && device_of(path) != Device::kNone) return 0;
  static auto real = next<int (*)(int, const char*, int, int)>("faccessat");
  return real(dirfd, path, mode, flags);
}

// ------------------------------------------------------------ descriptors

int close(int fd) {
  if (Runtime* rt = Runtime::peek()) rt->closing(fd);
  return sys_ret(syscall(SYS_close, fd));
}

int dup(int fd) {
  const int n = sys_ret(syscall(SYS_dup, fd));
  if (n >= 0)
    if (Runtime* rt = Runtime::peek()) rt->duplicated(fd, n);
  return n;
}

int dup3(int fd, int fd2, int flags) {
  if (fd == fd2) return set_errno(-EINVAL);
  Runtime* rt = Runtime::peek();
  if (rt) rt->closing(fd2);
  const int n = sys_ret(syscall(SYS_dup3, fd, fd2, flags));
  if (n >= 0 && rt) rt->duplicated(fd, n);
  return n;
}
int dup2(int fd, int fd2) {
  if (fd == fd2) return syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : fd;
  return dup3(fd, fd2, 0);
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  const int n = sys_ret(syscall(SYS_fcntl, fd, cmd, arg));
  if (n >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
    if (Runtime* rt = Runtime::peek()) rt->duplicated(fd, n);
  return n;
}
int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  const unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  if (enclave_fd(fd)) return set_errno(Runtime::peek()->ioctl(fd, request, arg));
  return sys_ret(syscall(SYS_ioctl, fd, request, arg));
}

// ------------------------------------------------------------ memory

void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  if (fd >= 0 && (flags & MAP_ANONYMOUS) == 0 && enclave_fd(fd)) {
    Runtime* rt = Runtime::peek();
    if (rt->is_provision_fd(fd)) {
      errno = ENODEV;
      return MAP_FAILED;
    }
    const long r = rt->mmap(reinterpret_cast<std::uint64_t>(addr), len, prot, flags, fd, off);
    if (r < 0 && r > -4096) {
      errno = static_cast<int>(-r);
      return MAP_FAILED;
    }
    return reinterpret_cast<void*>(r);
  }
  const long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
  if (r == -1) return MAP_FAILED;
  // A new mapping over an enclave mapping replaces it.
  if (Runtime* rt = Runtime::peek(); rt && rt->has_mappings() && (flags & MAP_FIXED))
    rt->munmapped(static_cast<std::uint64_t>(r), len);
  return reinterpret_cast<void*>(r);
}
void* mmap64(void* addr, size_t len, int prot, int flags, int fd, off_t off) __attribute__((alias("mmap")));

int munmap(void* addr, size_t len) {
  const int rc = sys_ret(syscall(SYS_munmap, addr, len));
  if (rc == 0)
    if (Runtime* rt = Runtime::peek(); rt && rt->has_mappings())
      rt->munmapped(reinterpret_cast<std::uint64_t>(addr), len);
  return rc;
}

int mprotect(void* addr, size_t len, int prot) {
  if (Runtime* rt = Runtime::peek(); rt && rt->has_mappings()) {
    if ((reinterpret_cast<std::uint64_t>(addr) & 4095) != 0) return set_errno(-EINVAL);
    bool handled = false;
    const int rc = rt->mprotect(reinterpret_cast<std::uint64_t>(addr), len, prot, handled);
    if (handled) return set_errno(rc);
  }
  return sys_ret(syscall(SYS_mprotect, addr, len, prot));
}

// ------------------------------------------------------------ signals

int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  return nsgx::inproc::app_sigaction(sig, act, old);
}
int __sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  return nsgx::inproc::app_sigaction(sig, act, old);
}

sighandler_t signal(int sig, sighandler_t handler) {
  struct sigaction act {
  }, old{};
  act.sa_handler = handler;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, sig);
  act.sa_flags = SA_RESTART;  // BSD semantics, as glibc's signal()
  if (nsgx::inproc::app_sigaction(sig, &act, &old) != 0) return SIG_ERR;
  return old.sa_handler;
}

int sigaltstack(const stack_t* ss, stack_t* old) { return nsgx::inproc::app_sigaltstack(ss, old); }

// ------------------------------------------------------------ quotes (quote_abi.h)

int nsgx_inproc_quote_info(void* target_info, std::uint32_t* quote_size) {
  if (target_info == nullptr || quote_size == nullptr) return -EINVAL;
  const int rc = Runtime::get().quoting().quote_size(*quote_size);
  if (rc != 0) return rc;
  const nsgx::sgx::TargetInfo t = nsgx::runtime::QuotingService::target_info();
  std::memcpy(target_info, &t, sizeof t);
  return 0;
}

int nsgx_inproc_quote(const void* report, const std::uint8_t* nonce, std::uint32_t nonce_size, std::uint8_t* quote,
                      std::uint32_t quote_size) {
  if (report == nullptr || quote == nullptr || (nonce == nullptr && nonce_size != 0)) return -EINVAL;
  Runtime& rt = Runtime::get();
  nsgx::Bytes out;
  const int rc = rt.quoting().quote(rt.monitor(), {static_cast<const std::uint8_t*>(report), sizeof(nsgx::sgx::Report)},
                                    {nonce, nonce_size}, out);
  if (rc != 0) return rc;
  if (out.size() != quote_size) return -ENOSPC;
  std::memcpy(quote, out.data(), out.size());
  return 0;
}

}  // extern "C"

// The entry points keep the types quote_abi.h gives the urts.
static_assert(std::is_same_v<decltype(&nsgx_inproc_quote_info), nsgx::inproc::QuoteInfoFn>);
static_assert(std::is_same_v<decltype(&nsgx_inproc_quote), nsgx::inproc::QuoteFn>);

// ------------------------------------------------------------ start-up

namespace {

void after_fork_child() { Runtime::after_fork_child(); }

// The auxiliary vector follows the environment on the initial stack; glibc's
// getauxval() reads the same array. Pointing AT_SYSINFO_EHDR at our image
// serves getauxval() and programs that walk envp alike. `envp` is the
// initial stack's (what the dynamic linker passes initializers), not
// `environ`, which a setenv() in an earlier initializer moves to the heap.
void replace_vdso(char** envp) {
  const std::uint64_t real = getauxval(AT_SYSINFO_EHDR);
  auto symbols = nsgx::inproc::vdso_symbols(real);
  symbols.push_back({"__vdso_sgx_enter_enclave", reinterpret_cast<std::uint64_t>(&nsgx_vdso_sgx_enter_enclave)});
  // Not the kernel's: where our untrusted runtime asks for this thread's
  // exit-gate offer (docs/inproc.md, "The exit gate").
  symbols.push_back({"__vdso_nsgx_exit_gate", reinterpret_cast<std::uint64_t>(&nsgx_vdso_exit_gate)});
  auto image = nsgx::inproc::build_vdso_image(symbols);
  if (!image) return;
  char** env = envp;
  while (*env) ++env;
  for (auto* av = reinterpret_cast<Elf64_auxv_t*>(env + 1); av->a_type != AT_NULL; ++av)
    if (av->a_type == AT_SYSINFO_EHDR && av->a_un.a_val == real) av->a_un.a_val = *image;
}

// glibc calls ELF initializers with main's argc, argv and envp.
__attribute__((constructor)) void nsgx_preload_init(int /*argc*/, char** /*argv*/, char** envp) {
  // This code is in two libraries: libnsgx_inproc.so, which `nsgx exec`
  // preloads, and libsgx_urts_sim.so (packaging/), which an application
  // links as the SGX SDK's simulation-mode runtime, and whose open, ioctl,
  // mmap ... then come before the C library's. When both are in a process
  // (`nsgx exec` of a simulation-mode program), the preloaded one serves
  // the program and this copy, whose functions nobody calls, stays out of
  // the way: a second vDSO image and signal handlers would split the
  // enclaves between two runtimes.
  if (dlsym(RTLD_DEFAULT, "open") != reinterpret_cast<void*>(&nsgx_inproc_own_open)) return;
  // FS/GS: the FSGSBASE instructions where AT_HWCAP2 offers them, else
  // arch_prctl (runtime/common/fsgs.h); either way enclaves run.
  nsgx::inproc::install_signal_handling();
  replace_vdso(envp);
  const char* cpuid = std::getenv("NSGX_CPUID");
  const bool want = cpuid == nullptr || std::strcmp(cpuid, "off") != 0;
  if (want) {
    if (nsgx::inproc::enable_cpuid_faulting()) {
      nsgx::inproc::set_cpuid_emulation(std::uint64_t{nsgx::inproc::config_from_env().epc_pages} * 4096);
    } else if (cpuid != nullptr && std::strcmp(cpuid, "require") == 0) {
      std::fprintf(stderr, "nsgx inproc: CPUID faulting is not available here (arch_prctl(ARCH_SET_CPUID): %s)\n",
                   std::strerror(errno));
      std::exit(127);
    }
  }
  pthread_atfork(nullptr, nullptr, after_fork_child);
}

}  // namespace
