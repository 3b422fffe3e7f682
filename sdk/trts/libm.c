/* The part of <math.h> enclave code calls most (the FP kernels of the
 * workload benchmarks, bench/workloads): sqrt, fabs, exp, log, pow, sin, cos.
 * Debian's libm cannot be linked into an enclave (it is a shared library
 * that reads CPU features through the dynamic loader), so these are written
 * here, in plain C99 over IEEE 754 binary64 (C11 Annex F semantics for the
 * special values: NaN in, NaN out; ±0, ±inf as the standard lists them).
 *
 * Accuracy, checked against glibc by sdk/trts/libm_test.cc: sqrt and fabs
 * exact; exp, log within 1 ulp; sin and cos within 2 ulp for |x| <= 2^20
 * (the argument reduction is Cody-Waite with pi/2 in three parts, exact for
 * |k| < 2^20; beyond that the result loses accuracy, there is no
 * Payne-Hanek reduction, and from 2^60 on the answer is sin 0 or cos 0:
 * in range, nothing more); pow(x, y) is exp(y log x) and loses about
 * log2|y log x| bits, so it is within a few ulp only for moderate |y log x|
 * (integer powers up to 64 are by squaring, exact when representable).
 * Not correctly rounded, and errno is not set.
 *
 * The names are the C library's; NSGX_LIBM_TEST_NAMES renames them
 * (nsgx_libm_sin ...) so that the known-answer test can link them beside
 * glibc's. */
#include <stdint.h>

#ifdef NSGX_LIBM_TEST_NAMES
#define NSGX_LIBM(f) nsgx_libm_##f
#else
#define NSGX_LIBM(f) f
#endif

double NSGX_LIBM(sqrt)(double x);
double NSGX_LIBM(fabs)(double x);
double NSGX_LIBM(exp)(double x);
double NSGX_LIBM(log)(double x);
double NSGX_LIBM(pow)(double x, double y);
double NSGX_LIBM(sin)(double x);
double NSGX_LIBM(cos)(double x);

static uint64_t bits_of(double x) {
  uint64_t u;
  __builtin_memcpy(&u, &x, sizeof u); /* inlined even under -fno-builtin */
  return u;
}
static double double_of(uint64_t u) {
  double x;
  __builtin_memcpy(&x, &u, sizeof x);
  return x;
}
/* 2^k for -1022 <= k <= 1023 (a normal number). */
static double pow2(int k) { return double_of((uint64_t)(k + 1023) << 52); }
/* x rounded to the nearest integer (ties away from zero), |x| < 2^62. */
#define INF_BITS UINT64_C(0x7ff0000000000000)
static double round_half_away(double x) { return (double)(int64_t)(x + (x < 0 ? -0.5 : 0.5)); }

/* SQRTSD is correctly rounded (IEEE 754 requires it of square root). */
double NSGX_LIBM(sqrt)(double x) {
  __asm__("sqrtsd %1, %0" : "=x"(x) : "x"(x));
  return x;
}

double NSGX_LIBM(fabs)(double x) { return double_of(bits_of(x) & ~(UINT64_C(1) << 63)); }

/* ln 2 in two parts: LN2_HI has 32 significant bits, so k * LN2_HI is exact
 * for every k exp and log need (|k| < 2^11). */
static const double LN2_HI = 0x1.62e42feep-1;
static const double LN2_LO = 0x1.a39ef35793c76p-33;
static const double INV_LN2 = 0x1.71547652b82fep+0;

/* exp(x) = 2^k e^r, r = x - k ln 2 with |r| <= ln2/2; e^r - 1 by its
 * Taylor series to r^14/14! (remainder < 2^-60 r), 1 added last so that the
 * sum rounds once. */
