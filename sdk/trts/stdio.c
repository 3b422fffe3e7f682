/* snprintf and friends inside the enclave, and printf through an OCALL.
 * Conversions: d i u o x X c s p %, with flags - + space 0 #, width and
 * precision (also *), and the length modifiers hh h l ll z j t; f for
 * finite values below 1e18 (enough for diagnostics; no e/g/a). printf,
 * puts and putchar write through nsgx_oc_print_string when the enclave
 * imports sdk/edl/nsgx_tstdio.edl, and are silent otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sgx_error.h"
#include "trts_internal.h"

typedef struct {
  char* buf;
  size_t cap, len;
} out_t;

static void put(out_t* o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  ++o->len;
}

static void pad(out_t* o, char c, int n) {
  while (n-- > 0) put(o, c);
}

/* An unsigned number with sign/prefix, width, precision and flags. */
static void number(out_t* o, uint64_t v, unsigned base, int upper, const char* prefix, int width, int prec, int left,
                   int zero) {
  char digits[64];
  int n = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (v == 0 && prec != 0) digits[n++] = '0';
  while (v) {
    digits[n++] = set[v % base];
    v /= base;
  }
  const int plen = (int)strlen(prefix);
  const int zeros = prec > n ? prec - n : 0;
  const int total = plen + zeros + n;
  if (!left && !(zero && prec < 0)) pad(o, ' ', width - total);
  for (int i = 0; i < plen; ++i) put(o, prefix[i]);
  if (!left && zero && prec < 0) pad(o, '0', width - total);
  pad(o, '0', zeros);
  while (n) put(o, digits[--n]);
  if (left) pad(o, ' ', width - total);
}

