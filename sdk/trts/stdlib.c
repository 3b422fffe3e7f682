/* The part of the C library SQLite (and other ported C code) calls that an
 * enclave computes by itself, without the host: qsort, strtod, strcspn,
 * strspn, strchrnul, and the calendar (gmtime_r, localtime_r). The
 * functions that need the host (files, clocks) are the POSIX layer's
 * (sdk/posix, docs/posix.md).
 *
 * - qsort: heapsort (O(n log n) worst case, no recursion, no allocation; not
 *   stable, which the C standard does not ask of it).
 * - strtod: the C11 7.22.1.3 syntax (decimal, hexadecimal, INF, INFINITY,
 *   NAN, NAN(chars)), endptr and ERANGE as glibc sets them; the value is
 *   computed in x87 extended precision and rounded to double, which is
 *   within 1 ulp of the correctly rounded value (exact for up to 19
 *   significant digits times 10^k with |k| <= 27) — not always correctly
 *   rounded, unlike glibc's.
 * - localtime_r: an enclave has no time zone database (and the host's is
 *   untrusted), so local time is UTC: the same as gmtime_r, tm_zone "UTC".
 *
 * NSGX_LIBC_TEST_NAMES renames them (nsgx_libc_qsort ...) so that the test
 * (stdlib_test.cc) links them beside glibc's. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef NSGX_LIBC_TEST_NAMES
#define NSGX_LIBC(f) nsgx_libc_##f
#else
#define NSGX_LIBC(f) f
#endif

void NSGX_LIBC(qsort)(void* base, size_t n, size_t size, int (*cmp)(const void*, const void*));
double NSGX_LIBC(strtod)(const char* restrict s, char** restrict end);
size_t NSGX_LIBC(strcspn)(const char* s, const char* reject);
size_t NSGX_LIBC(strspn)(const char* s, const char* accept);
char* NSGX_LIBC(strchrnul)(const char* s, int c);
struct tm* NSGX_LIBC(gmtime_r)(const time_t* restrict t, struct tm* restrict out);
struct tm* NSGX_LIBC(localtime_r)(const time_t* restrict t, struct tm* restrict out);

/* ---- qsort ---- */

static void swap_bytes(unsigned char* a, unsigned char* b, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    const unsigned char t = a[i];
    a[i] = b[i];
    b[i] = t;
  }
}

/* Moves element i down the max-heap of the first n elements. */
static void sift_down(unsigned char* base, size_t i, size_t n, size_t size, int (*cmp)(const void*, const void*)) {
  for (;;) {
    size_t largest = i;
    const size_t l = 2 * i + 1, r = 2 * i + 2;
    if (l < n && cmp(base + l * size, base + largest * size) > 0) largest = l;
    if (r < n && cmp(base + r * size, base + largest * size) > 0) largest = r;
    if (largest == i) return;
    swap_bytes(base + i * size, base + largest * size, size);
    i = largest;
  }
}

void NSGX_LIBC(qsort)(void* base, size_t n, size_t size, int (*cmp)(const void*, const void*)) {
  unsigned char* b = base;
  if (n < 2 || size == 0) return;
  for (size_t i = n / 2; i-- > 0;) sift_down(b, i, n, size, cmp);
  for (size_t end = n - 1; end > 0; --end) {
    swap_bytes(b, b + end * size, size);
    sift_down(b, 0, end, size, cmp);
  }
}

/* ---- strings ---- */

size_t NSGX_LIBC(strcspn)(const char* s, const char* reject) {
  size_t n = 0;
  for (; s[n]; ++n)
    for (const char* r = reject; *r; ++r)
      if (s[n] == *r) return n;
  return n;
}

size_t NSGX_LIBC(strspn)(const char* s, const char* accept) {
  size_t n = 0;
  for (; s[n]; ++n) {
    const char* a = accept;
    while (*a && *a != s[n]) ++a;
    if (!*a) return n;
  }
  return n;
}

char* NSGX_LIBC(strchrnul)(const char* s, int c) {
  while (*s && *s != (char)c) ++s;
  return (char*)s;
}

/* ---- strtod ---- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}
/* Whether s starts with word (lower case), ignoring case. */
static int starts_with(const char* s, const char* word) {
  for (; *word; ++s, ++word)
    if (lower((unsigned char)*s) != *word) return 0;
  return 1;
}

/* An optional exponent "e[+-]digits" (or "p..." for hex) at *p: its value,
 * clamped to +-100000 (far past every double), and *p moved past it only
 * if it is well formed. */
static long parse_exponent(const char** p, int letter) {
  const char* q = *p;
  if (lower((unsigned char)*q) != letter) return 0;
  ++q;
  int neg = 0;
  if (*q == '+' || *q == '-') neg = *q++ == '-';
  if (*q < '0' || *q > '9') return 0;
  long e = 0;
  for (; *q >= '0' && *q <= '9'; ++q)
    if (e < 100000) e = e * 10 + (*q - '0');
  *p = q;
  return neg ? -e : e;
}

