/* snprintf and friends inside the enclave, and printf through an OCALL.
 * Conversions: d i u o x X c s p %, with flags - + space 0 #, width and
 * precision (also *), and the length modifiers hh h l ll z j t; f F e E
 * g G exact and correctly rounded for every double (no a, no L). printf,
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

/* ---- Floating point: %f %e %g, exact and correctly rounded ----
 *
 * A finite double is m * 2^e exactly (IEEE 754 binary64: m < 2^53,
 * -1074 <= e <= 971), so its decimal expansion is finite: the integer part
 * floor(v) (at most 309 digits) and a fraction r / 2^k (at most 1074
 * digits). Both are produced exactly with a small big-integer type, and
 * the requested digits are rounded to nearest, ties to even on the exact
 * value — what glibc prints in the default rounding mode (C11 7.21.6.1:
 * "the value is rounded to the appropriate number of digits"). */

#define BIG_LIMBS 40 /* 1280 bits: integer parts below 2^1024, fractions scaled by 10 below 2^1078 */

typedef struct {
  uint32_t w[BIG_LIMBS]; /* little-endian */
  int n;                 /* limbs in use; no leading zero limbs */
} big_t;

static void big_set(big_t* b, uint64_t v) {
  b->n = 0;
  while (v) {
    b->w[b->n++] = (uint32_t)v;
    v >>= 32;
  }
}

static void big_shl(big_t* b, int bits) {
  if (b->n == 0) return;
  const int limbs = bits / 32, sh = bits % 32;
  uint32_t carry = 0;
  if (sh) {
    for (int i = 0; i < b->n; ++i) {
      const uint32_t w = b->w[i];
      b->w[i] = (w << sh) | carry;
      carry = w >> (32 - sh);
    }
    if (carry) b->w[b->n++] = carry;
  }
  if (limbs) {
    for (int i = b->n - 1; i >= 0; --i) b->w[i + limbs] = b->w[i];
    for (int i = 0; i < limbs; ++i) b->w[i] = 0;
    b->n += limbs;
  }
}

/* b /= d; the remainder. */
static uint32_t big_div_small(big_t* b, uint32_t d) {
  uint64_t rem = 0;
  for (int i = b->n - 1; i >= 0; --i) {
    const uint64_t cur = (rem << 32) | b->w[i];
    b->w[i] = (uint32_t)(cur / d);
    rem = cur % d;
  }
  while (b->n > 0 && b->w[b->n - 1] == 0) --b->n;
  return (uint32_t)rem;
}

static void big_mul_small(big_t* b, uint32_t f) {
  uint64_t carry = 0;
  for (int i = 0; i < b->n; ++i) {
    const uint64_t cur = (uint64_t)b->w[i] * f + carry;
    b->w[i] = (uint32_t)cur;
    carry = cur >> 32;
  }
  if (carry) b->w[b->n++] = (uint32_t)carry;
}

/* The exact decimal expansion of a finite v >= 0: integer digits, then
 * fraction digits on demand from frac / 2^k. */
typedef struct {
  char int_digits[320]; /* most significant first; none for 0 */
  int n_int;
  big_t frac;
  int k;
} decimal_t;

static void decimal_init(decimal_t* d, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  const int biased = (int)((bits >> 52) & 0x7ff);
  uint64_t m = bits & ((1ull << 52) - 1);
  int e;
  if (biased == 0) {
    e = -1074; /* subnormal */
  } else {
    m |= 1ull << 52;
    e = biased - 1075;
  }
  big_t ip;
  d->k = 0;
  big_set(&d->frac, 0);
  if (e >= 0) {
    big_set(&ip, m);
    big_shl(&ip, e);
  } else {
    const int k = -e;
    big_set(&ip, k >= 64 ? 0 : m >> k);
    big_set(&d->frac, k >= 64 ? m : m & ((1ull << k) - 1));
    d->k = k;
  }
  /* Integer digits, nine at a time from the low end. */
  char rev[320];
  int n = 0;
  while (ip.n > 0) {
    uint32_t chunk = big_div_small(&ip, 1000000000u);
    for (int i = 0; i < 9 && (ip.n > 0 || chunk); ++i) {
      rev[n++] = (char)('0' + chunk % 10);
      chunk /= 10;
    }
  }
  for (int i = 0; i < n; ++i) d->int_digits[i] = rev[n - 1 - i];
  d->n_int = n;
}

