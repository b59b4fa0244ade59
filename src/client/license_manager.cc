#include "licentia/license_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <memory>

#include "client/api_client.h"
#include "client/device_identity.h"
#include "client/device_state.h"
#include "client/push_loop.h"
#include "core/activation_code.h"
#include "core/backoff.h"
#include "core/crypto.h"
#include "core/license_key.h"
#include "core/license_policy.h"
#include "core/mutex.h"
#include "core/offline_request.h"
#include "core/time_attestation.h"
#include "core/user_advice.h"
#include "core/version_range.h"

namespace licentia {
namespace json = boost::json;
using client::CodeInfo;
using client::DeviceState;

namespace {

// A device clock this far behind the last trusted time counts as set back.
constexpr UnixSeconds kClockTolerance = 300;
// A Check() writes the trusted time to the state file once it has moved
// this far since it was last written (or has crossed the license's end):
// an application that only ever checks offline keeps its high-water mark
// across restarts, without a disk write per check.
constexpr UnixSeconds kTrustedTimeSaveStep = 3600;

std::string_view Str(const json::value& v, const char* key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return f && f->is_string() ? std::string_view(f->as_string())
                             : std::string_view();
}

std::int64_t Int(const json::value& v, const char* key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return f && f->is_int64() ? f->as_int64() : 0;
}

std::optional<UnixSeconds> OptInt(const json::value& v, const char* key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (f && f->is_int64()) return f->as_int64();
  return std::nullopt;
}

// Fills what the server said about a code (a "license" or "reserve" object).
void ReadCodeInfo(const json::value& v, CodeInfo& c) {
  if (!v.is_object()) return;
  c.masked_code = std::string(Str(v, "masked_code"));
  c.product = std::string(Str(v, "product"));
  c.edition = std::string(Str(v, "edition"));
  c.features.clear();
  if (const auto* f = v.as_object().if_contains("features");
      f && f->is_array()) {
    for (const auto& x : f->as_array()) {
      if (x.is_string()) c.features.emplace_back(x.as_string());
    }
  }
  c.license_type = std::string(Str(v, "license_type"));
  c.term_days = static_cast<int>(Int(v, "term_days"));
  c.max_devices = static_cast<int>(Int(v, "max_devices"));
  c.seats_used = static_cast<int>(Int(v, "seats_used"));
  c.expires_at = OptInt(v, "expires_at");
  c.key_valid_until = OptInt(v, "key_valid_until");
  c.grace_days = static_cast<int>(Int(v, "grace_days"));
  c.prepare_days = static_cast<int>(Int(v, "prepare_days"));
}

// Network-type failures are retried by themselves; the rest need a person.
bool IsTransient(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kRateLimited ||
         code == ErrorCode::kInternal;
}

ProblemReport Report(const Status& st, UnixSeconds at) {
  return ProblemReport{st.code(), st.message(),
                       std::string(WhatToDoFor(st.code())), at};
}

// A failed activation of a typed code: nothing retries it by itself, but
// Try again repeats it.
ProblemReport ActivationReport(const Status& st, UnixSeconds at) {
  ProblemReport r = Report(st, at);
  switch (st.code()) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal:
      r.what_to_do = "Check the internet connection, then press Try again.";
      break;
    case ErrorCode::kRateLimited:
      r.what_to_do = "Wait a minute, then press Try again.";
      break;
    default:
      break;
  }
  return r;
}

std::string DayOf(UnixSeconds t) { return FormatTimestamp(t).substr(0, 10); }

}  // namespace

// The license's state by the policy the server applies
// (core/license_policy.h), from what the device holds.
// The end of a subscription's grace, as the device knows it: its key's
// end, when that is later than the subscription's.
std::optional<UnixSeconds> GraceUntil(const CodeInfo& c) {
  if (c.grace_days <= 0 || !c.expires_at || !c.key_valid_until ||
      *c.key_valid_until <= *c.expires_at) {
    return std::nullopt;
  }
  return c.key_valid_until;
}

LicenseState StateOf(const DeviceState& s, UnixSeconds now) {
  if (!s.has_license()) return LicenseState::kNone;
  switch (
      CodeStateAt(HeldLicenseFacts{s.blocked, s.suspended, s.current.expires_at,
                                   GraceUntil(s.current)},
                  now)) {
    case CodeState::kBlocked:
      return LicenseState::kBlocked;
    case CodeState::kSuspended:
      return LicenseState::kSuspended;
    case CodeState::kExpired:
      return LicenseState::kExpired;
    case CodeState::kGrace:
      return LicenseState::kGrace;
    case CodeState::kActive:
      break;
  }
  return LicenseState::kActive;
}

// What the "License details" window shows, from one state of the device.
LicenseDetails DetailsOf(const DeviceState& s, UnixSeconds now,
                         bool clock_rolled_back) {
  LicenseDetails d;
  d.state = StateOf(s, now);
  d.masked_code = s.current.masked_code;
  d.product = s.current.product;
  d.edition = s.current.edition;
  d.features = s.current.features;
  d.license_type = s.current.license_type;
  d.connected_account = s.connected_account;
  d.expires_at = s.current.expires_at;
  if (d.expires_at && s.has_license()) {
    d.days_left =
        *d.expires_at > now
            ? (*d.expires_at - now + kSecondsPerDay - 1) / kSecondsPerDay
            : 0;
  }
  d.grace_until = GraceUntil(s.current);
  d.seats_used = s.current.seats_used;
  d.max_devices = s.current.max_devices;
  if (s.has_reserve()) {
    d.reserve.state = s.reserve_state;
    d.reserve.masked_code = s.reserve.masked_code;
    d.reserve.license_type = s.reserve.license_type;
    d.reserve.term_days = s.reserve.term_days;
    d.reserve.max_devices = s.reserve.max_devices;
    d.reserve.expires_at = s.reserve.expires_at;
    d.reserve.next_retry_at = s.next_retry_at;
    d.reserve.failed_attempts = s.failed_attempts;
    d.reserve.last_error = s.reserve_error;
    if (!s.prepared.license_key.empty()) {
      d.reserve.prepared_from = s.prepared.valid_from;
    }
  }
  d.last_error = s.last_error;
  if (!d.last_error && d.state == LicenseState::kBlocked) {
    d.last_error = Report(
        Status(ErrorCode::kCodeBlocked,
               s.blocked_reason.empty()
                   ? std::string("The vendor blocked this license.")
                   : "The vendor blocked this license: " + s.blocked_reason),
        now);
    if (s.has_reserve()) {
      d.last_error->what_to_do =
          "Press Activate now to switch to the reserve code.";
    }
  }
  if (!d.last_error && d.state == LicenseState::kSuspended) {
    d.last_error = Report(CodeSuspended(s.suspended_reason), now);
  }
  if (!d.last_error && d.state == LicenseState::kGrace) {
    d.last_error =
        Report(Status(ErrorCode::kCodeExpired,
                      "The subscription ended on " + DayOf(*d.expires_at) +
                          " and was not renewed; it keeps working until " +
                          DayOf(*d.grace_until) + "."),
               now);
    d.last_error->what_to_do =
        "Renew the subscription before " + DayOf(*d.grace_until) +
        "; the license updates by itself, with nothing to type.";
  }
  if (!d.last_error && d.state == LicenseState::kExpired) {
    d.last_error =
        Report(Status(ErrorCode::kKeyExpired,
                      d.expires_at
                          ? "The license ended on " + DayOf(*d.expires_at) + "."
                          : std::string("The license has ended.")),
               now);
    d.last_error->what_to_do =
        s.has_reserve()
            ? "The reserve code takes over; its state is shown with it."
            : "Buy a renewal and activate its code. Add the next code as "
              "a reserve code before the license ends, and the switch "
              "happens by itself.";
  }
  if (clock_rolled_back) {
    d.clock_rolled_back = true;
    d.last_error = Report(Status(ErrorCode::kClockRolledBack,
                                 "The device clock is set earlier than the "
                                 "last trusted time."),
                          now);
  }
  d.last_sync = s.last_sync;
  d.trusted_time = now;
  return d;
}

