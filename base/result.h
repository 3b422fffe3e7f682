// Result<T>: a value or an Error, never an exception.
//
// The monitor core is built without exceptions (STYLE §4), so every fallible
// call in the layers it uses returns one of these. Parsers of untrusted bytes
// return Result<T> with a message that names what was wrong; callers either
// forward it (NSGX_TRY) or turn it into their own error space.
//
//   Result<Sigstruct> s = Sigstruct::parse(bytes);
//   if (!s) { log(s.error().message()); return s.error(); }
//   use(*s);
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace nsgx {

class [[nodiscard]] Error {
 public:
  explicit Error(std::string message) : message_(std::move(message)) {}
  const std::string& message() const { return message_; }

  // Prefixes context, e.g. "metadata: " + "layout entry 3 overlaps entry 2".
  Error context(const std::string& prefix) const { return Error(prefix + ": " + message_); }

 private:
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}   // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<Error>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{""};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace nsgx

// Forwards the error of a Result-returning expression; otherwise evaluates to nothing.
#define NSGX_RETURN_IF_ERROR(expr)          \
  do {                                      \
    auto nsgx_status_ = (expr);             \
    if (!nsgx_status_) return nsgx_status_.error(); \
  } while (0)

#define NSGX_CONCAT_INNER(a, b) a##b
#define NSGX_CONCAT(a, b) NSGX_CONCAT_INNER(a, b)
// NSGX_ASSIGN_OR_RETURN(auto x, parse(...));
#define NSGX_ASSIGN_OR_RETURN(lhs, expr) NSGX_ASSIGN_OR_RETURN_IMPL(NSGX_CONCAT(nsgx_r_, __LINE__), lhs, expr)
#define NSGX_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp) return tmp.error();                    \
  lhs = std::move(tmp).value()
