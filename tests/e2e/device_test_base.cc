#include "e2e/device_test_base.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "client/http_client.h"

namespace licentia::testing {

void DeviceTestBase::SetUp() {
  ApiTestBase::SetUp();
  device_clock_ = std::make_unique<ManualClock>(kStart);
  state_root_ = server_->data_dir().parent_path() / "devices";
  std::filesystem::create_directories(state_root_);
  CreateProduct("photo");
  CreateProduct("video");
}

void DeviceTestBase::TearDown() {
  devices_.clear();
  ApiTestBase::TearDown();
}

std::filesystem::path DeviceTestBase::StateFile(const std::string& name) const {
  return state_root_ / name / "photo.license";
}

Result<std::unique_ptr<LicenseManager>> DeviceTestBase::Reopen(
    const std::string& name, const std::string& app_version,
    const std::string& public_key_hex, const std::string& server_url) {
  ClientConfig c;
  c.server_url = server_url.empty() ? server_->url() : server_url;
  c.trusted_public_keys = {public_key_hex.empty() ? server_->public_key_hex()
                                                  : public_key_hex};
  c.product = "photo";
  c.app_version = app_version;
  c.state_dir = (state_root_ / name).string();
  c.fingerprint = name;
  c.device_name = name;
  c.clock = device_clock_.get();
  c.timeout_ms = 3000;
  c.sync_interval = 3600;
  c.retry = RetryPolicy{.initial_delay = 60, .max_delay = 3600, .jitter = 0.2};
  // Reconnects after a failed wait come quickly: the push tests restart
  // the server under waiting devices.
  c.push.reconnect_initial_ms = 50;
  c.push.reconnect_max_ms = 500;
  if (configure_) configure_(c);
  return LicenseManager::Open(std::move(c));
}

LicenseManager& DeviceTestBase::Device(const std::string& name,
                                       const std::string& app_version) {
  auto& slot = devices_[name];
  if (!slot) {
    auto m = Reopen(name, app_version);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    slot = std::move(*m);
  }
  return *slot;
}

void DeviceTestBase::Advance(int days, std::int64_t seconds) {
  std::int64_t delta = days * std::int64_t{86400} + seconds;
  device_clock_->Advance(delta);
  if (server_->running()) {
    auto r = AdminCall("POST", "/v1/admin/test/clock",
                       json::object{{"now", device_clock_->Now()}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

IssuedCode DeviceTestBase::NewCode(int term_days, int max_devices,
                                   const std::string& type,
                                   json::object extra) {
  json::object terms{{"product", "photo"},
                     {"term_days", term_days},
                     {"max_devices", max_devices},
                     {"license_type", type}};
  for (auto& kv : extra) terms[kv.key()] = kv.value();
  return Issue(std::move(terms));
}

void DeviceTestBase::Block(const IssuedCode& c) {
  ASSERT_TRUE(AdminCall("POST",
                        "/v1/admin/codes/" + std::to_string(c.id) + "/block",
                        json::object{{"reason", "refund"}})
                  .ok());
}

void DeviceTestBase::Unblock(const IssuedCode& c) {
  ASSERT_TRUE(
      AdminCall("POST", "/v1/admin/codes/" + std::to_string(c.id) + "/unblock")
          .ok());
}

int DeviceTestBase::WaitingDevices() {
  auto metrics = client::HttpClient(server_->url()).Send("GET", "/metrics");
  if (!metrics.ok()) return -1;
  constexpr std::string_view kName = "\nlicentia_waiting_devices ";
  auto at = metrics->body.find(kName);
  if (at == std::string::npos) return -1;
  return std::atoi(metrics->body.c_str() + at + kName.size());
}

bool DeviceTestBase::Eventually(const std::function<bool()>& condition) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace licentia::testing