struct LicenseManager::Impl final : client::PushTarget {
  ClientConfig config;
  SystemClock system_clock;
  const Clock* clock;
  std::vector<crypto::PublicKey> trusted;
  std::string fingerprint;
  std::string os;
  client::StateFile file;
  json::array accepted_key_ids;  // hex ids of `trusted`, sent on activation
  // Held by each call for its whole length, network requests included;
  // Details() does not take it (it reads `published`).
  Mutex mu;
  // When the device last asked for actions queued in the console.
  std::optional<UnixSeconds> last_actions_check GUARDED_BY(mu);
  DeviceState state GUARDED_BY(mu);
  bool clock_rolled_back GUARDED_BY(mu) = false;
  UnixSeconds saved_trusted_time GUARDED_BY(mu) = 0;  // as last written
  client::ApiClient api GUARDED_BY(mu);
  // What Details() reads: a copy of `state` made at each Save(), so that
  // the details never wait for `mu`, which is held across network calls.
  Mutex published_mu;
  std::shared_ptr<const DeviceState> published GUARDED_BY(published_mu) =
      std::make_shared<const DeviceState>();
  // The push channel (POST /v1/wait) and the agent thread. Declared last:
  // it calls into the members above.
  client::PushLoop push;

  Impl(ClientConfig c, std::vector<crypto::PublicKey> keys, std::string fp)
      : config(std::move(c)),
        clock(config.clock ? config.clock : &system_clock),
        trusted(std::move(keys)),
        fingerprint(std::move(fp)),
        os(client::OperatingSystem()),
        file(std::filesystem::path(config.state_dir) /
                 (config.product + ".license"),
             fingerprint + "\n" + config.product),
        api(config.server_url, "",
            client::HttpClientOptions{.connect_timeout_ms = config.timeout_ms,
                                      .total_timeout_ms = config.timeout_ms}),
        push(*this, config.server_url, config.push, config.timeout_ms) {
    for (const auto& key : trusted) {
      accepted_key_ids.emplace_back(crypto::ToHex(crypto::KeyIdOf(key)));
    }
  }

  // The time every decision uses: the device clock corrected by the offset
  // to the server's clock, and never earlier than the latest time already
  // trusted, so setting the clock back cannot extend a license. A device
  // clock reading earlier than one already seen means it was set back.
  // REQUIRES: mu held.
  UnixSeconds Now() REQUIRES(mu) {
    UnixSeconds local = clock->Now();
    clock_rolled_back = local + kClockTolerance < state.last_local_time;
    state.last_local_time = std::max(state.last_local_time, local);
    state.trusted_time =
        std::max(state.trusted_time, local + state.clock_offset);
    return state.trusted_time;
  }

  Status Save() REQUIRES(mu) {
    Status st = file.Save(state);
    if (st.ok()) saved_trusted_time = state.trusted_time;
    Publish();
    return st;
  }

  // Makes the state what Details() shows. REQUIRES: mu held.
  void Publish() REQUIRES(mu) {
    auto copy = std::make_shared<const DeviceState>(state);
    MutexLock lock(published_mu);
    published = std::move(copy);
  }
  std::shared_ptr<const DeviceState> Published() EXCLUDES(published_mu) {
    MutexLock lock(published_mu);
    return published;
  }

  // Writes the state if the trusted time moved on enough to matter (see
  // kTrustedTimeSaveStep). REQUIRES: mu held.
  void KeepTrustedTime() REQUIRES(mu) {
    std::optional<UnixSeconds> end = state.current.expires_at;
    bool crossed_end =
        end && saved_trusted_time < *end && state.trusted_time >= *end;
    if (crossed_end ||
        state.trusted_time >= saved_trusted_time + kTrustedTimeSaveStep) {
      (void)Save();
    }
  }

  // Asks the server for its time, signed for a fresh nonce, and trusts it
  // even when it is earlier than the trusted time: the one way a device
  // whose clock ran ahead (or was set back after running ahead) comes back
  // to the right time. An unsigned or replayed time is never accepted
  // (core/time_attestation.h). REQUIRES: mu held.
  Status LearnAttestedServerTime() REQUIRES(mu) {
    TimeNonce nonce;
    crypto::RandomBytes(nonce);
    LICENTIA_ASSIGN_OR_RETURN(
        json::value reply,
        api.Call("POST", "/v1/time",
                 json::object{{"nonce", crypto::ToHex(nonce)}}));
    TimeAttestation a;
    auto t = OptInt(reply, "server_time");
    auto key_id = crypto::FromHex(Str(reply, "key_id"));
    auto signature = crypto::FromHex(Str(reply, "signature"));
    if (!t || !key_id || key_id->size() != a.key_id.size() || !signature ||
        signature->size() != a.signature.size()) {
      return Status(ErrorCode::kKeyMalformed,
                    "The server's signed time is malformed.");
    }
    a.server_time = *t;
    std::copy(key_id->begin(), key_id->end(), a.key_id.begin());
    std::copy(signature->begin(), signature->end(), a.signature.begin());
    LICENTIA_ASSIGN_OR_RETURN(UnixSeconds server_time,
                              VerifyTimeAttestation(nonce, a, trusted));
    UnixSeconds local = clock->Now();
    state.clock_offset = server_time - local;
    state.last_local_time = local;
    state.trusted_time = server_time;
    clock_rolled_back = false;
    return Status::Ok();
  }

  // Gives a seat back to the server; if the server cannot be reached, it
  // is remembered and given back at the next contact. REQUIRES: mu held.
  void ReleaseSeat(client::SeatToRelease seat) REQUIRES(mu) {
    if (seat.code.empty() || seat.activation_token.empty()) return;
    auto r =
        api.Call("POST", "/v1/deactivate",
                 json::object{{"code", seat.code},
                              {"fingerprint", fingerprint},
                              {"activation_token", seat.activation_token}});
    if (r.ok() || client::SeatGone(r.status().code())) return;
    GiveBack(std::move(seat), /*online=*/false);
  }

