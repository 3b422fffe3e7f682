// The program's initial stack (x86-64 psABI 3.4.1, "Initial Stack and
// Register State"): argc, argv, envp and auxv as a Linux kernel lays them
// out for a static program.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "libos/enclave/elf_loader.h"
#include "libos/manifest/manifest.h"

namespace nsgx::libos {

// Builds argc, argv, envp and auxv below `top` (downwards, 16-byte
// aligned), with their strings above them: argv from `args` (NUL-separated,
// `args_len` bytes; for the first program the caller has applied the
// manifest's loader.argv, argv0_override and a script's interpreter, as
// libos_enclave.cc first_program does); the environment from the manifest
// only; AT_EXECFN the manifest's entrypoint; AT_PHDR, AT_PHNUM and
// AT_ENTRY are the program's (`img`), AT_BASE the interpreter's base (0
// without one). Returns the program's initial RSP, or 0 if it does not fit
// in `room` bytes.
//
// A program started by execve (syscalls_spawn.h) passes `exec`: its
// environment is exec->env (NAME=VALUE strings), AT_EXECFN its path, and
// its argv is `args` as the caller of execve gave it (never the manifest's).
struct ExecStart {
  std::string path;
  std::vector<std::string> env;
};
uint64_t build_stack(uint64_t top, uint64_t room, const char* args, size_t args_len, const LoadedImage& img,
                     uint64_t interp_base, const Manifest& manifest, const ExecStart* exec = nullptr);

}  // namespace nsgx::libos
