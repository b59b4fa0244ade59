// Device request files (docs/offline-files.md) arrive at the vendor from
// anywhere: the reader must refuse whatever is not a request written by a
// device, and never crash. Properties:
//  - any text: ReadOfflineRequest never crashes; what it accepts is
//    written back (with a fresh key) into a file that reads the same;
//  - a request it wrote verifies, and with any one byte changed it reads
//    either the same request or none;
//  - any text as a response file: ReadOfflineResponse never crashes and
//    never accepts what a trusted key did not sign.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/offline_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using licentia::OfflineRequest;
  std::string text(reinterpret_cast<const char*>(data), size);
  // The device reads response files the same way: never crashes, and
  // nothing unsigned by a trusted key passes.
  static const auto server = licentia::crypto::GenerateSigningKeyPair();
  const licentia::crypto::PublicKey trusted[] = {server.public_key};
  if (licentia::ReadOfflineResponse(text, trusted).ok()) std::abort();
  auto read = licentia::ReadOfflineRequest(text);
  if (read.ok()) {
    auto again = licentia::ReadOfflineRequest(licentia::WriteOfflineRequest(
        *read, licentia::crypto::GenerateSigningKeyPair()));
    if (!again.ok() || !(*again == *read)) std::abort();
  }
  FuzzedDataProvider in(data, size);
  OfflineRequest r;
  r.kind = static_cast<licentia::OfflineRequestKind>(
      in.ConsumeIntegralInRange<int>(0, 3));
  r.created_at = in.ConsumeIntegral<std::int32_t>();
  r.product = in.ConsumeRandomLengthString(64);
  r.code = in.ConsumeRandomLengthString(64);
  r.fingerprint = in.ConsumeRandomLengthString(128);
  r.app_version = in.ConsumeRandomLengthString(32);
  if (r.kind != licentia::OfflineRequestKind::kActivate) {
    r.activation_token = in.ConsumeRandomLengthString(128);
  }
  if (r.kind == licentia::OfflineRequestKind::kAddReserve) {
    r.reserve_code = in.ConsumeRandomLengthString(64);
  }
  std::string written = licentia::WriteOfflineRequest(
      r, licentia::crypto::GenerateSigningKeyPair());
  auto own = licentia::ReadOfflineRequest(written);
  // Strings that are not valid UTF-8 cannot travel in JSON; the rest must.
  if (!own.ok()) return 0;
  if (!(*own == r)) std::abort();
  if (!written.empty()) {
    std::size_t at =
        in.ConsumeIntegralInRange<std::size_t>(0, written.size() - 1);
    written[at] = static_cast<char>(written[at] ^ 0x01);
    auto edited = licentia::ReadOfflineRequest(written);
    if (edited.ok() && !(*edited == r)) std::abort();
  }
  return 0;
}