  // Releases the seats an earlier attempt could not. REQUIRES: mu held.
  void ReleasePendingSeats() REQUIRES(mu) {
    std::vector<client::SeatToRelease> pending;
    pending.swap(state.seats_to_release);
    for (auto& seat : pending) ReleaseSeat(std::move(seat));
  }

  // Whether the key in hand states other terms than a key issued now
  // would (`server`, as the server just described the license): a renewal
  // moved the end, or more seats were allowed. An older server, which
  // does not say, or a key that does not verify, asks for nothing.
  bool KeyOutdated(const CodeInfo& server) const REQUIRES(mu) {
    if (!server.key_valid_until) return false;
    auto key = VerifyLicenseKey(state.license_key, trusted);
    if (!key.ok()) return false;
    return key->valid_until != *server.key_valid_until ||
           key->max_devices != server.max_devices;
  }

  LicenseState CurrentState(UnixSeconds now) const REQUIRES(mu) {
    return StateOf(state, now);
  }

  // Verifies a key the server returned before anything is stored: the
  // device never keeps a key it could not verify itself.
  Result<LicenseKeyPayload> VerifyKey(std::string_view armoured,
                                      UnixSeconds now) {
    LICENTIA_ASSIGN_OR_RETURN(LicenseKeyPayload key,
                              VerifyLicenseKey(armoured, trusted));
    if (key.product != config.product) {
      return Status(ErrorCode::kWrongProduct,
                    fmt::format("The license key is for the product '{}', "
                                "not '{}'.",
                                key.product, config.product));
    }
    LICENTIA_RETURN_IF_ERROR(CheckLicenseKeyValidity(key, fingerprint, now));
    return key;
  }

  json::object DeviceBody(const std::string& code) {
    return {{"code", code},
            {"fingerprint", fingerprint},
            {"device_name", config.device_name},
            {"os", os},
            {"app_version", config.app_version},
            {"product", config.product}};
  }

  json::object Credentials() REQUIRES(mu) {
    return {{"code", state.current.code},
            {"fingerprint", fingerprint},
            {"activation_token", state.activation_token}};
  }

  // Credentials for the status and its wait, with the console connection
  // if there is one: the server then counts the actions queued for this
  // device (docs/sdk.md, "Actions from the console").
  json::object StatusCredentials() REQUIRES(mu) {
    json::object body = Credentials();
    if (!state.connection_token.empty()) {
      body["connection_token"] = state.connection_token;
    }
    return body;
  }

  void LearnServerTime(const json::value& reply) REQUIRES(mu) {
    auto t = OptInt(reply, "server_time");
    if (!t) return;
    UnixSeconds local = clock->Now();
    // The offset is learnt only from a clock that was not set back, so a
    // user cannot launder a changed clock through a sync.
    if (local + kClockTolerance >= state.last_local_time) {
      state.clock_offset = *t - local;
    }
    state.trusted_time = std::max(state.trusted_time, *t);
  }

  // Activates `code` on the server and makes it the current license. The
  // seat of the license it replaces is given back. With `rollover`, the
  // server is told which license this replaces, and refuses while that one
  // is still valid by its clock (CURRENT_LICENSE_VALID).
  Status ActivateCode(const std::string& code, bool rollover) REQUIRES(mu) {
    (void)Now();
    json::object body = DeviceBody(code);
    // The server refuses before taking a seat if this application could
    // not verify its keys (built with another server's public key).
    body["accepts_key_ids"] = accepted_key_ids;
    // Connected: the console learns which license this device now uses.
    if (!state.connection_token.empty()) {
      body["connection_token"] = state.connection_token;
    }
    if (rollover && state.has_license()) {
      body["replaces_code"] = state.current.code;
      body["replaces_activation_token"] = state.activation_token;
    }
    LICENTIA_ASSIGN_OR_RETURN(json::value reply,
                              api.Call("POST", "/v1/activate", body));
    LearnServerTime(reply);
    return ApplyActivation(code, reply, /*online=*/true);
  }

  // Makes the server's answer to an activation of `code` (online, or
  // through a response file) the current license, once its key verifies
  // here. The seat of the license it replaces is given back: at once
  // online, at the next contact otherwise. REQUIRES: mu held.
  Status ApplyActivation(const std::string& code, const json::value& reply,
                         bool online) REQUIRES(mu) {
    UnixSeconds now = Now();
    std::string_view key = Str(reply, "license_key");
    client::SeatToRelease taken{code,
                                std::string(Str(reply, "activation_token"))};
    auto payload = VerifyKey(key, now);
    const auto* lic = reply.as_object().if_contains("license");
    if (payload.ok() && (!lic || !lic->is_object())) {
      payload = Status(ErrorCode::kInternal,
                       "The server's answer lacks the license.");
    }
    if (!payload.ok()) {
      // The device will not use a key it cannot verify: the seat the
      // server just gave it goes back.
      if (state.current.code != code) GiveBack(std::move(taken), online);
      return payload.status();
    }
    if (state.has_license() && state.current.code != code) {
      GiveBack({state.current.code, state.activation_token}, online);
    }
    CodeInfo info;
    info.code = code;
    ReadCodeInfo(*lic, info);
    // The signed value decides: the license never lasts past its key.
    info.key_valid_until = payload->valid_until;
    if (!info.expires_at || *info.expires_at > payload->valid_until) {
      info.expires_at = payload->valid_until;
    }
    state.current = std::move(info);
    state.activation_token = std::move(taken.activation_token);
    state.license_key = std::string(key);
    state.blocked = false;
    state.blocked_reason.clear();
    state.suspended = false;
    state.suspended_reason.clear();
    if (online) state.last_sync = now;
    state.last_error.reset();
    state.retry_code.clear();
    return Status::Ok();
  }

  // A seat this device no longer uses: released now if online, else
  // remembered and released at the next contact. REQUIRES: mu held.
  void GiveBack(client::SeatToRelease seat, bool online) REQUIRES(mu) {
    if (online) return ReleaseSeat(std::move(seat));
    if (std::find(state.seats_to_release.begin(), state.seats_to_release.end(),
                  seat) == state.seats_to_release.end()) {
      state.seats_to_release.push_back(std::move(seat));
    }
  }

  // The device has no reserve any more (it took over, or was removed).
  void ClearReserve() REQUIRES(mu) {
    state.reserve = CodeInfo{};
    state.reserve_state = ReserveState::kNone;
    state.failed_attempts = 0;
    state.next_retry_at.reset();
    state.reserve_error.reset();
    state.prepared = {};
    state.next_prepare_at.reset();
  }

  bool RolloverDue(UnixSeconds now) const REQUIRES(mu) {
    if (!state.has_reserve()) return false;
    if (state.reserve_state == ReserveState::kFailed) return false;
    if (state.reserve_state == ReserveState::kRetrying && state.next_retry_at &&
        now < *state.next_retry_at) {
      return false;
    }
    LicenseState cur = CurrentState(now);
    return cur == LicenseState::kNone || cur == LicenseState::kExpired ||
           (cur == LicenseState::kBlocked && state.activate_now_requested);
  }