/* 10^k (k >= 0) by binary powering in extended precision. */
static long double pow10l_(long k) {
  long double r = 1.0L, b = 10.0L;
  for (; k; k >>= 1, b *= b)
    if (k & 1) r *= b;
  return r;
}
static long double scale2(long double v, long e) {
  for (; e > 0; --e) v *= 2.0L;
  for (; e < 0; ++e) v *= 0.5L;
  return v;
}

double NSGX_LIBC(strtod)(const char* restrict s, char** restrict end) {
  const char* p = s;
  while (is_space((unsigned char)*p)) ++p;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  double result;
  if (starts_with(p, "inf")) {
    p += starts_with(p, "infinity") ? 8 : 3;
    result = __builtin_inf();
  } else if (starts_with(p, "nan")) {
    p += 3;
    if (*p == '(') { /* NAN(n-char-sequence): letters, digits, _ */
      const char* q = p + 1;
      while ((*q >= '0' && *q <= '9') || (lower((unsigned char)*q) >= 'a' && lower((unsigned char)*q) <= 'z') ||
             *q == '_')
        ++q;
      if (*q == ')') p = q + 1;
    }
    result = __builtin_nan("");
  } else {
    const int hex = p[0] == '0' && lower((unsigned char)p[1]) == 'x' &&
                    (hex_value((unsigned char)p[2]) >= 0 || (p[2] == '.' && hex_value((unsigned char)p[3]) >= 0));
    const unsigned radix = hex ? 16 : 10;
    const char* q = hex ? p + 2 : p;
    uint64_t m = 0; /* the first significant digits */
    long scale = 0; /* digits not kept (+) and fraction digits kept (-), in units of the radix */
    int digits = 0, sticky = 0, seen = 0;
    const int max_digits = hex ? 15 : 19;
    for (int frac = 0;; ++q) {
      if (*q == '.' && !frac) {
        frac = 1;
        continue;
      }
      const int v = hex ? hex_value((unsigned char)*q) : (*q >= '0' && *q <= '9' ? *q - '0' : -1);
      if (v < 0) break;
      seen = 1;
      if (digits < max_digits) {
        if (m != 0 || v != 0) ++digits;
        m = m * radix + (unsigned)v;
        if (frac) --scale;
      } else {
        sticky |= v != 0;
        if (!frac) ++scale;
      }
    }
    if (!seen) { /* no conversion */
      if (end) *end = (char*)s;
      return 0.0;
    }
    p = q;
    long e = parse_exponent(&p, hex ? 'p' : 'e');
    long double v = (long double)m;
    /* Digits past the kept ones only decide a tie: one more unit of a
     * lower place than m has (enough for the extended precision sum). */
    if (sticky) v += 0.25L;
    if (m == 0) {
      result = 0.0;
    } else if (hex) {
      /* 4 bits per hex digit, clamped far outside double's range. */
      long e2 = e + 4 * scale;
      if (e2 > 20000) e2 = 20000;
      if (e2 < -20000) e2 = -20000;
      result = (double)scale2(v, e2);
    } else {
      long e10 = e + scale;
      if (e10 > 5000) e10 = 5000;
      if (e10 < -5000) e10 = -5000;
      result = (double)(e10 >= 0 ? v * pow10l_(e10) : v / pow10l_(-e10));
    }
    if (m != 0 && (result == 0.0 || result == __builtin_inf() || result < 0x1p-1022)) errno = ERANGE;
  }
  if (end) *end = (char*)p;
  return neg ? -result : result;
}

/* ---- calendar ---- */

/* Days since 1970-01-01 to a proleptic Gregorian date: count whole 400-year
 * eras (146097 days each) from 0000-03-01, so that the leap day ends each
 * year of the count. */
static void civil_from_days(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468; /* 0000-03-01 to 1970-01-01 */
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                      /* [0, 146096] */
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365], from March 1 */
  const int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], March = 0 */
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

struct tm* NSGX_LIBC(gmtime_r)(const time_t* restrict t, struct tm* restrict out) {
  const int64_t secs = *t;
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) rem += 86400, --days;
  int64_t year = 0;
  int mon = 0, mday = 0;
  civil_from_days(days, &year, &mon, &mday);
  if (year - 1900 > INT32_MAX || year - 1900 < INT32_MIN) {
    errno = EOVERFLOW;
    return NULL;
  }
  static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  out->tm_sec = (int)(rem % 60);
  out->tm_min = (int)(rem / 60 % 60);
  out->tm_hour = (int)(rem / 3600);
  out->tm_mday = mday;
  out->tm_mon = mon - 1;
  out->tm_year = (int)(year - 1900);
  out->tm_wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
  out->tm_yday = before[mon - 1] + mday - 1 + (mon > 2 && is_leap(year));
  out->tm_isdst = 0;
#ifdef __USE_MISC
  out->tm_gmtoff = 0;
  out->tm_zone = "GMT";
#else
  out->__tm_gmtoff = 0;
  out->__tm_zone = "GMT";
#endif
  return out;
}

struct tm* NSGX_LIBC(localtime_r)(const time_t* restrict t, struct tm* restrict out) {
  struct tm* r = NSGX_LIBC(gmtime_r)(t, out);
  if (r != NULL) {
#ifdef __USE_MISC
    r->tm_zone = "UTC";
#else
    r->__tm_zone = "UTC";
#endif
  }
  return r;
}
