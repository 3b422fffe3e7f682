// Known answers for the trusted runtime's math functions (libm.c), built
// here under other names (NSGX_LIBM_TEST_NAMES) beside glibc's libm, which
// is the reference: the error of each, in ulps, over random arguments in the
// domains libm.c documents, and the special values of C11 Annex F.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

extern "C" {
double nsgx_libm_sqrt(double);
double nsgx_libm_fabs(double);
double nsgx_libm_exp(double);
double nsgx_libm_log(double);
double nsgx_libm_pow(double, double);
double nsgx_libm_sin(double);
double nsgx_libm_cos(double);
double nsgx_libm_tan(double);
double nsgx_libm_asin(double);
double nsgx_libm_acos(double);
double nsgx_libm_atan(double);
double nsgx_libm_atan2(double, double);
double nsgx_libm_sinh(double);
double nsgx_libm_cosh(double);
double nsgx_libm_tanh(double);
double nsgx_libm_asinh(double);
double nsgx_libm_acosh(double);
double nsgx_libm_atanh(double);
double nsgx_libm_fmod(double, double);
double nsgx_libm_trunc(double);
}

namespace {

// Distance in representable doubles (same sign assumed where it matters).
std::uint64_t ulps(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : UINT64_MAX;
  if (a == b) return 0;
  auto ordered = [](double x) {
    const auto u = std::bit_cast<std::int64_t>(x);
    return u < 0 ? INT64_MIN - u : u;
  };
  // Unsigned: the difference of two ordered values may not fit an int64.
  const std::uint64_t d = static_cast<std::uint64_t>(ordered(a)) - static_cast<std::uint64_t>(ordered(b));
  return std::min(d, 0 - d);
}

template <typename F, typename G, typename Gen>
std::uint64_t max_error(F ours, G ref, Gen gen, int n) {
  std::uint64_t worst = 0;
  for (int i = 0; i < n; ++i) {
    const double x = gen();
    const std::uint64_t e = ulps(ours(x), ref(x));
    if (e > worst) worst = e;
  }
  return worst;
}

constexpr int kSamples = 200000;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

TEST(TrtsLibm, SqrtAndFabsAreExact) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < kSamples; ++i) {
    const double x = std::bit_cast<double>(rng() >> 1);  // every positive double, subnormals too
    if (std::isnan(x)) continue;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(nsgx_libm_sqrt(x)), std::bit_cast<std::uint64_t>(std::sqrt(x))) << x;
    ASSERT_EQ(nsgx_libm_fabs(-x), x);
  }
  EXPECT_TRUE(std::isnan(nsgx_libm_sqrt(-1.0)));
  EXPECT_TRUE(std::signbit(nsgx_libm_sqrt(-0.0)));
}

TEST(TrtsLibm, ExpWithinOneUlp) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> wide(-745.0, 709.7), narrow(-1.0, 1.0);
  EXPECT_LE(max_error(
                nsgx_libm_exp, [](double x) { return std::exp(x); }, [&] { return wide(rng); }, kSamples),
            1u);
  EXPECT_LE(max_error(
                nsgx_libm_exp, [](double x) { return std::exp(x); }, [&] { return narrow(rng); }, kSamples),
            1u);
  EXPECT_EQ(nsgx_libm_exp(0.0), 1.0);
  EXPECT_EQ(nsgx_libm_exp(1000.0), kInf);
  EXPECT_EQ(nsgx_libm_exp(-1000.0), 0.0);
  EXPECT_EQ(nsgx_libm_exp(-kInf), 0.0);
  EXPECT_EQ(nsgx_libm_exp(kInf), kInf);
  EXPECT_TRUE(std::isnan(nsgx_libm_exp(kNan)));
}

TEST(TrtsLibm, LogWithinOneUlp) {
  std::mt19937_64 rng(3);
  auto any_positive = [&] {
    for (;;) {
      const double x = std::bit_cast<double>(rng() >> 1);
      if (std::isfinite(x) && x > 0) return x;
    }
  };
  std::uniform_real_distribution<double> near_one(0.5, 2.0);
  EXPECT_LE(max_error(
                nsgx_libm_log, [](double x) { return std::log(x); }, any_positive, kSamples),
            1u);
  EXPECT_LE(max_error(
                nsgx_libm_log, [](double x) { return std::log(x); }, [&] { return near_one(rng); }, kSamples),
            1u);
  EXPECT_EQ(nsgx_libm_log(1.0), 0.0);
  EXPECT_EQ(nsgx_libm_log(0.0), -kInf);
  EXPECT_EQ(nsgx_libm_log(kInf), kInf);
  EXPECT_TRUE(std::isnan(nsgx_libm_log(-1.0)));
  EXPECT_TRUE(std::isnan(nsgx_libm_log(kNan)));
}

