#include "server/device_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <optional>

#include "core/license_key.h"
#include "core/offline_request.h"
#include "core/time_attestation.h"
#include "core/version_range.h"
#include "server/device_actions.h"
#include "server/json_fields.h"
#include "server/key_join.h"
#include "server/key_signer.h"

namespace licentia::server {
namespace json = boost::json;

struct SeatSeen {
  std::int64_t code_id = 0;
  // A seat of a heartbeat code last seen long enough ago to record this
  // contact; 0 when none is needed.
  std::int64_t touch_activation_id = 0;
};

namespace {

constexpr size_t kMaxCodeInput = 64;
constexpr size_t kMaxFingerprint = 128;
constexpr size_t kMaxName = 128;
constexpr size_t kMaxToken = 128;

// The device's proof that it holds an activation: the current code, its
// fingerprint and the activation token it received when it activated.
struct DeviceCredentials {
  ActivationCode code;
  crypto::Hash code_hash;  // computed once: the lookup key and limiter key
  std::string fingerprint;
  std::string token;
  crypto::Hash device_hash;
  // The device's console connection (docs/console.md), if it sent one.
  std::string connection_token;
};

std::string_view LimiterKey(const crypto::Hash& code_hash) {
  return {reinterpret_cast<const char*>(code_hash.data()), code_hash.size()};
}

Status TooManyAttempts(int wait_seconds) {
  return TooManyRequests("Too many attempts with this code", wait_seconds);
}

Result<ActivationCode> ParseCodeField(const JsonFields& f,
                                      std::string_view name) {
  LICENTIA_ASSIGN_OR_RETURN(std::string raw, f.String(name, kMaxCodeInput));
  return ActivationCode::Parse(raw);
}

crypto::Hash TokenHash(std::string_view token) {
  return crypto::Blake2b(token);
}

Status CodeNotFound() {
  return Status(ErrorCode::kCodeNotFound,
                "No license exists for this activation code; check that it "
                "was typed exactly as received.");
}

}  // namespace

// Parses the device credentials and checks the per-code rate limit, so a
// brute-force guesser is throttled before any database work.
static Result<DeviceCredentials> ParseCredentials(const JsonFields& f,
                                                  std::string_view code_field,
                                                  bool need_token,
                                                  RateLimiter& per_code,
                                                  const ServiceContext& ctx) {
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code, ParseCodeField(f, code_field));
  crypto::Hash code_hash = ctx.HashCode(code);
  // Requests that carry an activation token prove more than the code; only
  // attempts with the code alone are limited, and only their refusals count
  // (the caller charges them). Otherwise the devices of a many-seat code,
  // activating or syncing at once, would throttle one another.
  if (int wait = need_token ? 0 : per_code.Check(LimiterKey(code_hash))) {
    return TooManyAttempts(wait);
  }
  LICENTIA_ASSIGN_OR_RETURN(std::string fp,
                            f.String("fingerprint", kMaxFingerprint));
  std::string token;
  if (need_token) {
    LICENTIA_ASSIGN_OR_RETURN(token, f.String("activation_token", kMaxToken));
  }
  crypto::Hash device = DeviceBinding(fp);
  LICENTIA_ASSIGN_OR_RETURN(auto connection,
                            f.OptString("connection_token", kMaxToken));
  return DeviceCredentials{std::move(code), code_hash,
                           std::move(fp),   std::move(token),
                           device,          connection.value_or("")};
}

// The body of a call made by a device that holds an activation (status,
// deactivate, reserve removal): its code, fingerprint and activation token,
// nothing else.
static Result<DeviceCredentials> ParseHolderCall(std::string_view body,
                                                 RateLimiter& per_code,
                                                 const ServiceContext& ctx) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f,
      JsonFields::Parse(body, {"code", "fingerprint", "activation_token",
                               "connection_token"}));
  return ParseCredentials(f, "code", true, per_code, ctx);
}

// The device's credentials and the reserve code it proposes; refused
// attempts with a reserve code count against that code's limit (it is a
// guess until it is known to exist).
struct ReserveRequest {
  DeviceCredentials cred;
  crypto::Hash reserve_hash;
};

static Result<ReserveRequest> ParseReserveRequest(std::string_view body,
                                                  RateLimiter& per_code_,
                                                  const ServiceContext& ctx_) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f,
      JsonFields::Parse(
          body, {"code", "fingerprint", "activation_token", "reserve_code"}));
  LICENTIA_ASSIGN_OR_RETURN(DeviceCredentials cred,
                            ParseCredentials(f, "code", true, per_code_, ctx_));
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode reserve,
                            ParseCodeField(f, "reserve_code"));
  crypto::Hash reserve_hash = ctx_.HashCode(reserve);
  if (int wait = per_code_.Check(LimiterKey(reserve_hash))) {
    return TooManyAttempts(wait);
  }
  return ReserveRequest{std::move(cred), reserve_hash};
}

