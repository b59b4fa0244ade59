// Errors as values. Every fallible operation in Licentia returns a Status or a
// Result<T>: a stable machine-readable error code plus a sentence a person can
// act on. Codes are part of the public contract (HTTP API, CLI --json, C API)
// and are never renumbered or renamed; new ones are only appended.
#ifndef LICENTIA_STATUS_H_
#define LICENTIA_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace licentia {

// The stable error codes, numbered in the order of licentia/error_codes.def
// (which says what each means, and is the one place a code is added).
enum class ErrorCode {
#define LICENTIA_ERROR_CODE(enumerator, name, http, exit, advice) enumerator,
#include "licentia/error_codes.def"
#undef LICENTIA_ERROR_CODE
};

// How many codes there are: every value from 0 to kErrorCodeCount - 1 is
// a code.
constexpr int kErrorCodeCount = 0
#define LICENTIA_ERROR_CODE(enumerator, name, http, exit, advice) +1
#include "licentia/error_codes.def"
#undef LICENTIA_ERROR_CODE
    ;
// The highest code.
constexpr ErrorCode kLastErrorCode =
    static_cast<ErrorCode>(kErrorCodeCount - 1);

// Stable upper-case name, e.g. "CODE_BLOCKED". Never changes for a code.
std::string_view ErrorCodeName(ErrorCode code);
// Inverse of ErrorCodeName. Returns std::nullopt for an unknown name.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE_NAME: message", for logs.
  std::string ToString() const;

  // For kRateLimited and kUnavailable: how many whole seconds the caller
  // should wait before trying again (the server's Retry-After header), or
  // 0 when unknown.
  int retry_after_seconds() const { return retry_after_seconds_; }
  Status&& WithRetryAfter(int seconds) && {
    retry_after_seconds_ = seconds;
    return std::move(*this);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  int retry_after_seconds_ = 0;
};

// Either a value or a non-OK Status. Accessing value() of an error is a
// programming error (asserts in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {
    assert(!std::get<Status>(v_).ok());
  }
  Result(ErrorCode code, std::string message)
      : v_(Status(code, std::move(message))) {}
  // A Result of a type that converts to T converts, keeping its error.
  template <typename U>
  requires(!std::is_same_v<U, T> && std::is_convertible_v<U&&, T>)
      Result(Result<U>&& other)  // NOLINT: implicit by design
      : v_(other.ok() ? std::variant<T, Status>(T(std::move(other).value()))
                      : std::variant<T, Status>(other.status())) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
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
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace licentia

// Propagates a non-OK Status from an expression returning Status.
#define LICENTIA_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::licentia::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)

#define LICENTIA_CONCAT_INNER(a, b) a##b
#define LICENTIA_CONCAT(a, b) LICENTIA_CONCAT_INNER(a, b)
// `LICENTIA_ASSIGN_OR_RETURN(auto x, Fallible());`
#define LICENTIA_ASSIGN_OR_RETURN(lhs, expr) \
  LICENTIA_ASSIGN_OR_RETURN_IMPL(LICENTIA_CONCAT(_res_, __LINE__), lhs, expr)
#define LICENTIA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

#endif  // LICENTIA_STATUS_H_
