#include "server/admin_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <initializer_list>
#include <memory>

#include "core/activation_code.h"
#include "core/license_terms.h"
#include "core/version_range.h"
#include "server/json_fields.h"

namespace licentia::server {
namespace json = boost::json;
namespace {

bool ValidProductId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

json::object ProductJson(const store::ProductRow& p) {
  json::array versions;
  for (const auto& v : p.versions) versions.emplace_back(v);
  return {{"id", p.id},
          {"name", p.name},
          {"created_at", p.created_at},
          {"versions", std::move(versions)}};
}

Status ProductNotFound(std::string_view id) {
  return Status(ErrorCode::kNotFound,
                fmt::format("There is no product '{}'.", id.substr(0, 64)));
}

}  // namespace

// The product filter of a listing: "" (any) or a valid product id.
Result<std::string> QueryProduct(const QueryParams& q) {
  std::string product = QueryString(q, "product");
  if (!product.empty() && !ValidProductId(product)) {
    return Status(ErrorCode::kInvalidRequest,
                  "Query parameter 'product' must be a product id (a-z, 0-9, "
                  "'-', '_', '.').");
  }
  return product;
}

Result<store::CodeRow> LoadCode(store::Transaction& txn, std::int64_t id) {
  LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(id));
  if (!code) {
    return Status(ErrorCode::kNotFound,
                  fmt::format("There is no code {}.", id));
  }
  return std::move(*code);
}

Result<std::int64_t> ParseId(std::string_view text, std::string_view what) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) {
    return Status(ErrorCode::kNotFound, fmt::format("There is no {} '{}'.",
                                                    what, text.substr(0, 32)));
  }
  return v;
}

Result<AdminService::PreparedWrite> AdminService::PrepareCreateProduct(
    std::string_view body, EventActor actor) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f, JsonFields::Parse(body, {"id", "name", "versions"}));
  LICENTIA_ASSIGN_OR_RETURN(std::string id, f.String("id", 64));
  if (!ValidProductId(id)) {
    return Status(ErrorCode::kInvalidRequest,
                  "A product id is 1 to 64 characters: lower-case letters, "
                  "digits, '-', '_' and '.'.");
  }
  LICENTIA_ASSIGN_OR_RETURN(std::string name, f.String("name", 200));
  LICENTIA_ASSIGN_OR_RETURN(auto versions, f.StringList("versions", 256, 32));
  for (const auto& v : versions) {
    auto parsed = Version::Parse(v);
    if (!parsed.ok()) return parsed.status();
  }
  auto out = std::make_shared<json::object>();
  return PreparedWrite{
      [=, this](store::Transaction& txn) -> Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(auto existing, txn.FindProduct(id));
        if (existing) {
          return Status(ErrorCode::kConflict,
                        fmt::format("A product '{}' already exists.", id));
        }
        store::ProductRow row{id, name, now, versions};
        LICENTIA_RETURN_IF_ERROR(txn.InsertProduct(row));
        for (const auto& v : versions) {
          Status vs = txn.InsertProductVersion(id, v, now);
          if (vs.code() == ErrorCode::kConflict) {
            return Status(ErrorCode::kInvalidRequest,
                          fmt::format("Version {} is listed twice.", v));
          }
          LICENTIA_RETURN_IF_ERROR(vs);
        }
        LICENTIA_RETURN_IF_ERROR(
            RecordEvent(txn, now, "product.created", nullptr, "", actor,
                        {{"product", id}, {"name", name}}));
        *out = ProductJson(row);
        return Status::Ok();
      },
      [out]() -> Result<json::object> { return std::move(*out); }};
}

void AdminService::CreateProduct(std::string_view body, EventActor actor,
                                 Reply reply) {
  Submit(PrepareCreateProduct(body, actor), std::move(reply));
}

Result<json::object> AdminService::ListProducts() {
  json::array products;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto rows, txn.ListProducts());
    for (const auto& p : rows) products.push_back(ProductJson(p));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return json::object{{"products", std::move(products)}};
}

Result<json::object> AdminService::GetProduct(std::string_view id) {
  json::object response;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto p, txn.FindProduct(id));
    if (!p) return ProductNotFound(id);
    response = ProductJson(*p);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return response;
}