namespace {

// Loads the code and the device's seat and checks the token: the device must
// hold a live activation of this code.
struct HeldLicense {
  store::CodeRow code;
  store::ActivationRow activation;
};

// One answer for every way the proof can fail (no such code, no seat for
// this fingerprint, a wrong token): a caller without the token learns
// neither which codes exist nor which devices hold a seat.
Status NotHeld() {
  return Status(ErrorCode::kNotActivated,
                "This device holds no activation of this code with this "
                "activation token.");
}

Status SeatReleased(const store::ReleasedSeat& r) {
  std::string why = r.reason.empty() ? "" : ": " + r.reason;
  if (r.released_by == "server") {
    return Status(ErrorCode::kHeartbeatMissed,
                  fmt::format("The server freed this device's seat on {}{}.",
                              FormatTimestamp(r.at), why));
  }
  if (r.released_by == "owner") {
    return Status(ErrorCode::kSeatReleased,
                  fmt::format("The license's owner freed this device's seat "
                              "in the management console on {}{}.",
                              FormatTimestamp(r.at), why));
  }
  return Status(ErrorCode::kSeatReleased,
                fmt::format("The vendor released this device's seat on {}{}.",
                            FormatTimestamp(r.at), why));
}

Result<HeldLicense> LoadHeld(store::Transaction& txn,
                             const DeviceCredentials& cred) {
  LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeByHash(cred.code_hash));
  if (!code) return NotHeld();
  LICENTIA_ASSIGN_OR_RETURN(
      auto act, txn.FindActiveActivation(code->id, cred.device_hash));
  if (!act) {
    // A device that proves it held a seat someone else freed is told who,
    // when and why (only the failure path pays for the lookup).
    LICENTIA_ASSIGN_OR_RETURN(auto released,
                              txn.FindReleasedSeat(code->id, cred.device_hash));
    if (released &&
        crypto::Equal(released->token_hash, TokenHash(cred.token))) {
      return SeatReleased(*released);
    }
    return NotHeld();
  }
  if (!crypto::Equal(act->token_hash, TokenHash(cred.token))) return NotHeld();
  return HeldLicense{std::move(*code), std::move(*act)};
}

// CURRENT_LICENSE_VALID if the device still holds `current` and it has
// neither ended nor been blocked by the server's clock.
Status RefuseWhileCurrentIsValid(store::Transaction& txn,
                                 const DeviceCredentials& current,
                                 UnixSeconds now) {
  auto held = LoadHeld(txn, current);
  if (!held.ok()) {
    // Released, or never held: nothing is replaced early.
    ErrorCode code = held.status().code();
    return code == ErrorCode::kNotActivated ||
                   code == ErrorCode::kSeatReleased ||
                   code == ErrorCode::kHeartbeatMissed
               ? Status::Ok()
               : held.status();
  }
  if (!IsUsable(CodeStateAt(FactsOf(held->code), now))) {
    return Status::Ok();
  }
  auto expiry = CodeExpiry(held->code);
  if (!expiry) return Status::Ok();  // never activated: nothing to protect
  return Status(ErrorCode::kCurrentLicenseValid,
                fmt::format("The current license is valid until {} by the "
                            "server's clock (it is {} now); the reserve code "
                            "activates when it ends. Check this device's date "
                            "and time.",
                            FormatTimestamp(*expiry), FormatTimestamp(now)));
}

// What the key for `code` on device `device_hash` states: valid from
// `valid_from` to the code's expiry.
LicenseKeyPayload KeyPayloadFor(const store::CodeRow& code,
                                const crypto::Hash& device_hash,
                                std::uint64_t serial, UnixSeconds issued_at,
                                UnixSeconds valid_from) {
  LicenseKeyPayload payload;
  payload.serial = serial;
  payload.issued_at = issued_at;
  payload.valid_from = valid_from;
  payload.valid_until = KeyValidUntil(FactsOf(code));
  payload.type = code.terms.type;
  payload.max_devices = static_cast<std::uint16_t>(code.terms.max_devices);
  payload.device_binding = device_hash;
  payload.product = code.terms.product;
  payload.edition = code.terms.edition;
  payload.code_id = std::to_string(code.id);
  payload.features = code.terms.features;
  return payload;
}

// What a device states about itself when it takes a seat.
struct SeatHolder {
  crypto::Hash device_hash{};
  std::string device_name;
  std::string os;
  std::string app_version;
};

// What a device taking a seat states about itself (activation, a prepared
// reserve): its name and system, optional, and its application version,
// which must parse (the code's compatible versions are checked against it).
Result<SeatHolder> ParseSeatHolder(const JsonFields& f,
                                   const crypto::Hash& device_hash) {
  SeatHolder holder{.device_hash = device_hash};
  LICENTIA_ASSIGN_OR_RETURN(auto name, f.OptString("device_name", kMaxName));
  LICENTIA_ASSIGN_OR_RETURN(auto os, f.OptString("os", kMaxName));
  LICENTIA_ASSIGN_OR_RETURN(holder.app_version, f.String("app_version", 32));
  if (auto v = Version::Parse(holder.app_version); !v.ok()) return v.status();
  holder.device_name = name.value_or("");
  holder.os = os.value_or("");
  return holder;
}

// The device's seat on `code`, written: `existing` again with a new token
// (rule 4: the same seat, the same expiry; only the latest holder can
// release it), or a new seat. A term not yet started, or set to start
// after `term_starts`, starts then, for every device (rule 3: the earliest
// use).
Result<store::ActivationRow> TakeSeat(
    store::Transaction& txn, store::CodeRow& code,
    std::optional<store::ActivationRow> existing, const SeatHolder& holder,
    const crypto::Hash& token_hash, std::uint64_t serial, UnixSeconds now,
    UnixSeconds term_starts) {
  if (!code.first_activated_at || *code.first_activated_at > term_starts) {
    LICENTIA_RETURN_IF_ERROR(txn.SetFirstActivation(code.id, term_starts));
    code.first_activated_at = term_starts;
  }
  store::ActivationRow act;
  if (existing) {
    act = std::move(*existing);
  } else {
    act.code_id = code.id;
    act.device_hash = holder.device_hash;
    act.activated_at = now;
    code.seats_used += 1;
  }
  act.device_name = holder.device_name;
  act.os = holder.os;
  act.app_version = holder.app_version;
  act.token_hash = token_hash;
  act.last_seen_at = now;
  act.key_serial = serial;
  if (existing) {
    LICENTIA_RETURN_IF_ERROR(txn.RefreshActivation(act));
  } else {
    LICENTIA_ASSIGN_OR_RETURN(act.id, txn.InsertActivation(act));
  }
  return act;
}

