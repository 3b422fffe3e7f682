// Loading the program's image (ELF64, System V gABI; x86-64 psABI) into
// the user region (user_region.h).
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

namespace nsgx::libos {

struct LoadedImage {
  uint64_t base = 0, entry = 0, phdr = 0, phnum = 0;  // addresses in the user region
};

// Maps the static-PIE program in `file` (the whole file, already copied
// into enclave memory and checked against the manifest) at a page-aligned
// base in the user region. Every header and segment is bounds-checked
// against the file's bytes; on failure `why` names `path` and the reason.
bool load_program(std::string_view path, const uint8_t* file, uint64_t size, LoadedImage& out, std::string& why);

}  // namespace nsgx::libos
