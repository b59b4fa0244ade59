// The vendor's changes to issued codes: renewing, suspending and resuming
// subscriptions, changing terms where that is safe, and freeing the seats
// of devices that missed their heartbeat. Each is one transaction with its
// event; devices hear of it through the change feed (store.h).
#include <fmt/format.h>

#include "core/license_policy.h"
#include "core/version_range.h"
#include "server/admin_service.h"
#include "server/json_fields.h"
#include "server/seat_sweeper.h"

namespace licentia::server {
namespace json = boost::json;

namespace {

// A terms change as the request states it: only the fields present change.
struct TermsRequest {
  store::TermsChange change;
  json::object described;  // the fields changed, for the answer

  // The fields changed, for the event; a cleared date is "none".
  EventDetails Details() const {
    EventDetails d;
    if (change.max_devices) d.Add("max_devices", *change.max_devices);
    if (change.set_activate_by) {
      if (change.activate_by) {
        d.Add("activate_by", *change.activate_by);
      } else {
        d.Add("activate_by", std::string_view("none"));
      }
    }
    if (change.compatible_versions) {
      d.Add("compatible_versions", *change.compatible_versions);
    }
    return d;
  }
};

Result<TermsRequest> ParseTermsChange(std::string_view body, UnixSeconds now) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f, JsonFields::Parse(body, {"max_devices", "activate_by",
                                             "compatible_versions"}));
  TermsRequest r;
  LICENTIA_ASSIGN_OR_RETURN(auto max_devices,
                            f.OptInt("max_devices", 1, kMaxDevicesLimit));
  if (max_devices) {
    r.change.max_devices = static_cast<int>(*max_devices);
    r.described["max_devices"] = *max_devices;
  }
  if (f.IsNull("activate_by")) {
    r.change.set_activate_by = true;
    r.described["activate_by"] = nullptr;
  } else {
    LICENTIA_ASSIGN_OR_RETURN(auto by, f.OptDate("activate_by"));
    if (by) {
      if (*by < now) {
        return Status(ErrorCode::kInvalidRequest,
                      fmt::format("activate_by ({}) is in the past.",
                                  FormatTimestamp(*by)));
      }
      r.change.set_activate_by = true;
      r.change.activate_by = *by;
      r.described["activate_by"] = *by;
    }
  }
  LICENTIA_ASSIGN_OR_RETURN(auto range,
                            f.OptString("compatible_versions", 256));
  if (range) {
    LICENTIA_ASSIGN_OR_RETURN(VersionRange parsed, VersionRange::Parse(*range));
    r.change.compatible_versions = parsed.ToString();
    r.described["compatible_versions"] = *r.change.compatible_versions;
  }
  if (r.described.empty()) {
    return Status(ErrorCode::kInvalidRequest,
                  "Name at least one of max_devices, activate_by (a date, or "
                  "null for none) and compatible_versions.");
  }
  return r;
}

// Fewer seats than a code has would strand devices that hold them; the
// terms only widen there.
Status CheckSeatsOnlyGrow(const store::TermsChange& change, int current_max) {
  if (change.max_devices && *change.max_devices < current_max) {
    return Status(ErrorCode::kConflict,
                  fmt::format("max_devices can only grow: {} is below the {} "
                              "seats already allowed (free seats with "
                              "release instead).",
                              *change.max_devices, current_max));
  }
  return Status::Ok();
}

void ApplyTerms(store::CodeRow& code, const store::TermsChange& change) {
  if (change.max_devices) code.terms.max_devices = *change.max_devices;
  if (change.set_activate_by) code.terms.activate_by = change.activate_by;
  if (change.compatible_versions) {
    code.terms.compatible_versions = *change.compatible_versions;
  }
}

}  // namespace

void AdminService::Renew(std::string_view id_text, std::string_view body,
                         EventActor actor, Reply reply) {
  auto prepared = [&]() -> Result<PreparedWrite> {
    LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, "code"));
    LICENTIA_ASSIGN_OR_RETURN(JsonFields f,
                              JsonFields::Parse(body, {"days", "ends_at"}));
    LICENTIA_ASSIGN_OR_RETURN(auto days, f.OptInt("days", 1, kMaxTermDays));
    LICENTIA_ASSIGN_OR_RETURN(auto until, f.OptDate("ends_at"));
    if (days.has_value() == until.has_value()) {
      return Status(ErrorCode::kInvalidRequest,
                    "Give either days (to extend by) or ends_at (the new "
                    "end), not both.");
    }
    std::optional<int> day_count;
    if (days) day_count = static_cast<int>(*days);
    auto out = std::make_shared<json::object>();
    return PreparedWrite{
        [=, this](store::Transaction& txn) -> Status {
          UnixSeconds now = ctx_.clock.Now();
          LICENTIA_ASSIGN_OR_RETURN(store::CodeRow code, LoadCode(txn, id));
          CodeFacts before = FactsOf(code);
          std::optional<UnixSeconds> previous = CodeExpiry(before);
          LICENTIA_ASSIGN_OR_RETURN(
              Renewal r, RenewSubscription(before, now, day_count, until));
          LICENTIA_RETURN_IF_ERROR(
              txn.SetCodeEnd(code.id, r.ends_at, r.term_days));
          code.ends_at = r.ends_at;
          code.terms.term_days = r.term_days;
          LICENTIA_RETURN_IF_ERROR(
              RecordEvent(txn, now, "code.renewed", &code, "", actor,
                          {{"previous_expires_at", previous.value_or(0)},
                           {"expires_at", CodeExpiry(code).value_or(0)},
                           {"term_days", code.terms.term_days}}));
          *out = CodeJson(code);
          return Status::Ok();
        },
        [out]() -> Result<json::object> { return std::move(*out); }};
  }();
  Submit(std::move(prepared), std::move(reply));
}