  // Rule 8: activate the reserve with full verification (the server checks
  // blocked, activate-by, expiry, seats, version and account; the device
  // verifies the key). Rule 9 on failure. REQUIRES: mu held.
  Status Rollover() REQUIRES(mu) {
    UnixSeconds now = Now();
    std::string code = state.reserve.code;
    Status st = Status::Ok();
    if (state.has_license() && !state.blocked) {
      // The license ended by the device's trusted time; a clock running
      // ahead must not burn it early, so the server's signed time decides.
      st = LearnAttestedServerTime();
      if (st.ok()) {
        now = Now();
        if (CurrentState(now) == LicenseState::kActive) return Save();
      } else if (!IsTransient(st.code())) {
        st = Status::Ok();  // e.g. an older server: it checks on its side
      }
    }
    if (st.ok()) st = ActivateCode(code, /*rollover=*/true);
    if (st.code() == ErrorCode::kCurrentLicenseValid) {
      // Not the reserve's failure: it waits for the license to end.
      state.last_error = Report(st, now);
      (void)Save();
      return st;
    }
    if (st.ok()) {
      ClearReserve();
      state.activate_now_requested = false;
      return Save();
    }
    // Offline at the license's end, with the reserve prepared ahead of
    // time: its key, verified now, takes over with no gap. The server
    // verifies the rollover in full at the next contact.
    if (IsTransient(st.code()) && PreparedUsable(now)) {
      return SwitchToPrepared(now);
    }
    state.failed_attempts += 1;
    state.reserve_error = Report(st, now);
    if (IsTransient(st.code())) {
      state.reserve_state = ReserveState::kRetrying;
      state.next_retry_at =
          now +
          BackoffDelay({.initial = config.retry.initial_delay,
                        .max = config.retry.max_delay,
                        .jitter = config.retry.jitter},
                       state.failed_attempts,
                       static_cast<double>(crypto::RandomUniform(1u << 30)) /
                           static_cast<double>(1u << 30));
    } else {
      state.reserve_state = ReserveState::kFailed;
      state.next_retry_at.reset();
    }
    (void)Save();
    return st;
  }

  // Whatever is due now. REQUIRES: mu held.
  Status DoDueWork() REQUIRES(mu) {
    UnixSeconds now = Now();
    if (RolloverDue(now)) return Rollover();
    if (PrepareDue(now)) (void)PrepareReserve();
    return Save();
  }

  // Offline rollover: whether to ask the server to prepare the reserve now
  // (within its prepare_days before the license ends, not yet prepared,
  // not just refused).
  bool PrepareDue(UnixSeconds now) const REQUIRES(mu) {
    if (!state.has_license() || state.blocked || !state.has_reserve() ||
        state.reserve_state != ReserveState::kWaiting ||
        !state.prepared.license_key.empty() || !state.current.expires_at ||
        now >= *state.current.expires_at ||
        (state.next_prepare_at && now < *state.next_prepare_at)) {
      return false;
    }
    auto start = PrepareWindowStart(state.reserve.prepare_days,
                                    *state.current.expires_at);
    return start && now >= *start;
  }

  // Asks the server to verify the reserve as at the license's end and to
  // sign its key from then; keeps that key once it verifies here (as at
  // the moment it becomes valid). A refusal that the rollover would meet
  // too (blocked, no seat) shows with the reserve at once; either way it
  // is asked again after a sync interval. REQUIRES: mu held.
  Status PrepareReserve() REQUIRES(mu) {
    UnixSeconds now = Now();
    json::object body = Credentials();
    body["app_version"] = config.app_version;
    body["device_name"] = config.device_name;
    body["os"] = os;
    auto reply = api.Call("POST", "/v1/reserve/prepare", body);
    Status st = reply.status();
    if (reply.ok()) {
      LearnServerTime(*reply);
      st = ApplyPrepared(*reply);
    }
    if (!st.ok()) {
      state.next_prepare_at = now + config.sync_interval;
      if (!IsTransient(st.code())) state.reserve_error = Report(st, now);
    }
    return st;
  }

  // Keeps the prepared reserve the server answered (online, or through a
  // response file) once its key verifies here, as at the moment it
  // becomes valid. REQUIRES: mu held.
  Status ApplyPrepared(const json::value& reply) REQUIRES(mu) {
    std::optional<UnixSeconds> valid_from = OptInt(reply, "valid_from");
    if (!valid_from) {
      return Status(ErrorCode::kKeyMalformed,
                    "The server's prepared key lacks its start.");
    }
    std::string_view armoured = Str(reply, "license_key");
    LICENTIA_ASSIGN_OR_RETURN(LicenseKeyPayload key,
                              VerifyKey(armoured, *valid_from));
    if (key.valid_from != *valid_from || key.code_id.empty() ||
        key.valid_until <= *valid_from) {
      return Status(ErrorCode::kKeyMalformed,
                    "The prepared key does not match the server's answer.");
    }
    state.prepared = {std::string(armoured),
                      std::string(Str(reply, "activation_token")),
                      key.valid_from, key.valid_until};
    state.next_prepare_at.reset();
    state.reserve_error.reset();
    if (const auto* r = reply.as_object().if_contains("reserve")) {
      std::string code = state.reserve.code;
      ReadCodeInfo(*r, state.reserve);
      state.reserve.code = code;
    }
    return Status::Ok();
  }

  // Makes `code` the reserve, as the server registered it (its answer's
  // "reserve"). REQUIRES: mu held.
  Status ApplyReserve(const std::string& code, const json::value& reply)
      REQUIRES(mu) {
    const auto* reserve =
        reply.is_object() ? reply.as_object().if_contains("reserve") : nullptr;
    if (!reserve || !reserve->is_object()) {
      return Status(ErrorCode::kInternal,
                    "The server's answer lacks the reserve code.");
    }
    CodeInfo info;
    info.code = code;
    ReadCodeInfo(*reserve, info);
    ClearReserve();
    state.reserve = std::move(info);
    state.reserve_state = ReserveState::kWaiting;
    return Status::Ok();
  }

  // WriteRequest, with the pending request saved. REQUIRES: mu held.
  Result<std::string> WriteRequestAndSave(OfflineRequest r) REQUIRES(mu) {
    LICENTIA_ASSIGN_OR_RETURN(std::string text, WriteRequest(std::move(r)));
    LICENTIA_RETURN_IF_ERROR(Save());
    return text;
  }

  // Rule 6, what the device can tell on its own before the server checks
  // it all again: a current valid license, no reserve yet, not the same
  // code. REQUIRES: mu held.
  Status CheckReserveLocally(const ActivationCode& code) REQUIRES(mu) {
    if (CurrentState(Now()) != LicenseState::kActive) return NoCurrentLicense();
    if (state.has_reserve()) return ReserveAlreadySet();
    if (code.Canonical() == state.current.code) return ReserveIsCurrentCode();
    return Status::Ok();
  }

