// End-to-end scenarios: devices running the real SDK (LicenseManager) with a
// simulated clock, against the real licentiad with its test clock. Moving
// time moves both clocks together, by days, without waiting.
#ifndef LICENTIA_TESTS_E2E_DEVICE_TEST_BASE_H_
#define LICENTIA_TESTS_E2E_DEVICE_TEST_BASE_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "integration/api_test_base.h"
#include "licentia/license_manager.h"

namespace licentia::testing {

class DeviceTestBase : public ApiTestBase {
 protected:
  static constexpr std::int64_t kStart = 1800000000;

  void SetUp() override;
  void TearDown() override;

  // The device named `name` (its fingerprint), opened on first use; the
  // same state directory is reused when it is opened again.
  LicenseManager& Device(const std::string& name,
                         const std::string& app_version = "22.0");
  // Re-opens a device from its state file (as after an application restart
  // or an update to `app_version`).
  // `public_key_hex` is the key the application trusts, `server_url` the
  // server it asks (defaults: the test's server).
  Result<std::unique_ptr<LicenseManager>> Reopen(
      const std::string& name, const std::string& app_version = "22.0",
      const std::string& public_key_hex = "",
      const std::string& server_url = "");
  std::filesystem::path StateFile(const std::string& name) const;

  // Moves the server's and the devices' clocks forward together.
  void Advance(int days, std::int64_t seconds = 0);
  std::int64_t Now() const { return device_clock_->Now(); }

  IssuedCode NewCode(int term_days, int max_devices = 1,
                     const std::string& type = "term", json::object extra = {});
  void Block(const IssuedCode& c);
  void Unblock(const IssuedCode& c);

  std::string Masked(const IssuedCode& c) const {
    return "*****-*****-*****-" + c.code.substr(18);
  }

  // The devices waiting in POST /v1/wait on the server now (its
  // licentia_waiting_devices gauge); -1 if it cannot be read.
  int WaitingDevices();
  // Polls `condition` until it holds (true) or a minute has passed
  // (false): for what another thread or process brings about, never to
  // let time pass.
  static bool Eventually(const std::function<bool()>& condition);

  // Applied to each device's configuration when it is opened.
  std::function<void(ClientConfig&)> configure_;
  std::unique_ptr<ManualClock> device_clock_;
  std::filesystem::path state_root_;
  std::map<std::string, std::unique_ptr<LicenseManager>> devices_;
};

#define ASSERT_OK(expr)                    \
  do {                                     \
    ::licentia::Status _s = (expr);        \
    ASSERT_TRUE(_s.ok()) << _s.ToString(); \
  } while (0)

#define EXPECT_CODE(expr, code_name)                                \
  do {                                                              \
    ::licentia::Status _s = (expr);                                 \
    EXPECT_EQ(ErrorCodeName(_s.code()), code_name) << _s.message(); \
  } while (0)

}  // namespace licentia::testing

#endif  // LICENTIA_TESTS_E2E_DEVICE_TEST_BASE_H_
