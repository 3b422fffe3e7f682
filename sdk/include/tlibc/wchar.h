/* tlibc (see stddef.h). */
#ifndef NSGX_TLIBC_WCHAR_H
#define NSGX_TLIBC_WCHAR_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
size_t wcslen(const wchar_t* s);
#ifdef __cplusplus
}
#endif
#endif
