// A vDSO image for the program: the kernel's vDSO symbols (forwarded) plus
// __vdso_sgx_enter_enclave, version LINUX_2.6, laid out as the kernel's
// vDSO is — an ELF linked at 0 whose DT_HASH/DT_SYMTAB/DT_STRTAB/DT_VERSYM/
// DT_VERDEF addresses are relative to its base — so the classic lookup
// (getauxval(AT_SYSINFO_EHDR), then the dynamic symbol table) finds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nsgx::inproc {

struct VdsoSymbol {
  std::string name;
  std::uint64_t target;  // absolute address the thunk jumps to
};

// The functions a vDSO image at `base` exports (name, absolute address),
// found through DT_HASH and checked against version `version` when it has
// version information. Empty if `base` is not a well-formed image.
std::vector<VdsoSymbol> vdso_symbols(std::uint64_t base, const char* version = "LINUX_2.6");

// Builds an image exporting `symbols` (each a thunk to its target) and
// returns its base, or nullopt when memory cannot be had.
std::optional<std::uint64_t> build_vdso_image(const std::vector<VdsoSymbol>& symbols);

}  // namespace nsgx::inproc
