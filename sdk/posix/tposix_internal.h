/* Inside the POSIX layer (docs/posix.md): how an OCALL's answer is checked.
 *
 * Built into enclaves (library nsgx_tposix) and, renamed, natively for its
 * tests (NSGX_TPOSIX_TEST_NAMES: nsgx_tposix_open ..., beside glibc's), where
 * a fake host answers the OCALLs. */
#ifndef NSGX_TPOSIX_INTERNAL_H
#define NSGX_TPOSIX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nsgx_tposix.h"
#include "nsgx_tposix_t.h"
#include "sgx_error.h"

#ifdef NSGX_TPOSIX_TEST_NAMES
#define NSGX_POSIX(f) nsgx_tposix_##f
#else
#define NSGX_POSIX(f) f
#endif

/* Largest answer Linux gives as -errno (its MAX_ERRNO). */
#define NSGX_POSIX_MAX_ERRNO 4095
/* Bytes per read or write OCALL: larger transfers are split (the bridge
 * copies through the untrusted stack, which is small). */
#define NSGX_POSIX_IO_CHUNK ((size_t)64 * 1024)
/* Linux's SSIZE_MAX (ssize_t is long on x86-64) and PATH_MAX, spelled
 * here: a freestanding <limits.h> (clang's) does not have them. */
#define NSGX_POSIX_SSIZE_MAX ((size_t)INT64_MAX)
#define NSGX_POSIX_PATH_MAX ((size_t)4096)
/* File sizes and offsets the layer accepts from the host: 2^62 leaves room
 * for the arithmetic callers do on them (SQLite adds block sizes). */
#define NSGX_POSIX_MAX_FILE_SIZE (INT64_C(1) << 62)

/* The OCALL's answer r when the call went through (st) and 0 <= r <= max;
 * otherwise -1 with errno set: -errno from the host as it said (1..4095),
 * EIO for anything else (counted as refused), ENOMEM/EIO if the OCALL
 * itself failed. */
int64_t nsgx_tposix_checked(sgx_status_t st, int64_t r, int64_t max);
/* Counts one OCALL. */
void nsgx_tposix_count(void);
/* Counts a refused answer and sets errno to EIO; returns -1. */
int64_t nsgx_tposix_refuse(void);

#endif