Result<AdminService::PreparedWrite> AdminService::PrepareAddVersion(
    std::string_view id_text, std::string_view body, EventActor actor) {
  // Owned: the transaction runs after the request's path is gone.
  std::string id(id_text);
  LICENTIA_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Parse(body, {"version"}));
  LICENTIA_ASSIGN_OR_RETURN(std::string version, f.String("version", 32));
  {
    auto parsed = Version::Parse(version);
    if (!parsed.ok()) return parsed.status();
  }
  auto out = std::make_shared<json::object>();
  return PreparedWrite{
      [=, this](store::Transaction& txn) -> Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(auto p, txn.FindProduct(id));
        if (!p) return ProductNotFound(id);
        Status vs = txn.InsertProductVersion(id, version, now);
        if (vs.code() == ErrorCode::kConflict) {
          return Status(
              ErrorCode::kConflict,
              fmt::format("Product '{}' already has version {}.", id, version));
        }
        LICENTIA_RETURN_IF_ERROR(vs);
        LICENTIA_RETURN_IF_ERROR(
            RecordEvent(txn, now, "product.version_added", nullptr, "", actor,
                        {{"product", id}, {"version", version}}));
        p->versions.push_back(version);
        *out = ProductJson(*p);
        return Status::Ok();
      },
      [out]() -> Result<json::object> { return std::move(*out); }};
}

void AdminService::AddVersion(std::string_view id, std::string_view body,
                              EventActor actor, Reply reply) {
  Submit(PrepareAddVersion(id, body, actor), std::move(reply));
}

Result<AdminService::PreparedWrite> AdminService::PrepareIssueCodes(
    std::string_view body, EventActor actor) {
  LICENTIA_ASSIGN_OR_RETURN(
      JsonFields f,
      JsonFields::Parse(
          body, {"product", "count", "edition", "features", "max_devices",
                 "license_type", "term_days", "activate_by",
                 "compatible_versions", "requires_account", "prepare_days",
                 "grace_days", "heartbeat_days", "note"}));
  CodeTerms terms;
  LICENTIA_ASSIGN_OR_RETURN(terms.product, f.String("product", 64));
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t count,
                            f.Int("count", 1, kMaxCodesPerBatch, 1));
  LICENTIA_ASSIGN_OR_RETURN(auto edition, f.OptString("edition", 64));
  terms.edition = edition.value_or("standard");
  LICENTIA_ASSIGN_OR_RETURN(terms.features, f.StringList("features", 64, 64));
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t max_devices,
                            f.Int("max_devices", 1, kMaxDevicesLimit, 1));
  terms.max_devices = static_cast<int>(max_devices);
  LICENTIA_ASSIGN_OR_RETURN(auto type_name, f.OptString("license_type", 32));
  auto type = LicenseTypeFromName(type_name.value_or("term"));
  if (!type) {
    return Status(ErrorCode::kInvalidRequest,
                  "license_type must be term, subscription or trial.");
  }
  terms.type = *type;
  LICENTIA_ASSIGN_OR_RETURN(
      std::int64_t term_days,
      f.Int("term_days", 1, kMaxTermDays,
            terms.type == LicenseType::kTrial ? 30 : 365));
  terms.term_days = static_cast<int>(term_days);
  LICENTIA_ASSIGN_OR_RETURN(terms.activate_by, f.OptDate("activate_by"));
  if (terms.activate_by && *terms.activate_by < ctx_.clock.Now()) {
    // Codes that could never be activated are a mistake, not a batch.
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("activate_by ({}) is in the past; codes issued "
                              "with it could never be activated.",
                              FormatTimestamp(*terms.activate_by)));
  }
  LICENTIA_ASSIGN_OR_RETURN(auto range,
                            f.OptString("compatible_versions", 256));
  if (range) {
    LICENTIA_ASSIGN_OR_RETURN(VersionRange parsed, VersionRange::Parse(*range));
    terms.compatible_versions = parsed.ToString();
  }
  LICENTIA_ASSIGN_OR_RETURN(terms.requires_account,
                            f.Bool("requires_account", false));
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t prepare_days,
                            f.Int("prepare_days", 0, kMaxPrepareDays, 0));
  terms.prepare_days = static_cast<int>(prepare_days);
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t grace_days,
                            f.Int("grace_days", 0, kMaxGraceDays, 0));
  terms.grace_days = static_cast<int>(grace_days);
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t heartbeat_days,
                            f.Int("heartbeat_days", 0, kMaxHeartbeatDays, 0));
  terms.heartbeat_days = static_cast<int>(heartbeat_days);
  LICENTIA_ASSIGN_OR_RETURN(auto note, f.OptString("note", 500));
  LICENTIA_RETURN_IF_ERROR(terms.Validate());

  // Codes are generated outside the transaction (it may be re-run) and
  // hashed under the server's key: the plaintext is never stored.
  auto codes = std::make_shared<std::vector<ActivationCode>>();
  auto hashes = std::make_shared<std::vector<crypto::Hash>>();
  codes->reserve(count);
  hashes->reserve(count);
  for (std::int64_t i = 0; i < count; ++i) {
    codes->push_back(ActivationCode::Generate());
    hashes->push_back(ctx_.HashCode(codes->back()));
  }

  auto out = std::make_shared<json::object>();
  return PreparedWrite{
      [=, this](store::Transaction& txn) -> Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(auto product, txn.FindProduct(terms.product));
        if (!product) return ProductNotFound(terms.product);
        LICENTIA_ASSIGN_OR_RETURN(
            std::int64_t batch_id,
            txn.InsertBatch({0, terms.product, count, note.value_or(""), now}));
        json::array issued;
        issued.reserve(codes->size());
        std::int64_t first_id = 0, last_id = 0;
        for (size_t i = 0; i < codes->size(); ++i) {
          store::CodeRow row;
          row.code_hash = (*hashes)[i];
          row.code_tail =
              (*codes)[i].Canonical().substr(kCodeSymbols - kCodeGroupSize);
          row.batch_id = batch_id;
          row.terms = terms;
          row.created_at = now;
          LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, txn.InsertCode(row));
          if (i == 0) first_id = id;
          last_id = id;
          issued.push_back(
              json::object{{"id", id}, {"code", (*codes)[i].Formatted()}});
        }
        LICENTIA_RETURN_IF_ERROR(
            RecordEvent(txn, now, "codes.issued", nullptr, "", actor,
                        {{"product", terms.product},
                         {"batch_id", batch_id},
                         {"count", count},
                         {"first_code_id", first_id},
                         {"last_code_id", last_id},
                         {"license_type", LicenseTypeName(terms.type)},
                         {"max_devices", terms.max_devices},
                         {"term_days", terms.term_days}}));
        store::CodeRow sample;
        sample.id = first_id;
        sample.code_tail = "";
        sample.batch_id = batch_id;
        sample.terms = terms;
        sample.created_at = now;
        json::object terms_json = CodeJson(sample);
        for (auto key :
             {"id", "masked_code", "seats_used", "first_activated_at",
              "expires_at", "blocked", "blocked_reason"}) {
          terms_json.erase(key);
        }
        *out = json::object{{"batch_id", batch_id},
                            {"count", count},
                            {"terms", std::move(terms_json)},
                            {"codes", std::move(issued)}};
        return Status::Ok();
      },
      [out]() -> Result<json::object> { return std::move(*out); }};
}

