// The library OS enclave (docs/libos.md, M2): runs one unmodified static-PIE
// x86-64 Linux program, named by the measured manifest, on this enclave's
// thread and answers its system calls.
//
// - The manifest: canonical bytes (libos/manifest/manifest.h) in the
//   measured section .nsgx_libos_manifest, filled before signing by
//   `nsgx libos build`; parsed with parse_manifest, or nothing runs.
// - Memory: the user region (<UserRegionSize>, never EADDed) is EACCEPTed
//   page by page as the program needs it (SGX2 EAUG on first touch); the
//   program's image, brk and anonymous mappings live there. The program
//   runs on this thread's own stack (the SDK's exception flow runs its
//   handlers only on the thread's stack).
// - System calls: syscalls.cc; files: file_table.cc; the program's image:
//   elf_loader.cc; entering and leaving it: program_entry.S.
// The manifest section: manifest_section.S.
// This file: reading the manifest, the initial stack, and libos_run, which
// sets up g_program (program_state.h) and starts the program.
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "libos/enclave/elf_loader.h"
#include "libos/enclave/file_table.h"
#include "libos/enclave/manifest_section.h"
#include "libos/enclave/program_entry.h"
#include "libos/enclave/program_state.h"
#include "libos/enclave/syscalls.h"
#include "libos/enclave/user_region.h"
#include "libos/manifest/manifest.h"
#include "libos_t.h"
#include "sdk/common/global_data.h"
#include "sgx_trts.h"

extern "C" volatile nsgx_global_data_t g_global_data;

