// The files a dynamically linked program loads (docs/libos.md, M3): its
// interpreter (PT_INTERP) and the shared libraries of its DT_NEEDED
// closure, resolved as the library OS enclave's ld.so will resolve them,
// for `nsgx run` and `nsgx libos build` to make them trusted files.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "libos/manifest/manifest.h"

namespace nsgx::cli {

// The interpreter's path (as PT_INTERP names it) followed by each library
// path the host's ld.so finds, with `ld.so --inhibit-cache --list PROGRAM`
// (ld.so(8)): inside, /etc/ld.so.cache is refused, so ld.so searches
// LD_LIBRARY_PATH (the manifest's loader.env, passed as --library-path),
// the program's RUNPATH and the default directories, which is what
// --inhibit-cache makes the host's do. Empty for a program without
// PT_INTERP, or that is not an ELF file (the enclave refuses that itself,
// with its reason). An error when a library cannot be found.
Result<std::vector<std::string>> dynamic_closure(const std::string& program, const std::string& library_path);

// PT_INTERP of ELF file `program`; empty if it has none or is no ELF file.
std::string elf_interpreter(const std::string& program);

// The programs that run when `program` is started: itself, or when it is
// a script (libos/enclave/shebang.h) its interpreter, followed as Linux's
// binfmt_script does (kShebangDepth levels); and for `#!/usr/bin/env NAME`
// also the NAME that env's execvp finds in `path` (the manifest's PATH,
// or glibc's default "/bin:/usr/bin" without one), if it finds one.
// Interpreters' paths made absolute against the current directory, as
// the enclave resolves them. A malformed script stops the chain: the
// enclave refuses it with its reason.
std::vector<std::string> program_chain(const std::string& program, const std::string& path);

// Adds the closure of `m`'s entrypoint and of every other trusted
// executable file to its trusted files (their SHA-256 to be filled from
// the files: appended to `unhashed`): a script's interpreters
// (program_chain), and each ELF program's dynamic closure — so that a
// program the entrypoint execs finds its libraries. Files already trusted
// stay as they are. For the entrypoint, a file of its closure the
// manifest lists as allowed, or a closure that cannot be resolved, is an
// error; another program's closure is followed only where that is safe
// on the building host (libos_deps.cc) and adds nothing where it fails.
// A file that lies in one of the manifest's trusted directories is that
// directory's to trust: it is not added, and for the entrypoint's closure
// it is appended to `covered` (for list_trusted_dirs to check). The
// programs in a trusted directory get no closure of their own: trust
// their libraries' directories too, or list the programs as files.
Status add_dynamic_closure(libos::Manifest& m, std::vector<std::string>& unhashed,
                           std::vector<std::string>* covered = nullptr);

// Whether a trusted file is an x86-64 ELF executable with fixed addresses
// (ET_EXEC, not position-independent: Debian's python3), which only an
// enclave at base 0 can hold (docs/libos.md, "Non-PIE programs"). Only the
// headers are read; the enclave checks each whole file when it loads it.
bool fixed_address_programs(const libos::Manifest& m);

}  // namespace nsgx::cli