double NSGX_LIBM(exp)(double x) {
  if (x != x) return x + x;                             /* NaN */
  if (x > 709.782712893384) return double_of(INF_BITS); /* overflow */
  if (x < -745.1332191019412) return 0.0;               /* underflow below the least subnormal */
  if (NSGX_LIBM(fabs)(x) < 0x1p-54) return 1.0 + x;
  const double k = round_half_away(x * INV_LN2);
  const double hi = x - k * LN2_HI;
  const double lo = k * LN2_LO;
  const double r = hi - lo;
  /* e^r - 1 = r + r^2 (1/2! + r (1/3! + ...)) */
  double p = 1.0 / 87178291200.0; /* 1/14! */
  static const double c[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                             1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,
                             1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,        0.5};
  for (unsigned i = 0; i < sizeof c / sizeof c[0]; ++i) p = c[i] + r * p;
  /* r = hi - lo exactly in real numbers only up to rounding: keep lo apart. */
  const double em1 = (hi - (lo - r * r * p));
  const double y = 1.0 + em1;
  const int ki = (int)k;
  if (ki > 1023) return y * pow2(1023) * pow2(ki - 1023);
  if (ki < -1021) return y * pow2(ki + 1000) * 0x1p-1000; /* into the subnormals: round once, at the end */
  return y * pow2(ki);
}

/* log(x) = e ln 2 + log(m), m in [sqrt(2)/2, sqrt(2)); with f = m - 1 and
 * s = f / (2 + f), log(1 + f) = f - (f^2/2 - s (f^2/2 + R(s^2))) where
 * R(z) = 2z/3 + 2z^2/5 + ... (|s| <= 0.1716, so 14 terms leave < 2^-70). */
double NSGX_LIBM(log)(double x) {
  if (x != x) return x + x;
  if (x == 0) return -double_of(INF_BITS);
  if (x < 0) return (x - x) / (x - x); /* NaN */
  if (bits_of(x) == INF_BITS) return x;
  int e = 0;
  if (x < 0x1p-1022) { /* subnormal: make it normal first */
    x *= 0x1p54;
    e = -54;
  }
  const uint64_t u = bits_of(x);
  e += (int)((u >> 52) & 0x7ff) - 1023;
  double m = double_of((u & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1023) << 52)); /* [1, 2) */
  if (m > 1.4142135623730951) {
    m *= 0.5;
    ++e;
  }
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double r = 2.0 / 29.0;
  for (int k = 13; k >= 1; --k) r = 2.0 / (2 * k + 1) + z * r;
  r *= z;
  const double hfsq = 0.5 * f * f;
  const double de = (double)e;
  return (de * LN2_HI + f) - (hfsq - (s * (hfsq + r) + de * LN2_LO));
}

/* Whether y is an integer, and if so whether it is odd. */
static int integer_kind(double y) {           /* 0: not an integer, 1: even, 2: odd */
  if (NSGX_LIBM(fabs)(y) >= 0x1p53) return 1; /* every double this large is even */
  const double t = (double)(int64_t)y;
  if (t != y) return 0;
  return ((int64_t)y & 1) ? 2 : 1;
}

double NSGX_LIBM(pow)(double x, double y) {
  if (y == 0) return 1.0;
  if (x == 1.0) return 1.0;
  if (x != x || y != y) return x + y;
  const double inf = double_of(INF_BITS);
  const double ay = NSGX_LIBM(fabs)(y);
  if (ay == inf) { /* C11 F.10.4.4 */
    const double ax = NSGX_LIBM(fabs)(x);
    if (ax == 1.0) return 1.0;
    return (ax > 1.0) == (y > 0) ? inf : 0.0;
  }
  int sign = 0;
  if (x < 0 || (x == 0 && bits_of(x) >> 63)) {
    const int kind = integer_kind(y);
    if (kind == 0 && x != 0) return (x - x) / (x - x); /* NaN for x < 0 */
    sign = kind == 2;
    x = -x;
  }
  double r;
  if (x == 0)
    r = y < 0 ? inf : 0.0;
  else if (x == inf)
    r = y < 0 ? 0.0 : inf;
  else if (ay <= 64 && integer_kind(y) != 0) {
    /* Small integer powers by squaring: exact whenever the result is
     * representable (pow(2, 10) is 1024, not exp(10 log 2)'s 1023.99...). */
    double b = x;
    r = 1.0;
    for (unsigned n = (unsigned)ay; n != 0; n >>= 1, b *= b)
      if (n & 1) r *= b;
    if (y < 0) r = 1.0 / r;
  } else
    r = NSGX_LIBM(exp)(y * NSGX_LIBM(log)(x));
  return sign ? -r : r;
}