// The answer to a call that gave the device a seat: its token, the fields
// `fields` writes, the server's time and the signed key (an activation's
// answer is ~1.5 KB).
Result<JsonBody> SeatAnswer(const std::string& token, const IssuedKey& key,
                            UnixSeconds now,
                            const std::function<void(JsonWriter&)>& fields) {
  std::string text;
  text.reserve(2048);
  JsonWriter w(text);
  w.BeginObject();
  w.Field("activation_token", token);
  fields(w);
  w.Field("server_time", now);
  w.Field("license_key", ArmourLicenseKey(key.signed_key));
  w.EndObject();
  return JsonBody::Text(std::move(text));
}

// The device's license, as the activation and status answers carry it.
void WriteLicense(JsonWriter& w, const store::CodeRow& code,
                  const store::ActivationRow& act) {
  w.BeginObject();
  WriteCodeFields(w, code);
  w.Field("activated_at", act.activated_at);
  w.Field("key_serial", act.key_serial);
  w.EndObject();
}

// Rule 6, in the order the refusals are listed there. `held` is the device's
// current license. On success returns the reserve code.
Result<store::CodeRow> CheckReserveRules(store::Transaction& txn,
                                         const HeldLicense& held,
                                         const crypto::Hash& reserve_hash,
                                         UnixSeconds now) {
  LICENTIA_RETURN_IF_ERROR(CheckReserveHolder(FactsOf(held.code), now));
  LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeByHash(reserve_hash));
  if (!code) return CodeNotFound();
  LICENTIA_RETURN_IF_ERROR(CheckReserveForDevice(
      txn, held.code, held.activation.device_hash, *code, now));
  return std::move(*code);
}

// A device's reserve code, as the status and registration answers carry it.
void WriteReserve(JsonWriter& w, const store::CodeRow& code,
                  UnixSeconds added_at) {
  w.BeginObject();
  WriteCodeFields(w, code);
  w.Field("added_at", added_at);
  w.EndObject();
}

}  // namespace

Result<DeviceService::PreparedCall> DeviceService::PrepareActivate(
    std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f,
      JsonFields::Parse(
          body, {"code", "fingerprint", "device_name", "os", "app_version",
                 "product", "accepts_key_ids", "replaces_code",
                 "replaces_activation_token", "connection_token"}));
  LICENTIA_ASSIGN_OR_RETURN(
      DeviceCredentials cred,
      ParseCredentials(f, "code", false, per_code_, ctx_));
  // An application that would refuse this server's keys (built with another
  // server's public key) is told so before anything happens: no seat is
  // taken and no term starts for a key the device would throw away.
  LICENTIA_ASSIGN_OR_RETURN(
      std::vector<std::string> accepted,
      f.StringList("accepts_key_ids", 16, 2 * crypto::kKeyIdBytes));
  if (f.Has("accepts_key_ids")) {
    if (accepted.empty()) {
      return licentia::Status(ErrorCode::kInvalidRequest,
                              "'accepts_key_ids' must name at least one key.");
    }
    std::string mine = crypto::ToHex(ctx_.key_signer.key_id());
    if (std::find(accepted.begin(), accepted.end(), mine) == accepted.end()) {
      return licentia::Status(
          ErrorCode::kKeyUnknownSigner,
          fmt::format("This server signs license keys with key {}, which the "
                      "application does not trust (it was built for another "
                      "server's public key); nothing was activated.",
                      mine));
    }
  }
  // A rollover names the license it replaces: while that license is still
  // valid by the server's clock, the reserve is not activated (a device
  // clock running ahead must not burn the reserve's term).
  std::optional<DeviceCredentials> replaces;
  if (f.Has("replaces_code") || f.Has("replaces_activation_token")) {
    LICENTIA_ASSIGN_OR_RETURN(ActivationCode rc,
                              ParseCodeField(f, "replaces_code"));
    LICENTIA_ASSIGN_OR_RETURN(std::string rt,
                              f.String("replaces_activation_token", kMaxToken));
    replaces = DeviceCredentials{rc, ctx_.HashCode(rc), cred.fingerprint,
                                 std::move(rt), cred.device_hash};
  }
  LICENTIA_ASSIGN_OR_RETURN(SeatHolder holder,
                            ParseSeatHolder(f, cred.device_hash));
  const std::string& app_version = holder.app_version;
  LICENTIA_ASSIGN_OR_RETURN(auto product, f.OptString("product", 64));
  // The token is made outside the transaction: the function may be re-run.
  std::string token = crypto::RandomToken("lat_");
  crypto::Hash token_hash = TokenHash(token);
  std::string device_hex = crypto::ToHex(cred.device_hash);

  // What the transaction decided; the response is built from it after the
  // commit, on a network thread, so the single writer does not spend its
  // time building JSON.
  struct Outcome {
    store::CodeRow code;
    store::ActivationRow activation;
    bool reactivation = false;
    UnixSeconds now = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  auto key = std::make_shared<IssuedKey>();
  return PreparedCall{
      [=, this](store::Transaction& txn) -> licentia::Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(
            store::CodeSeat seat,
            txn.FindCodeSeat(cred.code_hash, cred.device_hash));
        std::optional<store::CodeRow>& code = seat.code;
        if (!code) return CodeNotFound();
        if (product && *product != code->terms.product) {
          return licentia::Status(
              ErrorCode::kWrongProduct,
              fmt::format("This code is for the product '{}', not '{}'.",
                          code->terms.product, *product));
        }
        std::optional<store::ActivationRow>& existing = seat.activation;
        bool reactivation = existing.has_value();
        // Not yet: the license this replaces has not ended.
        if (replaces && replaces->code_hash != cred.code_hash) {
          LICENTIA_RETURN_IF_ERROR(
              RefuseWhileCurrentIsValid(txn, *replaces, now));
        }
        // Rules 2-4 and 10 (core/license_policy.h): the same seat again, or
        // a new one.
        LICENTIA_ASSIGN_OR_RETURN(CodeFacts facts,
                                  FactsForDevice(txn, *code, cred.device_hash));
        LICENTIA_RETURN_IF_ERROR(
            reactivation ? CheckReactivation(facts, now, app_version)
                         : CheckNewSeat(facts, now, app_version));
        LICENTIA_ASSIGN_OR_RETURN(std::uint64_t serial, txn.NextKeySerial());
        // A term prepared to start later (an offline rollover, POST
        // /v1/reserve/prepare) starts now if the code is taken up sooner.
        LICENTIA_ASSIGN_OR_RETURN(
            store::ActivationRow act,
            TakeSeat(txn, *code, std::move(existing), holder, token_hash,
                     serial, now, now));
        // Activating the device's registered reserve is the rollover (rule
        // 8): also when the device holds its seat already, prepared for an
        // offline rollover (POST /v1/reserve/prepare).
        bool is_reserve = seat.reserve && seat.reserve->code_id == code->id;
        if (is_reserve) {
          LICENTIA_RETURN_IF_ERROR(
              txn.DeleteReserve(cred.device_hash, code->terms.product));
        }
        // A re-activation records nothing, unless it is the rollover onto a
        // seat prepared for it.
        if (!reactivation || is_reserve) {
          LICENTIA_RETURN_IF_ERROR(RecordEvent(
              txn, now, is_reserve ? "reserve.activated" : "code.activated",
              &*code, device_hex, "device",
              {{"activation_id", act.id},
               {"device_name", act.device_name},
               {"app_version", app_version},
               {"seats_used", code->seats_used},
               {"prepared", reactivation}}));
        }
        // A connected device's console shows the license it uses now. A
        // connection that does not prove itself changes nothing here.
        if (!cred.connection_token.empty() &&
            ProveConnection(txn, cred.device_hash, cred.connection_token)
                .ok()) {
          LICENTIA_RETURN_IF_ERROR(
              txn.NoteDeviceCode(cred.device_hash, code->id));
        }
        key->payload = KeyPayloadFor(*code, cred.device_hash, serial, now, now);
        *outcome = {std::move(*code), std::move(act), reactivation, now};
        return licentia::Status::Ok();
      },
      [outcome, key, token]() -> Result<JsonBody> {
        return SeatAnswer(token, *key, outcome->now, [&](JsonWriter& w) {
          w.Field("reactivated", outcome->reactivation);
          w.Key("license");
          WriteLicense(w, outcome->code, outcome->activation);
        });
      },
      std::string(LimiterKey(cred.code_hash)), key};
}

