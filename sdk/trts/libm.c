/* The part of <math.h> enclave code calls most (the FP kernels of the
 * workload benchmarks, bench/workloads): sqrt, fabs, exp, log, pow, sin, cos;
 * and what SQLite's math SQL functions add (docs/posix.md): tan, asin, acos,
 * atan, atan2, sinh, cosh, tanh, asinh, acosh, atanh (each within 3 ulp of
 * glibc over the ranges libm_test.cc samples; tan's reduction as sin's),
 * fmod and trunc (exact).
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
double NSGX_LIBM(tan)(double x);
double NSGX_LIBM(asin)(double x);
double NSGX_LIBM(acos)(double x);
double NSGX_LIBM(atan)(double x);
double NSGX_LIBM(atan2)(double y, double x);
double NSGX_LIBM(sinh)(double x);
double NSGX_LIBM(cosh)(double x);
double NSGX_LIBM(tanh)(double x);
double NSGX_LIBM(asinh)(double x);
double NSGX_LIBM(acosh)(double x);
double NSGX_LIBM(atanh)(double x);
double NSGX_LIBM(fmod)(double x, double y);
double NSGX_LIBM(trunc)(double x);

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
 * Taylor series to r^14/14! (remainder < 2^-60 r). Returns e^r - 1 and k;
 * |x| <= 746. */
static double exp_reduced(double x, int* k_out) {
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
  *k_out = (int)k;
  /* r = hi - lo exactly in real numbers only up to rounding: keep lo apart. */
  return hi - (lo - r * r * p);
}

/* 1 is added last, so that the sum rounds once. */
double NSGX_LIBM(exp)(double x) {
  if (x != x) return x + x;                             /* NaN */
  if (x > 709.782712893384) return double_of(INF_BITS); /* overflow */
  if (x < -745.1332191019412) return 0.0;               /* underflow below the least subnormal */
  if (NSGX_LIBM(fabs)(x) < 0x1p-54) return 1.0 + x;
  int ki = 0;
  const double y = 1.0 + exp_reduced(x, &ki);
  if (ki > 1023) return y * pow2(1023) * pow2(ki - 1023);
  if (ki < -1021) return y * pow2(ki + 1000) * 0x1p-1000; /* into the subnormals: round once, at the end */
  return y * pow2(ki);
}

/* e^x - 1 without the cancellation of exp(x) - 1 near 0:
 * 2^k (1 + m) - 1 = 2^k m + (2^k - 1), where 2^k - 1 is exact for |k| <= 53. */
