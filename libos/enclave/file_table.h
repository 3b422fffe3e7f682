// The program's files (docs/libos.md): trusted files' checked copies in
// enclave memory and the descriptor table. Which paths are trusted,
// allowed or refused is the manifest's (libos/manifest/manifest.h); the
// system calls (syscalls.cc) decide with it and install descriptors here.
#pragma once

#include <stdint.h>

#include <string>

#include "libos/enclave/devices.h"
#include "libos/manifest/manifest.h"

namespace nsgx::libos {

// A trusted file's bytes, copied into the user region and checked against
// the manifest's SHA-256; lives as long as the enclave.
struct TrustedCopy {
  std::string path;
  uint8_t* data = nullptr;
  uint64_t size = 0;
};

// The copy of `tf`, read whole through the POSIX layer's checked OCALLs on
// first use; nullptr with `why` (naming the file) if it cannot be read or
// does not match.
const TrustedCopy* load_trusted(const TrustedFile& tf, std::string& why);

// fork (syscalls_fork.h): the copies one by one (nullptr past the last),
// and a fork child's adoption of its parent's, whose bytes came with the
// pages of the authenticated checkpoint (the parent checked them).
const TrustedCopy* trusted_copy_at(size_t i);
const TrustedCopy* adopt_trusted_copy(const std::string& path, uint8_t* data, uint64_t size);

// kStream: a host descriptor without an offset the library OS keeps —
// pipes, eventfds, sockets and epoll instances (syscalls_io.cc,
// syscalls_poll.cc); `stream` says which. kEncrypted: a protected file
// (encrypted_files.h). kDevice: one of the library OS's own devices
// (devices.h), no host descriptor. kDirectory: a directory inside
// (syscalls_dir.h), no host descriptor.
enum class FdKind { kFree, kHostStdio, kTrusted, kHost, kStream, kEncrypted, kDevice, kDirectory };
enum class StreamKind : uint8_t { kPipe, kEventfd, kSocket, kEpoll };
struct EpollSet;         // syscalls_poll.cc
struct EncryptedHandle;  // encrypted_files.h
struct Fd {
  FdKind kind = FdKind::kFree;
  int host = -1;  // kHostStdio, kHost, kStream: the host's descriptor
  const TrustedCopy* copy = nullptr;
  uint64_t offset = 0;  // kTrusted, kHost (kEncrypted: the handle's)
  StreamKind stream = StreamKind::kPipe;
  bool cloexec = false;            // FD_CLOEXEC, kept here (execve honours it: syscalls_spawn.cc)
  int domain = 0;                  // kSocket: AF_*
  EpollSet* epoll = nullptr;       // kEpoll: the registrations the enclave keeps
  EncryptedHandle* enc = nullptr;  // kEncrypted: one reference (encrypted_files.h)
  Device device = Device::kNull;   // kDevice: which
  uint32_t flags = 0;              // kDevice, kDirectory: O_ACCMODE, O_APPEND, O_NONBLOCK (F_GETFL)
  // kDirectory: its path, interned (syscalls_dir.h: never freed, so a
  // thread that reads it while another closes the descriptor reads a
  // valid path), and getdents64's position in it.
  const std::string* dir = nullptr;
  uint64_t dir_pos = 0;
  // kHostStdio: the host descriptor is this entry's to close (a reopen's
  // through /dev/stdout, a vfork child's dup), not the host's own stdio.
  bool owned = false;
};
// Descriptors 0 .. kMaxFds - 1: Linux's default RLIMIT_NOFILE soft limit
// (getrlimit answers it), FD_SETSIZE (select), and below the host's
// request descriptor of a new process (libos/host/spawn_ocalls.h).
constexpr int kMaxFds = 1024;

// The open descriptor `fd`, or nullptr (out of range or free).
Fd* fd_at(int64_t fd);
// The lowest free descriptor, or -1.
int new_fd();
// The lowest free descriptor >= `min`, or -1.
int new_fd_from(int64_t min);
// Whether some descriptor of the table holds host descriptor `host`
// (a host that answers a descriptor already in use is lying: Iago).
bool host_fd_in_use(int host);
// Installs `f` at `fd` (0 <= fd < kMaxFds), or frees it (Fd{}).
void set_fd(int fd, const Fd& f);

}  // namespace nsgx::libos
