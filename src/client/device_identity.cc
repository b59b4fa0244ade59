#include "client/device_identity.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "core/crypto.h"

namespace licentia::client {

Result<std::string> MachineFingerprint(std::string_view product) {
  for (const char* path : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::ifstream in(path);
    std::string id;
    if (in >> id && !id.empty()) {
      std::string input = "licentia/fingerprint/v1\n";
      input += product;
      input += '\n';
      input += id;
      return crypto::ToHex(crypto::Blake2b(input));
    }
  }
  return Status(ErrorCode::kUnavailable,
                "This machine has no machine id (/etc/machine-id); set a "
                "fingerprint in the configuration.");
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string OperatingSystem() {
  struct utsname u {};
  if (::uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release;
}

}  // namespace licentia::client
