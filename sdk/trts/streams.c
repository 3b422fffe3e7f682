/* The C library's standard streams inside an enclave: stdout and stderr
 * write through the print OCALL (nsgx_oc_print_string, sdk/edl/nsgx_tstdio.edl)
 * when the enclave imports it, and are silent otherwise, as printf is
 * (stdio.c). An enclave has no files: every other stream, and stdin, fails
 * with EBADF. libstdc++'s terminate handler ("terminate called after
 * throwing ...") and pure-virtual handler print through these. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sgx_error.h"
#include "trts_internal.h"

extern sgx_status_t nsgx_oc_print_string(const char* str) __attribute__((weak, visibility("hidden")));

/* glibc's <stdio.h> declares these as FILE pointers; only their identity is used. */
static FILE stdin_file, stdout_file, stderr_file;
FILE* stdin = &stdin_file;
FILE* stdout = &stdout_file;
FILE* stderr = &stderr_file;

/* Weak, like the unavailable functions (libc_ext.c): an enclave that
 * routes output its own way defines these, and its definitions win. */
#define OVERRIDABLE __attribute__((weak))

static int is_output(const FILE* f) { return f == &stdout_file || f == &stderr_file; }

/* Writes n bytes (NULs included, which the OCALL's string cannot carry, are
 * dropped) through the print OCALL in NUL-terminated pieces. */
static int emit(const char* p, size_t n) {
  if (nsgx_oc_print_string == NULL) return 0;
  char piece[256];
  size_t used = 0;
  for (size_t i = 0; i <= n; ++i) {
    if (i < n && p[i] != '\0') piece[used++] = p[i];
    if ((i == n || used == sizeof piece - 1) && used > 0) {
      piece[used] = '\0';
      if (nsgx_oc_print_string(piece) != SGX_SUCCESS) {
        errno = EIO;
        return -1;
      }
      used = 0;
    }
  }
  return 0;
}

OVERRIDABLE size_t fwrite(const void* p, size_t size, size_t n, FILE* f) {
  if (!is_output(f)) {
    errno = EBADF;
    return 0;
  }
  if (size == 0 || n == 0) return 0;
  if (n > (size_t)-1 / size) {
    errno = EINVAL;
    return 0;
  }
  return emit(p, size * n) == 0 ? n : 0;
}

OVERRIDABLE int fputs(const char* s, FILE* f) {
  if (!is_output(f)) {
    errno = EBADF;
    return EOF;
  }
  return emit(s, strlen(s)) == 0 ? 1 : EOF;
}

OVERRIDABLE int fputc(int c, FILE* f) {
  const char ch = (char)c;
  if (!is_output(f)) {
    errno = EBADF;
    return EOF;
  }
  return emit(&ch, 1) == 0 ? (unsigned char)c : EOF;
}

OVERRIDABLE int putc(int c, FILE* f) { return fputc(c, f); }

OVERRIDABLE int fflush(FILE* f) {
  if (f != NULL && !is_output(f)) {
    errno = EBADF;
    return EOF;
  }
  return 0; /* every write above is complete when it returns */
}

/* File descriptors 1 and 2 are the standard output and error streams. */
OVERRIDABLE ssize_t write(int fd, const void* p, size_t n) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  if ((ssize_t)n < 0) {
    errno = EINVAL;
    return -1;
  }
  return emit(p, n) == 0 ? (ssize_t)n : -1;
}
