// What a parent enclave hands the enclave of a new program (docs/libos.md,
// "Processes"): the program's path, argv, envp, pids and the descriptors
// it inherits. It crosses the untrusted host (libos_spawn.edl), which may
// change any byte of it: decode_request bounds-checks everything, and the
// new enclave still decides what the path may be (a trusted file of its
// manifest, hash-checked) and which descriptors it accepts.
//
// Layout (little endian, no padding): u32 magic 'NSPR', u32 version 3,
// i32 pid (0: the host process's), i32 ppid, u64 ignored signals and u64
// blocked signals (bit sig - 1; never SIGKILL or SIGSTOP: what execve
// keeps, Linux's execve(2)), u32 path length + bytes, u32 working
// directory length + bytes (the caller's inside; empty: the host's),
// u32 argc + (u32 length + bytes)*, u32 envc + (u32 length + bytes)*,
// u32 nfds + (i32 fd, u8 kind, u8 stream or device, u16 0, i32 domain,
// u64 offset, u32 flags, and for a protected file u32 path length +
// bytes)*.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "libos/enclave/file_table.h"

namespace nsgx::libos {

struct InheritedFd {
  int32_t fd = -1;  // the library OS's descriptor; its host descriptor has the same number in the new process
  FdKind kind = FdKind::kFree;
  StreamKind stream = StreamKind::kPipe;
  int32_t domain = 0;
  uint64_t offset = 0;
  Device device = Device::kNull;  // kDevice: which (devices.h); no host descriptor
  uint32_t flags = 0;             // kDevice: its O_ACCMODE, O_APPEND and O_NONBLOCK; kEncrypted: O_ACCMODE, O_APPEND
  std::string path;               // kEncrypted: the protected file, opened anew by the new enclave
};

struct SpawnRequest {
  int32_t pid = 0, ppid = 0;
  // Signals the execve'ing thread ignored (SIG_IGN) and blocked: Linux
  // keeps both across execve; handled signals go back to SIG_DFL.
  uint64_t ignored = 0, blocked = 0;
  std::string path;
  // The caller's working directory inside, which execve keeps; the new
  // enclave takes it only if it is absolute and normal (set_cwd).
  std::string cwd;
  std::vector<std::string> argv, envp;
  std::vector<InheritedFd> fds;
};

constexpr size_t kMaxRequest = size_t{1} << 20;  // argv and envp together stay far below (Linux: 2 MiB by default)
constexpr size_t kMaxStrings = 4096;

std::vector<uint8_t> encode_request(const SpawnRequest& r);
// False with `why` if `b` is not a well-formed request: sizes beyond the
// buffer or the limits, a string with a NUL inside, a descriptor out of
// range or twice, a kind that cannot be inherited.
bool decode_request(const uint8_t* b, size_t len, SpawnRequest& out, std::string& why);

}  // namespace nsgx::libos
