// A strict, bounds-checked reader for the ELF64 shared objects SGX enclaves
// are built as. It accepts what the SGX SDK's loader accepts (ELF64, little
// endian, ET_DYN, x86-64, a PT_DYNAMIC) and checks every offset and size
// against the file before anything else reads it.
//
// Hand-written on purpose: the SDK's `.note.sgxmeta` note places its
// descriptor unaligned (12 + namesz bytes into the section), which generic
// note iterators (libelf's included) read at the padded offset; and we need
// the SDK's own validation rules (segment overlap, alignment) anyway. It is
// small and fuzzed (tests/fuzz/image_fuzz.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace nsgx::image {

struct ElfSegment {
  std::uint32_t type = 0;
  std::uint32_t flags = 0;  // PF_R/PF_W/PF_X
  std::uint64_t offset = 0;
  std::uint64_t vaddr = 0;
  std::uint64_t filesz = 0;
  std::uint64_t memsz = 0;
  std::uint64_t align = 0;
};

struct ElfSection {
  std::string name;
  std::uint32_t type = 0;
  std::uint64_t flags = 0;
  std::uint64_t addr = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t addralign = 0;
};

struct ElfDynamic {
  std::int64_t tag = 0;
  std::uint64_t value = 0;
};

class ElfFile {
 public:
  // Parses and validates; the span must outlive the ElfFile.
  static Result<ElfFile> parse(ByteSpan file);

  ByteSpan bytes() const { return file_; }
  std::uint64_t entry() const { return entry_; }
  const std::vector<ElfSegment>& segments() const { return segments_; }
  const std::vector<ElfSection>& sections() const { return sections_; }
  const std::vector<ElfDynamic>& dynamic() const { return dynamic_; }

  const ElfSection* find_section(std::string_view name) const;
  std::optional<std::uint64_t> dynamic_value(std::int64_t tag) const;
  // A symbol of .dynsym (located through the section headers) by name: its
  // value and size; nullopt when absent, undefined, or the tables are bad.
  struct Symbol {
    std::uint64_t value = 0, size = 0;
    std::uint8_t type = 0;  // STT_*
  };
  std::optional<Symbol> find_dynamic_symbol(std::string_view name) const;
  // File offset of virtual address `vaddr` (`len` bytes) inside a PT_LOAD's file image.
  std::optional<std::uint64_t> vaddr_to_offset(std::uint64_t vaddr, std::uint64_t len) const;

 private:
  ByteSpan file_;
  std::uint64_t entry_ = 0;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSection> sections_;
  std::vector<ElfDynamic> dynamic_;
};

}  // namespace nsgx::image
