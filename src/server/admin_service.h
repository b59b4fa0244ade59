// The vendor's admin API: products and versions, code batches, code search,
// blocking, and the event log. Methods take the JSON body (and query
// parameters for listings) and return the JSON response or an error with a
// stable code; nothing changes on error. Thread-safe.
#ifndef LICENTIA_SERVER_ADMIN_SERVICE_H_
#define LICENTIA_SERVER_ADMIN_SERVICE_H_

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/code_seal.h"
#include "core/status.h"
#include "server/query_params.h"
#include "server/reply.h"
#include "server/service_context.h"

namespace licentia::server {

constexpr std::int64_t kMaxCodesPerBatch = 100000;

class AdminService {
 public:
  // `seal_key` seals webhook endpoints' secrets (core/code_seal.h).
  AdminService(ServiceContext& ctx, const CodeSealKey& seal_key,
               std::function<void()> wake_webhooks)
      : ctx_(ctx),
        seal_key_(seal_key),
        wake_webhooks_(std::move(wake_webhooks)) {}

  // Reads return their response; writes reply once durable.
  void CreateProduct(std::string_view body, EventActor actor, Reply reply);
  Result<boost::json::object> ListProducts();
  Result<boost::json::object> GetProduct(std::string_view id);
  void AddVersion(std::string_view id, std::string_view body, EventActor actor,
                  Reply reply);

  // Issues a batch; the plaintext codes appear only in this response.
  void IssueCodes(std::string_view body, EventActor actor, Reply reply);
  Result<boost::json::object> ListCodes(const QueryParams& query);
  Result<boost::json::object> GetCode(std::string_view id);
  // Finds a code by its plaintext (body {"code": ...}).
  Result<boost::json::object> LookupCode(std::string_view body);
  void SetBlocked(std::string_view id, std::string_view body, bool blocked,
                  EventActor actor, Reply reply);
  // Frees the seat `activation_id` of code `code_id` (support releasing a
  // customer's device). The device learns it at its next contact — at
  // once if it waits (push) — and its key stops standing for a license.
  void ReleaseSeat(std::string_view code_id, std::string_view activation_id,
                   std::string_view body, EventActor actor, Reply reply);
  Result<boost::json::object> ListEvents(const QueryParams& query);
  // Streamed exports, CSV or JSON lines (admin_exports.cc), filtered like
  // the listings.
  Result<JsonBody> ExportCodes(const QueryParams& query);
  Result<JsonBody> ExportActivations(const QueryParams& query);
  Result<JsonBody> ExportEvents(const QueryParams& query);

  // Subscriptions (admin_code_changes.cc; docs/domain-rules.md). Renew
  // sets a subscription's new end ({"days"} or {"ends_at"}); suspend and
  // resume pause it. Devices receive the change at their next contact (at
  // once when they wait) and, for a renewal, a new key with no user
  // action. kConflict for a code that is not a subscription.
  void Renew(std::string_view id, std::string_view body, EventActor actor,
             Reply reply);
  void SetSuspended(std::string_view id, std::string_view body, bool suspended,
                    EventActor actor, Reply reply);
  // Changes issued codes' terms where that is safe: more seats, another
  // activate-by date (or none), other compatible versions. Per code, or
  // for every code of a batch; each change is an event.
  void ChangeCodeTerms(std::string_view id, std::string_view body,
                       EventActor actor, Reply reply);
  void ChangeBatchTerms(std::string_view id, std::string_view body,
                        EventActor actor, Reply reply);

  // Admin tokens (admin_tokens.cc; docs/api.md, "Admin tokens"): created
  // with a name and scopes (the token is in this answer only), listed with
  // their last use, revoked.
  void CreateToken(std::string_view body, EventActor actor, Reply reply);
  Result<boost::json::object> ListTokens();
  void RevokeToken(std::string_view id, EventActor actor, Reply reply);
  // Frees now the seats whose devices missed their code's heartbeat (the
  // server also does so on its own every --heartbeat-sweep-seconds).
  void SweepStaleSeats(Reply reply);

  // What PrepareCodeSwitch sets and records.
  struct CodeSwitch {
    bool store::CodeRow::*flag;
    std::string store::CodeRow::*reason;
    Status (store::Transaction::*set)(std::int64_t, bool, std::string_view);
    const char* on_event;
    const char* off_event;
    // Refuses codes the switch does not apply to; null: every code.
    Status (*applies)(const store::CodeRow&);
  };

  // Webhooks (admin_webhooks.cc; docs/webhooks.md): endpoints registered
  // with the event types they want (the signing secret is in the creating
  // answer only), disabled and enabled again; each endpoint's delivery log;
  // a delivery sent again with the same event id.
  void CreateWebhook(std::string_view body, EventActor actor, Reply reply);
  Result<boost::json::object> ListWebhooks();
  void SetWebhookEnabled(std::string_view id, bool enabled, Reply reply);
  Result<boost::json::object> ListDeliveries(std::string_view id,
                                             const QueryParams& query);
  void Redeliver(std::string_view delivery_id, Reply reply);

 private:
  struct PreparedWrite {
    store::TransactionFn fn;
    ResultMaker finish;
  };
  Result<PreparedWrite> PrepareCreateProduct(std::string_view body,
                                             EventActor actor);
  // The Prepare* functions copy everything their transaction uses: it runs
  // later, on another thread, after the request's buffers are gone.
  Result<PreparedWrite> PrepareAddVersion(std::string_view id,
                                          std::string_view body,
                                          EventActor actor);
  Result<PreparedWrite> PrepareIssueCodes(std::string_view body,
                                          EventActor actor);
  // A state the vendor sets and clears on a code with an optional reason
  // (a block, a suspension): the code with "changed"; an event when it
  // changes. `sw` outlives the write (a constant).
  Result<PreparedWrite> PrepareCodeSwitch(std::string_view id,
                                          std::string_view body, bool on,
                                          EventActor actor,
                                          const CodeSwitch& sw);
  Result<PreparedWrite> PrepareReleaseSeat(std::string_view code_id,
                                           std::string_view activation_id,
                                           std::string_view body,
                                           EventActor actor);
  void Submit(Result<PreparedWrite> write, Reply reply);
  Result<boost::json::object> CodeDetail(store::Transaction& txn,
                                         const store::CodeRow& code);
  ServiceContext& ctx_;
  const CodeSealKey seal_key_;
  // Tells the webhook dispatcher a redelivery is due.
  std::function<void()> wake_webhooks_;
};

// The optional body of a block, a suspension or a release: {"reason":
// "..."}, at most 500 characters; "" without one.
Result<std::string> OptionalReason(std::string_view body);

// The filters of the code and event listings (and their exports), from
// the query; kInvalidRequest naming a bad parameter.
Result<store::CodeFilter> CodeFilterOf(const QueryParams& query);
Result<store::EventFilter> EventFilterOf(const QueryParams& query);
// The product filter of a listing: "" (any) or a valid product id.
Result<std::string> QueryProduct(const QueryParams& query);
// An event as the admin API shows it.
boost::json::object EventJson(const store::EventRow& e);

// The code `id`; kNotFound if there is none.
Result<store::CodeRow> LoadCode(store::Transaction& txn, std::int64_t id);

// Parses a positive decimal id ("42"). kNotFound otherwise.
Result<std::int64_t> ParseId(std::string_view text, std::string_view what);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_ADMIN_SERVICE_H_
