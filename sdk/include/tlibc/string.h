/* <string.h> inside enclaves: the C library's, plus the functions the SGX
 * SDK's trusted libc adds to it and that SDK enclaves call without another
 * include — the bounds-checked copies (C11 Annex K style, as the SDK's
 * mbusafecrt provides them) and memcpy_verw. This directory comes first on
 * an enclave's include path (cmake/nsgx_enclave.cmake); the functions are in
 * the trusted runtime (sdk/trts/string_ext.c). */
#ifndef NSGX_TLIBC_STRING_H
#define NSGX_TLIBC_STRING_H

#include <stddef.h>
#include_next <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _ERRNO_T_DEFINED
#define _ERRNO_T_DEFINED
typedef int errno_t;
#endif

/* 0, or EINVAL (a null pointer, overlapping buffers) or ERANGE (count >
 * the destination's size); on an error the destination is zeroed if it
 * can be. */
errno_t memcpy_s(void* dest, size_t dest_size, const void* src, size_t count);
errno_t memmove_s(void* dest, size_t dest_size, const void* src, size_t count);
/* Sets min(n, smax) bytes (never optimised away); EINVAL for a null s,
 * ERANGE if n > smax. */
errno_t memset_s(void* s, size_t smax, int c, size_t n);
errno_t strncpy_s(char* dest, size_t dest_size, const char* src, size_t count);
/* A copy for an enclave that writes to untrusted memory. On SGX hardware
 * the SDK's version defends against MMIO stale-data leaks (8-byte aligned
 * stores, VERW); nestedsgx has no such hardware channel, so it is a copy
 * that is never elided. */
void* memcpy_verw(void* dst, const void* src, size_t n);
errno_t memcpy_verw_s(void* dst, size_t dst_size, const void* src, size_t count);

#ifdef __cplusplus
}
#endif

#endif