// 2 ulps: the reduced argument is one double, without its rounding error.
TEST(TrtsLibm, SinCosWithinTwoUlps) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> small(-10.0, 10.0), large(-0x1p20, 0x1p20);
  for (auto* dist : {&small, &large}) {
    auto gen = [&] { return (*dist)(rng); };
    EXPECT_LE(max_error(
                  nsgx_libm_sin, [](double x) { return std::sin(x); }, gen, kSamples),
              2u);
    EXPECT_LE(max_error(
                  nsgx_libm_cos, [](double x) { return std::cos(x); }, gen, kSamples),
              2u);
  }
  EXPECT_EQ(nsgx_libm_sin(0.0), 0.0);
  EXPECT_TRUE(std::signbit(nsgx_libm_sin(-0.0)));
  EXPECT_EQ(nsgx_libm_cos(0.0), 1.0);
  EXPECT_EQ(nsgx_libm_sin(1e-300), 1e-300);
  EXPECT_TRUE(std::isnan(nsgx_libm_sin(kInf)));
  for (double huge : {0x1p61, -0x1p70, 1e300}) {  // no accuracy claimed, but a value in range
    EXPECT_LE(std::fabs(nsgx_libm_sin(huge)), 1.0);
    EXPECT_LE(std::fabs(nsgx_libm_cos(huge)), 1.0);
  }
  EXPECT_TRUE(std::isnan(nsgx_libm_cos(-kInf)));
  EXPECT_TRUE(std::isnan(nsgx_libm_cos(kNan)));
}

// pow is exp(y log x): its error grows with |y log x| (libm.c); within
// 8 ulps for |y log x| <= 4 (the workloads' (x+1)^x has at most 2.2), and
// exact on the special cases C11 F.10.4.4 lists.
TEST(TrtsLibm, PowWithinItsDocumentedBound) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> base(0.05, 8.0), expo(-1.9, 1.9);
  std::uint64_t worst = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double x = base(rng), y = expo(rng);
    worst = std::max(worst, ulps(nsgx_libm_pow(x, y), std::pow(x, y)));
  }
  EXPECT_LE(worst, 8u);
  EXPECT_EQ(nsgx_libm_pow(2.0, 10.0), 1024.0);
  EXPECT_EQ(nsgx_libm_pow(-2.0, 3.0), -8.0);
  EXPECT_TRUE(std::isnan(nsgx_libm_pow(-2.0, 0.5)));
  EXPECT_EQ(nsgx_libm_pow(kNan, 0.0), 1.0);
  EXPECT_EQ(nsgx_libm_pow(1.0, kNan), 1.0);
  EXPECT_EQ(nsgx_libm_pow(0.0, -1.0), kInf);
  EXPECT_EQ(nsgx_libm_pow(-0.0, -1.0), -kInf);
  EXPECT_EQ(nsgx_libm_pow(0.5, kInf), 0.0);
  EXPECT_EQ(nsgx_libm_pow(2.0, kInf), kInf);
  EXPECT_EQ(nsgx_libm_pow(-1.0, kInf), 1.0);
  EXPECT_EQ(nsgx_libm_pow(kInf, -2.0), 0.0);
}

// What SQLite's math SQL functions call (docs/posix.md): the error bound
// libm.c states for each, over wide and narrow ranges of arguments.
struct Unary {
  const char* name;
  double (*ours)(double);
  double (*ref)(double);
  double lo, hi;
  std::uint64_t bound;
};

