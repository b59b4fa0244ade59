// The server's secrets in its data directory: the Ed25519 signing key, the
// key under which activation codes are hashed at rest and the key sealing
// the codes license administrators may view. The files are created
// on first start with mode 0600 inside a 0700 directory, and refused if they
// are readable by others. docs/deploy.md tells how to share the signing key.
#ifndef LICENTIA_SERVER_SECRETS_H_
#define LICENTIA_SERVER_SECRETS_H_

#include <filesystem>

#include "core/code_seal.h"
#include "core/crypto.h"
#include "core/status.h"

namespace licentia::server {

constexpr const char* kSigningKeyFile = "signing.key";
constexpr const char* kPublicKeyFile = "signing.pub";
constexpr const char* kCodePepperFile = "code-hash.key";
// The key under which license administrators' codes are sealed
// (core/code_seal.h). Instances sharing a database share it.
constexpr const char* kCodeSealFile = "code-seal.key";

struct ServerSecrets {
  crypto::SigningKeyPair signer;
  crypto::HmacKey code_pepper;
  CodeSealKey code_seal;
};

// Loads the secrets from `data_dir`, creating the directory and any missing
// key. kIoError (naming the path) if a file cannot be read or written or is
// readable by group or others; kCorruption if a key file is damaged.
Result<ServerSecrets> LoadOrCreateSecrets(
    const std::filesystem::path& data_dir);

// Writes `contents` to `path` atomically with mode 0600 (temporary file,
// fsync, rename).
Status WritePrivateFile(const std::filesystem::path& path,
                        std::string_view contents);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_SECRETS_H_
