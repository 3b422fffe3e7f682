// What every system-call handler file shares: the errno convention and
// the checks on the program's pointers (syscalls.cc keeps its own copies;
// the handlers by concern, syscalls_*.cc, use these).
#pragma once

#include <stdint.h>

#include <string>

#include "libos/enclave/user_region.h"
#include "sgx_trts.h"

namespace nsgx::libos::sc {

// Linux's convention: a failing call answers -errno in RAX.
inline long err(int e) { return -static_cast<long>(e); }

// [addr, addr + len) is the program's to read or write: inside the enclave
// (the program's memory; it has no other).
inline bool user_buffer(uint64_t addr, uint64_t len) {
  return len == 0 || (!near_null(addr) && sgx_is_within_enclave(reinterpret_cast<const void*>(addr), len));
}

// The program's NUL-terminated string at `p`, at most PATH_MAX (4096)
// bytes with its NUL, each byte checked to lie inside the enclave.
inline bool user_string(uint64_t p, std::string& out) {
  for (uint64_t i = 0; i < 4096; ++i) {
    if (!user_buffer(p + i, 1)) return false;
    const char c = *reinterpret_cast<const char*>(p + i);
    if (c == 0) return true;
    out.push_back(c);
  }
  return false;
}

}  // namespace nsgx::libos::sc
