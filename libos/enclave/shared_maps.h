// MAP_SHARED mappings of the host's files (docs/libos.md, "Shared file
// mappings"). An enclave page cannot be the host's page-cache page, so such
// a mapping is a copy in enclave memory, read through the POSIX layer's
// pread when it is made (syscalls_mm.cc) and written back here with pwrite
// at msync, at munmap or an mmap over it, and when the program ends — up to
// the file's size at that moment: a mapping never grows its file (Linux
// drops what lies past the end in the last page too; its SIGBUS beyond
// that page is not emulated).
//
// Only what the program changed is written: a shadow copy of the mapping
// (library OS pages) holds the bytes as last read or written, and each
// page's span from its first to its last changed byte goes to the file.
// Writing whole mappings back would overwrite what another writer put in
// the file meanwhile, in pages this program never touched.
//
// Not emulated: coherence with the file's other users between write-backs
// (read and write of the file in this process, other processes), and
// sharing with a fork child, which gets a copy (as anonymous MAP_SHARED
// memory, "Processes"). Enough for a program that keeps its own shared
// memory in a file, as SQLite's WAL index (the -shm file) in one process.
//
// Every function runs under g_memory_lock (spin_lock.h), as the mm calls
// that use them; the write-back's OCALLs run under it as the file
// mappings' preads do. While a mapping of an encrypted file is tracked,
// the encrypted files' lock, which comes before the memory lock, must be
// held too (shared_maps_encrypted; syscalls.cc takes both).
#pragma once

#include <stdint.h>

namespace nsgx::libos {

struct Fd;

// Whether a mapping of an encrypted file is tracked: a hint without the
// memory lock, the truth under it.
bool shared_maps_encrypted();

// Records region pages [first, first + n), already filled from the file
// of descriptor `f` (an allowed or an encrypted file's, open for writing),
// as a shared mapping of that file from offset `off`, with their shadow.
// The mapping holds the file itself, the program may close `f`: an
// encrypted file through a reference of its own to the handle; an allowed
// file through one host descriptor per file (by the host's device and
// inode), a dup of the program's kept until the program ends — closing it
// at munmap would drop the process's record locks on the file, as closing
// any descriptor of a file does (SQLite remaps its database holding them).
// 0, or -errno (ENOMEM) with nothing recorded.
long shared_map_track(uint64_t first, uint64_t n, const Fd& f, uint64_t off);

// Writes back the tracked pages in [first, first + n); with `forget` they
// are no longer tracked (munmap, an mmap over them), the rest of each
// mapping staying as it was. 0, or the first write-back's -errno.
long shared_map_write_back(uint64_t first, uint64_t n, bool forget);

// At the program's end: every mapping written back and forgotten, the
// descriptors closed.
void shared_map_end();

}  // namespace nsgx::libos