int vsnprintf(char* buf, size_t cap, const char* fmt, va_list ap) {
  out_t o = {buf, cap, 0};
  for (const char* p = fmt; *p; ++p) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    int left = 0, plus = 0, space = 0, zero = 0, alt = 0, width = 0, prec = -1;
    for (;; ++p) {
      if (p[1] == '-') left = 1;
      else if (p[1] == '+') plus = 1;
      else if (p[1] == ' ') space = 1;
      else if (p[1] == '0') zero = 1;
      else if (p[1] == '#') alt = 1;
      else break;
    }
    ++p;
    if (*p == '*') {
      width = va_arg(ap, int);
      if (width < 0) left = 1, width = -width;
      ++p;
    } else {
      while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    }
    if (*p == '.') {
      ++p;
      prec = 0;
      if (*p == '*') {
        prec = va_arg(ap, int);
        ++p;
      } else {
        while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
      }
    }
    int size = 0; /* 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t/intmax/ptrdiff */
    if (*p == 'h') size = (p[1] == 'h') ? (++p, -2) : -1, ++p;
    else if (*p == 'l') size = (p[1] == 'l') ? (++p, 2) : 1, ++p;
    else if (*p == 'z' || *p == 'j' || *p == 't') size = 3, ++p;
    const char c = *p;
    if (c == '\0') break;
    if (c == 'd' || c == 'i') {
      int64_t v = size >= 1 ? (int64_t)va_arg(ap, long long) : (int64_t)va_arg(ap, int);
      if (size == -1) v = (short)v;
      if (size == -2) v = (signed char)v;
      const char* sign = v < 0 ? "-" : plus ? "+" : space ? " " : "";
      const uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
      number(&o, mag, 10, 0, sign, width, prec, left, zero);
    } else if (c == 'u' || c == 'x' || c == 'X' || c == 'o') {
      uint64_t v = size >= 1 ? (uint64_t)va_arg(ap, unsigned long long) : (uint64_t)va_arg(ap, unsigned);
      if (size == -1) v = (unsigned short)v;
      if (size == -2) v = (unsigned char)v;
      const unsigned base = c == 'o' ? 8 : c == 'u' ? 10 : 16;
      const char* prefix = (alt && v && base == 16) ? (c == 'X' ? "0X" : "0x") : (alt && base == 8) ? "0" : "";
      number(&o, v, base, c == 'X', prefix, width, prec, left, zero);
    } else if (c == 'p') {
      number(&o, (uint64_t)(uintptr_t)va_arg(ap, void*), 16, 0, "0x", width, prec, left, 0);
    } else if (c == 'c') {
      if (!left) pad(&o, ' ', width - 1);
      put(&o, (char)va_arg(ap, int));
      if (left) pad(&o, ' ', width - 1);
    } else if (c == 's') {
      const char* s = va_arg(ap, const char*);
      if (s == NULL) s = "(null)";
      const int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
      if (!left) pad(&o, ' ', width - n);
      for (int i = 0; i < n; ++i) put(&o, s[i]);
      if (left) pad(&o, ' ', width - n);
    } else if (c == 'f' || c == 'F') {
      double v = va_arg(ap, double);
      if (prec < 0) prec = 6;
      if (prec > 17) prec = 17;
      const char* sign = v < 0 ? "-" : plus ? "+" : space ? " " : "";
      if (v < 0) v = -v;
      if (v != v || v >= 1e18) { /* NaN, inf or out of range */
        const char* t = v != v ? "nan" : "inf";
        if (!left) pad(&o, ' ', width - 3 - (int)strlen(sign));
        for (const char* q = sign; *q; ++q) put(&o, *q);
        for (const char* q = t; *q; ++q) put(&o, *q);
        if (left) pad(&o, ' ', width - 3 - (int)strlen(sign));
        continue;
      }
      uint64_t scale = 1;
      for (int i = 0; i < prec; ++i) scale *= 10;
      uint64_t ip = (uint64_t)v;
      uint64_t fp = (uint64_t)((v - (double)ip) * (double)scale + 0.5);
      if (fp >= scale) ++ip, fp -= scale;
      char tmp[48];
      out_t t = {tmp, sizeof tmp, 0};
      number(&t, ip, 10, 0, sign, 0, -1, 0, 0);
      if (prec > 0 || alt) put(&t, '.');
      if (prec > 0) number(&t, fp, 10, 0, "", 0, prec, 0, 0);
      const int n = (int)(t.len < sizeof tmp ? t.len : sizeof tmp - 1);
      if (!left) pad(&o, zero ? '0' : ' ', width - n);
      for (int i = 0; i < n; ++i) put(&o, tmp[i]);
      if (left) pad(&o, ' ', width - n);
    } else if (c == '%') {
      put(&o, '%');
    } else { /* unsupported: shown as written */
      put(&o, '%');
      put(&o, c);
    }
  }
  if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len > INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char* buf, size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

/* The OCALL proxy nsgx-edger8r generates for nsgx_tstdio.edl, if imported. */
/* Hidden: an absent proxy resolves to 0 at link time, with no dynamic relocation. */
extern sgx_status_t nsgx_oc_print_string(const char* str) __attribute__((weak, visibility("hidden")));

static int print(const char* s, int n) {
  if (nsgx_oc_print_string == NULL) return n;
  return nsgx_oc_print_string(s) == SGX_SUCCESS ? n : -1;
}

int vprintf(const char* fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  char small[256];
  const int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) {
    va_end(copy);
    return n;
  }
  if ((size_t)n < sizeof small) {
    va_end(copy);
    return print(small, n);
  }
  char* big = malloc((size_t)n + 1);
  if (big == NULL) {
    va_end(copy);
    return -1;
  }
  vsnprintf(big, (size_t)n + 1, fmt, copy);
  va_end(copy);
  const int r = print(big, n);
  free(big);
  return r;
}

int printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int __printf_chk(int flag, const char* fmt, ...) {
  (void)flag;
  va_list ap;
  va_start(ap, fmt);
  const int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int puts(const char* s) { return printf("%s\n", s) < 0 ? EOF : 1; }
int putchar(int c) { return printf("%c", c) < 0 ? EOF : (unsigned char)c; }
