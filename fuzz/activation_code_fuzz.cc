// Any text a user might type or paste as an activation code: Parse never
// crashes, and what it accepts is stable under its own formatting.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/activation_code.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto code = licentia::ActivationCode::Parse(input);
  if (!code.ok()) return 0;
  auto again = licentia::ActivationCode::Parse(code->Formatted());
  if (!again.ok() || !(*again == *code)) __builtin_trap();
  auto canonical = licentia::ActivationCode::Parse(code->Canonical());
  if (!canonical.ok() || !(*canonical == *code)) __builtin_trap();
  if (code->Masked().size() != code->Formatted().size()) __builtin_trap();
  return 0;
}