void DeviceService::Activate(std::string_view body, Reply reply) {
  Submit(PrepareActivate(body), std::move(reply));
}

Result<DeviceService::PreparedCall> DeviceService::PrepareDeactivate(
    std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(DeviceCredentials cred,
                            ParseHolderCall(body, per_code_, ctx_));
  auto out = std::make_shared<json::object>();
  return PreparedCall{
      [=, this](store::Transaction& txn) -> licentia::Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(HeldLicense held, LoadHeld(txn, cred));
        LICENTIA_RETURN_IF_ERROR(txn.Deactivate(held.activation.id, now));
        LICENTIA_RETURN_IF_ERROR(
            RecordEvent(txn, now, "code.deactivated", &held.code,
                        crypto::ToHex(cred.device_hash), "device",
                        {{"activation_id", held.activation.id},
                         {"seats_used", held.code.seats_used - 1}}));
        *out = json::object{{"deactivated", true},
                            {"seats_used", held.code.seats_used - 1},
                            {"max_devices", held.code.terms.max_devices},
                            {"server_time", now}};
        return licentia::Status::Ok();
      },
      [out]() -> Result<json::object> { return std::move(*out); }};
}

void DeviceService::Deactivate(std::string_view body, Reply reply) {
  Submit(PrepareDeactivate(body), std::move(reply));
}

