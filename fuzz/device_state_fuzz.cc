// The SDK's state file is read back from disk on every start: a damaged or
// edited file must be refused, never trusted or crashed on. Its MAC rejects
// almost every change first, so this target also reaches the decoder behind
// it directly. Properties:
//  - any body: DecodeDeviceState never crashes, and what it accepts encodes
//    to a body that decodes to the same state;
//  - any state: sealing then opening it gives it back, and after any one
//    byte of the sealed text changes, opening gives either that same state
//    (the byte was outside what the MAC covers, e.g. blank space) or none.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "client/device_state_codec.h"

namespace {

using licentia::client::CodeInfo;
using licentia::client::DeviceState;

const std::string kKeyMaterial = "fingerprint\nproduct";

// Strings in a state come from the server's JSON (valid UTF-8) or are
// canonical codes, so these are valid UTF-8 too: printable ASCII (quotes
// and backslashes included), control characters, and a two-byte letter.
std::string Str(FuzzedDataProvider& in, std::size_t max) {
  std::string raw = in.ConsumeRandomLengthString(max);
  std::string out;
  for (unsigned char b : raw) {
    if (b >= 0xf0) {
      out += "\xc3\xa9";  // é
    } else if (b < 0x20) {
      out += static_cast<char>(b);
    } else {
      out += static_cast<char>(0x20 + b % 0x5f);
    }
  }
  return out;
}

std::optional<licentia::UnixSeconds> OptTime(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return std::nullopt;
  return in.ConsumeIntegral<std::int64_t>();
}

CodeInfo Code(FuzzedDataProvider& in) {
  CodeInfo c;
  c.code = Str(in, 40);
  c.masked_code = Str(in, 40);
  c.product = Str(in, 40);
  c.edition = Str(in, 40);
  int features = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < features; ++i) {
    c.features.push_back(Str(in, 20));
  }
  c.license_type = Str(in, 20);
  c.term_days = in.ConsumeIntegral<int>();
  c.max_devices = in.ConsumeIntegral<int>();
  c.seats_used = in.ConsumeIntegral<int>();
  c.expires_at = OptTime(in);
  c.key_valid_until = OptTime(in);
  c.grace_days = in.ConsumeIntegral<int>();
  c.prepare_days = in.ConsumeIntegral<int>();
  return c;
}

std::optional<licentia::ProblemReport> Problem(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return std::nullopt;
  licentia::ProblemReport p;
  p.code = static_cast<licentia::ErrorCode>(
      in.ConsumeIntegralInRange(0, static_cast<int>(licentia::kLastErrorCode)));
  p.message = Str(in, 60);
  p.what_to_do = Str(in, 60);
  p.at = in.ConsumeIntegral<std::int64_t>();
  return p;
}

DeviceState State(FuzzedDataProvider& in) {
  DeviceState s;
  s.current = Code(in);
  s.activation_token = Str(in, 60);
  s.license_key = Str(in, 200);
  s.blocked = in.ConsumeBool();
  s.blocked_reason = Str(in, 40);
  s.suspended = in.ConsumeBool();
  s.suspended_reason = Str(in, 40);
  s.reserve = Code(in);
  s.reserve_state =
      static_cast<licentia::ReserveState>(in.ConsumeIntegralInRange(
          0, static_cast<int>(licentia::ReserveState::kFailed)));
  s.failed_attempts = in.ConsumeIntegral<int>();
  s.next_retry_at = OptTime(in);
  s.reserve_error = Problem(in);
  s.last_error = Problem(in);
  s.last_sync = OptTime(in);
  s.trusted_time = in.ConsumeIntegral<std::int64_t>();
  s.clock_offset = in.ConsumeIntegral<std::int64_t>();
  s.last_local_time = in.ConsumeIntegral<std::int64_t>();
  s.activate_now_requested = in.ConsumeBool();
  s.retry_code = Str(in, 40);
  int seats = in.ConsumeIntegralInRange(0, 3);
  for (int i = 0; i < seats; ++i) {
    // A seat without a code names nothing to release; the codec drops it.
    s.seats_to_release.push_back({"C" + Str(in, 40), Str(in, 60)});
  }
  return s;
}

void AnyBody(std::string_view body) {
  auto state = licentia::client::DecodeDeviceState(body);
  if (!state) return;
  auto again = licentia::client::DecodeDeviceState(
      licentia::client::EncodeDeviceState(*state));
  if (!again || !(*again == *state)) __builtin_trap();
}

void AnyState(FuzzedDataProvider& in) {
  DeviceState state = State(in);
  std::string sealed = licentia::client::SealDeviceState(state, kKeyMaterial);
  auto opened = licentia::client::OpenDeviceState(sealed, kKeyMaterial);
  if (!opened || !(*opened == state)) __builtin_trap();
  if (licentia::client::OpenDeviceState(sealed, "another device\nproduct")) {
    __builtin_trap();
  }
  std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, sealed.size() - 1);
  char replacement = static_cast<char>(in.ConsumeIntegral<std::uint8_t>());
  if (replacement == sealed[at]) return;
  sealed[at] = replacement;
  auto edited = licentia::client::OpenDeviceState(sealed, kKeyMaterial);
  if (edited && !(*edited == state)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    AnyBody(
        std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    AnyState(in);
  }
  return 0;
}