void AdminService::SetSuspended(std::string_view id_text, std::string_view body,
                                bool suspended, EventActor actor, Reply reply) {
  // A suspension pauses what renews: subscriptions only.
  static const CodeSwitch kSuspendSwitch{
      &store::CodeRow::suspended,
      &store::CodeRow::suspended_reason,
      &store::Transaction::SetSuspended,
      "code.suspended",
      "code.resumed",
      [](const store::CodeRow& code) -> Status {
        if (code.terms.type == LicenseType::kSubscription) return Status::Ok();
        return Status(ErrorCode::kConflict,
                      fmt::format("Only subscriptions are suspended; this is "
                                  "a {} code (block it instead).",
                                  LicenseTypeName(code.terms.type)));
      }};
  Submit(PrepareCodeSwitch(id_text, body, suspended, actor, kSuspendSwitch),
         std::move(reply));
}

namespace {

// A terms change of the code or the batch `id_text` names: parsed, then
// written by `write` (which fills the answer) in one transaction.
using TermsWrite = std::function<Status(store::Transaction&, std::int64_t id,
                                        const TermsRequest&, UnixSeconds now,
                                        json::object& out)>;

Result<std::pair<store::TransactionFn, ResultMaker>> PrepareTerms(
    const Clock& clock, std::string_view id_text, std::string_view what,
    std::string_view body, TermsWrite write) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, what));
  LICENTIA_ASSIGN_OR_RETURN(TermsRequest req,
                            ParseTermsChange(body, clock.Now()));
  auto out = std::make_shared<json::object>();
  return std::pair<store::TransactionFn, ResultMaker>(
      [&clock, id, req, out, write = std::move(write)](store::Transaction& txn)
          -> Status { return write(txn, id, req, clock.Now(), *out); },
      [out]() -> Result<JsonBody> { return JsonBody(std::move(*out)); });
}

}  // namespace

void AdminService::ChangeCodeTerms(std::string_view id_text,
                                   std::string_view body, EventActor actor,
                                   Reply reply) {
  auto prepared = PrepareTerms(
      ctx_.clock, id_text, "code", body,
      [actor](store::Transaction& txn, std::int64_t id, const TermsRequest& req,
              UnixSeconds now, json::object& out) -> Status {
        LICENTIA_ASSIGN_OR_RETURN(store::CodeRow code, LoadCode(txn, id));
        LICENTIA_RETURN_IF_ERROR(
            CheckSeatsOnlyGrow(req.change, code.terms.max_devices));
        LICENTIA_RETURN_IF_ERROR(txn.ChangeCodeTerms(id, req.change));
        ApplyTerms(code, req.change);
        LICENTIA_RETURN_IF_ERROR(RecordEvent(txn, now, "code.terms_changed",
                                             &code, "", actor, req.Details()));
        out = CodeJson(code);
        return Status::Ok();
      });
  if (!prepared.ok()) return ReplyNow(reply, prepared.status());
  Submit(PreparedWrite{std::move(prepared->first), std::move(prepared->second)},
         std::move(reply));
}

void AdminService::ChangeBatchTerms(std::string_view id_text,
                                    std::string_view body, EventActor actor,
                                    Reply reply) {
  auto prepared = PrepareTerms(
      ctx_.clock, id_text, "batch", body,
      [actor](store::Transaction& txn, std::int64_t id, const TermsRequest& req,
              UnixSeconds now, json::object& out) -> Status {
        LICENTIA_ASSIGN_OR_RETURN(auto batch, txn.SummarizeBatch(id));
        if (!batch) {
          return Status(ErrorCode::kNotFound,
                        fmt::format("There is no batch {}.", id));
        }
        LICENTIA_RETURN_IF_ERROR(
            CheckSeatsOnlyGrow(req.change, batch->max_devices));
        LICENTIA_RETURN_IF_ERROR(txn.ChangeBatchTerms(id, req.change));
        EventDetails details = req.Details();
        details.Add("product", batch->product_id);
        details.Add("batch_id", id);
        details.Add("codes", batch->codes);
        LICENTIA_RETURN_IF_ERROR(RecordEvent(txn, now, "batch.terms_changed",
                                             nullptr, "", actor, details));
        out = json::object{{"batch_id", id},
                           {"product", batch->product_id},
                           {"codes_changed", batch->codes},
                           {"changes", req.described}};
        return Status::Ok();
      });
  if (!prepared.ok()) return ReplyNow(reply, prepared.status());
  Submit(PreparedWrite{std::move(prepared->first), std::move(prepared->second)},
         std::move(reply));
}

void AdminService::SweepStaleSeats(Reply reply) {
  auto released = std::make_shared<int>(0);
  Submit(PreparedWrite{[this, released](store::Transaction& txn) -> Status {
                         *released = 0;  // the function may run again
                         return ReleaseStaleSeats(txn, ctx_.clock.Now(),
                                                  kMaxSeatsPerSweep, *released);
                       },
                       [released]() -> Result<json::object> {
                         return json::object{{"released", *released}};
                       }},
         std::move(reply));
}

}  // namespace licentia::server
