// The hostile host's lies about processes (tests only, linked into
// nsgx-libos-host-hostile with -Wl,--wrap, as hostile_ocalls.cc):
// NSGX_LIBOS_FAULT chooses one; the library OS must refuse each
// (docs/libos.md "Processes", Iago checks).
//   spawn-pid      a spawn answers pid 1 (init's, never a new child's)
//   wait-pid       a waitpid answers the child's pid + 1 (not a child)
//   wait-status    a waitpid answers 0x137f (a stopped child, never asked for)
//   request-short  a started process is given its request one byte short
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "libos_u.h"

namespace {

bool fault(const char* name) {
  const char* f = std::getenv("NSGX_LIBOS_FAULT");
  return f != nullptr && std::strcmp(f, name) == 0;
}

}  // namespace

extern "C" {
int64_t __real_libos_spawn_ocall(const uint8_t* request, size_t len, const libos_inherited_fd* fds, size_t nfds);
int64_t __real_libos_wait_ocall(int32_t pid, int32_t nohang, int32_t* wstatus);
sgx_status_t __real_libos_run_spawned(sgx_enclave_id_t eid, int* retval, const uint8_t* request, size_t len,
                                      int32_t host_pid, int trace);

int64_t __wrap_libos_spawn_ocall(const uint8_t* request, size_t len, const libos_inherited_fd* fds, size_t nfds) {
  const int64_t r = __real_libos_spawn_ocall(request, len, fds, nfds);
  return r > 0 && fault("spawn-pid") ? 1 : r;
}

int64_t __wrap_libos_wait_ocall(int32_t pid, int32_t nohang, int32_t* wstatus) {
  const int64_t r = __real_libos_wait_ocall(pid, nohang, wstatus);
  if (r > 0 && fault("wait-pid")) return r + 1;
  if (r > 0 && fault("wait-status")) *wstatus = 0x137f;
  return r;
}

sgx_status_t __wrap_libos_run_spawned(sgx_enclave_id_t eid, int* retval, const uint8_t* request, size_t len,
                                      int32_t host_pid, int trace) {
  if (fault("request-short") && len > 0) --len;
  return __real_libos_run_spawned(eid, retval, request, len, host_pid, trace);
}
}
