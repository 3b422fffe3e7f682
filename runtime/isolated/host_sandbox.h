// The enclave host's seccomp filters (docs/isolated.md, "Protected from
// enclave code"), apart from host_main.cc so that they can be tested alone
// (host_sandbox_test.cc) and read as one policy.
//
//   if (const char* why = install_elrange_filter(base, size)) die(why);
//   if (const char* why = install_host_filter(kChannel)) die(why);
//
// Both apply to every thread of the process (SECCOMP_FILTER_FLAG_TSYNC) and
// to the threads it starts later; neither can be removed.
#pragma once

#include <cstdint>

namespace nsgx::isolated {

// Filter 1: every system call whose RIP lies in ELRANGE [base, base+size)
// raises SIGSYS (the host reports it as #UD, as SYSCALL in an enclave does);
// a non-x86-64 system call kills the process. `size` a power of two and
// `base` aligned to it (ECREATE's rule). Also sets no_new_privs. nullptr,
// or what failed.
const char* install_elrange_filter(std::uint64_t base, std::uint64_t size);

// Filter 2: what the host's own code may do after start-up — its channel
// (sendmsg/recvmsg on `channel`), write to stderr, futex, signal and memory
// management, clone for threads, arch_prctl(ARCH_SET_FS/GS), exit. Memory
// management is anonymous only: mmap without MAP_ANONYMOUS (a mapping of a
// descriptor) fails with EACCES, so code that takes over the host cannot
// map anything it has not been given. Any other call raises SIGSYS.
// `app_fd` (if >= 0): the application's memory (app_memory.h), which the
// host may pread64/pwrite64 and whose pages it moves into place with mremap.
// `maps_fd` (if >= 0): the application's /proc/self/maps, on which the host
// may ask PROCMAP_QUERY (procmap_query.h) and nothing else — or, with
// `maps_text` (kernels before 6.11, app_memory.h), pread64 its text and
// nothing else.
// `remap`: mremap even without `app_fd` (a debug enclave's host shares a
// private code page again with it). `debug_fd` (if >= 0): a debug
// enclave's debugging channel, on which the host's stub may sendmsg and
// recvmsg like on its channel. nullptr, or what failed.
const char* install_host_filter(int channel, int app_fd = -1, int maps_fd = -1, bool maps_text = false,
                                bool remap = false, int debug_fd = -1);

}  // namespace nsgx::isolated