  // A request file for `kind` from this device, now pending (the secret
  // half of its key is dropped once it has signed). REQUIRES: mu held.
  Result<std::string> WriteRequest(OfflineRequest r) REQUIRES(mu) {
    crypto::RandomBytes(r.id);
    r.created_at = Now();
    r.product = config.product;
    r.fingerprint = fingerprint;
    r.device_name = config.device_name;
    r.os = os;
    r.app_version = config.app_version;
    if (r.kind == OfflineRequestKind::kActivate) {
      for (const auto& id : accepted_key_ids) {
        r.accepts_key_ids.emplace_back(id.as_string());
      }
    } else {
      r.activation_token = state.activation_token;
    }
    std::string text = WriteOfflineRequest(r, crypto::GenerateSigningKeyPair());
    // The code the answer is about: the one activated or released, the
    // reserve added or prepared.
    std::string about = r.code;
    if (r.kind == OfflineRequestKind::kAddReserve) about = r.reserve_code;
    if (r.kind == OfflineRequestKind::kPrepareReserve) {
      about = state.reserve.code;
    }
    state.pending_offline = {crypto::ToHex(r.id),
                             std::string(OfflineRequestKindName(r.kind)),
                             std::move(about)};
    return text;
  }

  bool PreparedUsable(UnixSeconds now) const REQUIRES(mu) {
    return !state.prepared.license_key.empty() &&
           state.prepared.valid_from <= now && now < state.prepared.valid_until;
  }

  // The prepared reserve becomes the current license, with no network.
  // The old license's seat is given back at the next contact.
  // REQUIRES: mu held.
  Status SwitchToPrepared(UnixSeconds now) REQUIRES(mu) {
    auto key = VerifyKey(state.prepared.license_key, now);
    if (!key.ok()) {
      state.prepared = {};
      (void)Save();
      return key.status();
    }
    if (state.has_license()) {
      GiveBack({state.current.code, state.activation_token}, /*online=*/false);
    }
    CodeInfo info = state.reserve;
    info.expires_at = key->valid_until;  // the signed value decides
    info.key_valid_until = key->valid_until;
    state.current = std::move(info);
    state.activation_token = state.prepared.activation_token;
    state.license_key = state.prepared.license_key;
    state.blocked = false;
    state.blocked_reason.clear();
    state.last_error.reset();
    state.retry_code.clear();
    ClearReserve();
    state.activate_now_requested = false;
    state.switched_offline = true;
    return Save();
  }

  // After a switch made offline: the rollover's full verification, now
  // that the server answers (the same seat, activated again). A refusal
  // (the code was blocked meanwhile) shows as the license's error; the
  // status that follows tells its state. REQUIRES: mu held.
  Status VerifyOfflineSwitch() REQUIRES(mu) {
    Status st = ActivateCode(state.current.code, /*rollover=*/false);
    if (IsTransient(st.code())) return st;
    state.switched_offline = false;
    if (!st.ok()) state.last_error = Report(st, Now());
    return Status::Ok();
  }

  // Activates a code the user entered. REQUIRES: mu held.
  Status ActivateTyped(const std::string& code) REQUIRES(mu) {
    Status st = ActivateCode(code, /*rollover=*/false);
    if (!st.ok()) {
      state.last_error = ActivationReport(st, Now());
      state.retry_code = code;  // Try again repeats it
      (void)Save();
      return st;
    }
    if (state.reserve.code == code) ClearReserve();
    return Save();
  }

  Status AddReserveLocked(const ActivationCode& code) REQUIRES(mu) {
    LICENTIA_RETURN_IF_ERROR(CheckReserveLocally(code));
    json::object body = Credentials();
    body["reserve_code"] = code.Canonical();
    auto check = api.Call("POST", "/v1/reserve/check", body);
    if (!check.ok()) return check.status();
    LICENTIA_ASSIGN_OR_RETURN(json::value reply,
                              api.Call("POST", "/v1/reserve/register", body));
    LearnServerTime(reply);
    LICENTIA_RETURN_IF_ERROR(ApplyReserve(code.Canonical(), reply));
    return Save();
  }

  Status RemoveReserveLocked() REQUIRES(mu) {
    if (!state.has_reserve()) {
      return Status(ErrorCode::kNoReserve, "This device has no reserve code.");
    }
    if (state.has_license()) {
      auto r = api.Call("POST", "/v1/reserve/unregister", Credentials());
      // NO_RESERVE: the server has none (already gone); the local one goes
      // too.
      if (!r.ok() && r.status().code() != ErrorCode::kNoReserve &&
          !client::SeatGone(r.status().code())) {
        return r.status();
      }
    }
    ClearReserve();
    return Save();
  }

