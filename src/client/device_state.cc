#include "client/device_state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "client/device_state_codec.h"

namespace licentia::client {
namespace fs = std::filesystem;
namespace {

Status IoError(const fs::path& p, std::string_view what) {
  return Status(ErrorCode::kIoError, fmt::format("{} {}: {}", what, p.string(),
                                                 std::strerror(errno)));
}

}  // namespace

StateFile::StateFile(fs::path path, std::string mac_key_material)
    : path_(std::move(path)), mac_key_material_(std::move(mac_key_material)) {}

Result<DeviceState> StateFile::Load() const {
  std::error_code ec;
  if (!fs::exists(path_, ec)) {
    return Status(ErrorCode::kNotFound, "No license state on this device yet.");
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) return IoError(path_, "Cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  Status tampered(ErrorCode::kStateTampered,
                  fmt::format("The license state file {} is damaged or was "
                              "edited; it is not trusted.",
                              path_.string()));
  auto state = OpenDeviceState(text, mac_key_material_);
  if (!state) return tampered;
  return std::move(*state);
}

Status StateFile::Save(const DeviceState& state) const {
  std::string text = SealDeviceState(state, mac_key_material_);
  std::error_code ec;
  fs::create_directories(path_.parent_path(), ec);
  fs::path tmp = path_;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(tmp, "Cannot write");
  size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ok = false;
    } else {
      done += static_cast<size_t>(n);
    }
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return IoError(path_, "Cannot write");
  }
  // The rename itself is durable only once the directory is synced.
  int dir = ::open(path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

void StateFile::QuarantineCorrupt() const {
  fs::path aside = path_;
  aside += ".corrupt";
  std::error_code ec;
  fs::rename(path_, aside, ec);
}

}  // namespace licentia::client
