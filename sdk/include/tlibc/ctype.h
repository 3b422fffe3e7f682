/* tlibc (see stddef.h). */
#ifndef NSGX_TLIBC_CTYPE_H
#define NSGX_TLIBC_CTYPE_H
#ifdef __cplusplus
extern "C" {
#endif
int toupper(int c);
int tolower(int c);
#ifdef __cplusplus
}
#endif
#endif