namespace {

// The device's status (POST /v1/status) into `out` and, if asked, the
// version of what it holds: the code's state and terms, the device's seat
// and its reserve; not the seat count, which other devices move, nor the
// server's time.
// A heartbeat code's seat records the device's contact at most this
// often: status is a read, and the touch is a write of its own.
constexpr UnixSeconds kHeartbeatTouchEvery = 3600;

Status WriteStatusView(store::Transaction& txn, const DeviceCredentials& cred,
                       UnixSeconds now, std::string& out,
                       std::string* version = nullptr,
                       SeatSeen* seen = nullptr) {
  LICENTIA_ASSIGN_OR_RETURN(HeldLicense held, LoadHeld(txn, cred));
  std::string_view state = CodeStateName(CodeStateAt(FactsOf(held.code), now));
  LICENTIA_ASSIGN_OR_RETURN(
      auto r, txn.FindReserve(cred.device_hash, held.code.terms.product));
  std::optional<store::CodeRow> reserve;
  if (r) {
    LICENTIA_ASSIGN_OR_RETURN(reserve, txn.FindCodeById(r->code_id));
  }
  // Actions queued in the console for this device (server/
  // device_actions.h): their number tells the device to take them up.
  // Asked only by a device that says it is connected, so the others' status
  // costs no more than before.
  std::vector<store::DeviceActionRow> actions;
  if (!cred.connection_token.empty()) {
    LICENTIA_ASSIGN_OR_RETURN(actions,
                              txn.ListPendingDeviceActions(cred.device_hash));
  }
  if (version != nullptr) {
    auto code_material = [now](const store::CodeRow& c) {
      return fmt::format(
          "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", c.id,
          CodeStateName(CodeStateAt(FactsOf(c), now)), c.blocked,
          c.blocked_reason, LicenseTypeName(c.terms.type), c.terms.term_days,
          c.terms.activate_by.value_or(-1), c.terms.max_devices,
          c.terms.compatible_versions, c.terms.edition,
          fmt::join(c.terms.features, ","), c.first_activated_at.value_or(-1),
          c.ends_at.value_or(-1), c.suspended, c.suspended_reason,
          c.terms.grace_days);
    };
    std::string material = fmt::format(
        "{}|{}|{}|{}|{}|{}", state, code_material(held.code),
        held.activation.id, held.activation.key_serial,
        reserve ? code_material(*reserve) + "|" + std::to_string(r->added_at)
                : "none",
        actions.empty() ? 0 : actions.back().id);
    *version = crypto::ToHex(crypto::Blake2b(material)).substr(0, 32);
  }
  if (seen != nullptr) {
    seen->code_id = held.code.id;
    seen->touch_activation_id =
        held.code.terms.heartbeat_days > 0 &&
                now >= held.activation.last_seen_at + kHeartbeatTouchEvery
            ? held.activation.id
            : 0;
  }
  out.clear();  // the function may run more than once
  out.reserve(1024);
  JsonWriter w(out);
  w.BeginObject();
  w.Field("state", state);
  w.Key("license");
  WriteLicense(w, held.code, held.activation);
  w.Key("reserve");
  if (reserve) {
    WriteReserve(w, *reserve, r->added_at);
  } else {
    w.Null();
  }
  w.Field("server_time", now);
  w.Field("actions_pending", static_cast<std::int64_t>(actions.size()));
  if (version != nullptr) w.Field("version", *version);
  w.EndObject();
  return Status::Ok();
}

}  // namespace

Result<DeviceService::PreparedCall> DeviceService::PrepareLicenseStatus(
    std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(DeviceCredentials cred,
                            ParseHolderCall(body, per_code_, ctx_));
  auto out = std::make_shared<std::string>();
  auto seen = std::make_shared<SeatSeen>();
  return PreparedCall{
      [=, this](store::Transaction& txn) -> licentia::Status {
        return WriteStatusView(txn, cred, ctx_.clock.Now(), *out, nullptr,
                               seen.get());
      },
      [out]() -> Result<JsonBody> { return JsonBody::Text(std::move(*out)); },
      "", nullptr, seen};
}

void DeviceService::RecordContact(std::int64_t activation_id,
                                  std::function<void()> then) {
  if (activation_id == 0) {
    if (then) then();
    return;
  }
  // A failure only leaves the seat's last contact older: the next status
  // tries again; the answer does not depend on it.
  ctx_.store.WriteAsync(
      [this, activation_id](store::Transaction& txn) {
        return txn.TouchActivation(activation_id, ctx_.clock.Now());
      },
      [then = std::move(then)](Status) {
        if (then) then();
      });
}

// One device's wait: its request, and the one answer it gets.
struct DeviceService::WaitState {
  WaitState(DeviceCredentials c, std::string s,
            WaitRegistry::Clock::time_point d, Reply r)
      : cred(std::move(c)),
        since(std::move(s)),
        deadline(d),
        reply(std::move(r)) {}

  const DeviceCredentials cred;
  const std::string since;
  const WaitRegistry::Clock::time_point deadline;
  const Reply reply;
  std::atomic<bool> answered{false};
  std::atomic<std::uint64_t> ticket{0};  // while registered, else 0
};

void DeviceService::AnswerWait(WaitState& w, Result<JsonBody> result) {
  if (w.answered.exchange(true)) return;
  // Answered by a read rather than by its wake-up: nothing is to wake it.
  if (std::uint64_t t = w.ticket.exchange(0)) (void)waits_.Cancel(t);
  ReplyNow(w.reply, std::move(result));
}

void DeviceService::Wait(std::string_view body,
                         std::shared_ptr<ClientGone> client_gone, Reply reply) {
  auto w = [&]() -> Result<std::shared_ptr<WaitState>> {
    LICENTIA_ASSIGN_OR_RETURN(
        JsonFields f,
        JsonFields::Parse(body,
                          {"code", "fingerprint", "activation_token",
                           "connection_token", "since", "timeout_seconds"}));
    LICENTIA_ASSIGN_OR_RETURN(
        DeviceCredentials cred,
        ParseCredentials(f, "code", true, per_code_, ctx_));
    LICENTIA_ASSIGN_OR_RETURN(auto since, f.OptString("since", 64));
    LICENTIA_ASSIGN_OR_RETURN(auto timeout,
                              f.OptInt("timeout_seconds", 0, 300));
    return std::make_shared<WaitState>(
        std::move(cred), since.value_or(""),
        WaitRegistry::Clock::now() + std::chrono::seconds(timeout.value_or(60)),
        reply);
  }();
  if (!w.ok()) return ReplyNow(reply, w.status());
  if (client_gone) {
    // Nobody is left to answer: the waiter goes now, not at its timeout.
    client_gone->OnGone([this, w = *w] {
      AnswerWait(*w, Status(ErrorCode::kUnavailable,
                            "The device closed its connection."));
    });
  }
  EvaluateWait(std::move(*w), /*final=*/false);
}

