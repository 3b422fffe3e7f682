// Where the library OS enclave goes in this process (docs/libos.md,
// "Non-PIE programs"). `nsgx libos build` lays an enclave out with its user
// region at RVA 0 (<UserRegionFirst>, sdk/sign/enclave_config.h) when a
// trusted program has fixed addresses (ET_EXEC: Debian's python3 at
// 0x400000); such an enclave must sit at base 0 for those addresses to be
// its own. Every other enclave goes where the loader chooses. The choice is
// the host's and untrusted: an enclave placed elsewhere refuses the
// program (elf_loader.cc), it cannot be made to run it at other addresses.
#pragma once

#include <cstdint>
#include <optional>

namespace nsgx::libos_host {

// 0 for an image laid out with its user region first, nullopt otherwise or
// when its metadata cannot be read (the load then says why).
std::optional<std::uint64_t> placement_for(const char* image);

}  // namespace nsgx::libos_host
