/* tlibc (see stddef.h): the string functions of the trusted runtime (sdk/trts/tlibc.c). */
#ifndef NSGX_TLIBC_STRING_H
#define NSGX_TLIBC_STRING_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
#ifdef __cplusplus
}
#endif
#endif