void DeviceService::EvaluateWait(std::shared_ptr<WaitState> w, bool final,
                                 bool wait_if_unchanged) {
  auto out = std::make_shared<std::string>();
  auto version = std::make_shared<std::string>();
  auto seen = std::make_shared<SeatSeen>();
  ctx_.store.ReadAsync(
      [this, w, out, version, seen](store::Transaction& txn) {
        return WriteStatusView(txn, w->cred, ctx_.clock.Now(), *out,
                               version.get(), seen.get());
      },
      [this, w, out, version, seen, final, wait_if_unchanged](Status st) {
        if (w->answered) return;
        if (!st.ok()) return AnswerWait(*w, st);  // e.g. the seat was freed
        RecordContact(seen->touch_activation_id, nullptr);
        if (*version != w->since || final ||
            WaitRegistry::Clock::now() >= w->deadline) {
          return AnswerWait(*w, JsonBody::Text(std::move(*out)));
        }
        if (!wait_if_unchanged) return;  // a waiter is registered already
        // Nothing new: wait for a change to the code or the device. A
        // change committed since the read above was announced before this
        // waiter existed, so read once more after registering.
        w->ticket = waits_.Add(
            seen->code_id, w->cred.device_hash, w->deadline,
            [this, w](WaitRegistry::Reason reason) {
              w->ticket = 0;  // taken from the registry to run
              EvaluateWait(w, reason != WaitRegistry::Reason::kChanged);
            });
        EvaluateWait(w, /*final=*/false, /*wait_if_unchanged=*/false);
      });
}

void DeviceService::LicenseStatus(std::string_view body, Reply reply) {
  SubmitRead(PrepareLicenseStatus(body), std::move(reply));
}

// The pre-check (rule 6, consuming nothing) and the registration run the
// same checks; registering then records the reserve and the event.
Result<DeviceService::PreparedCall> DeviceService::PrepareReserve(
    std::string_view body, bool register_it) {
  LICENTIA_ASSIGN_OR_RETURN(ReserveRequest req,
                            ParseReserveRequest(body, per_code_, ctx_));
  auto out = std::make_shared<std::string>();
  return PreparedCall{
      [=, this](store::Transaction& txn) -> licentia::Status {
        const DeviceCredentials& cred = req.cred;
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(HeldLicense held, LoadHeld(txn, cred));
        LICENTIA_ASSIGN_OR_RETURN(
            store::CodeRow code,
            CheckReserveRules(txn, held, req.reserve_hash, now));
        if (!register_it) {
          out->clear();
          JsonWriter w(*out);
          w.BeginObject();
          w.Field("eligible", true);
          w.Key("reserve");
          WriteCode(w, code);
          w.Field("server_time", now);
          w.EndObject();
          return licentia::Status::Ok();
        }
        LICENTIA_RETURN_IF_ERROR(txn.PutReserve(
            {cred.device_hash, held.code.terms.product, code.id, now}));
        LICENTIA_RETURN_IF_ERROR(RecordEvent(
            txn, now, "reserve.added", &code, crypto::ToHex(cred.device_hash),
            "device", {{"current_code_id", held.code.id}}));
        out->clear();
        JsonWriter w(*out);
        w.BeginObject();
        w.Key("reserve");
        WriteReserve(w, code, now);
        w.Field("server_time", now);
        w.EndObject();
        return licentia::Status::Ok();
      },
      [out]() -> Result<JsonBody> { return JsonBody::Text(std::move(*out)); },
      std::string(LimiterKey(req.reserve_hash))};
}

void DeviceService::CheckReserve(std::string_view body, Reply reply) {
  SubmitRead(PrepareReserve(body, false), std::move(reply));
}

void DeviceService::RegisterReserve(std::string_view body, Reply reply) {
  Submit(PrepareReserve(body, true), std::move(reply));
}

Result<DeviceService::PreparedCall> DeviceService::PrepareUnregisterReserve(
    std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(DeviceCredentials cred,
                            ParseHolderCall(body, per_code_, ctx_));
  auto out = std::make_shared<json::object>();
  return PreparedCall{
      [=, this](store::Transaction& txn) -> licentia::Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(HeldLicense held, LoadHeld(txn, cred));
        const std::string& product = held.code.terms.product;
        LICENTIA_ASSIGN_OR_RETURN(auto r,
                                  txn.FindReserve(cred.device_hash, product));
        if (!r) {
          return licentia::Status(ErrorCode::kNoReserve,
                                  "This device has no reserve code.");
        }
        LICENTIA_ASSIGN_OR_RETURN(auto rc, txn.FindCodeById(r->code_id));
        LICENTIA_RETURN_IF_ERROR(txn.DeleteReserve(cred.device_hash, product));
        // A seat taken ahead for an offline rollover goes with the reserve.
        LICENTIA_ASSIGN_OR_RETURN(
            auto prepared,
            txn.FindActiveActivation(r->code_id, cred.device_hash));
        if (prepared && rc) {
          LICENTIA_RETURN_IF_ERROR(txn.Deactivate(prepared->id, now));
          LICENTIA_RETURN_IF_ERROR(
              RecordEvent(txn, now, "code.deactivated", &*rc,
                          crypto::ToHex(cred.device_hash), "device",
                          {{"activation_id", prepared->id},
                           {"seats_used", rc->seats_used - 1}}));
        }
        LICENTIA_RETURN_IF_ERROR(RecordEvent(
            txn, now, "reserve.removed", rc ? &*rc : nullptr,
            crypto::ToHex(cred.device_hash), "device", {{"product", product}}));
        *out = json::object{{"removed", true}, {"server_time", now}};
        return licentia::Status::Ok();
      },
      [out]() -> Result<json::object> { return std::move(*out); }};
}

void DeviceService::UnregisterReserve(std::string_view body, Reply reply) {
  Submit(PrepareUnregisterReserve(body), std::move(reply));
}

