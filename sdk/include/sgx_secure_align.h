// The SGX SDK's secure-alignment templates (sgx_secure_align.h), written
// from its documented interface: a value whose secret fields avoid bytes
// 0..7 of every 64-byte cache line (Intel-SA-00219's guidance; the C API
// is sgx_secure_align_api.h).
//
//   sgx::custom_alignment_aligned<T, A, O1, L1, O2, L2, ...> x(args...);
//   sgx::custom_alignment<T, O1, L1, ...> y(args...);   // A = alignof(T)
//
// hold a T in `.v`, built from `args`, at an alignment of at least A, with
// the bytes [Oi, Oi + Li) of T placed at bytes 8..63 of their cache lines
// (the object is aligned to a whole line for that). No pairs: T is only
// aligned. A layout with no such placement (a secret run longer than 56
// bytes) does not compile. sgx::rol/sgx::ror are the rotations the SDK's
// header offers beside them.
#ifndef SGX_SECURE_ALIGN_H_
#define SGX_SECURE_ALIGN_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace sgx {

template <class T>
constexpr T rol(T v, std::size_t c) {
  using U = std::make_unsigned_t<T>;
  constexpr std::size_t bits = sizeof(T) * 8;
  const std::size_t s = c % bits;
  const U u = static_cast<U>(v);
  return static_cast<T>(s == 0 ? u : static_cast<U>((u << s) | (u >> (bits - s))));
}

template <class T>
constexpr T ror(T v, std::size_t c) {
  constexpr std::size_t bits = sizeof(T) * 8;
  return rol(v, bits - c % bits);
}

namespace secure_align_detail {

inline constexpr std::size_t kLine = 64;
inline constexpr std::size_t kExposed = 8;

// Does [start, start + len), counted from a line's start, touch bytes 0..7
// of a line?
constexpr bool touches_line_start(std::size_t start, std::size_t len) {
  if (len == 0) return false;
  if (start % kLine < kExposed) return true;
  return len > kLine - start % kLine;
}

// The leading space before T in a line-aligned object that keeps every
// (offset, length) pair clear, stepping by the alignment; -1 if none.
template <std::size_t Step, std::size_t... OLs>
constexpr int leading_space() {
  static_assert(sizeof...(OLs) % 2 == 0, "secret fields are given as (offset, length) pairs");
  if constexpr (sizeof...(OLs) == 0) {
    return 0;
  } else {
    constexpr std::size_t ol[] = {OLs...};
    for (std::size_t lead = 0; lead < kLine; lead += Step) {
      bool clear = true;
      for (std::size_t i = 0; i < sizeof...(OLs); i += 2)
        if (touches_line_start(lead + ol[i], ol[i + 1])) clear = false;
      if (clear) return static_cast<int>(lead);
    }
    return -1;
  }
}

template <std::size_t A, class T>
constexpr std::size_t step() {
  static_assert(A != 0 && (A & (A - 1)) == 0, "the alignment must be a power of 2");
  constexpr std::size_t a = A > alignof(T) ? A : alignof(T);
  return a < kLine ? a : kLine;
}

template <class T, std::size_t Align, int Lead>
struct alignas(Align) box {
  static_assert(Lead > 0, "no placement keeps these secret fields out of bytes 0..7 of a cache line");
  char no_secret_here_[static_cast<std::size_t>(Lead > 0 ? Lead : 1)];
  T v;
  template <class... Us>
  box(Us&&... args) : v(std::forward<Us>(args)...) {}  // NOLINT(google-explicit-constructor): as the SDK's
};

template <class T, std::size_t Align>
struct alignas(Align) box<T, Align, 0> {
  T v;
  template <class... Us>
  box(Us&&... args) : v(std::forward<Us>(args)...) {}  // NOLINT(google-explicit-constructor): as the SDK's
};

template <class T, std::size_t A, std::size_t... OLs>
constexpr std::size_t object_alignment() {
  constexpr std::size_t a = A > alignof(T) ? A : alignof(T);
  return sizeof...(OLs) == 0 || a >= kLine ? a : kLine;
}

}  // namespace secure_align_detail

template <class T, std::size_t A, std::size_t... OLs>
using custom_alignment_aligned =
    secure_align_detail::box<T, secure_align_detail::object_alignment<T, A, OLs...>(),
                             secure_align_detail::leading_space<secure_align_detail::step<A, T>(), OLs...>()>;

template <class T, std::size_t... OLs>
using custom_alignment = custom_alignment_aligned<T, alignof(T), OLs...>;

}  // namespace sgx

#endif
