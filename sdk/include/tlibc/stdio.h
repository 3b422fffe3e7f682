/* tlibc (see stddef.h): formatted output. printf and puts write through the
 * nsgx_tstdio.edl OCALL (import it: from "nsgx_tstdio.edl" import *;). */
#ifndef NSGX_TLIBC_STDIO_H
#define NSGX_TLIBC_STDIO_H
#include <stdarg.h>
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
#define EOF (-1)
int snprintf(char* buf, size_t cap, const char* fmt, ...) __attribute__((__format__(__printf__, 3, 4)));
int vsnprintf(char* buf, size_t cap, const char* fmt, va_list ap) __attribute__((__format__(__printf__, 3, 0)));
int printf(const char* fmt, ...) __attribute__((__format__(__printf__, 1, 2)));
int vprintf(const char* fmt, va_list ap) __attribute__((__format__(__printf__, 1, 0)));
int puts(const char* s);
int putchar(int c);
#ifdef __cplusplus
}
#endif
#endif
