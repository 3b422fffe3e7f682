/* Calling-convention and linkage macros of the SGX SDK's interface
 * (nestedsgx, SGX SDK source-compatible). On Linux x86-64 there is one
 * calling convention, so the convention macros are empty. */
#ifndef _SGX_DEFS_H_
#define _SGX_DEFS_H_

#define SGX_WEAK __attribute__((weak))

#ifndef SGX_CDECL
#define SGX_CDECL
#endif
#ifndef SGX_STDCALL
#define SGX_STDCALL
#endif
#ifndef SGX_FASTCALL
#define SGX_FASTCALL
#endif
#define SGX_NOCONVENTION
/* The SDK's default for its API functions (sgx_tcrypto.h, sgx_dh.h, ...). */
#ifndef SGXAPI
#define SGXAPI SGX_NOCONVENTION
#endif
#define SGX_DLLIMPORT
#define SGX_UBRIDGE(attr, fname, args...) attr fname args

#ifdef __cplusplus
#define SGX_EXTERNC extern "C"
#else
#define SGX_EXTERNC
#endif

#define SGX_NOTHROW __attribute__((nothrow))
#define SGX_PACKED __attribute__((packed))
#define SGX_ALIGNED(x) __attribute__((aligned(x)))

#endif
