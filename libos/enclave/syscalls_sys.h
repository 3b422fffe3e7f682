// System calls the servers of `nsgx bench libos` (redis-server, lighttpd)
// make that concern the process and the system rather than a descriptor
// (docs/libos.md, "Servers"): the legacy open, umask, prctl's thread
// name, sysinfo, and sendfile. Each answers inside except sendfile, which
// moves the bytes through the enclave with the existing read and write
// paths (syscalls.cc's fd_read/fd_write), so a trusted file's bytes are
// the checked copy's and an encrypted file's are decrypted and checked.
#pragma once

#include <stdint.h>

namespace nsgx::libos {

// umask: the program's mask (initially 022) is kept and answered; files
// the host creates get the host's own umask (recorded only: the host is
// untrusted for a file's mode anyway).
long sys_umask(uint64_t mask);
// prctl: PR_SET_NAME/PR_GET_NAME (one 16-byte name for the process; the
// host never sees it), PR_GET_DUMPABLE (0: an enclave cannot be dumped),
// PR_CAPBSET_READ EINVAL (no capabilities inside); anything else EINVAL,
// logged with --trace.
long sys_prctl(uint64_t option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
// sysinfo: uptime since the library OS started (the enclave's monotonic
// clock), the user region as total RAM and its unreserved pages as free,
// one process; no load averages, no swap (the host's are not the
// enclave's to report).
long sys_sysinfo(uint64_t out);
// sendfile(out, in, offset, count): `in` a trusted, allowed or encrypted
// file, `out` anything writable; through a 64 KiB bounce buffer inside.
long sys_sendfile(int64_t out_fd, int64_t in_fd, uint64_t offp, uint64_t count);
// copy_file_range(in, off_in, out, off_out, len, flags): between regular
// files of any kind inside (trusted, allowed, encrypted), as sendfile
// copies; flags must be 0; the offsets the program passes are updated,
// a descriptor's own offset moves when none is passed.
long sys_copy_file_range(int64_t in_fd, uint64_t in_offp, int64_t out_fd, uint64_t out_offp, uint64_t len,
                         uint64_t flags);

// syscalls.cc's read/write/lseek/fstat on any descriptor (buffers inside
// the enclave; `at` >= 0 a pread/pwrite position, -1 the descriptor's
// offset).
long fd_read(int64_t fd, uint64_t buf, uint64_t n, int64_t at);
long fd_write(int64_t fd, uint64_t buf, uint64_t n, int64_t at = -1);
long fd_lseek(int64_t fd, int64_t off, uint64_t whence);
long fd_fstat(int64_t fd, uint64_t out);

}  // namespace nsgx::libos
