// A non-owning reference to a callable, for callbacks that are only called
// during the call they are passed to (a row visitor, say). Unlike
// std::function it never allocates: a lambda capturing three references
// does not fit std::function's small buffer, and the store's statements
// run one visitor per statement on the single SQLite writer.
//
// REQUIRES: the callable outlives every call through the reference; in
// practice, pass a lambda directly as the argument.
#ifndef LICENTIA_CORE_FUNCTION_REF_H_
#define LICENTIA_CORE_FUNCTION_REF_H_

#include <memory>
#include <type_traits>
#include <utility>

namespace licentia {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>)
      FunctionRef(F&& f)  // NOLINT(google-explicit-constructor)
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(
              std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const {
    return call_(object_, std::forward<Args>(args)...);
  }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace licentia

#endif  // LICENTIA_CORE_FUNCTION_REF_H_