  // Carries out one action queued in the console, as if the user had
  // typed it: the same checks, here and on the server.
  Status CarryOut(std::string_view kind, std::string_view code_text)
      REQUIRES(mu) {
    if (kind == "remove_reserve") return RemoveReserveLocked();
    LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                              ActivationCode::Parse(code_text));
    if (kind == "activate") return ActivateTyped(code.Canonical());
    if (kind == "set_reserve") return AddReserveLocked(code);
    return Status(ErrorCode::kInvalidRequest,
                  "This SDK does not know the action asked of it.");
  }

  // Takes up the actions queued in the console for this device (docs/
  // console.md) and reports each outcome. Actions for another product's
  // application on this device are left to it.
  Status RunActions() REQUIRES(mu) {
    if (state.connection_token.empty()) return Status::Ok();
    json::object who{{"fingerprint", fingerprint},
                     {"connection_token", state.connection_token}};
    last_actions_check = Now();
    auto r = api.Call("POST", "/v1/actions", who);
    if (!r.ok()) {
      if (r.status().code() == ErrorCode::kNotConnected) {
        // Disconnected in the console.
        state.connection_token.clear();
        state.connected_account.clear();
        return Save();
      }
      return r.status();
    }
    const json::value* list =
        r->is_object() ? r->as_object().if_contains("actions") : nullptr;
    if (list == nullptr || !list->is_array()) return Status::Ok();
    for (const json::value& a : list->as_array()) {
      if (!a.is_object() || Str(a, "product") != config.product) continue;
      auto id = OptInt(a, "id");
      if (!id) continue;
      Status st = CarryOut(Str(a, "kind"), Str(a, "code"));
      json::object result = who;
      result["id"] = *id;
      if (!st.ok()) {
        result["error_code"] = ErrorCodeName(st.code());
        result["message"] = st.message();
      }
      (void)api.Call("POST", "/v1/actions/result", result);
    }
    return Save();
  }

  Status SyncLocked() REQUIRES(mu) {
    if (!state.has_license()) {
      // Nothing to ask about but what the console may have sent.
      LICENTIA_RETURN_IF_ERROR(RunActions());
      return DoDueWork();
    }
    if (state.switched_offline) {
      if (Status st = VerifyOfflineSwitch(); !st.ok()) {
        state.last_error = Report(st, Now());
        (void)Save();
        return st;
      }
    }
    (void)Now();
    return ApplyStatusReply(
        api.Call("POST", "/v1/status", StatusCredentials()));
  }

  // Applies the server's answer to a status request (or to a wait, which
  // answers the same), then does what is due. REQUIRES: mu held.
  Status ApplyStatusReply(const Result<json::value>& reply) REQUIRES(mu) {
    UnixSeconds now = Now();
    if (!reply.ok()) {
      ErrorCode code = reply.status().code();
      if (code == ErrorCode::kHeartbeatMissed) {
        // The server freed the seat of a device it had not heard from:
        // back now, the device takes a seat again if one is free.
        Status again = ActivateCode(state.current.code, /*rollover=*/false);
        if (again.ok()) return DoDueWork();
        if (IsTransient(again.code())) {
          state.last_error = Report(again, now);
          (void)Save();
          return again;
        }
        state.current = CodeInfo{};
        state.license_key.clear();
        state.activation_token.clear();
        state.last_error =
            Report(Status(again.code(), std::string(reply.status().message()) +
                                            " Activating it again failed: " +
                                            std::string(again.message())),
                   now);
        return DoDueWork();
      }
      if (client::SeatGone(code)) {
        // The seat is gone (released elsewhere or by the vendor): the key
        // no longer stands for a license on this device.
        state.current = CodeInfo{};
        state.license_key.clear();
        state.activation_token.clear();
        state.last_error = Report(reply.status(), now);
        return DoDueWork();
      }
      state.last_error = Report(reply.status(), now);
      (void)Save();
      return reply.status();
    }
    LearnServerTime(*reply);
    auto server_time = OptInt(*reply, "server_time");
    if (clock_rolled_back ||
        (server_time && *server_time + kClockTolerance < state.trusted_time)) {
      // The device's time is off (set back, or ran ahead); the server's
      // signed time puts it right. Failing that, it stays as it was.
      (void)LearnAttestedServerTime();
    }
    now = Now();
    state.last_sync = now;
    ReleasePendingSeats();
    std::string_view server_state = Str(*reply, "state");
    state.blocked = server_state == "blocked";
    state.suspended = server_state == "suspended";
    const auto* lic = reply->as_object().if_contains("license");
    bool key_outdated = false;
    if (lic && lic->is_object()) {
      std::string code = state.current.code;
      ReadCodeInfo(*lic, state.current);
      state.current.code = code;
      state.blocked_reason = std::string(Str(*lic, "blocked_reason"));
      state.suspended_reason = std::string(Str(*lic, "suspended_reason"));
      key_outdated = KeyOutdated(state.current);
    }
    // What the server knows of the reserve (its expiry, once it was first
    // activated on another device).
    const auto* res = reply->as_object().if_contains("reserve");
    if (res && res->is_object() && state.has_reserve()) {
      std::string code = state.reserve.code;
      ReadCodeInfo(*res, state.reserve);
      state.reserve.code = code;
      const auto* blocked = res->as_object().if_contains("blocked");
      if (blocked && blocked->is_bool() && blocked->as_bool() &&
          !state.prepared.license_key.empty()) {
        // A block before the switch cancels the prepared key.
        state.prepared = {};
        state.reserve_error =
            Report(CodeBlocked(Str(*res, "blocked_reason")), now);
      }
    } else if (!state.prepared.license_key.empty()) {
      state.prepared = {};  // the server holds no reserve for this device
    }
    state.last_error.reset();
    if (key_outdated && (server_state == "active" || server_state == "grace")) {
      // A renewal or a change of terms: a new key, with nothing for the
      // user to do (the same seat, activated again). Failing, the key in
      // hand stays and the next contact tries again.
      if (Status st = ActivateCode(state.current.code, /*rollover=*/false);
          !st.ok()) {
        state.last_error = Report(st, now);
      }
    }
    // The server answers again: a rollover that failed for a network
    // reason is retried now, not at its backoff's next turn.
    if (state.reserve_state == ReserveState::kRetrying) {
      state.next_retry_at = now;
    }
    if (auto pending = OptInt(*reply, "actions_pending");
        pending && *pending > 0) {
      (void)RunActions();  // an action's failure is reported to the console
      if (!state.has_license()) return DoDueWork();
    }
    return DoDueWork();
  }

  Status TickLocked() REQUIRES(mu) {
    UnixSeconds now = Now();
    // Without a license there is no status to ask: a connected device
    // asks for actions (a license sent from the console) at the interval.
    if (!state.has_license() && !state.connection_token.empty() &&
        (!last_actions_check ||
         now >= *last_actions_check + config.sync_interval)) {
      Status st = RunActions();
      if (!st.ok()) return st;
      now = Now();
    }
    // A set-back clock is put right by the server's signed time at once.
    bool sync_due =
        state.has_license() && (!state.last_sync || clock_rolled_back ||
                                now >= *state.last_sync + config.sync_interval);
    if (sync_due) {
      Status st = SyncLocked();
      if (!st.ok() && !RolloverDue(Now())) return st;
    }
    return DoDueWork();
  }

  // client::PushTarget, for the push loop.
  Status RunDueWork() override EXCLUDES(mu) {
    MutexLock lock(mu);
    return TickLocked();
  }

  std::optional<client::WaitRequest> PrepareWait() override EXCLUDES(mu) {
    MutexLock lock(mu);
    if (!state.has_license()) return std::nullopt;
    UnixSeconds now = Now();
    // The wait ends by the time the device next has work of its own: the
    // license's end (the rollover), a rollover retry, the interval sync.
    UnixSeconds due = kSecondsPerDay;
    auto consider = [&](std::optional<UnixSeconds> at) {
      if (at && *at > now) due = std::min(due, *at - now);
    };
    consider(state.current.expires_at);
    consider(state.next_retry_at);
    consider(state.next_prepare_at);
    if (state.has_reserve() && state.current.expires_at) {
      consider(PrepareWindowStart(state.reserve.prepare_days,
                                  *state.current.expires_at));
    }
    if (state.last_sync) consider(*state.last_sync + config.sync_interval);
    return client::WaitRequest{StatusCredentials(), due};
  }

  Status ApplyWaitAnswer(const client::WaitRequest& request,
                         const Result<json::value>& answer) override
      EXCLUDES(mu) {
    MutexLock lock(mu);
    // The device activated another code, or rolled over, while it waited:
    // the answer is about a seat it no longer holds.
    if (json::value(StatusCredentials()) != json::value(request.credentials)) {
      return Status::Ok();
    }
    return ApplyStatusReply(answer);
  }

  std::string DetailsDigest() override EXCLUDES(published_mu) {
    std::shared_ptr<const DeviceState> s = Published();
    const ProblemReport* last = s->last_error ? &*s->last_error : nullptr;
    const ProblemReport* reserve_last =
        s->reserve_error ? &*s->reserve_error : nullptr;
    return fmt::format(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", s->current.code,
        s->current.expires_at.value_or(-1), s->blocked, s->blocked_reason,
        s->current.max_devices, s->current.seats_used, s->current.edition,
        fmt::join(s->current.features, ","), s->reserve.code,
        static_cast<int>(s->reserve_state), s->reserve.expires_at.value_or(-1),
        last ? static_cast<int>(last->code) : 0,
        reserve_last ? static_cast<int>(reserve_last->code) : 0);
  }
};