Result<DeviceService::PreparedCall> DeviceService::PrepareRolloverCall(
    std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f,
      JsonFields::Parse(body, {"code", "fingerprint", "activation_token",
                               "app_version", "device_name", "os"}));
  LICENTIA_ASSIGN_OR_RETURN(DeviceCredentials cred,
                            ParseCredentials(f, "code", true, per_code_, ctx_));
  LICENTIA_ASSIGN_OR_RETURN(SeatHolder holder,
                            ParseSeatHolder(f, cred.device_hash));
  const std::string& app_version = holder.app_version;
  std::string token = crypto::RandomToken("lat_");
  crypto::Hash token_hash = TokenHash(token);
  struct Outcome {
    store::CodeRow reserve;
    UnixSeconds added_at = 0;
    UnixSeconds valid_from = 0;
    UnixSeconds now = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  auto key = std::make_shared<IssuedKey>();
  return PreparedCall{
      [=, this](store::Transaction& txn) -> licentia::Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(HeldLicense held, LoadHeld(txn, cred));
        std::optional<UnixSeconds> end = CodeExpiry(held.code);
        if (!end ||
            CodeStateAt(FactsOf(held.code), now) != CodeState::kActive) {
          return licentia::Status(
              ErrorCode::kInvalidRequest,
              "The current license is no longer valid: activate the reserve "
              "code now instead of preparing it.");
        }
        LICENTIA_ASSIGN_OR_RETURN(
            auto registered,
            txn.FindReserve(cred.device_hash, held.code.terms.product));
        if (!registered) {
          return licentia::Status(ErrorCode::kNoReserve,
                                  "This device has no reserve code.");
        }
        LICENTIA_ASSIGN_OR_RETURN(auto found,
                                  txn.FindCodeById(registered->code_id));
        if (!found) return CodeNotFound();
        store::CodeRow& reserve = *found;
        LICENTIA_RETURN_IF_ERROR(
            CheckPrepareWindow(FactsOf(reserve), *end, now));
        // Everything a rollover verifies, as at the moment it takes over.
        LICENTIA_ASSIGN_OR_RETURN(
            auto existing,
            txn.FindActiveActivation(reserve.id, cred.device_hash));
        LICENTIA_ASSIGN_OR_RETURN(
            CodeFacts facts, FactsForDevice(txn, reserve, cred.device_hash));
        LICENTIA_RETURN_IF_ERROR(
            existing ? CheckReactivation(facts, *end, app_version)
                     : CheckNewSeat(facts, *end, app_version));
        LICENTIA_ASSIGN_OR_RETURN(std::uint64_t serial, txn.NextKeySerial());
        // Prepared before: the same seat. A never-activated reserve's term
        // counts from the moment it takes over, so no day of it is spent
        // while the current license runs.
        bool prepared_before = existing.has_value();
        LICENTIA_ASSIGN_OR_RETURN(
            store::ActivationRow act,
            TakeSeat(txn, reserve, std::move(existing), holder, token_hash,
                     serial, now, *end));
        if (!prepared_before) {
          LICENTIA_RETURN_IF_ERROR(
              RecordEvent(txn, now, "reserve.prepared", &reserve,
                          crypto::ToHex(cred.device_hash), "device",
                          {{"activation_id", act.id},
                           {"valid_from", *end},
                           {"current_code_id", held.code.id},
                           {"seats_used", reserve.seats_used}}));
        }
        key->payload =
            KeyPayloadFor(reserve, cred.device_hash, serial, now, *end);
        *outcome = {std::move(reserve), registered->added_at, *end, now};
        return licentia::Status::Ok();
      },
      [outcome, key, token]() -> Result<JsonBody> {
        return SeatAnswer(token, *key, outcome->now, [&](JsonWriter& w) {
          w.Field("valid_from", outcome->valid_from);
          w.Key("reserve");
          WriteReserve(w, outcome->reserve, outcome->added_at);
        });
      },
      "", key};
}

void DeviceService::PrepareRollover(std::string_view body, Reply reply) {
  Submit(PrepareRolloverCall(body), std::move(reply));
}

Result<DeviceService::PreparedCall> DeviceService::PrepareOfflineAnswer(
    std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Parse(body, {"request"}));
  LICENTIA_ASSIGN_OR_RETURN(std::string text,
                            f.String("request", kMaxOfflineFileBytes));
  LICENTIA_ASSIGN_OR_RETURN(OfflineRequest req, ReadOfflineRequest(text));
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                            ActivationCode::Parse(req.code));
  // The request as the device would have sent it online, through the
  // same checks.
  json::object online{{"code", req.code}, {"fingerprint", req.fingerprint}};
  if (req.kind == OfflineRequestKind::kActivate ||
      req.kind == OfflineRequestKind::kPrepareReserve) {
    online["app_version"] = req.app_version;
    if (!req.device_name.empty()) online["device_name"] = req.device_name;
    if (!req.os.empty()) online["os"] = req.os;
  }
  if (req.kind == OfflineRequestKind::kActivate) {
    online["product"] = req.product;
    if (!req.accepts_key_ids.empty()) {
      json::array ids;
      for (const auto& id : req.accepts_key_ids) ids.emplace_back(id);
      online["accepts_key_ids"] = std::move(ids);
    }
  } else {
    online["activation_token"] = req.activation_token;
  }
  if (req.kind == OfflineRequestKind::kAddReserve) {
    online["reserve_code"] = req.reserve_code;
  }
  std::string online_body = json::serialize(online);
  Result<PreparedCall> prepared =
      Status(ErrorCode::kInternal, "An unknown kind of request.");
  switch (req.kind) {
    case OfflineRequestKind::kActivate:
      prepared = PrepareActivate(online_body);
      break;
    case OfflineRequestKind::kDeactivate:
      prepared = PrepareDeactivate(online_body);
      break;
    case OfflineRequestKind::kAddReserve:
      prepared = PrepareReserve(online_body, /*register_it=*/true);
      break;
    case OfflineRequestKind::kPrepareReserve:
      prepared = PrepareRolloverCall(online_body);
      break;
  }
  LICENTIA_ASSIGN_OR_RETURN(PreparedCall call, std::move(prepared));
  crypto::Hash code_hash = ctx_.HashCode(code);
  crypto::Hash device_hash = DeviceBinding(req.fingerprint);
  // Answered once: the record of this request is written with what it
  // asked for, in one transaction, or neither is.
  call.fn = [inner = std::move(call.fn), req, code_hash, device_hash,
             this](store::Transaction& txn) -> licentia::Status {
    LICENTIA_RETURN_IF_ERROR(inner(txn));
    LICENTIA_ASSIGN_OR_RETURN(auto found, txn.FindCodeByHash(code_hash));
    if (!found) return CodeNotFound();
    return txn.RecordOfflineRequest(req.id, OfflineRequestKindName(req.kind),
                                    found->id, device_hash, ctx_.clock.Now());
  };
  // The response file: the online call's answer, signed by the server's
  // key so that the device takes nothing from a changed file.
  call.finish = [inner = std::move(call.finish), req,
                 &signer = ctx_.key_signer]() -> Result<JsonBody> {
    LICENTIA_ASSIGN_OR_RETURN(JsonBody answer, inner());
    std::string payload = OfflineResponsePayload(
        {req.id, req.kind, std::move(answer).Serialize()});
    std::string file = WriteOfflineResponse(
        payload, signer.key_id(),
        signer.SignOfflineResponse(OfflineResponseSignedBytes(payload)));
    return JsonBody(json::object{{"request_id", crypto::ToHex(req.id)},
                                 {"kind", OfflineRequestKindName(req.kind)},
                                 {"device_name", req.device_name},
                                 {"response", std::move(file)}});
  };
  return call;
}

