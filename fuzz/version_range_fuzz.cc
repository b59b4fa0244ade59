// Vendors type version ranges ("compatible_versions") and devices send
// their application version: neither parser may crash on any text, and an
// accepted range is stable under its own normalised form.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/version_range.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::string range_text = in.ConsumeRandomLengthString(200);
  std::string version_text = in.ConsumeRemainingBytesAsString();
  auto version = licentia::Version::Parse(version_text);
  if (version.ok()) {
    auto again = licentia::Version::Parse(version->ToString());
    if (!again.ok() || !(*again == *version)) __builtin_trap();
  }
  auto range = licentia::VersionRange::Parse(range_text);
  if (!range.ok()) return 0;
  auto normalised = licentia::VersionRange::Parse(range->ToString());
  if (!normalised.ok() || normalised->ToString() != range->ToString()) {
    __builtin_trap();
  }
  if (version.ok() &&
      range->Contains(*version) != normalised->Contains(*version)) {
    __builtin_trap();
  }
  return 0;
}
