// The C API over LicenseManager. Every entry point catches everything: no
// C++ exception may cross into C.
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "client/details_json.h"
#include "licentia/license_manager.h"
#include "licentia/licentia.h"

struct licentia_config {
  licentia::ClientConfig config;
};

struct licentia_manager {
  std::unique_ptr<licentia::LicenseManager> manager;
};

namespace {

using licentia::ErrorCode;
// The C constants and the C++ codes come from the same table.
static_assert(LICENTIA_ERROR_CODE_COUNT == licentia::kErrorCodeCount);
static_assert(LICENTIA_ERR_CURRENT_LICENSE_VALID ==
              static_cast<int>(ErrorCode::kCurrentLicenseValid));
static_assert(LICENTIA_ERR_PREPARE_TOO_EARLY ==
              static_cast<int>(ErrorCode::kPrepareTooEarly));
static_assert(LICENTIA_ERR_NOT_CONNECTED ==
              static_cast<int>(ErrorCode::kNotConnected));

thread_local std::string last_error;

int Fail(const licentia::Status& st) {
  last_error = st.message();
  return static_cast<int>(st.code());
}

int Misuse(const char* what) {
  last_error = what;
  return LICENTIA_ERR_INVALID_REQUEST;
}

template <typename F>
int Guard(F f) {
  try {
    last_error.clear();
    return f();
  } catch (const std::exception& e) {
    last_error = e.what();
    return static_cast<int>(licentia::ErrorCode::kInternal);
  } catch (...) {
    last_error = "unexpected failure";
    return static_cast<int>(licentia::ErrorCode::kInternal);
  }
}

template <typename Method>
int Call(licentia_manager* m, Method method) {
  if (m == nullptr || !m->manager) return Misuse("The manager handle is NULL.");
  return Guard([&]() -> int {
    licentia::Status st = method(*m->manager);
    return st.ok() ? LICENTIA_OK : Fail(st);
  });
}

// A copy of `text` the caller frees with licentia_free_string.
licentia::Status CopyOut(const std::string& text, char** out) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) {
    return licentia::Status(licentia::ErrorCode::kInternal, "Out of memory.");
  }
  std::memcpy(copy, text.c_str(), text.size() + 1);
  *out = copy;
  return licentia::Status::Ok();
}

bool ParseLong(const char* s, long& out) {
  std::string_view v(s);
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && ptr == v.data() + v.size();
}

}  // namespace

extern "C" {

const char* licentia_error_name(int code) {
  if (code < 0 || code > static_cast<int>(licentia::kLastErrorCode)) {
    return "UNKNOWN";
  }
  // Names are string literals, so their data outlives every call.
  return licentia::ErrorCodeName(static_cast<licentia::ErrorCode>(code)).data();
}

const char* licentia_last_error(void) { return last_error.c_str(); }

licentia_config* licentia_config_new(void) {
  try {
    return new licentia_config();
  } catch (...) {
    return nullptr;
  }
}

void licentia_config_free(licentia_config* config) { delete config; }

int licentia_config_set(licentia_config* c, const char* name,
                        const char* value) {
  if (c == nullptr || name == nullptr || value == nullptr) {
    return Misuse("config, name and value must not be NULL.");
  }
  return Guard([&]() -> int {
    std::string_view n(name);
    licentia::ClientConfig& cfg = c->config;
    long number = 0;
    if (n == "server_url") {
      cfg.server_url = value;
    } else if (n == "product") {
      cfg.product = value;
    } else if (n == "app_version") {
      cfg.app_version = value;
    } else if (n == "state_dir") {
      cfg.state_dir = value;
    } else if (n == "fingerprint") {
      cfg.fingerprint = value;
    } else if (n == "device_name") {
      cfg.device_name = value;
    } else if (n == "public_key") {
      cfg.trusted_public_keys.emplace_back(value);
    } else if (n == "timeout_ms" && ParseLong(value, number) && number > 0) {
      cfg.timeout_ms = number;
    } else if (n == "sync_interval_seconds" && ParseLong(value, number) &&
               number > 0) {
      cfg.sync_interval = number;
    } else if (n == "push" && (std::string_view(value) == "on" ||
                               std::string_view(value) == "off")) {
      cfg.push.enabled = std::string_view(value) == "on";
    } else if (n == "wait_seconds" && ParseLong(value, number) && number >= 1 &&
               number <= 300) {
      cfg.push.wait_seconds = number;
    } else if (n == "reconnect_initial_ms" && ParseLong(value, number) &&
               number > 0) {
      cfg.push.reconnect_initial_ms = number;
    } else if (n == "reconnect_max_ms" && ParseLong(value, number) &&
               number > 0) {
      cfg.push.reconnect_max_ms = number;
    } else {
      return Misuse("Unknown setting, or a value out of its range.");
    }
    return LICENTIA_OK;
  });
}

int licentia_open(const licentia_config* c, licentia_manager** out) {
  if (c == nullptr || out == nullptr) {
    return Misuse("config and out must not be NULL.");
  }
  return Guard([&]() -> int {
    auto m = licentia::LicenseManager::Open(c->config);
    if (!m.ok()) return Fail(m.status());
    *out = new licentia_manager{std::move(*m)};
    return LICENTIA_OK;
  });
}

void licentia_close(licentia_manager* m) { delete m; }

int licentia_activate(licentia_manager* m, const char* code) {
  if (code == nullptr) return Misuse("code must not be NULL.");
  return Call(m,
              [&](licentia::LicenseManager& lm) { return lm.Activate(code); });
}

int licentia_add_reserve(licentia_manager* m, const char* code) {
  if (code == nullptr) return Misuse("code must not be NULL.");
  return Call(
      m, [&](licentia::LicenseManager& lm) { return lm.AddReserve(code); });
}

int licentia_remove_reserve(licentia_manager* m) {
  return Call(m,
              [](licentia::LicenseManager& lm) { return lm.RemoveReserve(); });
}

int licentia_remove_license_key(licentia_manager* m) {
  return Call(
      m, [](licentia::LicenseManager& lm) { return lm.RemoveLicenseKey(); });
}

int licentia_sync(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) { return lm.Sync(); });
}

