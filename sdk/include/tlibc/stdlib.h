/* tlibc (see stddef.h): the enclave heap (sdk/trts/heap.c) and abort. */
#ifndef NSGX_TLIBC_STDLIB_H
#define NSGX_TLIBC_STDLIB_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void* malloc(size_t n);
void* calloc(size_t count, size_t size);
void* realloc(void* p, size_t n);
void free(void* p);
__attribute__((__noreturn__)) void abort(void);
#ifdef __cplusplus
}
#endif
#endif
