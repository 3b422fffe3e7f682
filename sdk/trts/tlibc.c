/* The part of the C library enclave code and the generated bridges need,
 * freestanding: memory and string functions, errno (per thread, in the
 * thread data), abort. More (snprintf, printf through an OCALL) comes with
 * the SDK's libc subset. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "trts_internal.h"

/* REP MOVSB/STOSB: fast on every CPU with ERMSB, and compact. */
void* memcpy(void* restrict d, const void* restrict s, size_t n) {
  void* dst = d;
  __asm__ volatile("rep movsb" : "+D"(dst), "+S"(s), "+c"(n) : : "memory");
  return d;
}

void* memmove(void* d, const void* s, size_t n) {
  uint8_t* dp = d;
  const uint8_t* sp = s;
  if (dp <= sp || dp >= sp + n) return memcpy(d, s, n);
  while (n--) dp[n] = sp[n]; /* overlapping, backwards */
  return d;
}

void* memset(void* d, int c, size_t n) {
  void* dst = d;
  __asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
  return d;
}

int memcmp(const void* a, const void* b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (; n; --n, ++x, ++y)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

size_t strlen(const char* s) {
  const char* p = s;
  while (*p) ++p;
  return (size_t)(p - s);
}

size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) ++n;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char* a, const char* b, size_t n) {
  for (; n; --n, ++a, ++b) {
    if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
    if (!*a) return 0;
  }
  return 0;
}

char* strchr(const char* s, int c) {
  for (;; ++s) {
    if (*s == (char)c) return (char*)s;
    if (!*s) return NULL;
  }
}

size_t wcslen(const wchar_t* s) {
  const wchar_t* p = s;
  while (*p) ++p;
  return (size_t)(p - s);
}

#undef toupper
#undef tolower
int toupper(int c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }
int tolower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* errno: glibc's headers spell it (*__errno_location()). */
int* __errno_location(void) { return (int*)&nsgx_td()->errno_value; }

void abort(void) { nsgx_crash(); }
void __stack_chk_fail(void) { nsgx_crash(); }
/* assert() of glibc's <assert.h> (what enclave code compiled without
 * NDEBUG calls, as SGX SDK sample Makefiles compile with SGX_DEBUG=1): an
 * enclave has no standard error to report to, so a failed assertion ends
 * the enclave, as the SDK's trusted assert() aborts. */
void __assert_fail(const char* expr, const char* file, unsigned int line, const char* func) {
  (void)expr, (void)file, (void)line, (void)func;
  nsgx_crash();
}

/* glibc's <ctype.h> macros index per-thread locale tables through these;
 * enclaves have the "C" locale only. Tables cover -128..255, as glibc's do. */
static int32_t upper_tab[384], lower_tab[384];
static unsigned short class_tab[384];
static volatile int ctype_ready;

static void ctype_init(void) {
  if (__atomic_load_n(&ctype_ready, __ATOMIC_ACQUIRE)) return;
  for (int i = 0; i < 384; ++i) {
    const int c = i - 128;
    upper_tab[i] = (c >= 'a' && c <= 'z') ? c - 32 : c;
    lower_tab[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    unsigned short m = 0;
    if (c >= 0 && c < 128) {
      const int up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z', dg = c >= '0' && c <= '9';
      const int sp = c == ' ' || (c >= '\t' && c <= '\r'), cn = c < 32 || c == 127;
      if (up) m |= _ISupper;
      if (lo) m |= _ISlower;
      if (up || lo) m |= _ISalpha;
      if (dg) m |= _ISdigit;
      if (dg || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) m |= _ISxdigit;
      if (sp) m |= _ISspace;
      if (!cn) m |= _ISprint;
      if (!cn && c != ' ') m |= _ISgraph;
      if (c == ' ' || c == '\t') m |= _ISblank;
      if (cn) m |= _IScntrl;
      if (!cn && c != ' ' && !up && !lo && !dg) m |= _ISpunct;
      if (up || lo || dg) m |= _ISalnum;
    }
    class_tab[i] = m;
  }
  __atomic_store_n(&ctype_ready, 1, __ATOMIC_RELEASE);
}

static const int32_t* upper_ptr = upper_tab + 128;
static const int32_t* lower_ptr = lower_tab + 128;
static const unsigned short* class_ptr = class_tab + 128;

const int32_t** __ctype_toupper_loc(void) {
  ctype_init();
  return &upper_ptr;
}
const int32_t** __ctype_tolower_loc(void) {
  ctype_init();
  return &lower_ptr;
}
const unsigned short** __ctype_b_loc(void) {
  ctype_init();
  return &class_ptr;
}

/* What Debian's libmbedcrypto.a refers to beyond memory, strings, printing
 * (stdio.c) and the calendar (gmtime_r, stdlib.c): its file helpers open files. An enclave has no files,
 * so these fail (never reached by the functions the SDK uses). */
#include <stdio.h>
#include <time.h>

void* __memcpy_chk(void* d, const void* s, size_t n, size_t room) {
  if (n > room) nsgx_crash();
  return memcpy(d, s, n);
}
void* __memset_chk(void* d, int c, size_t n, size_t room) {
  if (n > room) nsgx_crash();
  return memset(d, c, n);
}
FILE* fopen(const char* path, const char* mode) {
  (void)path, (void)mode;
  errno = ENOSYS;
  return NULL;
}
size_t fread(void* p, size_t size, size_t n, FILE* f) {
  (void)p, (void)size, (void)n, (void)f;
  return 0;
}
char* fgets(char* s, int n, FILE* f) {
  (void)s, (void)n, (void)f;
  return NULL;
}
int fclose(FILE* f) {
  (void)f;
  return EOF;
}
int ferror(FILE* f) {
  (void)f;
  return 1;
}