void AdminService::IssueCodes(std::string_view body, EventActor actor,
                              Reply reply) {
  Submit(PrepareIssueCodes(body, actor), std::move(reply));
}

Result<store::CodeFilter> CodeFilterOf(const QueryParams& query) {
  store::CodeFilter filter;
  LICENTIA_ASSIGN_OR_RETURN(filter.product_id, QueryProduct(query));
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t batch,
                            QueryInt(query, "batch", 0, 0, INT64_MAX));
  if (batch > 0) filter.batch_id = batch;
  std::string status = QueryString(query, "status");
  if (status == "blocked") {
    filter.blocked = true;
  } else if (status == "unblocked") {
    filter.blocked = false;
  } else if (!status.empty()) {
    return Status(ErrorCode::kInvalidRequest,
                  "status must be 'blocked' or 'unblocked'.");
  }
  // Search by the visible last symbols of a masked code.
  std::string tail = QueryString(query, "q");
  std::erase_if(tail, [](char c) { return c == '-' || c == '*' || c == ' '; });
  for (char& c : tail) c = static_cast<char>(std::toupper(c));
  if (tail.size() > kCodeGroupSize)
    tail = tail.substr(tail.size() - kCodeGroupSize);
  filter.tail = tail;
  return filter;
}

Result<json::object> AdminService::ListCodes(const QueryParams& query) {
  LICENTIA_RETURN_IF_ERROR(OnlyKnownParams(
      query, {"product", "status", "batch", "q", "after", "limit"}));
  LICENTIA_ASSIGN_OR_RETURN(store::CodeFilter filter, CodeFilterOf(query));
  LICENTIA_ASSIGN_OR_RETURN(filter.after_id,
                            QueryInt(query, "after", 0, 0, INT64_MAX));
  LICENTIA_ASSIGN_OR_RETURN(filter.limit, QueryLimit(query));
  json::array codes;
  std::int64_t next = 0;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto rows, txn.ListCodes(filter));
    for (const auto& c : rows) codes.push_back(CodeJson(c));
    if (!rows.empty() && static_cast<int>(rows.size()) == filter.limit) {
      next = rows.back().id;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  json::object response{{"codes", std::move(codes)}};
  response["next_after"] = next > 0 ? json::value(next) : json::value(nullptr);
  return response;
}

