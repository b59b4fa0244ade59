#include "server/device_actions.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "core/activation_code.h"
#include "core/license_policy.h"
#include "server/service_context.h"

namespace licentia::server {
namespace json = boost::json;

namespace {

constexpr int kRecentActions = 5;

Status NoSuch(std::string_view what) {
  return Status(ErrorCode::kNotFound,
                fmt::format("Your account has no such {}.", what));
}

json::object ErrorJson(const Status& st) {
  return {{"code", std::string(ErrorCodeName(st.code()))},
          {"message", st.message()}};
}

// The device's current license for `product`: the code of its active seat.
Result<std::optional<store::CodeRow>> CurrentLicense(store::Transaction& txn,
                                                     const crypto::Hash& device,
                                                     std::string_view product) {
  LICENTIA_ASSIGN_OR_RETURN(auto seats, txn.ListConnectedSeats(device));
  for (const auto& seat : seats) {
    LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(seat.code_id));
    if (code && code->terms.product == product) return code;
  }
  return std::optional<store::CodeRow>();
}

// What the device must be able to do with `code`, checked as the server
// would check it when the device asks; the device checks again.
Status PreCheck(store::Transaction& txn,
                const store::DeviceConnectionRow& device,
                store::DeviceActionKind kind, const store::CodeRow& code,
                UnixSeconds now) {
  switch (kind) {
    case store::DeviceActionKind::kActivate: {
      LICENTIA_ASSIGN_OR_RETURN(
          auto seat, txn.FindActiveActivation(code.id, device.device_hash));
      if (seat) {
        return Status(ErrorCode::kConflict,
                      "This device uses this license already.");
      }
      // Without the device's version, its compatibility is the device's
      // own check.
      if (device.app_version.empty()) return Status::Ok();
      LICENTIA_ASSIGN_OR_RETURN(CodeFacts facts,
                                FactsForDevice(txn, code, device.device_hash));
      return CheckNewSeat(facts, now, device.app_version);
    }
    case store::DeviceActionKind::kSetReserve: {
      LICENTIA_ASSIGN_OR_RETURN(
          auto current,
          CurrentLicense(txn, device.device_hash, code.terms.product));
      if (!current) return NoCurrentLicense();
      return CheckReserveForDevice(txn, *current, device.device_hash, code,
                                   now);
    }
    case store::DeviceActionKind::kRemoveReserve: {
      LICENTIA_ASSIGN_OR_RETURN(
          auto reserve,
          txn.FindReserve(device.device_hash, code.terms.product));
      if (!reserve || reserve->code_id != code.id) {
        return Status(ErrorCode::kNoReserve,
                      "This code is not the device's reserve.");
      }
      return Status::Ok();
    }
  }
  return Status(ErrorCode::kInternal, "Unknown action.");
}

}  // namespace

std::string_view DeviceActionKindName(store::DeviceActionKind kind) {
  switch (kind) {
    case store::DeviceActionKind::kActivate:
      return "activate";
    case store::DeviceActionKind::kSetReserve:
      return "set_reserve";
    case store::DeviceActionKind::kRemoveReserve:
      return "remove_reserve";
  }
  return "?";
}

std::string_view DeviceActionStateName(store::DeviceActionState state) {
  switch (state) {
    case store::DeviceActionState::kPending:
      return "pending";
    case store::DeviceActionState::kDone:
      return "done";
    case store::DeviceActionState::kRefused:
      return "refused";
  }
  return "?";
}

Result<store::DeviceConnectionRow> ProveConnection(
    store::Transaction& txn, const crypto::Hash& device_hash,
    std::string_view connection_token) {
  LICENTIA_ASSIGN_OR_RETURN(auto c, txn.FindDeviceConnection(device_hash));
  crypto::Hash presented = crypto::Blake2b(connection_token);
  if (!c || sodium_memcmp(presented.data(), c->token_hash.data(),
                          presented.size()) != 0) {
    return Status(ErrorCode::kNotConnected,
                  "This device is not connected to a management console "
                  "account.");
  }
  return std::move(*c);
}