void DeviceService::AnswerOfflineRequest(std::string_view body, Reply reply) {
  Submit(PrepareOfflineAnswer(body), std::move(reply));
}

Result<json::object> DeviceService::AttestTime(std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Parse(body, {"nonce"}));
  LICENTIA_ASSIGN_OR_RETURN(std::string hex,
                            f.String("nonce", 2 * kTimeNonceBytes));
  auto bytes = crypto::FromHex(hex);
  if (!bytes || bytes->size() != kTimeNonceBytes) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("nonce must be {} random bytes as {} hex digits.",
                              kTimeNonceBytes, 2 * kTimeNonceBytes));
  }
  TimeNonce nonce;
  std::copy(bytes->begin(), bytes->end(), nonce.begin());
  TimeAttestation a = ctx_.key_signer.AttestTime(nonce, ctx_.clock.Now());
  return json::object{{"server_time", a.server_time},
                      {"key_id", crypto::ToHex(a.key_id)},
                      {"signature", crypto::ToHex(a.signature)}};
}

// Refusals are what a guesser collects; the server's own failures
// (unavailable, internal) and the limiter's refusals are not charged.
Reply DeviceService::ChargingRefusals(std::string key, Reply reply) {
  if (key.empty()) return reply;
  return [this, key = std::move(key),
          reply = std::move(reply)](ResultMaker make) {
    reply([this, key, make = std::move(make)]() -> Result<JsonBody> {
      Result<JsonBody> result = make();
      ErrorCode code = result.ok() ? ErrorCode::kOk : result.status().code();
      if (code != ErrorCode::kOk && code != ErrorCode::kUnavailable &&
          code != ErrorCode::kInternal && code != ErrorCode::kRateLimited) {
        per_code_.Charge(key);
      }
      return result;
    });
  };
}

void DeviceService::Submit(Result<PreparedCall> write, Reply reply) {
  if (!write.ok()) return ReplyNow(reply, write.status());
  reply =
      ChargingRefusals(std::move(write->charge_on_refusal), std::move(reply));
  if (!write->key) {
    WriteAndReply(ctx_.store, std::move(write->fn), std::move(write->finish),
                  std::move(reply));
    return;
  }
  // The key the transaction decided is queued for the KeySigner once the
  // write commits (Transaction::OnCommit: only the committed run's key),
  // and the keys of writes committed together are signed together, once,
  // while the commit heads for the disk (OnceAfterCommit; key_signer.h);
  // the answer waits for both the key and durability (KeyJoin).
  auto join = std::make_shared<KeyJoin>(write->key, std::move(write->finish),
                                        std::move(reply));
  KeySigner& signer = ctx_.key_signer;
  ctx_.store.WriteAsync(
      [&signer, join, key = write->key,
       fn = std::move(write->fn)](store::Transaction& txn) -> licentia::Status {
        LICENTIA_RETURN_IF_ERROR(fn(txn));
        LICENTIA_RETURN_IF_ERROR(txn.OnCommit([&signer, join, key] {
          signer.Sign(std::move(key->payload),
                      [join](Result<crypto::Bytes> signed_key) {
                        join->Signed(std::move(signed_key));
                      });
        }));
        return txn.OnceAfterCommit(&signer, [&signer] { signer.SignQueued(); });
      },
      [join](Status st) { join->Durable(std::move(st)); });
}

void DeviceService::SubmitRead(Result<PreparedCall> read, Reply reply) {
  if (!read.ok()) return ReplyNow(reply, read.status());
  reply =
      ChargingRefusals(std::move(read->charge_on_refusal), std::move(reply));
  if (read->seen) {
    // A heartbeat seat's contact is recorded before the device is
    // answered, so that what the device did is in the store once it
    // knows (a sweep after its answer finds it seen).
    reply = [this, seen = read->seen, reply](ResultMaker make) {
      RecordContact(seen->touch_activation_id,
                    [reply, make = std::move(make)] { reply(make); });
    };
  }
  ReadAndReply(ctx_.store, std::move(read->fn), std::move(read->finish),
               std::move(reply));
}

}  // namespace licentia::server