int licentia_check(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) { return lm.Check(); });
}

int licentia_try_again(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) { return lm.TryAgain(); });
}

int licentia_activate_now(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) { return lm.ActivateNow(); });
}

int licentia_tick(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) { return lm.Tick(); });
}

int licentia_step(licentia_manager* m, long max_wait_ms) {
  if (max_wait_ms < 0) return Misuse("max_wait_ms must not be negative.");
  return Call(m, [&](licentia::LicenseManager& lm) {
    return lm.Step(std::chrono::milliseconds(max_wait_ms));
  });
}

int licentia_interrupt(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) {
    lm.Interrupt();
    return licentia::Status::Ok();
  });
}

int licentia_agent_start(licentia_manager* m,
                         licentia_change_callback on_change, void* user_data) {
  return Call(m, [&](licentia::LicenseManager& lm) {
    std::function<void()> callback;
    if (on_change != nullptr) {
      callback = [on_change, user_data] { on_change(user_data); };
    }
    return lm.StartAgent(std::move(callback));
  });
}

int licentia_agent_stop(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) {
    lm.StopAgent();
    return licentia::Status::Ok();
  });
}

int licentia_connect(licentia_manager* m, const char* connect_code,
                     char** account_out) {
  if (connect_code == nullptr) return Misuse("connect_code must not be NULL.");
  return Call(m, [&](licentia::LicenseManager& lm) {
    auto account = lm.Connect(connect_code);
    if (!account.ok()) return account.status();
    if (account_out == nullptr) return licentia::Status::Ok();
    return CopyOut(*account, account_out);
  });
}

int licentia_disconnect(licentia_manager* m) {
  return Call(m, [](licentia::LicenseManager& lm) { return lm.Disconnect(); });
}

int licentia_offline_activation_request(licentia_manager* m, const char* code,
                                        char** request_out) {
  if (code == nullptr || request_out == nullptr) {
    return Misuse("code and request_out must not be NULL.");
  }
  return Call(m, [&](licentia::LicenseManager& lm) {
    auto text = lm.OfflineActivationRequest(code);
    if (!text.ok()) return text.status();
    return CopyOut(*text, request_out);
  });
}

int licentia_offline_deactivation_request(licentia_manager* m,
                                          char** request_out) {
  if (request_out == nullptr) return Misuse("request_out must not be NULL.");
  return Call(m, [&](licentia::LicenseManager& lm) {
    auto text = lm.OfflineDeactivationRequest();
    if (!text.ok()) return text.status();
    return CopyOut(*text, request_out);
  });
}

int licentia_offline_reserve_request(licentia_manager* m,
                                     const char* reserve_code,
                                     char** request_out) {
  if (reserve_code == nullptr || request_out == nullptr) {
    return Misuse("reserve_code and request_out must not be NULL.");
  }
  return Call(m, [&](licentia::LicenseManager& lm) {
    auto text = lm.OfflineReserveRequest(reserve_code);
    if (!text.ok()) return text.status();
    return CopyOut(*text, request_out);
  });
}

int licentia_offline_prepare_request(licentia_manager* m, char** request_out) {
  if (request_out == nullptr) return Misuse("request_out must not be NULL.");
  return Call(m, [&](licentia::LicenseManager& lm) {
    auto text = lm.OfflinePrepareRequest();
    if (!text.ok()) return text.status();
    return CopyOut(*text, request_out);
  });
}

int licentia_import_offline_response(licentia_manager* m,
                                     const char* response) {
  if (response == nullptr) return Misuse("response must not be NULL.");
  return Call(m, [&](licentia::LicenseManager& lm) {
    return lm.ImportOfflineResponse(response);
  });
}

int licentia_details_json(licentia_manager* m, char** json_out) {
  if (json_out == nullptr) return Misuse("json_out must not be NULL.");
  return Call(m, [&](licentia::LicenseManager& lm) {
    return CopyOut(
        boost::json::serialize(licentia::client::DetailsToJson(lm.Details())),
        json_out);
  });
}

void licentia_free_string(char* s) { std::free(s); }

}  // extern "C"