static double expm1_(double x) {
  if (x != x) return x + x;
  if (x > 709.782712893384) return double_of(INF_BITS);
  if (x < -40.0) return -1.0; /* e^-40 < 2^-57: -1 to the last bit */
  if (NSGX_LIBM(fabs)(x) < 0x1p-54) return x;
  int k = 0;
  const double m = exp_reduced(x, &k);
  if (k == 0) return m;
  if (k > 1023) return (1.0 + m) * 2.0 * pow2(1023) - 1.0;
  const double t = pow2(k);
  return t * m + (t - 1.0);
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

/* ---- What SQLite's math functions add (docs/posix.md) ---- */

double NSGX_LIBM(trunc)(double x) {
  const uint64_t u = bits_of(x);
  const int e = (int)((u >> 52) & 0x7ff) - 1023;
  if (e >= 52) return x;                                  /* an integer already, or inf/NaN */
  if (e < 0) return double_of(u & (UINT64_C(1) << 63));   /* |x| < 1: a zero of x's sign */
  return double_of(u & ~((UINT64_C(1) << (52 - e)) - 1)); /* clear the fraction bits */
}

/* The remainder x - n y, n = trunc(x / y), computed exactly (it is always
 * representable, C11 7.12.10.1) by long division of the significands. */
double NSGX_LIBM(fmod)(double x, double y) {
  const uint64_t sign = bits_of(x) & (UINT64_C(1) << 63);
  const uint64_t ux = bits_of(x) & ~(UINT64_C(1) << 63), uy = bits_of(y) & ~(UINT64_C(1) << 63);
  if (uy == 0 || ux >= INF_BITS || uy > INF_BITS) return (x * y) / (x * y); /* NaN (y = 0, x inf, a NaN) */
  if (ux < uy) return x;                                                    /* |x| < |y|, y = inf included */
  if (ux == uy) return double_of(sign);
  /* value = m 2^(e - 1075), m in [2^52, 2^53) once normalized */
  const uint64_t implicit = UINT64_C(1) << 52, frac = implicit - 1;
  int ex = (int)(ux >> 52), ey = (int)(uy >> 52);
  uint64_t mx = ux & frac, my = uy & frac;
  if (ex == 0)
    for (ex = 1; mx < implicit; --ex) mx <<= 1;
  else
    mx |= implicit;
  if (ey == 0)
    for (ey = 1; my < implicit; --ey) my <<= 1;
  else
    my |= implicit;
  for (int i = ex - ey; i > 0; --i) {
    if (mx >= my) mx -= my;
    mx <<= 1;
  }
  if (mx >= my) mx -= my;
  if (mx == 0) return double_of(sign);
  int e = ey;
  while (mx < implicit && e > 1) {
    mx <<= 1;
    --e;
  }
  /* Subnormal: y was (e < 1, mx kept its scale: the remainder is a
   * multiple of y's last bit, so the shift is exact), or the remainder is. */
  if (e < 1) return double_of(sign | (mx >> (1 - e)));
  if (mx < implicit) return double_of(sign | mx);
  return double_of(sign | ((uint64_t)e << 52) | (mx & frac));
}

/* tan = sin / cos on the reduced argument (within 3 ulp, for |x| <= 2^20). */
double NSGX_LIBM(tan)(double x) {
  if (x != x) return x + x;
  if (NSGX_LIBM(fabs)(x) == double_of(INF_BITS)) return x - x;
  if (NSGX_LIBM(fabs)(x) < 0x1p-27) return x;
  double r = x;
  int64_t k = 0;
  if (NSGX_LIBM(fabs)(x) >= 0x1p60) {
    r = 0; /* as sin and cos: in range, no accuracy claimed */
  } else if (NSGX_LIBM(fabs)(x) > 0.7853981633974483) {
    const double kd = round_half_away(x * TWO_OVER_PI);
    r = ((x - kd * PIO2_1) - kd * PIO2_2) - kd * PIO2_3;
    k = (int64_t)kd;
  }
  if (k & 1) return -cos_kernel(r) / sin_kernel(r);
  return sin_kernel(r) / cos_kernel(r);
}

/* atan(c) for the reduction points c = 1/2, 1, 3/2, and pi/2, pi, each in
 * two parts (hi rounded to double, lo the rest), computed to 60 digits. */
static const double ATAN_HALF_HI = 0x1.dac670561bb4fp-2, ATAN_HALF_LO = 0x1.a2b7f222f65e2p-56;
static const double ATAN_ONE_HI = 0x1.921fb54442d18p-1, ATAN_ONE_LO = 0x1.1a62633145c07p-55;
static const double ATAN_3HALF_HI = 0x1.f730bd281f69bp-1, ATAN_3HALF_LO = 0x1.007887af0cbbdp-56;
static const double PIO2_HI = 0x1.921fb54442d18p+0, PIO2_LO = 0x1.1a62633145c07p-54;
static const double PI_HI = 0x1.921fb54442d18p+1, PI_LO = 0x1.1a62633145c07p-53;

/* atan t - t for |t| <= 0.44: the series -t^3/3 + t^5/5 - ..., to t^51/51
 * (the next term is below 2^-60 t). */
static double atan_tail(double t) {
  const double z = t * t;
  double p = 0;
  for (int n = 25; n >= 1; --n) p = ((n & 1) ? -1.0 : 1.0) / (2 * n + 1) + z * p;
  return t * z * p;
}

/* atan(a) = atan(c) + atan((a - c) / (1 + a c)) with c the nearest of
 * 0, 1/2, 1, 3/2, or pi/2 - atan(1/a) past 39/16: |t| <= 0.44. */
double NSGX_LIBM(atan)(double x) {
  if (x != x) return x + x;
  const double a = NSGX_LIBM(fabs)(x);
  double r;
  if (a < 0x1p-27) return x;
  if (a > 0x1p66) {
    r = PIO2_HI + PIO2_LO;
  } else if (a <= 7.0 / 16) {
    r = a + atan_tail(a);
  } else {
    double hi, lo, t;
    if (a <= 11.0 / 16) {
      hi = ATAN_HALF_HI, lo = ATAN_HALF_LO, t = (a - 0.5) / (1.0 + 0.5 * a);
    } else if (a <= 19.0 / 16) {
      hi = ATAN_ONE_HI, lo = ATAN_ONE_LO, t = (a - 1.0) / (1.0 + a);
    } else if (a <= 39.0 / 16) {
      hi = ATAN_3HALF_HI, lo = ATAN_3HALF_LO, t = (a - 1.5) / (1.0 + 1.5 * a);
    } else {
      hi = PIO2_HI, lo = PIO2_LO, t = -1.0 / a;
    }
    r = hi + (lo + (t + atan_tail(t)));
  }
  return x < 0 ? -r : r;
}

/* C11 F.10.1.4's special cases, then atan(|y/x|) placed in its quadrant. */
double NSGX_LIBM(atan2)(double y, double x) {
  if (x != x || y != y) return x + y;
  const int ny = (int)(bits_of(y) >> 63), nx = (int)(bits_of(x) >> 63);
  const double inf = double_of(INF_BITS);
  double r;
  if (NSGX_LIBM(fabs)(y) == inf) {
    if (NSGX_LIBM(fabs)(x) == inf)
      r = nx ? 3 * (ATAN_ONE_HI + ATAN_ONE_LO) : ATAN_ONE_HI + ATAN_ONE_LO;
    else
      r = PIO2_HI + PIO2_LO;
  } else if (y == 0 || NSGX_LIBM(fabs)(x) == inf) {
    r = nx ? PI_HI + PI_LO : 0.0;
  } else if (x == 0) {
    r = PIO2_HI + PIO2_LO;
  } else {
    const double a = NSGX_LIBM(atan)(NSGX_LIBM(fabs)(y / x)); /* y/x overflows to inf: pi/2; underflows: 0 */
    r = nx ? PI_HI - (a - PI_LO) : a;
  }
  return ny ? -r : r;
}

/* asin x = atan2(x, sqrt(1 - x^2)), acos x = atan2(sqrt(1 - x^2), x), with
 * 1 - x^2 as (1 - x)(1 + x) (1 - x is exact for x in [1/2, 1]). */
double NSGX_LIBM(asin)(double x) {
  if (x != x) return x + x;
  const double a = NSGX_LIBM(fabs)(x);
  if (a > 1) return (x - x) / (x - x);
  if (a < 0x1p-27) return x;
  return NSGX_LIBM(atan2)(x, NSGX_LIBM(sqrt)((1.0 - a) * (1.0 + a)));
}

double NSGX_LIBM(acos)(double x) {
  if (x != x) return x + x;
  const double a = NSGX_LIBM(fabs)(x);
  if (a > 1) return (x - x) / (x - x);
  return NSGX_LIBM(atan2)(NSGX_LIBM(sqrt)((1.0 - a) * (1.0 + a)), x);
}

/* log(1 + x) with the rounding error of u = 1 + x added back as c / u. */
static double log1p_(double x) {
  if (x != x) return x + x;
  if (x < -1) return (x - x) / (x - x);
  if (x == -1) return -double_of(INF_BITS);
  if (x == double_of(INF_BITS)) return x;
  if (NSGX_LIBM(fabs)(x) < 0x1p-54) return x;
  const double u = 1.0 + x;
  const double c = u > 2.0 ? 1.0 - (u - x) : x - (u - 1.0);
  return NSGX_LIBM(log)(u) + c / u;
}

/* sinh, cosh, tanh from e^|x| - 1 (no cancellation near 0); past 709.78,
 * e^|x|/2 as (e^(|x|/2) / 2) e^(|x|/2) so that it overflows only when the
 * result does. */
static double half_exp_large(double a) {
  const double w = NSGX_LIBM(exp)(0.5 * a);
  return (0.5 * w) * w;
}

double NSGX_LIBM(sinh)(double x) {
  if (x != x) return x + x;
  const double a = NSGX_LIBM(fabs)(x);
  double h;
  if (a < 0x1p-28) return x;
  if (a < 22) {
    const double t = expm1_(a);
    h = 0.5 * (t + t / (t + 1.0));
  } else {
    h = a < 709.0 ? 0.5 * NSGX_LIBM(exp)(a) : half_exp_large(a);
  }
  return x < 0 ? -h : h;
}

double NSGX_LIBM(cosh)(double x) {
  if (x != x) return x * x;
  const double a = NSGX_LIBM(fabs)(x);
  if (a < 0x1p-27) return 1.0;
  if (a < 0.34657359027997264) { /* ln2 / 2 */
    const double t = expm1_(a);
    return 1.0 + (t * t) / (2.0 * (1.0 + t));
  }
  if (a < 22) {
    const double e = NSGX_LIBM(exp)(a);
    return 0.5 * e + 0.5 / e;
  }
  return a < 709.0 ? 0.5 * NSGX_LIBM(exp)(a) : half_exp_large(a);
}

double NSGX_LIBM(tanh)(double x) {
  if (x != x) return x + x;
  const double a = NSGX_LIBM(fabs)(x);
  double h;
  if (a < 0x1p-28) return x;
  if (a >= 22) {
    h = 1.0; /* tanh(22) rounds to 1 */
  } else {
    const double t = expm1_(2.0 * a);
    h = t / (t + 2.0);
  }
  return x < 0 ? -h : h;
}

/* asinh x = log(x + sqrt(x^2 + 1)), acosh x = log(x + sqrt(x^2 - 1)),
 * atanh x = log((1 + x) / (1 - x)) / 2, through log1p where the argument
 * is near 1 and through log x + ln 2 where x^2 would overflow. */
double NSGX_LIBM(asinh)(double x) {
  if (x != x) return x + x;
  const double a = NSGX_LIBM(fabs)(x);
  double r;
  if (a < 0x1p-28) return x;
  if (a > 0x1p28) {
    r = NSGX_LIBM(log)(a) + (LN2_HI + LN2_LO);
  } else if (a > 2) {
    r = NSGX_LIBM(log)(2.0 * a + 1.0 / (NSGX_LIBM(sqrt)(a * a + 1.0) + a));
  } else {
    const double t = a * a;
    r = log1p_(a + t / (1.0 + NSGX_LIBM(sqrt)(1.0 + t)));
  }
  return x < 0 ? -r : r;
}

double NSGX_LIBM(acosh)(double x) {
  if (x != x) return x + x;
  if (x < 1) return (x - x) / (x - x);
  if (x > 0x1p28) return NSGX_LIBM(log)(x) + (LN2_HI + LN2_LO);
  if (x > 2) return NSGX_LIBM(log)(2.0 * x - 1.0 / (x + NSGX_LIBM(sqrt)(x * x - 1.0)));
  const double t = x - 1.0; /* exact */
  return log1p_(t + NSGX_LIBM(sqrt)(2.0 * t + t * t));
}

double NSGX_LIBM(atanh)(double x) {
  if (x != x) return x + x;
  const double a = NSGX_LIBM(fabs)(x);
  double r;
  if (a > 1) return (x - x) / (x - x);
  if (a == 1) return x / 0.0;
  if (a < 0x1p-28) return x;
  if (a < 0.5) {
    const double t = a + a;
    r = 0.5 * log1p_(t + t * a / (1.0 - a));
  } else {
    r = 0.5 * log1p_((a + a) / (1.0 - a));
  }
  return x < 0 ? -r : r;
}