/* The next fraction digit: frac*10 = digit * 2^k + new frac. */
static int decimal_next(decimal_t* d) {
  if (d->frac.n == 0) return 0;
  big_mul_small(&d->frac, 10);
  const int limb = d->k / 32, sh = d->k % 32;
  uint32_t digit = 0;
  if (limb < d->frac.n) digit = d->frac.w[limb] >> sh;
  if (limb + 1 < d->frac.n && sh) digit |= d->frac.w[limb + 1] << (32 - sh);
  /* Keep only the bits below 2^k. */
  if (limb < d->frac.n) {
    d->frac.w[limb] &= sh ? (1u << sh) - 1 : 0;
    d->frac.n = limb + 1;
    while (d->frac.n > 0 && d->frac.w[d->frac.n - 1] == 0) --d->frac.n;
  }
  return (int)digit;
}

#define FLOAT_DIGITS 1500 /* 309 integer digits + precision (capped at 1100) + carry */

/* Rounds digits[0..n) given the next digit and whether anything nonzero
 * follows it; true if the carry ran out of the first digit (all nines). */
static int round_digits(char* digits, int n, int next, int rest_nonzero) {
  const int last_odd = n > 0 && ((digits[n - 1] - '0') & 1);
  if (!(next > 5 || (next == 5 && (rest_nonzero || last_odd)))) return 0;
  for (int i = n - 1; i >= 0; --i) {
    if (digits[i] != '9') {
      ++digits[i];
      return 0;
    }
    digits[i] = '0';
  }
  return 1;
}

/* The next digit after those taken, and whether any nonzero one follows:
 * `pending` integer digits at int_digits[at..], then the fraction. */
static void rounding_tail(decimal_t* d, int at, int* next, int* rest) {
  if (at < d->n_int) {
    *next = d->int_digits[at] - '0';
    *rest = d->frac.n != 0;
    for (int i = at + 1; i < d->n_int; ++i) *rest |= d->int_digits[i] != '0';
  } else {
    *next = decimal_next(d);
    *rest = d->frac.n != 0;
  }
}

/* %f: the digits of v rounded to `prec` fraction digits, into digits[]
 * (*count of them); returns how many are integer digits (at least 1). */
static int fixed_digits(double v, int prec, char* digits, int* count) {
  decimal_t d;
  decimal_init(&d, v);
  int n = 0;
  digits[n++] = '0'; /* room for a carry out of the integer part (9.99 -> 10.0) */
  if (d.n_int == 0) digits[n++] = '0';
  for (int i = 0; i < d.n_int; ++i) digits[n++] = d.int_digits[i];
  int n_int = n - 1;
  for (int i = 0; i < prec; ++i) digits[n++] = (char)('0' + decimal_next(&d));
  const int next = decimal_next(&d);
  round_digits(digits, n, next, d.frac.n != 0);
  if (digits[0] == '0') {
    memmove(digits, digits + 1, (size_t)(n - 1));
    --n;
  } else {
    ++n_int;
  }
  *count = n;
  return n_int;
}

/* %e: `prec`+1 significant digits of v, rounded; its decimal exponent. */
static int exp_digits(double v, int prec, char* digits) {
  const int want = prec + 1;
  if (v == 0) {
    for (int i = 0; i < want; ++i) digits[i] = '0';
    return 0;
  }
  decimal_t d;
  decimal_init(&d, v);
  int n = 0, exp10, next, rest;
  if (d.n_int > 0) {
    exp10 = d.n_int - 1;
    int at = 0;
    while (n < want && at < d.n_int) digits[n++] = d.int_digits[at++];
    while (n < want) digits[n++] = (char)('0' + decimal_next(&d));
    rounding_tail(&d, at, &next, &rest);
  } else {
    int first = decimal_next(&d), zeros = 0;
    while (first == 0) {
      ++zeros;
      first = decimal_next(&d);
    }
    exp10 = -(zeros + 1);
    digits[n++] = (char)('0' + first);
    while (n < want) digits[n++] = (char)('0' + decimal_next(&d));
    next = decimal_next(&d);
    rest = d.frac.n != 0;
  }
  if (round_digits(digits, n, next, rest)) { /* 9.99..e+x became 10.0..e+x */
    digits[0] = '1';
    for (int i = 1; i < n; ++i) digits[i] = '0';
    ++exp10;
  }
  return exp10;
}

