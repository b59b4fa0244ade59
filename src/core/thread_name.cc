#include "core/thread_name.h"

#include <pthread.h>

#include <string>

namespace licentia {

void SetCurrentThreadName(std::string_view name) {
  constexpr std::size_t kMaxNameLength = 15;  // without the terminating NUL
  std::string cut(name.substr(0, kMaxNameLength));
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace licentia
