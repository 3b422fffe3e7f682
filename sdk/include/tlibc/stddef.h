/* tlibc: the C library headers of enclave code compiled with -nostdinc, as
 * the SGX SDK's samples compile it (-I$(SGX_SDK)/include/tlibc). They declare
 * what the trusted runtime (sdk/trts) implements, nothing more: a call to
 * anything else fails at compile time instead of at enclave link time.
 * Types come from the compiler's predefined macros (GCC and Clang). */
#ifndef NSGX_TLIBC_STDDEF_H
#define NSGX_TLIBC_STDDEF_H
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
#ifndef __cplusplus
typedef __WCHAR_TYPE__ wchar_t;
#endif
typedef struct {
  long long nsgx_ll __attribute__((__aligned__(__alignof__(long long))));
  long double nsgx_ld __attribute__((__aligned__(__alignof__(long double))));
} max_align_t;
#ifndef NULL
#ifdef __cplusplus
#define NULL nullptr
#else
#define NULL ((void*)0)
#endif
#endif
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
