// The device state file's format, without any I/O (so that the fuzzer
// reaches it): the state as a JSON body, sealed in a JSON envelope
// {"format":1,"state":"<body>","mac":"<hex>"} with a keyed BLAKE2b MAC whose
// key is derived from the device fingerprint and the product
// (device_state.h says why).
#ifndef LICENTIA_CLIENT_DEVICE_STATE_CODEC_H_
#define LICENTIA_CLIENT_DEVICE_STATE_CODEC_H_

#include <optional>
#include <string>
#include <string_view>

#include "client/device_state.h"

namespace licentia::client {

// The JSON body of `state`, and back. Decoding returns std::nullopt for text
// that is not a JSON object with both codes; fields of the wrong type read
// as empty.
std::string EncodeDeviceState(const DeviceState& state);
std::optional<DeviceState> DecodeDeviceState(std::string_view body);

// The whole file: the body sealed with its MAC, and back. Opening returns
// std::nullopt unless the text is an envelope of this format whose MAC
// matches its body under `mac_key_material` and whose body decodes.
std::string SealDeviceState(const DeviceState& state,
                            const std::string& mac_key_material);
std::optional<DeviceState> OpenDeviceState(std::string_view text,
                                           const std::string& mac_key_material);

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_DEVICE_STATE_CODEC_H_
