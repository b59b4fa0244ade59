// Who this device is: its fingerprint for a product, its name and OS.
#ifndef LICENTIA_CLIENT_DEVICE_IDENTITY_H_
#define LICENTIA_CLIENT_DEVICE_IDENTITY_H_

#include <string>
#include <string_view>

#include "licentia/status.h"

namespace licentia::client {

// Hex BLAKE2b-256 of "licentia/fingerprint/v1", the product id and the
// machine id (/etc/machine-id, else /var/lib/dbus/machine-id). Hashing with
// the product means two vendors cannot correlate the same machine.
// kUnavailable if the machine has no machine id.
Result<std::string> MachineFingerprint(std::string_view product);

std::string HostName();
std::string OperatingSystem();  // e.g. "Linux 6.1.0"

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_DEVICE_IDENTITY_H_