namespace {

// The code to hand the device: the license administrator's sealed copy,
// opened. CONFLICT if the administrator never typed it in.
Result<std::string> CodeForDevice(store::Transaction& txn,
                                  const CodeSealKey& key,
                                  std::int64_t code_id) {
  auto not_sealed = [] {
    return Status(ErrorCode::kConflict,
                  "The license administrator must add this code by typing "
                  "it in the console before it can be sent to devices.");
  };
  LICENTIA_ASSIGN_OR_RETURN(auto admin, txn.FindCodeAdministrator(code_id));
  if (!admin) return not_sealed();
  LICENTIA_ASSIGN_OR_RETURN(auto held, txn.FindAccountCode(*admin, code_id));
  if (!held || held->sealed_code.empty()) return not_sealed();
  LICENTIA_ASSIGN_OR_RETURN(std::string canonical,
                            OpenSealedCode(key, code_id, held->sealed_code));
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                            ActivationCode::Parse(canonical));
  return code.Formatted();
}

Result<json::object> ActionJson(store::Transaction& txn,
                                const store::DeviceActionRow& a) {
  json::object o{{"id", a.id},
                 {"kind", std::string(DeviceActionKindName(a.kind))},
                 {"state", std::string(DeviceActionStateName(a.state))},
                 {"created_at", a.created_at}};
  o["done_at"] = a.done_at ? json::value(*a.done_at) : nullptr;
  if (a.code_id) {
    LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(*a.code_id));
    if (code) {
      o["code_id"] = code->id;
      o["masked_code"] = MaskCode(code->code_tail);
      o["product"] = code->terms.product;
    }
  }
  if (a.state == store::DeviceActionState::kRefused) {
    o["error"] = json::object{{"code", a.error_code}, {"message", a.message}};
  }
  return o;
}

}  // namespace

Result<json::object> DeviceActions::Queue(
    store::Transaction& txn, std::int64_t account, std::int64_t connection_id,
    store::DeviceActionKind kind, std::int64_t code_id, UnixSeconds now) const {
  LICENTIA_ASSIGN_OR_RETURN(auto connections,
                            txn.ListDeviceConnections(account));
  auto device =
      std::find_if(connections.begin(), connections.end(),
                   [&](const auto& c) { return c.id == connection_id; });
  if (device == connections.end()) return NoSuch("device");
  LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(code_id));
  if (kind != store::DeviceActionKind::kRemoveReserve) {
    LICENTIA_ASSIGN_OR_RETURN(auto held, txn.FindAccountCode(account, code_id));
    if (!held || !code) return NoSuch("license");
    LICENTIA_RETURN_IF_ERROR(CodeForDevice(txn, seal_key_, code_id).status());
  } else if (!code) {
    return NoSuch("license");
  }
  LICENTIA_ASSIGN_OR_RETURN(auto pending,
                            txn.ListPendingDeviceActions(device->device_hash));
  for (const auto& p : pending) {
    if (p.kind == kind && p.code_id == code_id) {
      return Status(ErrorCode::kConflict,
                    "This action waits for the device already.");
    }
  }
  LICENTIA_RETURN_IF_ERROR(PreCheck(txn, *device, kind, *code, now));
  store::DeviceActionRow row{0,       device->device_hash,
                             account, kind,
                             code_id, store::DeviceActionState::kPending,
                             "",      "",
                             now,     std::nullopt};
  LICENTIA_ASSIGN_OR_RETURN(row.id, txn.InsertDeviceAction(row));
  return ActionJson(txn, row);
}