TEST(TrtsLibm, InverseAndHyperbolicWithinTheirBounds) {
  const Unary cases[] = {
      {"tan", nsgx_libm_tan, ::tan, -10.0, 10.0, 3},         {"tan", nsgx_libm_tan, ::tan, -0x1p20, 0x1p20, 3},
      {"asin", nsgx_libm_asin, ::asin, -1.0, 1.0, 3},        {"asin", nsgx_libm_asin, ::asin, -1e-3, 1e-3, 3},
      {"acos", nsgx_libm_acos, ::acos, -1.0, 1.0, 3},        {"atan", nsgx_libm_atan, ::atan, -4.0, 4.0, 2},
      {"atan", nsgx_libm_atan, ::atan, -1e6, 1e6, 2},        {"sinh", nsgx_libm_sinh, ::sinh, -1.0, 1.0, 3},
      {"sinh", nsgx_libm_sinh, ::sinh, -710.0, 710.0, 3},    {"cosh", nsgx_libm_cosh, ::cosh, -1.0, 1.0, 3},
      {"cosh", nsgx_libm_cosh, ::cosh, -710.0, 710.0, 3},    {"tanh", nsgx_libm_tanh, ::tanh, -3.0, 3.0, 3},
      {"tanh", nsgx_libm_tanh, ::tanh, -0.01, 0.01, 3},      {"asinh", nsgx_libm_asinh, ::asinh, -4.0, 4.0, 3},
      {"asinh", nsgx_libm_asinh, ::asinh, -1e300, 1e300, 3}, {"acosh", nsgx_libm_acosh, ::acosh, 1.0, 4.0, 3},
      {"acosh", nsgx_libm_acosh, ::acosh, 1.0, 1e300, 3},    {"atanh", nsgx_libm_atanh, ::atanh, -1.0, 1.0, 3},
      {"atanh", nsgx_libm_atanh, ::atanh, -1e-4, 1e-4, 3},
  };
  std::mt19937_64 rng(6);
  for (const Unary& c : cases) {
    std::uniform_real_distribution<double> d(c.lo, c.hi);
    EXPECT_LE(max_error(
                  c.ours, c.ref, [&] { return d(rng); }, kSamples / 4),
              c.bound)
        << c.name << " on [" << c.lo << ", " << c.hi << "]";
  }
  // Annex F's special values.
  EXPECT_EQ(nsgx_libm_atan(kInf), M_PI_2);
  EXPECT_EQ(nsgx_libm_asin(1.0), M_PI_2);
  EXPECT_EQ(nsgx_libm_acos(1.0), 0.0);
  EXPECT_EQ(nsgx_libm_acos(-1.0), M_PI);
  EXPECT_TRUE(std::isnan(nsgx_libm_asin(1.5)));
  EXPECT_TRUE(std::isnan(nsgx_libm_acos(-1.5)));
  EXPECT_TRUE(std::isnan(nsgx_libm_acosh(0.5)));
  EXPECT_TRUE(std::isnan(nsgx_libm_atanh(2.0)));
  EXPECT_EQ(nsgx_libm_atanh(1.0), kInf);
  EXPECT_EQ(nsgx_libm_atanh(-1.0), -kInf);
  EXPECT_EQ(nsgx_libm_sinh(1000.0), kInf);
  EXPECT_EQ(nsgx_libm_cosh(-1000.0), kInf);
  EXPECT_EQ(nsgx_libm_tanh(-kInf), -1.0);
  EXPECT_EQ(nsgx_libm_asinh(-kInf), -kInf);
  EXPECT_TRUE(std::signbit(nsgx_libm_tan(-0.0)));
  EXPECT_TRUE(std::isnan(nsgx_libm_tan(kInf)));
}

TEST(TrtsLibm, Atan2FollowsAnnexF) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> d(-100.0, 100.0);
  std::uint64_t worst = 0;
  for (int i = 0; i < kSamples / 4; ++i) {
    const double y = d(rng), x = d(rng);
    worst = std::max(worst, ulps(nsgx_libm_atan2(y, x), std::atan2(y, x)));
  }
  EXPECT_LE(worst, 3u);
  const double specials[] = {0.0, -0.0, 1.0, -1.0, kInf, -kInf, 1e-310, -3e300};
  for (double y : specials)
    for (double x : specials) {
      // Exact where Annex F names the answer (a zero or an infinity); else within 1 ulp.
      const bool named = y == 0 || x == 0 || std::isinf(y) || std::isinf(x);
      EXPECT_LE(ulps(nsgx_libm_atan2(y, x), std::atan2(y, x)), named ? 0u : 1u) << "atan2(" << y << ", " << x << ")";
    }
  EXPECT_TRUE(std::isnan(nsgx_libm_atan2(kNan, 1.0)));
}

// fmod and trunc are exact: bit for bit glibc's, signed zeros included.
TEST(TrtsLibm, FmodAndTruncAreExact) {
  std::mt19937_64 rng(8);
  auto any = [&] {
    for (;;) {
      const double v = std::bit_cast<double>(rng());
      if (!std::isnan(v)) return v;
    }
  };
  std::uniform_real_distribution<double> mid(-1e6, 1e6);
  for (int i = 0; i < kSamples; ++i) {
    const double x = i % 2 ? any() : mid(rng), y = i % 3 ? any() : mid(rng) / 1000;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(nsgx_libm_fmod(x, y)), std::bit_cast<std::uint64_t>(std::fmod(x, y)))
        << "fmod(" << x << ", " << y << ")";
    ASSERT_EQ(std::bit_cast<std::uint64_t>(nsgx_libm_trunc(x)), std::bit_cast<std::uint64_t>(std::trunc(x))) << x;
  }
  EXPECT_TRUE(std::isnan(nsgx_libm_fmod(1.0, 0.0)));
  EXPECT_TRUE(std::isnan(nsgx_libm_fmod(kInf, 1.0)));
  EXPECT_EQ(nsgx_libm_fmod(5.0, kInf), 5.0);
  EXPECT_TRUE(std::signbit(nsgx_libm_fmod(-4.0, 2.0)));
  EXPECT_EQ(nsgx_libm_fmod(1e-310, 3e-311), std::fmod(1e-310, 3e-311));  // subnormals
  EXPECT_TRUE(std::signbit(nsgx_libm_trunc(-0.5)));
  EXPECT_EQ(nsgx_libm_trunc(kInf), kInf);
}

}  // namespace
