// Names the calling thread, so `top -H`, `perf` and debuggers tell
// licentiad's threads apart (network, writer, WAL sync, checkpointer, ...).
#ifndef LICENTIA_CORE_THREAD_NAME_H_
#define LICENTIA_CORE_THREAD_NAME_H_

#include <string_view>

namespace licentia {

// Linux keeps at most 15 characters; longer names are cut. Best effort:
// a failure is ignored.
void SetCurrentThreadName(std::string_view name);

}  // namespace licentia

#endif  // LICENTIA_CORE_THREAD_NAME_H_
