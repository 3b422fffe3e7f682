// The lowest address a process may map: the kernel's vm.mmap_min_addr
// (Documentation/admin-guide/sysctl/vm.rst; 65536 by default on Debian).
// An enclave placed at base 0 (the library OS's layout for non-PIE
// programs, docs/libos.md) has its first bytes there; they are never
// mapped, and nothing of the enclave may be added below this address.
#pragma once

#include <cstdint>

namespace nsgx {

// vm.mmap_min_addr rounded up to a page, read once from
// /proc/sys/vm/mmap_min_addr; 65536 (the kernel's default) if that cannot
// be read or parsed — a mapping below the real value then fails, as it
// should.
std::uint64_t lowest_mappable_address();

// How many bytes at the start of [base, base + size) lie below
// lowest_mappable_address() (0 for any base above it).
std::uint64_t unmappable_prefix(std::uint64_t base, std::uint64_t size);

}  // namespace nsgx