Result<json::object> AdminService::CodeDetail(store::Transaction& txn,
                                              const store::CodeRow& code) {
  json::object detail = CodeJson(code);
  LICENTIA_ASSIGN_OR_RETURN(auto acts, txn.ListActivations(code.id));
  json::array arr;
  for (const auto& a : acts) arr.push_back(ActivationJson(a));
  detail["activations"] = std::move(arr);
  return detail;
}

Result<json::object> AdminService::GetCode(std::string_view id_text) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, "code"));
  json::object response;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(store::CodeRow code, LoadCode(txn, id));
    LICENTIA_ASSIGN_OR_RETURN(response, CodeDetail(txn, code));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return response;
}

Result<json::object> AdminService::LookupCode(std::string_view body) {
  LICENTIA_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Parse(body, {"code"}));
  LICENTIA_ASSIGN_OR_RETURN(std::string raw, f.String("code", 64));
  LICENTIA_ASSIGN_OR_RETURN(ActivationCode code, ActivationCode::Parse(raw));
  json::object response;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto row,
                              txn.FindCodeByHash(ctx_.HashCode(code)));
    if (!row) {
      return Status(ErrorCode::kCodeNotFound, "No code matches this text.");
    }
    LICENTIA_ASSIGN_OR_RETURN(response, CodeDetail(txn, *row));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return response;
}

Result<std::string> OptionalReason(std::string_view body) {
  if (body.empty()) return std::string();
  LICENTIA_ASSIGN_OR_RETURN(JsonFields f, JsonFields::Parse(body, {"reason"}));
  LICENTIA_ASSIGN_OR_RETURN(auto r, f.OptString("reason", 500));
  return r.value_or("");
}

Result<AdminService::PreparedWrite> AdminService::PrepareCodeSwitch(
    std::string_view id_text, std::string_view body, bool on, EventActor actor,
    const CodeSwitch& sw) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, "code"));
  LICENTIA_ASSIGN_OR_RETURN(std::string reason, OptionalReason(body));
  auto out = std::make_shared<json::object>();
  return PreparedWrite{
      [=, this, &sw](store::Transaction& txn) -> Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(store::CodeRow code, LoadCode(txn, id));
        if (sw.applies) LICENTIA_RETURN_IF_ERROR(sw.applies(code));
        bool changed = code.*sw.flag != on;
        if (changed) {
          std::string kept = on ? reason : "";
          LICENTIA_RETURN_IF_ERROR((txn.*sw.set)(id, on, kept));
          LICENTIA_RETURN_IF_ERROR(
              RecordEvent(txn, now, on ? sw.on_event : sw.off_event, &code, "",
                          actor, {{"reason", reason}}));
          code.*sw.flag = on;
          code.*sw.reason = kept;
        }
        *out = CodeJson(code);
        (*out)["changed"] = changed;
        return Status::Ok();
      },
      [out]() -> Result<json::object> { return std::move(*out); }};
}

namespace {

// Rule 10: any code can be blocked.
const AdminService::CodeSwitch kBlockSwitch{&store::CodeRow::blocked,
                                            &store::CodeRow::blocked_reason,
                                            &store::Transaction::SetBlocked,
                                            "code.blocked",
                                            "code.unblocked",
                                            nullptr};

}  // namespace

void AdminService::SetBlocked(std::string_view id_text, std::string_view body,
                              bool blocked, EventActor actor, Reply reply) {
  Submit(PrepareCodeSwitch(id_text, body, blocked, actor, kBlockSwitch),
         std::move(reply));
}

