// The program's users and groups (syscalls_ids.h).
#include "libos/enclave/syscalls_ids.h"

#include <errno.h>
#include <string.h>

#include <initializer_list>
#include <string>

#include "libos/enclave/program_state.h"
#include "libos/enclave/syscall_args.h"

namespace nsgx::libos {
namespace {

using sc::err;

// System call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
constexpr long kSetuid = 105, kSetgid = 106, kSetreuid = 113, kSetregid = 114, kGetgroups = 115, kSetgroups = 116,
               kSetresuid = 117, kGetresuid = 118, kSetresgid = 119, kGetresgid = 120, kSetfsuid = 122, kSetfsgid = 123;
constexpr uint32_t kUnchanged = 0xffffffffu;  // (uid_t)-1
constexpr uint64_t kNgroupsMax = 65536;       // NGROUPS_MAX

// An id argument: the low 32 bits (uid_t, gid_t), as the kernel reads it.
uint32_t id_of(uint64_t a) { return static_cast<uint32_t>(a); }

// Every id the call asks for is root's, or left as it is.
long set_ids(long nr, std::initializer_list<uint64_t> ids) {
  for (const uint64_t a : ids) {
    const uint32_t id = id_of(a);
    if (id == 0 || id == kUnchanged) continue;
    if (g_program.trace)
      say("nsgx libos: system call " + std::to_string(nr) + " to id " + std::to_string(id) +
          ": EPERM (one user inside, root)\n");
    return err(EPERM);
  }
  return 0;
}

// getresuid/getresgid: three 0s, each pointer checked.
long get_ids(uint64_t a0, uint64_t a1, uint64_t a2) {
  for (const uint64_t p : {a0, a1, a2})
    if (!sc::user_buffer(p, sizeof(uint32_t))) return err(EFAULT);
  const uint32_t zero = 0;
  for (const uint64_t p : {a0, a1, a2}) memcpy(reinterpret_cast<void*>(p), &zero, sizeof zero);
  return 0;
}

}  // namespace

bool identity_call(long nr, uint64_t a0, uint64_t a1, uint64_t a2, long& r) {
  switch (nr) {
    case kGetresuid:
    case kGetresgid:
      r = get_ids(a0, a1, a2);
      return true;
    case kSetuid:
    case kSetgid:
      r = set_ids(nr, {a0});
      return true;
    case kSetreuid:
    case kSetregid:
      r = set_ids(nr, {a0, a1});
      return true;
    case kSetresuid:
    case kSetresgid:
      r = set_ids(nr, {a0, a1, a2});
      return true;
    case kSetfsuid:
    case kSetfsgid:
      // The previous id, whether or not it changed (setfsuid(2)): 0.
      (void)set_ids(nr, {a0});
      r = 0;
      return true;
    case kGetgroups:
      // No supplementary groups; a negative size is EINVAL.
      r = static_cast<int32_t>(a0) < 0 ? err(EINVAL) : 0;
      return true;
    case kSetgroups: {
      // Only root's group (or none): the program keeps what it has.
      if (a0 > kNgroupsMax) {
        r = err(EINVAL);
        return true;
      }
      if (!sc::user_buffer(a1, a0 * sizeof(uint32_t)) || (a0 != 0 && a1 == 0)) {
        r = err(EFAULT);
        return true;
      }
      for (uint64_t i = 0; i < a0; ++i) {
        uint32_t g;
        memcpy(&g, reinterpret_cast<const void*>(a1 + i * sizeof g), sizeof g);
        if (g != 0) {
          r = set_ids(nr, {g});
          return true;
        }
      }
      r = 0;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace nsgx::libos