LicenseManager::LicenseManager(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
LicenseManager::~LicenseManager() {
  // The agent thread calls into the Impl: it stops before any of it goes.
  impl_->push.Stop();
}

Result<std::unique_ptr<LicenseManager>> LicenseManager::Open(
    ClientConfig config) {
  auto bad = [](std::string m) {
    return Status(ErrorCode::kInvalidRequest, std::move(m));
  };
  if (config.server_url.empty()) return bad("server_url is required.");
  if (config.product.empty()) return bad("product is required.");
  if (config.state_dir.empty()) return bad("state_dir is required.");
  if (!Version::Parse(config.app_version).ok()) {
    return bad("app_version must be a version like 22.1.");
  }
  if (config.trusted_public_keys.empty()) {
    return bad("At least one trusted public key is required.");
  }
  std::vector<crypto::PublicKey> keys;
  for (const auto& hex : config.trusted_public_keys) {
    auto bytes = crypto::FromHex(hex);
    if (!bytes || bytes->size() != crypto::kPublicKeyBytes) {
      return bad(fmt::format("'{}' is not a 64-character hex public key.",
                             hex.substr(0, 70)));
    }
    crypto::PublicKey pk;
    std::copy(bytes->begin(), bytes->end(), pk.begin());
    keys.push_back(pk);
  }
  const PushPolicy& push = config.push;
  if (push.wait_seconds < 1 || push.wait_seconds > 300) {
    return bad("push.wait_seconds must be 1 to 300.");
  }
  if (push.reconnect_initial_ms < 1 ||
      push.reconnect_max_ms < push.reconnect_initial_ms ||
      !(push.reconnect_jitter >= 0 && push.reconnect_jitter <= 1)) {
    return bad(
        "push.reconnect_initial_ms must be at least 1, reconnect_max_ms at "
        "least that, and reconnect_jitter within 0 to 1.");
  }
  std::string fp = config.fingerprint;
  if (fp.empty()) {
    LICENTIA_ASSIGN_OR_RETURN(fp, client::MachineFingerprint(config.product));
  }
  if (config.device_name.empty()) config.device_name = client::HostName();
  auto impl = std::make_unique<Impl>(std::move(config), std::move(keys), fp);
  auto loaded = impl->file.Load();
  if (loaded.ok()) {
    MutexLock lock(impl->mu);
    impl->state = std::move(*loaded);
    impl->saved_trusted_time = impl->state.trusted_time;
    impl->Publish();
  } else if (loaded.status().code() == ErrorCode::kStateTampered) {
    impl->file.QuarantineCorrupt();
    return loaded.status();
  } else if (loaded.status().code() != ErrorCode::kNotFound) {
    return loaded.status();
  }
  return std::unique_ptr<LicenseManager>(new LicenseManager(std::move(impl)));
}

Status LicenseManager::Activate(std::string_view code_text) {
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                            ActivationCode::Parse(code_text));
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  return m.ActivateTyped(code.Canonical());
}

LicenseDetails LicenseManager::Details() {
  // From the state last published, without the lock that network calls
  // hold: the details window never waits for a request in flight.
  Impl& m = *impl_;
  std::shared_ptr<const DeviceState> s = m.Published();
  UnixSeconds local = m.clock->Now();
  bool rolled_back = local + kClockTolerance < s->last_local_time;
  UnixSeconds now = std::max(s->trusted_time, local + s->clock_offset);
  return DetailsOf(*s, now, rolled_back);
}

Status LicenseManager::AddReserve(std::string_view code_text) {
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                            ActivationCode::Parse(code_text));
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  return m.AddReserveLocked(code);
}

Status LicenseManager::RemoveReserve() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  return m.RemoveReserveLocked();
}

Status LicenseManager::RemoveLicenseKey() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  if (!m.state.has_license()) {
    return Status(ErrorCode::kNoCurrentLicense,
                  "There is no license key on this device.");
  }
  auto r = m.api.Call("POST", "/v1/deactivate", m.Credentials());
  if (!r.ok() && !client::SeatGone(r.status().code())) {
    return r.status();  // the key stays until the seat is released
  }
  m.state.current = CodeInfo{};
  m.state.license_key.clear();
  m.state.activation_token.clear();
  m.state.blocked = false;
  m.state.last_error.reset();
  return m.DoDueWork();  // rule 8: the reserve takes over
}

Result<std::string> LicenseManager::Connect(std::string_view connect_code) {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  json::object body{{"connect_code", connect_code},
                    {"fingerprint", m.fingerprint},
                    {"device_name", m.config.device_name},
                    {"os", m.os},
                    {"app_version", m.config.app_version}};
  // The code this device uses: the server checks the device holds its
  // seat, and shows it in the console (and joins it to the account).
  json::array codes;
  if (m.state.has_license()) codes.push_back(json::value(m.state.current.code));
  body["codes"] = std::move(codes);
  LICENTIA_ASSIGN_OR_RETURN(json::value r,
                            m.api.Call("POST", "/v1/connect", body));
  const json::object* o = r.if_object();
  const json::value* token = o ? o->if_contains("connection_token") : nullptr;
  const json::value* account = o ? o->if_contains("account") : nullptr;
  if (!token || !token->is_string() || !account || !account->is_string()) {
    return Status(ErrorCode::kInternal,
                  "The server's answer to the connection lacks its token.");
  }
  m.state.connection_token = std::string(token->as_string());
  m.state.connected_account = std::string(account->as_string());
  LICENTIA_RETURN_IF_ERROR(m.Save());
  return m.state.connected_account;
}

Status LicenseManager::Disconnect() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  if (m.state.connection_token.empty()) {
    return Status(ErrorCode::kNotConnected,
                  "This device is not connected to a management console "
                  "account.");
  }
  auto r =
      m.api.Call("POST", "/v1/disconnect",
                 json::object{{"fingerprint", m.fingerprint},
                              {"connection_token", m.state.connection_token}});
  // NOT_CONNECTED: the account disconnected it already.
  if (!r.ok() && r.status().code() != ErrorCode::kNotConnected) {
    return r.status();
  }
  m.state.connection_token.clear();
  m.state.connected_account.clear();
  return m.Save();
}

Status LicenseManager::Sync() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  return m.SyncLocked();
}

