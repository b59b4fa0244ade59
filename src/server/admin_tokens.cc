// Admin tokens (docs/api.md, "Admin tokens"): named, with scopes
// (admin_scopes.h), listed with their last use, revoked. The token itself
// is shown once, in the answer that creates it; the store keeps its hash.
#include <fmt/format.h>

#include <boost/json/array.hpp>

#include "core/crypto.h"
#include "server/admin_scopes.h"
#include "server/admin_service.h"
#include "server/json_fields.h"
#include "server/printable_text.h"

namespace licentia::server {
namespace json = boost::json;

namespace {

json::value OptTime(std::optional<UnixSeconds> t) {
  return t ? json::value(*t) : json::value(nullptr);
}

json::object TokenJson(const store::AdminTokenRow& row) {
  json::array scopes;
  Result<ScopeSet> set = ScopeSet::FromStored(row.scopes);
  if (set.ok()) {
    for (const auto& name : set->Names()) scopes.emplace_back(name);
  }
  return json::object{{"id", row.id},
                      {"name", row.name},
                      {"scopes", std::move(scopes)},
                      {"created_at", row.created_at},
                      {"last_used_at", OptTime(row.last_used_at)},
                      {"revoked_at", OptTime(row.revoked_at)}};
}

}  // namespace

void AdminService::CreateToken(std::string_view body, EventActor actor,
                               Reply reply) {
  auto prepared = [&]() -> Result<PreparedWrite> {
    LICENTIA_ASSIGN_OR_RETURN(JsonFields f,
                              JsonFields::Parse(body, {"name", "scopes"}));
    LICENTIA_ASSIGN_OR_RETURN(std::string name, f.String("name", 64));
    if (name.empty() || PrintableText(name) != name) {
      return Status(ErrorCode::kInvalidRequest,
                    "name must be 1 to 64 printable characters.");
    }
    LICENTIA_ASSIGN_OR_RETURN(std::vector<std::string> names,
                              f.StringList("scopes", 8, 16));
    LICENTIA_ASSIGN_OR_RETURN(ScopeSet scopes, ScopeSet::FromNames(names));
    // Made outside the transaction, which may run more than once.
    std::string token = crypto::RandomToken("lta_");
    crypto::Hash hash = crypto::Blake2b(token);
    auto out = std::make_shared<json::object>();
    return PreparedWrite{
        [=, this](store::Transaction& txn) -> Status {
          UnixSeconds now = ctx_.clock.Now();
          std::string stored = scopes.ToString();
          LICENTIA_ASSIGN_OR_RETURN(
              std::int64_t id, txn.InsertAdminToken(hash, name, stored, now));
          LICENTIA_RETURN_IF_ERROR(
              RecordEvent(txn, now, "token.created", nullptr, "", actor,
                          {{"token", id}, {"name", name}, {"scopes", stored}}));
          *out = TokenJson({id, name, stored, now, std::nullopt, std::nullopt});
          (*out)["token"] = token;
          return Status::Ok();
        },
        [out]() -> Result<json::object> { return std::move(*out); }};
  }();
  Submit(std::move(prepared), std::move(reply));
}

Result<json::object> AdminService::ListTokens() {
  json::array tokens;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto rows, txn.ListAdminTokens());
    for (const auto& row : rows) tokens.push_back(TokenJson(row));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return json::object{{"tokens", std::move(tokens)}};
}

void AdminService::RevokeToken(std::string_view id_text, EventActor actor,
                               Reply reply) {
  auto prepared = [&]() -> Result<PreparedWrite> {
    LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, "token"));
    auto out = std::make_shared<json::object>();
    return PreparedWrite{
        [=, this](store::Transaction& txn) -> Status {
          UnixSeconds now = ctx_.clock.Now();
          LICENTIA_ASSIGN_OR_RETURN(bool revoked,
                                    txn.RevokeAdminToken(id, now));
          if (!revoked) {
            return Status(ErrorCode::kNotFound,
                          fmt::format("There is no token {} in use.", id));
          }
          LICENTIA_RETURN_IF_ERROR(RecordEvent(
              txn, now, "token.revoked", nullptr, "", actor, {{"token", id}}));
          *out = json::object{{"revoked", true}, {"id", id}};
          return Status::Ok();
        },
        [out]() -> Result<json::object> { return std::move(*out); }};
  }();
  Submit(std::move(prepared), std::move(reply));
}

}  // namespace licentia::server