namespace {

using nsgx::libos::Fd;
using nsgx::libos::FdKind;
using nsgx::libos::g_program;
using nsgx::libos::install_syscall_handlers;
using nsgx::libos::kNoPages;
using nsgx::libos::kPage;
using nsgx::libos::load_program;
using nsgx::libos::load_trusted;
using nsgx::libos::LoadedImage;
using nsgx::libos::Manifest;
using nsgx::libos::region_base;
using nsgx::libos::region_init;
using nsgx::libos::region_pages;
using nsgx::libos::reserve_pages;
using nsgx::libos::say;
using nsgx::libos::set_fd;
using nsgx::libos::TrustedCopy;

constexpr int kCannotRun = 126;  // what a shell reports for a program it cannot execute

constexpr uint64_t kArgRoom = uint64_t{64} << 10;  // the initial stack's strings and vectors

// ---- the initial stack (x86-64 psABI 3.4.1, "Initial Stack and Register State") ----

uint64_t cpuid_edx1() {
  uint32_t a = 1, b, c = 0, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return d;
}

// Builds argc, argv, envp and auxv below `top` (downwards, 16-byte aligned),
// with their strings above them; returns the program's initial RSP, or 0
// if it does not fit in `room` bytes.
uint64_t build_stack(uint64_t top, uint64_t room, const char* args, size_t args_len, const LoadedImage& img) {
  uint64_t at = top;
  const uint64_t floor = top - room;
  auto push_bytes = [&](const void* p, size_t n) -> uint64_t {
    if (at - floor < n) return 0;
    at -= n;
    memcpy(reinterpret_cast<void*>(at), p, n);
    return at;
  };
  // Strings: argv (as given), then NAME=VALUE from the manifest only.
  uint64_t argv_ptrs[256];
  size_t argc = 0;
  for (size_t i = 0; i < args_len;) {
    const size_t n = strnlen(args + i, args_len - i);
    if (i + n == args_len || argc == 256) return 0;  // not NUL-terminated, or too many
    argv_ptrs[argc] = 0;
    ++argc;
    i += n + 1;
  }
  size_t k = 0;
  for (size_t i = 0; i < args_len; ++k) {
    const size_t n = strlen(args + i);
    argv_ptrs[k] = push_bytes(args + i, n + 1);
    if (argv_ptrs[k] == 0) return 0;
    i += n + 1;
  }
  if (!g_program.manifest->argv0.empty() && argc > 0) {
    argv_ptrs[0] = push_bytes(g_program.manifest->argv0.c_str(), g_program.manifest->argv0.size() + 1);
    if (argv_ptrs[0] == 0) return 0;
  }
  const size_t envc = g_program.manifest->env.size();
  uint64_t* env_ptrs = static_cast<uint64_t*>(calloc(envc + 1, 8));
  if (env_ptrs == nullptr) return 0;
  for (size_t i = 0; i < envc; ++i) {
    const std::string s = g_program.manifest->env[i].first + "=" + g_program.manifest->env[i].second;
    env_ptrs[i] = push_bytes(s.c_str(), s.size() + 1);
    if (env_ptrs[i] == 0) {
      free(env_ptrs);
      return 0;
    }
  }
  const uint64_t execfn = push_bytes(g_program.manifest->entrypoint.c_str(), g_program.manifest->entrypoint.size() + 1);
  const char platform[] = "x86_64";
  const uint64_t plat = push_bytes(platform, sizeof platform);
  uint8_t rnd[16];
  if (sgx_read_rand(rnd, sizeof rnd) != SGX_SUCCESS) {
    free(env_ptrs);
    return 0;
  }
  const uint64_t random = push_bytes(rnd, sizeof rnd);
  if (execfn == 0 || plat == 0 || random == 0) {
    free(env_ptrs);
    return 0;
  }
  // The vectors: argc, argv..., 0, envp..., 0, auxv pairs..., AT_NULL.
  const uint64_t aux[][2] = {
      {3 /* AT_PHDR */, img.phdr},
      {4 /* AT_PHENT */, sizeof(Elf64_Phdr)},
      {5 /* AT_PHNUM */, img.phnum},
      {6 /* AT_PAGESZ */, kPage},
      {7 /* AT_BASE */, 0},
      {8 /* AT_FLAGS */, 0},
      {9 /* AT_ENTRY */, img.entry},
      {11 /* AT_UID */, 0},
      {12 /* AT_EUID */, 0},
      {13 /* AT_GID */, 0},
      {14 /* AT_EGID */, 0},
      {15 /* AT_PLATFORM */, plat},
      {16 /* AT_HWCAP */, cpuid_edx1()},
      {17 /* AT_CLKTCK */, 100},
      {23 /* AT_SECURE */, 0},
      {25 /* AT_RANDOM */, random},
      {26 /* AT_HWCAP2 */, 0},
      {31 /* AT_EXECFN */, execfn},
      {0 /* AT_NULL */, 0},
  };
  const size_t words = 1 + argc + 1 + envc + 1 + 2 * (sizeof aux / sizeof aux[0]);
  at &= ~uint64_t{15};
  if (at - floor < words * 8 + 16) {
    free(env_ptrs);
    return 0;
  }
  at -= words * 8;
  at &= ~uint64_t{15};
  uint64_t* w = reinterpret_cast<uint64_t*>(at);
  size_t i = 0;
  w[i++] = argc;
  for (size_t a = 0; a < argc; ++a) w[i++] = argv_ptrs[a];
  w[i++] = 0;
  for (size_t e = 0; e < envc; ++e) w[i++] = env_ptrs[e];
  w[i++] = 0;
  for (const auto& p : aux) {
    w[i++] = p[0];
    w[i++] = p[1];
  }
  free(env_ptrs);
  return at;
}

bool load_manifest(std::string& why) {
  const uint8_t* m = nsgx_libos_manifest;
  uint32_t total;
  memcpy(&total, m + 12, 4);
  if (total < nsgx::libos::kManifestHeaderSize || total > nsgx::libos::kManifestSectionSize) {
    why = "the enclave holds no manifest (build it with `nsgx libos build`)";
    return false;
  }
  auto parsed = nsgx::libos::parse_manifest(nsgx::ByteSpan(m, total));
  if (!parsed) {
    why = "the enclave's manifest is not valid: " + parsed.error().message();
    return false;
  }
  g_program.manifest = new Manifest(std::move(*parsed));
  return true;
}

int run(const char* args, size_t args_len) {
  std::string why;
  if (!load_manifest(why)) {
    say("nsgx run: " + why + "\n");
    return kCannotRun;
  }
  if (!region_init()) {
    say("nsgx run: the enclave has no user region for the program (<UserRegionSize>)\n");
    return kCannotRun;
  }
  const auto* tf = g_program.manifest->trusted(g_program.manifest->entrypoint);
  if (tf == nullptr) {
    say("nsgx run: the entrypoint is not a trusted file\n");
    return kCannotRun;
  }
  const TrustedCopy* prog = load_trusted(*tf, why);
  LoadedImage img;
  if (prog == nullptr || !load_program(prog->path, prog->data, prog->size, img, why)) {
    say("nsgx run: " + why + "\n");
    return kCannotRun;
  }
  // brk: a quarter of the user region at most, reserved now, accepted as it grows.
  const uint64_t brk_pages = region_pages() / 4;
  const uint64_t brk_first = reserve_pages(brk_pages);
  if (brk_first == kNoPages) {
    say("nsgx run: no room for the program's heap\n");
    return kCannotRun;
  }
  g_program.brk_start = g_program.brk = reinterpret_cast<uint64_t>(region_base() + brk_first * kPage);
  g_program.brk_end = g_program.brk_start + brk_pages * kPage;
  for (int fd = 0; fd < 3; ++fd) set_fd(fd, Fd{FdKind::kHostStdio, fd, nullptr, 0});
  // The program's stack: this thread's, below what this function and the
  // handlers above it use (the SDK's handlers run only on it).
  g_program.stack_size = g_global_data.stack_size;
  uint64_t here;
  __asm__ volatile("mov %%rsp, %0" : "=r"(here));
  const uint64_t top = (here - kArgRoom) & ~uint64_t{15};
  const uint64_t sp = build_stack(top, kArgRoom, args, args_len, img);
  if (sp == 0) {
    say("nsgx run: the arguments do not fit on the program's stack\n");
    return kCannotRun;
  }
  if (!install_syscall_handlers()) {
    say("nsgx run: cannot install the system call handlers\n");
    return kCannotRun;
  }
  return static_cast<int>(libos_enter_program(img.entry, sp, g_program.jb));
}

}  // namespace

extern "C" int libos_run(const char* args, size_t args_len, int trace) {
  static int ran = 0;
  if (__atomic_exchange_n(&ran, 1, __ATOMIC_SEQ_CST)) {
    say("nsgx run: the library OS enclave runs one program once\n");
    return kCannotRun;
  }
  g_program.trace = trace;
  return run(args, args_len);
}
