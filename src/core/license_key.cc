#include "core/license_key.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

namespace licentia {
namespace {

// Fixed-size header: magic(4) version(1) key_id(8) serial(8) issued_at(8)
// valid_from(8) valid_until(8) type(1) max_devices(2) device_binding(32).
constexpr size_t kHeaderBytes = 4 + 1 + 8 + 8 + 8 + 8 + 8 + 1 + 2 + 32;
constexpr size_t kVersionOffset = 4;
constexpr size_t kKeyIdOffset = 5;
// Format 2 puts salt(16) index(1) depth(1) between the sibling hashes and
// the signature, so a verifier reads the proof from the end.
constexpr size_t kBatchTrailerBytes = kLeafSaltBytes + 1 + 1;

void PutU8(crypto::Bytes& out, std::uint8_t v) { out.push_back(v); }
void PutU16(crypto::Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void PutU64(crypto::Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}
void PutString(crypto::Bytes& out, std::string_view s) {
  PutU16(out, static_cast<std::uint16_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}
  bool U8(std::uint8_t& v) {
    if (!Need(1)) return false;
    v = data_[pos_++];
    return true;
  }
  bool U16(std::uint16_t& v) {
    if (!Need(2)) return false;
    v = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U64(std::uint64_t& v) {
    if (!Need(8)) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | data_[pos_++];
    return true;
  }
  bool I64(std::int64_t& v) {
    std::uint64_t u;
    if (!U64(u)) return false;
    v = static_cast<std::int64_t>(u);
    return true;
  }
  template <size_t N>
  bool Array(std::array<std::uint8_t, N>& out) {
    if (!Need(N)) return false;
    std::copy_n(data_.begin() + pos_, N, out.begin());
    pos_ += N;
    return true;
  }
  bool String(std::string& out) {
    std::uint16_t len;
    if (!U16(len) || len > kMaxKeyStringBytes || !Need(len)) return false;
    out.assign(reinterpret_cast<const char*>(data_.data() + pos_), len);
    pos_ += len;
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  bool Need(size_t n) const { return data_.size() - pos_ >= n; }
  std::span<const std::uint8_t> data_;
  size_t pos_ = 0;
};

Status Malformed(std::string_view what) {
  return Status(ErrorCode::kKeyMalformed,
                fmt::format("This is not a valid license key: {}.", what));
}

Result<LicenseKeyPayload> DecodePayload(std::span<const std::uint8_t> bytes,
                                        KeyFormat format) {
  Reader r(bytes);
  LicenseKeyPayload p;
  std::array<std::uint8_t, 4> magic;
  std::uint8_t version = 0, type = 0;
  std::uint16_t feature_count = 0;
  if (!r.Array(magic) ||
      std::string_view(reinterpret_cast<const char*>(magic.data()), 4) !=
          kLicenseKeyMagic) {
    return Malformed("wrong magic");
  }
  if (!r.U8(version) || version != static_cast<std::uint8_t>(format)) {
    return Malformed("unsupported format version");
  }
  if (!r.Array(p.key_id) || !r.U64(p.serial) || !r.I64(p.issued_at) ||
      !r.I64(p.valid_from) || !r.I64(p.valid_until) || !r.U8(type) ||
      !r.U16(p.max_devices) || !r.Array(p.device_binding) ||
      !r.String(p.product) || !r.String(p.edition) || !r.String(p.code_id) ||
      !r.U16(feature_count) || feature_count > kMaxKeyFeatures) {
    return Malformed("truncated or oversized payload");
  }
  if (type > static_cast<std::uint8_t>(LicenseType::kTrial)) {
    return Malformed("unknown license type");
  }
  p.type = static_cast<LicenseType>(type);
  p.features.resize(feature_count);
  for (auto& f : p.features) {
    if (!r.String(f)) return Malformed("truncated feature list");
  }
  if (!r.AtEnd()) return Malformed("trailing bytes");
  return p;
}

}  // namespace

// The one canonical text form of a signed key: BEGIN line, Base64 in lines of
// 64 characters, END line, each line ending in '\n'.
std::string ArmourLicenseKey(std::span<const std::uint8_t> bytes) {
  std::string b64 = crypto::ToBase64Public(bytes);
  std::string out;
  out.reserve(kLicenseKeyBegin.size() + kLicenseKeyEnd.size() + b64.size() +
              b64.size() / 64 + 3);
  out += kLicenseKeyBegin;
  out += '\n';
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += kLicenseKeyEnd;
  out += '\n';
  return out;
}

crypto::Hash DeviceBinding(std::string_view fingerprint) {
  std::string input("licentia/device/v1");
  input.push_back('\0');
  input.append(fingerprint);
  return crypto::Blake2b(input);
}

Result<crypto::Bytes> EncodeLicenseKeyPayload(const LicenseKeyPayload& p,
                                              KeyFormat format) {
  for (std::string_view s :
       {std::string_view(p.product), std::string_view(p.edition),
        std::string_view(p.code_id)}) {
    if (s.size() > kMaxKeyStringBytes) {
      return Status(ErrorCode::kInvalidRequest,
                    "A license key field is longer than 255 bytes.");
    }
  }
  if (p.features.size() > kMaxKeyFeatures) {
    return Status(ErrorCode::kInvalidRequest,
                  "A license key carries at most 64 features.");
  }
  crypto::Bytes out;
  out.reserve(kHeaderBytes + 64);
  out.insert(out.end(), kLicenseKeyMagic.begin(), kLicenseKeyMagic.end());
  PutU8(out, static_cast<std::uint8_t>(format));
  out.insert(out.end(), p.key_id.begin(), p.key_id.end());
  PutU64(out, p.serial);
  PutU64(out, static_cast<std::uint64_t>(p.issued_at));
  PutU64(out, static_cast<std::uint64_t>(p.valid_from));
  PutU64(out, static_cast<std::uint64_t>(p.valid_until));
  PutU8(out, static_cast<std::uint8_t>(p.type));
  PutU16(out, p.max_devices);
  out.insert(out.end(), p.device_binding.begin(), p.device_binding.end());
  PutString(out, p.product);
  PutString(out, p.edition);
  PutString(out, p.code_id);
  PutU16(out, static_cast<std::uint16_t>(p.features.size()));
  for (const auto& f : p.features) {
    if (f.size() > kMaxKeyStringBytes) {
      return Status(ErrorCode::kInvalidRequest,
                    "A license key feature is longer than 255 bytes.");
    }
    PutString(out, f);
  }
  return out;
}

Result<crypto::Bytes> SignLicenseKey(LicenseKeyPayload p,
                                     const crypto::SigningKeyPair& signer) {
  p.key_id = crypto::KeyIdOf(signer.public_key);
  LICENTIA_ASSIGN_OR_RETURN(crypto::Bytes bytes,
                            EncodeLicenseKeyPayload(p, KeyFormat::kSingle));
  crypto::Signature sig = crypto::Sign(bytes, signer.secret_key);
  bytes.insert(bytes.end(), sig.begin(), sig.end());
  return bytes;
}

std::vector<Result<crypto::Bytes>> SignLicenseKeyBatch(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer) {
  assert(!payloads.empty());
  // One draw for the whole batch: each draw is a system call.
  static_assert(sizeof(LeafSalt) == kLeafSaltBytes);
  std::vector<LeafSalt> salts(payloads.size());
  crypto::RandomBytes(
      std::span(salts.front().data(), salts.size() * kLeafSaltBytes));
  return SignLicenseKeyBatchWithSalts(std::move(payloads), signer, salts);
}

std::vector<Result<crypto::Bytes>> SignLicenseKeyBatchWithSalts(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer, std::span<const LeafSalt> salts) {
  assert(!payloads.empty() && payloads.size() <= kMaxBatchKeys &&
         salts.size() == payloads.size());
  std::vector<Result<crypto::Bytes>> keys(
      payloads.size(), Status(ErrorCode::kInternal, "not issued"));
  crypto::KeyId key_id = crypto::KeyIdOf(signer.public_key);
  std::vector<crypto::Bytes> encoded;
  std::vector<crypto::Hash> leaves;
  std::vector<std::size_t> origin;  // payload index of each leaf
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    payloads[i].key_id = key_id;
    auto bytes = EncodeLicenseKeyPayload(payloads[i], KeyFormat::kBatch);
    if (!bytes.ok()) {
      keys[i] = bytes.status();
      continue;
    }
    leaves.push_back(BatchLeafHash(salts[i], *bytes));
    encoded.push_back(std::move(*bytes));
    origin.push_back(i);
  }
  if (leaves.empty()) return keys;
  BatchTree tree = BuildBatchTree(leaves);
  crypto::Signature sig =
      crypto::Sign(BatchRootMessage(tree.depth, tree.root), signer.secret_key);
  for (std::size_t leaf = 0; leaf < leaves.size(); ++leaf) {
    crypto::Bytes& bytes = encoded[leaf];
    for (const auto& sibling : tree.siblings[leaf]) {
      bytes.insert(bytes.end(), sibling.begin(), sibling.end());
    }
    const LeafSalt& salt = salts[origin[leaf]];
    bytes.insert(bytes.end(), salt.begin(), salt.end());
    PutU8(bytes, static_cast<std::uint8_t>(leaf));
    PutU8(bytes, tree.depth);
    bytes.insert(bytes.end(), sig.begin(), sig.end());
    keys[origin[leaf]] = std::move(bytes);
  }
  return keys;
}

namespace {
std::vector<Result<std::string>> ArmourEach(
    std::vector<Result<crypto::Bytes>> keys) {
  std::vector<Result<std::string>> out;
  out.reserve(keys.size());
  for (auto& key : keys) {
    if (key.ok()) {
      out.emplace_back(ArmourLicenseKey(*key));
    } else {
      out.emplace_back(key.status());
    }
  }
  return out;
}
}  // namespace

Result<std::string> IssueLicenseKey(LicenseKeyPayload p,
                                    const crypto::SigningKeyPair& signer) {
  LICENTIA_ASSIGN_OR_RETURN(crypto::Bytes bytes,
                            SignLicenseKey(std::move(p), signer));
  return ArmourLicenseKey(bytes);
}

std::vector<Result<std::string>> IssueLicenseKeyBatch(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer) {
  return ArmourEach(SignLicenseKeyBatch(std::move(payloads), signer));
}

std::vector<Result<std::string>> IssueLicenseKeyBatchWithSalts(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer, std::span<const LeafSalt> salts) {
  return ArmourEach(
      SignLicenseKeyBatchWithSalts(std::move(payloads), signer, salts));
}

Result<LicenseKeyPayload> VerifyLicenseKey(
    std::string_view armoured, std::span<const crypto::PublicKey> trusted) {
  if (armoured.size() > kMaxLicenseKeyBytes) return Malformed("too long");
  // Tolerate what pasting adds (surrounding blanks, CR line ends), nothing
  // else: the text must be exactly the canonical armour of its bytes, so no
  // byte of a key can change without the key becoming invalid.
  std::string text;
  text.reserve(armoured.size());
  for (char c : armoured) {
    if (c != '\r') text += c;
  }
  size_t first = text.find_first_not_of(" \t\n");
  size_t last = text.find_last_not_of(" \t\n");
  if (first == std::string::npos) return Malformed("it is empty");
  text = text.substr(first, last - first + 1) + '\n';
  if (!text.starts_with(kLicenseKeyBegin) ||
      !text.ends_with(std::string(kLicenseKeyEnd) + '\n')) {
    return Malformed("the BEGIN/END lines are missing");
  }
  std::string_view body = std::string_view(text).substr(
      kLicenseKeyBegin.size(),
      text.size() - kLicenseKeyBegin.size() - kLicenseKeyEnd.size() - 1);
  auto bytes = crypto::FromBase64(body);
  if (!bytes) return Malformed("the body is not Base64");
  if (ArmourLicenseKey(*bytes) != text)
    return Malformed("the text is not canonical");
  if (bytes->size() < kHeaderBytes + crypto::kSignatureBytes) {
    return Malformed("too short");
  }
  std::span<const std::uint8_t> all(*bytes);
  crypto::Signature sig;
  std::copy_n(all.end() - crypto::kSignatureBytes, sig.size(), sig.begin());
  auto signed_part = all.first(all.size() - crypto::kSignatureBytes);
  // What the signature covers: the payload itself (format 1), or the root
  // its batch proof leads to (format 2).
  std::span<const std::uint8_t> payload;
  crypto::Bytes message;
  KeyFormat format;
  if (all[kVersionOffset] == static_cast<std::uint8_t>(KeyFormat::kSingle)) {
    format = KeyFormat::kSingle;
    payload = signed_part;
  } else if (all[kVersionOffset] ==
             static_cast<std::uint8_t>(KeyFormat::kBatch)) {
    format = KeyFormat::kBatch;
    if (signed_part.size() < kHeaderBytes + kBatchTrailerBytes) {
      return Malformed("too short");
    }
    std::uint8_t depth = signed_part.back();
    std::uint8_t index = signed_part[signed_part.size() - 2];
    if (depth > kMaxBatchDepth || index >= (1u << depth)) {
      return Malformed("invalid batch proof");
    }
    size_t proof_bytes = depth * crypto::kHashBytes + kBatchTrailerBytes;
    if (signed_part.size() < kHeaderBytes + proof_bytes) {
      return Malformed("too short");
    }
    payload = signed_part.first(signed_part.size() - proof_bytes);
    auto proof = signed_part.subspan(payload.size());
    std::vector<crypto::Hash> siblings(depth);
    for (size_t d = 0; d < depth; ++d) {
      std::copy_n(proof.begin() + d * crypto::kHashBytes, crypto::kHashBytes,
                  siblings[d].begin());
    }
    LeafSalt salt;
    std::copy_n(proof.begin() + depth * crypto::kHashBytes, salt.size(),
                salt.begin());
    message = BatchRootMessage(
        depth,
        BatchRootFromProof(BatchLeafHash(salt, payload), index, siblings));
  } else {
    return Malformed("unsupported format version");
  }
  crypto::KeyId key_id;
  std::copy_n(payload.begin() + kKeyIdOffset, key_id.size(), key_id.begin());
  const crypto::PublicKey* signer = nullptr;
  for (const auto& pk : trusted) {
    if (crypto::KeyIdOf(pk) == key_id) signer = &pk;
  }
  if (signer == nullptr) {
    return Status(ErrorCode::kKeyUnknownSigner,
                  fmt::format("This license key was signed by key {}, which "
                              "this application does not trust.",
                              crypto::ToHex(key_id)));
  }
  if (!crypto::Verify(format == KeyFormat::kSingle
                          ? payload
                          : std::span<const std::uint8_t>(message),
                      sig, *signer)) {
    return Status(ErrorCode::kKeySignatureInvalid,
                  "This license key's signature does not match its content; "
                  "it was altered or damaged.");
  }
  return DecodePayload(payload, format);
}

Status CheckLicenseKeyValidity(const LicenseKeyPayload& key,
                               std::string_view device_fingerprint,
                               UnixSeconds now) {
  if (!crypto::Equal(key.device_binding, DeviceBinding(device_fingerprint))) {
    return Status(ErrorCode::kKeyWrongDevice,
                  "This license key was issued for another device.");
  }
  if (now < key.valid_from) {
    return Status(ErrorCode::kKeyNotYetValid,
                  fmt::format("This license key is valid from {}.",
                              FormatTimestamp(key.valid_from)));
  }
  if (now >= key.valid_until) {
    return Status(ErrorCode::kKeyExpired,
                  fmt::format("This license key expired on {}.",
                              FormatTimestamp(key.valid_until)));
  }
  return Status::Ok();
}

}  // namespace licentia
