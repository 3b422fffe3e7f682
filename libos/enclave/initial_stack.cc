// The program's initial stack (initial_stack.h).
#include "libos/enclave/initial_stack.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "libos/enclave/user_region.h"
#include "sgx_trts.h"

namespace nsgx::libos {
namespace {

// AT_HWCAP on x86-64 is CPUID.01H:EDX, as Linux reports it.
uint64_t cpuid_edx1() {
  uint32_t a = 1, b, c = 0, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return d;
}

}  // namespace

uint64_t build_stack(uint64_t top, uint64_t room, const char* args, size_t args_len, const LoadedImage& img,
                     uint64_t interp_base, const Manifest& manifest, const ExecStart* exec) {
  uint64_t at = top;
  const uint64_t floor = top - room;
  auto push_bytes = [&](const void* p, size_t n) -> uint64_t {
    if (at - floor < n) return 0;
    at -= n;
    memcpy(reinterpret_cast<void*>(at), p, n);
    return at;
  };
  // Strings: argv (as given: loader.argv, argv0_override and a script's
  // interpreter are the caller's, libos_enclave.cc), then NAME=VALUE from
  // the manifest only.
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
  const size_t envc = exec != nullptr ? exec->env.size() : manifest.env.size();
  uint64_t* env_ptrs = static_cast<uint64_t*>(calloc(envc + 1, 8));
  if (env_ptrs == nullptr) return 0;
  for (size_t i = 0; i < envc; ++i) {
    const std::string s = exec != nullptr ? exec->env[i] : manifest.env[i].first + "=" + manifest.env[i].second;
    env_ptrs[i] = push_bytes(s.c_str(), s.size() + 1);
    if (env_ptrs[i] == 0) {
      free(env_ptrs);
      return 0;
    }
  }
  const std::string& fn = exec != nullptr ? exec->path : manifest.entrypoint;
  const uint64_t execfn = push_bytes(fn.c_str(), fn.size() + 1);
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
      {7 /* AT_BASE */, interp_base},
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

}  // namespace nsgx::libos
