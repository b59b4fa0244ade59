// License keys arrive from disk and from users' clipboards. Two properties:
//  - any text: VerifyLicenseKey never crashes and, since nobody here holds
//    the signing key, never accepts it;
//  - any payload: a key issued for it (alone, or in a batch) verifies to
//  exactly that payload, and
//    changing any one byte of its text makes it fail.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/license_key.h"

namespace {

const licentia::crypto::SigningKeyPair& Signer() {
  static const auto pair = [] {
    std::array<std::uint8_t, licentia::crypto::kSeedBytes> seed{};
    seed.fill(7);
    return licentia::crypto::SigningKeyPairFromSeed(seed);
  }();
  return pair;
}

void AnyText(std::string_view text) {
  std::array<licentia::crypto::PublicKey, 1> trusted{Signer().public_key};
  if (licentia::VerifyLicenseKey(text, trusted).ok()) __builtin_trap();
}

void AnyPayload(FuzzedDataProvider& in) {
  licentia::LicenseKeyPayload p;
  p.serial = in.ConsumeIntegral<std::uint64_t>();
  p.issued_at = in.ConsumeIntegral<std::int64_t>();
  p.valid_from = in.ConsumeIntegral<std::int64_t>();
  p.valid_until = in.ConsumeIntegral<std::int64_t>();
  p.type = static_cast<licentia::LicenseType>(in.ConsumeIntegralInRange(0, 2));
  p.max_devices = in.ConsumeIntegral<std::uint16_t>();
  p.product = in.ConsumeRandomLengthString(300);
  p.edition = in.ConsumeRandomLengthString(300);
  p.code_id = in.ConsumeRandomLengthString(300);
  int features = in.ConsumeIntegralInRange(0, 70);
  for (int i = 0; i < features; ++i) {
    p.features.push_back(in.ConsumeRandomLengthString(20));
  }
  // Format 1, or format 2 as one key of a batch of up to 9.
  std::size_t batch = in.ConsumeIntegralInRange<std::size_t>(0, 9);
  licentia::Result<std::string> key =
      batch == 0 ? licentia::IssueLicenseKey(p, Signer())
                 : std::move(licentia::IssueLicenseKeyBatch(
                       std::vector<licentia::LicenseKeyPayload>(batch, p),
                       Signer())[in.ConsumeIntegralInRange<std::size_t>(
                       0, batch - 1)]);
  if (!key.ok()) return;  // oversized strings or too many features
  std::array<licentia::crypto::PublicKey, 1> trusted{Signer().public_key};
  auto back = licentia::VerifyLicenseKey(*key, trusted);
  p.key_id = back.ok() ? back->key_id : p.key_id;
  if (!back.ok() || !(*back == p)) __builtin_trap();
  if (key->empty()) return;
  std::string altered = *key;
  std::size_t at =
      in.ConsumeIntegralInRange<std::size_t>(0, altered.size() - 1);
  char replacement = static_cast<char>(in.ConsumeIntegral<std::uint8_t>());
  if (replacement == altered[at]) return;
  altered[at] = replacement;
  // Pasting may add blanks or CRs around lines; those are tolerated.
  auto edited = licentia::VerifyLicenseKey(altered, trusted);
  if (edited.ok() && !(*edited == *back)) __builtin_trap();
  bool harmless = replacement == '\r' || replacement == ' ' ||
                  replacement == '\t' || replacement == '\n';
  if (edited.ok() && !harmless) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    AnyText(
        std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    AnyPayload(in);
  }
  return 0;
}
