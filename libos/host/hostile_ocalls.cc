// A hostile host for tests only (linked into nsgx-libos-host-hostile with
// -Wl,--wrap): NSGX_LIBOS_FAULT chooses a lie the POSIX layer's OCALLs tell
// the enclave, so tests can check that the library OS refuses it (EIO) and
// goes on. Never part of nsgx-libos-host.
//   read-count     a read of fd 0 answers one byte more than asked
//   read-negative  a read of fd 0 answers -5000 (not an errno)
//   clock-back     CLOCK_MONOTONIC goes back by a second after its first answer
//   clock-range    a clock answers 2e9 nanoseconds
//   pread-count    every pread (allowed and encrypted files) answers one
//                  byte more than asked
//   pread-short    every pread reads and answers at most 100 bytes (true
//                  but short, as Linux may)
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" {
int64_t __real_nsgx_posix_read_ocall(int32_t fd, void* buf, size_t n);
int64_t __real_nsgx_posix_clock_gettime_ocall(int32_t clock, int64_t* sec, int64_t* nsec);
int64_t __real_nsgx_posix_pread_ocall(int32_t fd, void* buf, size_t n, int64_t offset);

namespace {
bool fault(const char* name) {
  const char* f = std::getenv("NSGX_LIBOS_FAULT");
  return f != nullptr && std::strcmp(f, name) == 0;
}
}  // namespace

int64_t __wrap_nsgx_posix_read_ocall(int32_t fd, void* buf, size_t n) {
  const int64_t r = __real_nsgx_posix_read_ocall(fd, buf, n);
  if (fd == 0 && fault("read-count")) return static_cast<int64_t>(n) + 1;
  if (fd == 0 && fault("read-negative")) return -5000;
  return r;
}

int64_t __wrap_nsgx_posix_pread_ocall(int32_t fd, void* buf, size_t n, int64_t offset) {
  if (fault("pread-short") && n > 100) n = 100;
  const int64_t r = __real_nsgx_posix_pread_ocall(fd, buf, n, offset);
  if (fault("pread-count")) return static_cast<int64_t>(n) + 1;
  return r;
}

int64_t __wrap_nsgx_posix_clock_gettime_ocall(int32_t clock, int64_t* sec, int64_t* nsec) {
  static int calls = 0;
  const int64_t r = __real_nsgx_posix_clock_gettime_ocall(clock, sec, nsec);
  if (fault("clock-range")) *nsec = 2000000000;
  if (fault("clock-back") && clock == 1 && calls++ > 0) *sec -= 1;
  return r;
}
}