Status LicenseManager::Check() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  UnixSeconds now = m.Now();
  if (m.clock_rolled_back) {
    m.KeepTrustedTime();
    return Status(ErrorCode::kClockRolledBack,
                  "The device clock is set earlier than the last trusted "
                  "time; set it correctly.");
  }
  // No gap: the moment the license ends with a reserve waiting, the check
  // itself switches to the reserve. Only then does it use the network.
  if (m.RolloverDue(now) && !m.state.activate_now_requested) {
    (void)m.Rollover();
    now = m.Now();
  }
  if (!m.state.has_license()) {
    return Status(ErrorCode::kNoCurrentLicense,
                  "There is no license on this device.");
  }
  if (m.state.blocked) {
    return Status(ErrorCode::kCodeBlocked, "The vendor blocked this license.");
  }
  if (m.state.suspended) return CodeSuspended(m.state.suspended_reason);
  m.KeepTrustedTime();
  auto key = m.VerifyKey(m.state.license_key, now);
  if (!key.ok()) return key.status();
  return Status::Ok();
}

Status LicenseManager::TryAgain() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  UnixSeconds now = m.Now();
  bool reserve_failed = m.state.has_reserve() &&
                        (m.state.reserve_state == ReserveState::kFailed ||
                         m.state.reserve_state == ReserveState::kRetrying);
  if (!reserve_failed && !m.state.retry_code.empty()) {
    return m.ActivateTyped(m.state.retry_code);  // a failed activation
  }
  if (!reserve_failed) {
    return Status(ErrorCode::kInvalidRequest, "There is nothing to retry.");
  }
  LicenseState cur = m.CurrentState(now);
  if (cur == LicenseState::kActive) {
    return Status(ErrorCode::kInvalidRequest,
                  "The current license is valid; the reserve activates when "
                  "it ends.");
  }
  return m.Rollover();
}

Status LicenseManager::ActivateNow() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  UnixSeconds now = m.Now();
  if (!m.state.has_reserve()) {
    return Status(ErrorCode::kNoReserve, "This device has no reserve code.");
  }
  if (m.CurrentState(now) == LicenseState::kActive) {
    return Status(ErrorCode::kInvalidRequest,
                  "The current license is valid; the reserve activates by "
                  "itself when it ends.");
  }
  m.state.activate_now_requested = true;
  LICENTIA_RETURN_IF_ERROR(m.Rollover());
  if (m.state.has_reserve() &&
      m.CurrentState(m.Now()) == LicenseState::kActive) {
    // The server's time showed the license had not ended after all.
    m.state.activate_now_requested = false;
    (void)m.Save();
    return Status(ErrorCode::kCurrentLicenseValid,
                  "The current license is still valid by the server's "
                  "clock; the reserve activates by itself when it ends.");
  }
  return Status::Ok();
}

Result<std::string> LicenseManager::OfflineActivationRequest(
    std::string_view code_text) {
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                            ActivationCode::Parse(code_text));
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  OfflineRequest r;
  r.kind = OfflineRequestKind::kActivate;
  r.code = code.Canonical();
  return m.WriteRequestAndSave(std::move(r));
}

Result<std::string> LicenseManager::OfflineDeactivationRequest() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  if (!m.state.has_license()) {
    return Status(ErrorCode::kNoCurrentLicense,
                  "There is no license key on this device.");
  }
  OfflineRequest r;
  r.kind = OfflineRequestKind::kDeactivate;
  r.code = m.state.current.code;
  LICENTIA_ASSIGN_OR_RETURN(std::string text, m.WriteRequest(std::move(r)));
  // The request stands for the key's removal: the device stops using it
  // now, before the vendor frees the seat.
  m.state.current = CodeInfo{};
  m.state.license_key.clear();
  m.state.activation_token.clear();
  m.state.blocked = false;
  m.state.last_error.reset();
  LICENTIA_RETURN_IF_ERROR(m.Save());
  return text;
}

Result<std::string> LicenseManager::OfflineReserveRequest(
    std::string_view code_text) {
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                            ActivationCode::Parse(code_text));
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  LICENTIA_RETURN_IF_ERROR(m.CheckReserveLocally(code));
  OfflineRequest r;
  r.kind = OfflineRequestKind::kAddReserve;
  r.code = m.state.current.code;
  r.reserve_code = code.Canonical();
  return m.WriteRequestAndSave(std::move(r));
}

Result<std::string> LicenseManager::OfflinePrepareRequest() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  if (!m.state.has_license() || !m.state.has_reserve()) {
    return Status(ErrorCode::kNoReserve,
                  "This device has no reserve code to prepare.");
  }
  OfflineRequest r;
  r.kind = OfflineRequestKind::kPrepareReserve;
  r.code = m.state.current.code;
  return m.WriteRequestAndSave(std::move(r));
}

Status LicenseManager::ImportOfflineResponse(std::string_view text) {
  Impl& m = *impl_;
  // Signed by the server: a changed file, or one from a server this
  // application does not trust, is refused before anything is read from it.
  LICENTIA_ASSIGN_OR_RETURN(OfflineResponse response,
                            ReadOfflineResponse(text, m.trusted));
  boost::system::error_code ec;
  json::value answer_value = json::parse(response.answer, ec);
  if (ec || !answer_value.is_object()) {
    return Status(ErrorCode::kInvalidRequest,
                  "This is not a response file: its answer is not JSON.");
  }
  const json::value* answer = &answer_value;
  MutexLock lock(m.mu);
  const client::PendingOfflineRequest& pending = m.state.pending_offline;
  if (pending.id.empty() || crypto::ToHex(response.request_id) != pending.id ||
      OfflineRequestKindName(response.kind) != pending.kind) {
    return Status(ErrorCode::kOfflineResponseMismatch,
                  pending.id.empty()
                      ? std::string("This device has no request waiting "
                                    "for an answer.")
                      : std::string("This response answers another request "
                                    "than the one this device wrote last."));
  }
  std::string code = pending.code;
  if (pending.kind == "activate") {
    LICENTIA_RETURN_IF_ERROR(
        m.ApplyActivation(code, *answer, /*online=*/false));
    if (m.state.reserve.code == code) m.ClearReserve();
  } else if (pending.kind == "add_reserve") {
    LICENTIA_RETURN_IF_ERROR(m.ApplyReserve(code, *answer));
  } else if (pending.kind == "prepare_reserve") {
    if (m.state.reserve.code != code) {
      return Status(ErrorCode::kOfflineResponseMismatch,
                    "The reserve this answer prepares is no longer this "
                    "device's reserve.");
    }
    LICENTIA_RETURN_IF_ERROR(m.ApplyPrepared(*answer));
  }
  m.state.pending_offline = {};
  return m.Save();
}

Status LicenseManager::Tick() {
  Impl& m = *impl_;
  MutexLock lock(m.mu);
  return m.TickLocked();
}

Status LicenseManager::Step(std::chrono::milliseconds max_wait) {
  return impl_->push.Step(max_wait);
}

void LicenseManager::Interrupt() { impl_->push.Interrupt(); }

Status LicenseManager::StartAgent(std::function<void()> on_change) {
  return impl_->push.Start(std::move(on_change));
}

void LicenseManager::StopAgent() { impl_->push.Stop(); }

}  // namespace licentia