static void floating(out_t* o, double v, char conv, int width, int prec, int left, int plus, int space, int zero,
                     int alt) {
  const int upper = conv == 'F' || conv == 'E' || conv == 'G';
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  const char* sign = (bits >> 63) ? "-" : plus ? "+" : space ? " " : "";
  if (bits >> 63) v = -v;
  char body[FLOAT_DIGITS + 16];
  int len = 0;
  if (v != v || v > 1.7976931348623157e308) { /* NaN or infinity: no zero padding */
    const char* t = v != v ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    const int n = (int)strlen(sign) + 3;
    if (!left) pad(o, ' ', width - n);
    for (const char* q = sign; *q; ++q) put(o, *q);
    for (const char* q = t; *q; ++q) put(o, *q);
    if (left) pad(o, ' ', width - n);
    return;
  }
  if (prec < 0) prec = 6;
  if (prec > 1100) prec = 1100; /* enough for every digit of every double */
  char digits[FLOAT_DIGITS];
  char style = (char)(conv | 0x20);
  int strip = 0;
  if (style == 'g') {
    /* C11 7.21.6.1: P = precision (1 if 0); with X the exponent %e would
     * print with precision P-1: %f with precision P-1-X if P > X >= -4,
     * else %e with precision P-1; trailing zeros removed unless '#'. */
    const int p = prec == 0 ? 1 : prec;
    const int x = exp_digits(v, p - 1, digits);
    if (p > x && x >= -4) {
      style = 'f';
      prec = p - 1 - x;
    } else {
      style = 'e';
      prec = p - 1;
    }
    strip = !alt;
  }
  int exp10 = 0;
  if (style == 'f') {
    int count;
    const int n_int = fixed_digits(v, prec, digits, &count);
    for (int i = 0; i < n_int; ++i) body[len++] = digits[i];
    if (prec > 0 || alt) body[len++] = '.';
    for (int i = n_int; i < count; ++i) body[len++] = digits[i];
  } else {
    exp10 = exp_digits(v, prec, digits);
    body[len++] = digits[0];
    if (prec > 0 || alt) body[len++] = '.';
    for (int i = 1; i <= prec; ++i) body[len++] = digits[i];
  }
  if (strip) { /* %g without '#': no trailing zeros, no lone point */
    int dot = -1;
    for (int i = 0; i < len; ++i)
      if (body[i] == '.') dot = i;
    if (dot >= 0) {
      while (len > dot + 1 && body[len - 1] == '0') --len;
      if (len == dot + 1) len = dot;
    }
  }
  if (style == 'e') { /* at least two exponent digits */
    body[len++] = upper ? 'E' : 'e';
    body[len++] = exp10 < 0 ? '-' : '+';
    const int mag = exp10 < 0 ? -exp10 : exp10;
    if (mag >= 100) body[len++] = (char)('0' + mag / 100);
    body[len++] = (char)('0' + mag / 10 % 10);
    body[len++] = (char)('0' + mag % 10);
  }
  const int n = (int)strlen(sign) + len;
  if (!left && !zero) pad(o, ' ', width - n);
  for (const char* q = sign; *q; ++q) put(o, *q);
  if (!left && zero) pad(o, '0', width - n);
  for (int i = 0; i < len; ++i) put(o, body[i]);
  if (left) pad(o, ' ', width - n);
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
      // NOLINTNEXTLINE(bugprone-branch-clone): the two va_arg differ in the type read, which the check ignores
      int64_t v = size >= 1 ? (int64_t)va_arg(ap, long long) : (int64_t)va_arg(ap, int);
      if (size == -1) v = (short)v;
      // NOLINTNEXTLINE(bugprone-signed-char-misuse): %hhd's argument is a signed char, sign-extended on purpose
      if (size == -2) v = (signed char)v;
      const char* sign = v < 0 ? "-" : plus ? "+" : space ? " " : "";
      const uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
      number(&o, mag, 10, 0, sign, width, prec, left, zero);
    } else if (c == 'u' || c == 'x' || c == 'X' || c == 'o') {
      // NOLINTNEXTLINE(bugprone-branch-clone): the two va_arg differ in the type read, which the check ignores
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
    } else if (c == 'f' || c == 'F' || c == 'e' || c == 'E' || c == 'g' || c == 'G') {
      floating(&o, va_arg(ap, double), c, width, prec, left, plus, space, zero, alt);
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

/* Weak: the SGX SDK has no printf in its trusted C library, and SDK
 * samples define their own (over their own print OCALL); theirs wins. */
__attribute__((weak)) int printf(const char* fmt, ...) {
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