Result<json::array> DeviceActions::ReserveEverywhere(store::Transaction& txn,
                                                     std::int64_t account,
                                                     std::int64_t code_id,
                                                     UnixSeconds now) const {
  LICENTIA_ASSIGN_OR_RETURN(auto held, txn.FindAccountCode(account, code_id));
  LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(code_id));
  if (!held || !code) return NoSuch("license");
  LICENTIA_RETURN_IF_ERROR(CodeForDevice(txn, seal_key_, code_id).status());
  LICENTIA_ASSIGN_OR_RETURN(auto connections,
                            txn.ListDeviceConnections(account));
  json::array results;
  for (const auto& device : connections) {
    json::object r{{"device_id", device.id}, {"name", device.device_name}};
    // Each device's refusal is its own: the others still get the action.
    Result<json::object> queued =
        Queue(txn, account, device.id, store::DeviceActionKind::kSetReserve,
              code_id, now);
    if (queued.ok()) {
      r["result"] = "queued";
      r["action_id"] = queued->at("id");
    } else if (queued.status().code() == ErrorCode::kUnavailable ||
               queued.status().code() == ErrorCode::kInternal) {
      return queued.status();  // the database failed, not a rule
    } else {
      r["result"] = "refused";
      r["error"] = ErrorJson(queued.status());
    }
    results.push_back(std::move(r));
  }
  return results;
}

Result<json::array> DeviceActions::Recent(
    store::Transaction& txn, const crypto::Hash& device_hash) const {
  LICENTIA_ASSIGN_OR_RETURN(auto actions,
                            txn.ListDeviceActions(device_hash, kRecentActions));
  json::array out;
  for (const auto& a : actions) {
    LICENTIA_ASSIGN_OR_RETURN(json::object o, ActionJson(txn, a));
    out.push_back(std::move(o));
  }
  return out;
}

Result<json::object> DeviceActions::Take(store::Transaction& txn,
                                         const crypto::Hash& device_hash,
                                         std::string_view connection_token,
                                         UnixSeconds now) const {
  LICENTIA_ASSIGN_OR_RETURN(
      auto connection, ProveConnection(txn, device_hash, connection_token));
  LICENTIA_RETURN_IF_ERROR(txn.TouchDeviceConnection(connection.id, now));
  LICENTIA_ASSIGN_OR_RETURN(auto pending,
                            txn.ListPendingDeviceActions(device_hash));
  json::array actions;
  for (const auto& a : pending) {
    json::object o{{"id", a.id},
                   {"kind", std::string(DeviceActionKindName(a.kind))}};
    if (a.code_id) {
      LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(*a.code_id));
      if (!code) continue;
      o["product"] = code->terms.product;
      o["masked_code"] = MaskCode(code->code_tail);
      if (a.kind != store::DeviceActionKind::kRemoveReserve) {
        Result<std::string> text = CodeForDevice(txn, seal_key_, code->id);
        if (!text.ok()) {
          // The code can no longer be handed out: the action ends here.
          LICENTIA_RETURN_IF_ERROR(
              txn.FinishDeviceAction(a.id, device_hash,
                                     store::DeviceActionState::kRefused,
                                     ErrorCodeName(text.status().code()),
                                     text.status().message(), now)
                  .status());
          continue;
        }
        o["code"] = *text;
      }
    }
    actions.push_back(std::move(o));
  }
  return json::object{{"actions", std::move(actions)}};
}

Result<json::object> DeviceActions::Finish(store::Transaction& txn,
                                           const crypto::Hash& device_hash,
                                           std::string_view connection_token,
                                           std::int64_t id,
                                           std::string_view error_code,
                                           std::string_view message,
                                           UnixSeconds now) const {
  LICENTIA_RETURN_IF_ERROR(
      ProveConnection(txn, device_hash, connection_token).status());
  store::DeviceActionState state = error_code.empty()
                                       ? store::DeviceActionState::kDone
                                       : store::DeviceActionState::kRefused;
  LICENTIA_ASSIGN_OR_RETURN(
      bool finished,
      txn.FinishDeviceAction(id, device_hash, state, error_code, message, now));
  if (!finished) {
    return Status(ErrorCode::kNotFound,
                  "This device has no such pending action.");
  }
  return json::object{{"id", id},
                      {"state", std::string(DeviceActionStateName(state))}};
}

}  // namespace licentia::server
