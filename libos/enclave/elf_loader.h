// Loading the program's image (ELF64, System V gABI; x86-64 psABI) into
// the user region (user_region.h).
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

namespace nsgx::libos {

struct LoadedImage {
  uint64_t base = 0, entry = 0, phdr = 0, phnum = 0;  // addresses in the user region
  std::string interp;                                 // PT_INTERP's path, empty for a static-PIE program
};

// Maps the position-independent (ET_DYN) ELF image in `file` (the whole
// file, already copied into enclave memory and checked against the
// manifest) at a page-aligned base in the user region; its pages become
// the program's (user_region.h: program_owns), as the kernel's mappings of
// a program and its interpreter are. Every header and segment is
// bounds-checked against the file's bytes; the program header table
// (AT_PHDR) must lie inside a PT_LOAD segment's file bytes. A PT_INTERP is
// returned in `out.interp` when `allow_interp`, refused otherwise (an
// interpreter has none). On failure `why` names `path` and the reason.
bool load_elf(std::string_view path, const uint8_t* file, uint64_t size, bool allow_interp, LoadedImage& out,
              std::string& why);

}  // namespace nsgx::libos
