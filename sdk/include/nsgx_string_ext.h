/* The SGX SDK trusted libc's additions to <string.h> (sdk/trts/string_ext.c),
 * declared once for both ways enclave code sees <string.h>: the wrapper
 * over the C library's (tlibc_ext/string.h, nsgx_add_enclave) and the
 * standalone set for -nostdinc builds (tlibc/string.h). Needs size_t. */
#ifndef NSGX_STRING_EXT_H
#define NSGX_STRING_EXT_H

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
