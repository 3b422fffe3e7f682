// The hostile host's lies about processes (tests only, linked into
// nsgx-libos-host-hostile with -Wl,--wrap, as hostile_ocalls.cc):
// NSGX_LIBOS_FAULT chooses one; the library OS must refuse each
// (docs/libos.md "Processes", Iago checks).
//   spawn-pid      a spawn answers pid 1 (init's, never a new child's)
//   wait-pid       a waitpid answers the child's pid + 1 (not a child)
//   wait-status    a waitpid answers 0x137f (a stopped child, never asked for)
//   request-short  a started process is given its request one byte short
//   request-ignore-kill  ... with SIGKILL in its ignored signals (bit 8 of the
//                  u64 at offset 16, spawn_request.h), which no execve keeps
//   fork-flip      a fork checkpoint reaches the child with one byte flipped
//   fork-replay    a fork checkpoint is run a second time, in a second
//                  child given the first child's confirmation
//   pgrp-id        getpgid and getsid answer 2^22 (beyond every pid),
//                  setsid the new session's id + 1 (not the caller's)
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "libos_u.h"

namespace {

bool fault(const char* name) {
  const char* f = std::getenv("NSGX_LIBOS_FAULT");
  return f != nullptr && std::strcmp(f, name) == 0;
}

// What the host saw of the last fork, to replay it.
std::vector<uint8_t> g_checkpoint;
size_t g_puts = 0;
uint64_t g_base = 0;
std::vector<libos_inherited_fd> g_fds;

}  // namespace

extern "C" {
int64_t __real_libos_spawn_ocall(const uint8_t* request, size_t len, const libos_inherited_fd* fds, size_t nfds,
                                 int32_t pgroup, int32_t new_session);
int64_t __real_libos_wait_ocall(int32_t pid, int32_t nohang, int32_t* wstatus);
int64_t __real_libos_pgrp_ocall(int32_t op, int32_t pid, int32_t pgid);
sgx_status_t __real_libos_run_spawned(sgx_enclave_id_t eid, int* retval, const uint8_t* request, size_t len,
                                      int32_t host_pid, int trace);

int64_t __real_libos_fork_put_ocall(int32_t first, const uint8_t* data, size_t len);
int64_t __real_libos_fork_start_ocall(uint64_t base, const libos_inherited_fd* fds, size_t nfds, uint8_t* hello);
int64_t __real_libos_fork_confirm_ocall(int32_t pid, const uint8_t* confirm);

int64_t __wrap_libos_fork_put_ocall(int32_t first, const uint8_t* data, size_t len) {
  if (first != 0) {
    g_checkpoint.clear();
    g_puts = 0;
  }
  ++g_puts;
  g_checkpoint.insert(g_checkpoint.end(), data, data + len);
  // The first chunk after the header (u32 length, u8 last, ciphertext):
  // one ciphertext byte flipped.
  if (fault("fork-flip") && g_puts == 2 && len > 5 + 100) {
    std::vector<uint8_t> bad(data, data + len);
    bad[5 + 100] ^= 0x01;
    return __real_libos_fork_put_ocall(first, bad.data(), bad.size());
  }
  return __real_libos_fork_put_ocall(first, data, len);
}

int64_t __wrap_libos_fork_start_ocall(uint64_t base, const libos_inherited_fd* fds, size_t nfds, uint8_t* hello) {
  g_base = base;
  g_fds.assign(fds, fds + nfds);
  return __real_libos_fork_start_ocall(base, fds, nfds, hello);
}

int64_t __wrap_libos_fork_confirm_ocall(int32_t pid, const uint8_t* confirm) {
  const int64_t r = __real_libos_fork_confirm_ocall(pid, confirm);
  if (!fault("fork-replay")) return r;
  // The same checkpoint once more, to a second child, which gets the only
  // confirmation the host has: the first child's. It must refuse; it is
  // waited for here, so that its message comes before the program's next.
  if (__real_libos_fork_put_ocall(1, g_checkpoint.data(), g_checkpoint.size()) != 0) return r;
  uint8_t hello[32];
  const int64_t second = __real_libos_fork_start_ocall(g_base, g_fds.data(), g_fds.size(), hello);
  if (second <= 0) return r;
  (void)__real_libos_fork_confirm_ocall(static_cast<int32_t>(second), confirm);
  int st = 0;
  while (waitpid(static_cast<pid_t>(second), &st, 0) < 0 && errno == EINTR) {
  }
  std::fprintf(stderr, "hostile host: the replayed fork child ended with status %d\n",
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return r;
}

int64_t __wrap_libos_spawn_ocall(const uint8_t* request, size_t len, const libos_inherited_fd* fds, size_t nfds,
                                 int32_t pgroup, int32_t new_session) {
  const int64_t r = __real_libos_spawn_ocall(request, len, fds, nfds, pgroup, new_session);
  return r > 0 && fault("spawn-pid") ? 1 : r;
}

int64_t __wrap_libos_wait_ocall(int32_t pid, int32_t nohang, int32_t* wstatus) {
  const int64_t r = __real_libos_wait_ocall(pid, nohang, wstatus);
  if (r > 0 && fault("wait-pid")) return r + 1;
  if (r > 0 && fault("wait-status")) *wstatus = 0x137f;
  return r;
}

int64_t __wrap_libos_pgrp_ocall(int32_t op, int32_t pid, int32_t pgid) {
  const int64_t r = __real_libos_pgrp_ocall(op, pid, pgid);
  if (!fault("pgrp-id") || r < 0) return r;
  if (op == 0 || op == 1) return int64_t{1} << 22;  // getpgid, getsid
  return op == 3 ? r + 1 : r;                       // setsid
}

sgx_status_t __wrap_libos_run_spawned(sgx_enclave_id_t eid, int* retval, const uint8_t* request, size_t len,
                                      int32_t host_pid, int trace) {
  if (fault("request-short") && len > 0) --len;
  std::vector<uint8_t> changed;
  if (fault("request-ignore-kill") && len >= 24) {
    changed.assign(request, request + len);
    changed[17] |= 1;  // SIGKILL: bit 8 of the ignored set (little endian, from offset 16)
    request = changed.data();
  }
  return __real_libos_run_spawned(eid, retval, request, len, host_pid, trace);
}
}
