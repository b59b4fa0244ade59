#include "server/secrets.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace licentia::server {
namespace fs = std::filesystem;
namespace {

Status IoError(const fs::path& path, std::string_view what) {
  return Status(
      ErrorCode::kIoError,
      fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

Result<std::string> ReadPrivateFile(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return IoError(path, "Cannot read");
  if ((st.st_mode & 077) != 0) {
    return Status(ErrorCode::kIoError,
                  fmt::format("{} is readable by other users; run chmod 600 "
                              "on it.",
                              path.string()));
  }
  std::ifstream in(path);
  if (!in) return IoError(path, "Cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

template <size_t N>
Result<std::array<std::uint8_t, N>> LoadHexKey(const fs::path& path) {
  LICENTIA_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path));
  auto bytes = crypto::FromHex(text);
  if (!bytes || bytes->size() != N) {
    return Status(
        ErrorCode::kCorruption,
        fmt::format("{} does not hold a {}-byte hex key.", path.string(), N));
  }
  std::array<std::uint8_t, N> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace

Status WritePrivateFile(const fs::path& path, std::string_view contents) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(tmp, "Cannot create");
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t written = 0;
  while (ok && written < contents.size()) {
    ssize_t n =
        ::write(fd, contents.data() + written, contents.size() - written);
    if (n <= 0)
      ok = false;
    else
      written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return IoError(path, "Cannot write");
  }
  return Status::Ok();
}

namespace {

// A random key of N bytes at `path`, made and written (0600) if missing.
template <size_t N>
Status LoadOrCreateKey(const fs::path& path, std::array<std::uint8_t, N>& key) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    crypto::RandomBytes(key);
    return WritePrivateFile(path, crypto::ToHex(key) + "\n");
  }
  LICENTIA_ASSIGN_OR_RETURN(key, LoadHexKey<N>(path));
  return Status::Ok();
}

}  // namespace

Result<ServerSecrets> LoadOrCreateSecrets(const fs::path& data_dir) {
  std::error_code ec;
  if (!fs::exists(data_dir, ec)) {
    fs::create_directories(data_dir, ec);
    if (ec) {
      return Status(ErrorCode::kIoError,
                    fmt::format("Cannot create the data directory {}: {}",
                                data_dir.string(), ec.message()));
    }
    ::chmod(data_dir.c_str(), 0700);
  }
  ServerSecrets secrets;
  fs::path key_path = data_dir / kSigningKeyFile;
  if (!fs::exists(key_path, ec)) {
    secrets.signer = crypto::GenerateSigningKeyPair();
    LICENTIA_RETURN_IF_ERROR(WritePrivateFile(
        key_path, crypto::ToHex(secrets.signer.secret_key) + "\n"));
  } else {
    LICENTIA_ASSIGN_OR_RETURN(secrets.signer.secret_key,
                              LoadHexKey<crypto::kSecretKeyBytes>(key_path));
    // libsodium's secret key is seed || public key.
    std::copy_n(secrets.signer.secret_key.begin() + 32, 32,
                secrets.signer.public_key.begin());
  }
  // The public key is not secret; it is written for the SDK's configuration.
  // Readable by all (0644) whatever the umask: it is distributed.
  {
    std::ofstream pub(data_dir / kPublicKeyFile, std::ios::trunc);
    pub << crypto::ToHex(secrets.signer.public_key) << "\n";
  }
  fs::permissions(data_dir / kPublicKeyFile,
                  fs::perms::owner_read | fs::perms::owner_write |
                      fs::perms::group_read | fs::perms::others_read,
                  ec);
  LICENTIA_RETURN_IF_ERROR(
      LoadOrCreateKey(data_dir / kCodePepperFile, secrets.code_pepper));
  LICENTIA_RETURN_IF_ERROR(
      LoadOrCreateKey(data_dir / kCodeSealFile, secrets.code_seal));
  return secrets;
}

}  // namespace licentia::server