Result<AdminService::PreparedWrite> AdminService::PrepareReleaseSeat(
    std::string_view code_text, std::string_view activation_text,
    std::string_view body, EventActor actor) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(code_text, "code"));
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t activation_id,
                            ParseId(activation_text, "activation"));
  LICENTIA_ASSIGN_OR_RETURN(std::string reason, OptionalReason(body));
  auto out = std::make_shared<json::object>();
  return PreparedWrite{
      [=, this](store::Transaction& txn) -> Status {
        UnixSeconds now = ctx_.clock.Now();
        LICENTIA_ASSIGN_OR_RETURN(store::CodeRow code, LoadCode(txn, id));
        LICENTIA_ASSIGN_OR_RETURN(auto seats, txn.ListActivations(id));
        auto seat = std::find_if(
            seats.begin(), seats.end(), [&](const store::ActivationRow& a) {
              return a.id == activation_id && !a.deactivated_at;
            });
        if (seat == seats.end()) {
          return Status(
              ErrorCode::kNotActivated,
              fmt::format("Code {} has no seat {} in use.", id, activation_id));
        }
        LICENTIA_RETURN_IF_ERROR(
            txn.ReleaseSeat(activation_id, now, "vendor", reason));
        LICENTIA_RETURN_IF_ERROR(
            RecordEvent(txn, now, "code.deactivated", &code,
                        crypto::ToHex(seat->device_hash), actor,
                        {{"activation_id", activation_id},
                         {"device_name", seat->device_name},
                         {"seats_used", code.seats_used - 1},
                         {"reason", reason}}));
        *out = json::object{{"released", true},
                            {"activation_id", activation_id},
                            {"seats_used", code.seats_used - 1},
                            {"max_devices", code.terms.max_devices}};
        return Status::Ok();
      },
      [out]() -> Result<json::object> { return std::move(*out); }};
}

void AdminService::ReleaseSeat(std::string_view code_id,
                               std::string_view activation_id,
                               std::string_view body, EventActor actor,
                               Reply reply) {
  Submit(PrepareReleaseSeat(code_id, activation_id, body, actor),
         std::move(reply));
}

Result<store::EventFilter> EventFilterOf(const QueryParams& query) {
  store::EventFilter filter;
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t code_id,
                            QueryInt(query, "code", 0, 0, INT64_MAX));
  if (code_id > 0) filter.code_id = code_id;
  LICENTIA_ASSIGN_OR_RETURN(filter.product_id, QueryProduct(query));
  filter.type = QueryString(query, "type");
  if (!filter.type.empty() && !IsEventType(filter.type)) {
    std::string list;
    for (std::string_view t : kEventTypes) {
      list += list.empty() ? "" : ", ";
      list += t;
    }
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("There is no event type '{}'; the types are {}.",
                              filter.type.substr(0, 40), list));
  }
  return filter;
}

json::object EventJson(const store::EventRow& e) {
  boost::system::error_code ec;
  json::value details = json::parse(e.details_json, ec);
  if (ec) details = json::object();
  return json::object{
      {"id", e.id},
      {"at", e.at},
      {"type", e.type},
      {"code_id", e.code_id ? json::value(*e.code_id) : json::value()},
      {"product", e.product_id},
      {"device", e.device.substr(0, 16)},
      {"actor", e.actor},
      {"token_id", e.token_id ? json::value(*e.token_id) : json::value()},
      {"details", std::move(details)}};
}

Result<json::object> AdminService::ListEvents(const QueryParams& query) {
  LICENTIA_RETURN_IF_ERROR(
      OnlyKnownParams(query, {"code", "product", "type", "after", "limit"}));
  LICENTIA_ASSIGN_OR_RETURN(store::EventFilter filter, EventFilterOf(query));
  LICENTIA_ASSIGN_OR_RETURN(filter.after_id,
                            QueryInt(query, "after", 0, 0, INT64_MAX));
  LICENTIA_ASSIGN_OR_RETURN(filter.limit, QueryLimit(query));
  json::array events;
  std::int64_t next = 0;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto rows, txn.ListEvents(filter));
    for (const auto& e : rows) events.push_back(EventJson(e));
    if (!rows.empty() && static_cast<int>(rows.size()) == filter.limit) {
      next = rows.back().id;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  json::object response{{"events", std::move(events)}};
  response["next_after"] = next > 0 ? json::value(next) : json::value(nullptr);
  return response;
}

void AdminService::Submit(Result<PreparedWrite> write, Reply reply) {
  if (!write.ok()) return ReplyNow(reply, write.status());
  WriteAndReply(ctx_.store, std::move(write->fn), std::move(write->finish),
                std::move(reply));
}

}  // namespace licentia::server
