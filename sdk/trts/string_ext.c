/* The SGX SDK's additions to <string.h> inside enclaves
 * (sdk/include/tlibc/string.h): bounds-checked copies and memcpy_verw. */
#include <errno.h>
#include <stdint.h>

#include "sdk/include/tlibc/string.h"

static int overlap(const void* a, size_t na, const void* b, size_t nb) {
  const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return x < y + nb && y < x + na;
}

errno_t memcpy_s(void* dest, size_t dest_size, const void* src, size_t count) {
  if (count == 0) return 0;
  if (dest == NULL) return EINVAL;
  if (src == NULL || overlap(dest, dest_size, src, count)) {
    memset(dest, 0, dest_size);
    return EINVAL;
  }
  if (count > dest_size) {
    memset(dest, 0, dest_size);
    return ERANGE;
  }
  memcpy(dest, src, count);
  return 0;
}

errno_t memmove_s(void* dest, size_t dest_size, const void* src, size_t count) {
  if (count == 0) return 0;
  if (dest == NULL) return EINVAL;
  if (src == NULL) {
    memset(dest, 0, dest_size);
    return EINVAL;
  }
  if (count > dest_size) {
    memset(dest, 0, dest_size);
    return ERANGE;
  }
  memmove(dest, src, count);
  return 0;
}

errno_t memset_s(void* s, size_t smax, int c, size_t n) {
  if (s == NULL) return EINVAL;
  const size_t len = n > smax ? smax : n;
  volatile unsigned char* p = (volatile unsigned char*)s;
  for (size_t i = 0; i < len; ++i) p[i] = (unsigned char)c;
  return n > smax ? ERANGE : 0;
}

errno_t strncpy_s(char* dest, size_t dest_size, const char* src, size_t count) {
  if (dest == NULL || dest_size == 0) return EINVAL;
  if (src == NULL) {
    dest[0] = '\0';
    return EINVAL;
  }
  size_t n = 0;
  while (n < count && src[n] != '\0') ++n;
  if (n >= dest_size) {
    dest[0] = '\0';
    return ERANGE;
  }
  memcpy(dest, src, n);
  dest[n] = '\0';
  return 0;
}

void* memcpy_verw(void* dst, const void* src, size_t n) {
  volatile unsigned char* d = (volatile unsigned char*)dst;
  const unsigned char* s = (const unsigned char*)src;
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

errno_t memcpy_verw_s(void* dst, size_t dst_size, const void* src, size_t count) {
  if (count == 0) return 0;
  if (dst == NULL) return EINVAL;
  if (src == NULL || count > dst_size) {
    memset(dst, 0, dst_size);
    return src == NULL ? EINVAL : ERANGE;
  }
  memcpy_verw(dst, src, count);
  return 0;
}

/* The rest of <string.h> that the trusted runtime did not have yet. */
char* strncpy(char* restrict dest, const char* restrict src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i] != '\0'; ++i) dest[i] = src[i];
  for (; i < n; ++i) dest[i] = '\0';
  return dest;
}

char* strcpy(char* restrict dest, const char* restrict src) {
  memcpy(dest, src, strlen(src) + 1);
  return dest;
}

char* strcat(char* restrict dest, const char* restrict src) {
  strcpy(dest + strlen(dest), src);
  return dest;
}

char* strncat(char* restrict dest, const char* restrict src, size_t n) {
  char* d = dest + strlen(dest);
  size_t i = 0;
  for (; i < n && src[i] != '\0'; ++i) d[i] = src[i];
  d[i] = '\0';
  return dest;
}

char* strrchr(const char* s, int c) {
  const char* last = NULL;
  for (;; ++s) {
    if (*s == (char)c) last = s;
    if (*s == '\0') return (char*)last;
  }
}

char* strstr(const char* hay, const char* needle) {
  const size_t n = strlen(needle);
  if (n == 0) return (char*)hay;
  for (; *hay != '\0'; ++hay)
    if (*hay == *needle && strncmp(hay, needle, n) == 0) return (char*)hay;
  return NULL;
}