/* pi/2 in three parts: PIO2_1 and PIO2_2 have 33 significant bits, so
 * k * PIO2_1 and k * PIO2_2 are exact for |k| < 2^20. */
static const double PIO2_1 = 0x1.921fb544p+0;
static const double PIO2_2 = 0x1.0b4611a6p-34;
static const double PIO2_3 = 0x1.3198a2e037073p-69;
static const double TWO_OVER_PI = 0x1.45f306dc9c883p-1;

/* sin and cos on |r| <= pi/4 by their Taylor series (to r^17/17! and
 * r^18/18!: the remainder is below 2^-62 of the result). */
static double sin_kernel(double r) {
  const double z = r * r;
  double p = 1.0 / 355687428096000.0; /* 1/17! */
  static const double c[] = {-1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
                             1.0 / 362880.0,         -1.0 / 5040.0,      1.0 / 120.0};
  for (unsigned i = 0; i < sizeof c / sizeof c[0]; ++i) p = c[i] + z * p;
  /* r - r^3/6 + r^5 p: -r^3/6 kept apart from r so that the sum rounds once. */
  return r + (r * z) * (-1.0 / 6.0 + z * p);
}
static double cos_kernel(double r) {
  const double z = r * r;
  double p = -1.0 / 6402373705728000.0; /* -1/18! */
  static const double c[] = {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0,
                             1.0 / 40320.0,          -1.0 / 720.0,         1.0 / 24.0};
  for (unsigned i = 0; i < sizeof c / sizeof c[0]; ++i) p = c[i] + z * p;
  /* 1 - z/2 + z^2 p, with the rounding error of w = 1 - z/2 added back. */
  const double hz = 0.5 * z;
  const double w = 1.0 - hz;
  return w + (((1.0 - w) - hz) + z * z * p);
}

/* x = k pi/2 + r; the quadrant k mod 4 picks the kernel and the sign. */
static double sincos_reduced(double x, int want_cos) {
  if (x != x) return x + x;
  if (NSGX_LIBM(fabs)(x) == double_of(INF_BITS)) return x - x; /* sin(inf): NaN */
  if (NSGX_LIBM(fabs)(x) < 0x1p-27) return want_cos ? 1.0 : x;
  double r = x;
  int64_t k = 0;
  if (NSGX_LIBM(fabs)(x) >= 0x1p60) {
    /* Past 2^60 the quadrant needs pi/2 to more bits than this reduction
     * has (Payne-Hanek); rather than convert an out-of-range double to an
     * integer (undefined behaviour), answer as for r = 0: a value in
     * [-1, 1], with no accuracy claimed (the header says from 2^20 on). */
    r = 0;
  } else if (NSGX_LIBM(fabs)(x) > 0.7853981633974483) {
    const double kd = round_half_away(x * TWO_OVER_PI);
    r = ((x - kd * PIO2_1) - kd * PIO2_2) - kd * PIO2_3;
    k = (int64_t)kd;
  }
  const unsigned q = (unsigned)(k & 3) + (want_cos ? 1u : 0u);
  switch (q & 3) {
    case 0:
      return sin_kernel(r);
    case 1:
      return cos_kernel(r);
    case 2:
      return -sin_kernel(r);
    default:
      return -cos_kernel(r);
  }
}

double NSGX_LIBM(sin)(double x) { return sincos_reduced(x, 0); }
double NSGX_LIBM(cos)(double x) { return sincos_reduced(x, 1); }
