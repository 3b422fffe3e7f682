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
char* strrchr(const char* s, int c);
char* strstr(const char* hay, const char* needle);
char* strcpy(char* dest, const char* src);
char* strncpy(char* dest, const char* src, size_t n);
char* strcat(char* dest, const char* src);
char* strncat(char* dest, const char* src, size_t n);
void* memchr(const void* s, int c, size_t n);
char* strerror(int e);

#ifdef __cplusplus
}
#endif
#include "nsgx_string_ext.h"
#endif
