/* The SGX SDK's secure-alignment allocation API (sgx_secure_align_api.h),
 * written from its documented interface.
 *
 * Why it exists: Intel-SA-00219 (CVE-2019-0117) — on affected processors
 * the first two DWORDs (bytes 0..7) of a 64-byte cache line of enclave
 * memory can leak, and Intel's guidance is to keep secrets out of them.
 * These calls place a structure so that every byte of the fields named
 * secret (offset, length pairs) lies at bytes 8..63 of its cache line.
 * The same enclave image runs on SGX hardware, so the placement is real
 * here too, whether or not the backend's memory needs it. */
#ifndef SGX_SECURE_ALIGN_API_H_
#define SGX_SECURE_ALIGN_API_H_

#include <stddef.h>
#include <stdint.h>

typedef struct {
  size_t offset; /* of a secret field in the structure */
  size_t len;    /* its length in bytes */
} align_req_t;

#ifdef __cplusplus
extern "C" {
#endif

/* A block of `size` bytes at a multiple of `alignment` (a power of 2) whose
 * secret fields (`count` pairs in `data`; none given, count 0: the whole
 * block is secret) avoid bytes 0..7 of every cache line. NULL when the
 * arguments are invalid (alignment not a power of 2, a field outside the
 * block, size 0), when no placement exists (a secret run longer than 56
 * bytes always covers the start of a line), or when memory is short.
 * Freed with sgx_aligned_free only. */
void* sgx_aligned_malloc(size_t size, size_t alignment, align_req_t* data, size_t count);
void sgx_aligned_free(void* ptr);

/* The same placement inside memory the caller owns: a pointer into
 * [raw, raw + raw_size) for `allocate_size` bytes, or NULL. Enough memory
 * always: allocate_size + 72 bytes when alignment <= 8, allocate_size + 64
 * + alignment otherwise. */
void* sgx_get_aligned_ptr(void* raw, size_t raw_size, size_t allocate_size, size_t alignment, align_req_t* data,
                          size_t count);

#ifdef __cplusplus
}
#endif

#endif
