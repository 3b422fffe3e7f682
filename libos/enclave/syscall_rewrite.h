// Load-time system-call rewriting (docs/libos.md, "Load-time system-call
// rewriting"): in the enclave's copy of a trusted file's executable bytes,
// before the program can run them, each site syscall_sites.h finds —
// `mov $nr, %eax` (then register-only instructions), `syscall` — has its
// `mov` replaced by a `jmp rel32` to a stub of its own in enclave memory,
// which reaches the same dispatch as the #UD path without a trap
// (syscall_stub.S states the register contract) and jumps back past the
// `syscall`. The `0F 05` stays: code that jumps straight to it still traps.
// Numbers that need the SSA frame (arch_prctl's FS) or that other paths
// own (rt_sigreturn, vfork) are never rewritten. Off when the manifest
// says `libos.syscall_rewrite = false`.
//
// Usage (the loaders, after copying a trusted file's bytes):
//   rewrite_image(file, size, base);              // an image at base + p_vaddr (elf_loader.cc)
//   rewrite_mapping(file, size, off, len, at);    // file bytes [off, off + len) at `at` (mmap)
#pragma once

#include <stdint.h>

namespace nsgx::libos {

// Rewrites the sites of the ELF image `file` (a trusted file's checked
// copy) loaded at `base` (each PT_LOAD's bytes at base + p_vaddr).
void rewrite_image(const uint8_t* file, uint64_t size, uint64_t base);
// Rewrites the sites whose bytes lie in the file range [off, off + len),
// mapped at `at` (a file-backed executable mmap).
void rewrite_mapping(const uint8_t* file, uint64_t size, uint64_t off, uint64_t len, uint8_t* at);

// With --trace: how many sites were rewritten and how many system calls
// came through a stub and through the trap (the test's proof).
void rewrite_report();
// Counts one system call that came through the #UD path (syscalls.cc).
void count_trapped_syscall();

}  // namespace nsgx::libos
