// The Transaction of store.h, written once in SQL for every backend: its
// statements, the columns they read and how rows map to structs. A backend
// supplies a session (sql_session.h) and, where it differs, how key
// serials are drawn and whether code rows are locked before they are read.
//
// Seats: a code's running count of active seats (codes.seats_used) is
// changed here, by the two methods that take and free seats
// (InsertActivation, Deactivate), in the same transaction; nothing else
// adds, frees or deletes activations, and the contract test checks the
// count on every path. Not a trigger: with one, SQLite keeps a statement
// journal for every activation's insert (~4% of an activation's
// instructions, all on its single writer), and one rule must not be kept
// two ways.
#ifndef LICENTIA_STORE_SQL_TRANSACTION_H_
#define LICENTIA_STORE_SQL_TRANSACTION_H_

#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "store/read_cache.h"
#include "store/sql_session.h"
#include "store/store.h"

namespace licentia::store {

// Where a write transaction's key serials come from. Serials are unique,
// not contiguous: one drawn by a transaction that is then rolled back is
// never used.
class KeySerialSource {
 public:
  virtual ~KeySerialSource() = default;
  // The next serial, reading or writing through `session` if it must.
  virtual Result<std::uint64_t> Next(SqlSession& session) = 0;
};

// What one run of a write's transaction function asked to run once the
// write commits (Transaction::OnCommit, OnceAfterCommit), for its store to
// run (RunCommitCallbacks) or to drop.
struct CommitCallbacks {
  std::vector<std::function<void()>> each;
  std::vector<std::pair<const void*, std::function<void()>>> once;
  void Clear() {
    each.clear();
    once.clear();
  }
};

// Runs the callbacks of writes committed together, as store.h promises:
// every write's OnCommit callbacks in commit order, then the first
// function registered under each OnceAfterCommit key, once.
void RunCommitCallbacks(std::span<CommitCallbacks* const> committed);

// What a store that sees every write (SQLite's single writer) knows of the
// webhook endpoints, so that the outbox statement of every event is skipped
// while none is enabled: `no_endpoints` as counted at the start of the
// write batch, and `changed` once a statement of the batch touched an
// endpoint (the count is then stale; the statement runs).
struct OutboxHint {
  bool no_endpoints = false;
  bool changed = true;
  bool Skip() const { return no_endpoints && !changed; }
};

struct SqlTransactionOptions {
  // Write transactions only: where OnCommit puts its callbacks. Null in a
  // read transaction (OnCommit then fails with kInternal).
  CommitCallbacks* on_commit = nullptr;
  // Write transactions of a store that knows (OutboxHint); null: the
  // outbox statement always runs (PostgreSQL: another instance may have
  // made an endpoint).
  const OutboxHint* outbox = nullptr;
  // Write transactions only; null in a read transaction (NextKeySerial then
  // fails with kInternal).
  KeySerialSource* serials = nullptr;
  // Read transactions only: rows served from and added to this cache
  // (read_cache.h), stamped before the transaction's first statement. May
  // be null.
  ReadCache* cache = nullptr;
  // Write transactions where several writers may change the same code at
  // once (PostgreSQL): reading a code first locks its row, in a statement
  // of its own, so that what is read next - the seats in use - is read
  // after the lock is held, with a fresh READ COMMITTED snapshot. Every
  // change to a code's seats, first activation, block state or reserves
  // goes through reading that code, so they are serialised per code
  // without serialization failures.
  bool lock_codes = false;
};

class SqlTransaction final : public Transaction {
 public:
  SqlTransaction(SqlSession& session, SqlTransactionOptions options)
      : session_(session), options_(options) {}

  Result<std::optional<ProductRow>> FindProduct(std::string_view id) override;
  Result<std::vector<ProductRow>> ListProducts() override;
  Status InsertProduct(const ProductRow& row) override;
  Status InsertProductVersion(std::string_view product_id,
                              std::string_view version,
                              UnixSeconds at) override;

  Result<std::int64_t> InsertBatch(const BatchRow& row) override;
  Result<std::int64_t> InsertCode(const CodeRow& row) override;
  Result<std::optional<CodeRow>> FindCodeByHash(
      const crypto::Hash& code_hash) override;
  Result<std::optional<CodeRow>> FindCodeById(std::int64_t id) override;
  Result<std::vector<CodeRow>> ListCodes(const CodeFilter& filter) override;
  Status SetFirstActivation(std::int64_t code_id, UnixSeconds at) override;
  Status SetBlocked(std::int64_t code_id, bool blocked,
                    std::string_view reason) override;
  Status SetCodeEnd(std::int64_t code_id, std::optional<UnixSeconds> ends_at,
                    int term_days) override;
  Status SetSuspended(std::int64_t code_id, bool suspended,
                      std::string_view reason) override;
  Status ChangeCodeTerms(std::int64_t code_id,
                         const TermsChange& change) override;
  Status ChangeBatchTerms(std::int64_t batch_id,
                          const TermsChange& change) override;
  Result<std::optional<BatchTermsSummary>> SummarizeBatch(
      std::int64_t batch_id) override;

  Result<std::optional<ActivationRow>> FindActiveActivation(
      std::int64_t code_id, const crypto::Hash& device_hash) override;
  Result<std::vector<ActivationRow>> ListActivations(
      std::int64_t code_id) override;
  Result<int> CountActiveSeats(std::int64_t code_id) override;
  Result<std::vector<ActivationRow>> ListActivationsAfter(
      std::int64_t after_id, std::string_view product_id, std::int64_t code_id,
      int limit) override;
  Result<std::int64_t> InsertActivation(const ActivationRow& row) override;
  Status RefreshActivation(const ActivationRow& row) override;
  Status Deactivate(std::int64_t activation_id, UnixSeconds at) override;
  Status ReleaseSeat(std::int64_t activation_id, UnixSeconds at,
                     std::string_view released_by,
                     std::string_view reason) override;
  Result<std::optional<ReleasedSeat>> FindReleasedSeat(
      std::int64_t code_id, const crypto::Hash& device_hash) override;
  Result<std::uint64_t> NextKeySerial() override;
  Status TouchActivation(std::int64_t activation_id, UnixSeconds at) override;
  Result<std::vector<StaleSeat>> ListStaleSeats(UnixSeconds now,
                                                int limit) override;
  Result<CodeSeat> FindCodeSeat(const crypto::Hash& code_hash,
                                const crypto::Hash& device_hash) override;

  Result<std::optional<ReserveRow>> FindReserve(
      const crypto::Hash& device_hash, std::string_view product_id) override;
  Status PutReserve(const ReserveRow& row) override;
  Status RecordOfflineRequest(std::span<const std::uint8_t> request_id,
                              std::string_view kind, std::int64_t code_id,
                              const crypto::Hash& device_hash,
                              UnixSeconds at) override;
  Status DeleteReserve(const crypto::Hash& device_hash,
                       std::string_view product_id) override;

  Status OnCommit(std::function<void()> fn) override;
  Status OnceAfterCommit(const void* key, std::function<void()> fn) override;
  Status AppendEvent(const EventRow& row) override;
  Result<std::vector<EventRow>> ListEvents(const EventFilter& filter) override;
  Result<std::vector<EventRow>> ListNewestCodeEvents(std::int64_t code_id,
                                                     int limit) override;

  // Webhooks (sql_webhooks.cc).
  Result<std::int64_t> InsertWebhookEndpoint(
      const WebhookEndpointRow& row) override;
  Status SetWebhookSecret(std::int64_t id,
                          std::string_view sealed_secret) override;
  Result<std::optional<WebhookEndpointRow>> FindWebhookEndpoint(
      std::int64_t id) override;
  Result<std::vector<WebhookEndpointRow>> ListWebhookEndpoints() override;
  Result<bool> SetWebhookEndpointEnabled(std::int64_t id, bool enabled,
                                         UnixSeconds at) override;
  Status EnqueueWebhookDeliveries(std::string_view event_type,
                                  std::string_view event_key,
                                  std::string_view payload,
                                  UnixSeconds at) override;
  Result<std::vector<WebhookDeliveryRow>> ClaimDueDeliveries(
      UnixSeconds now, UnixSeconds lease_until, int limit) override;
  Status RecordDeliveryAttempt(std::int64_t id, DeliveryState state,
                               UnixSeconds at, UnixSeconds next_attempt_at,
                               std::optional<std::int64_t> status,
                               std::string_view error) override;
  Result<std::vector<WebhookDeliveryRow>> ListWebhookDeliveries(
      std::int64_t endpoint_id, std::int64_t before, int limit) override;
  Result<std::optional<WebhookDeliveryRow>> FindWebhookDelivery(
      std::int64_t id) override;
  Result<bool> Redeliver(std::int64_t id, UnixSeconds at) override;

  Result<std::int64_t> InsertAdminToken(const crypto::Hash& token_hash,
                                        std::string_view name,
                                        std::string_view scopes,
                                        UnixSeconds at) override;
  Result<std::optional<AdminTokenRow>> FindAdminToken(
      const crypto::Hash& token_hash) override;
  Result<std::vector<AdminTokenRow>> ListAdminTokens() override;
  Result<bool> RevokeAdminToken(std::int64_t id, UnixSeconds at) override;
  Status TouchAdminToken(std::int64_t id, UnixSeconds at) override;
  Result<std::int64_t> CountAdminTokens() override;

  // Accounts: sql_accounts.cc.
  Result<std::int64_t> InsertAccount(const AccountRow& row) override;
  Result<std::optional<AccountRow>> FindAccountByEmail(
      std::string_view email) override;
  Result<std::optional<AccountRow>> FindAccountById(std::int64_t id) override;
  Status SetAccountPassword(std::int64_t account_id,
                            std::string_view password_hash,
                            UnixSeconds at) override;
  Status SetAccountTotp(std::int64_t account_id, std::string_view secret,
                        std::string_view pending,
                        std::int64_t last_step) override;
  Result<bool> UseTotpStep(std::int64_t account_id, std::int64_t step) override;
  Status ReplaceRecoveryCodes(std::int64_t account_id,
                              const std::vector<crypto::Hash>& hashes) override;
  Result<bool> UseRecoveryCode(std::int64_t account_id,
                               const crypto::Hash& hash,
                               UnixSeconds at) override;
  Result<int> CountRecoveryCodesLeft(std::int64_t account_id) override;
  Status InsertSession(const SessionRow& row) override;
  Result<std::optional<SessionRow>> FindSession(
      const crypto::Hash& token_hash) override;
  Status DeleteSession(const crypto::Hash& token_hash) override;
  Status DeleteAccountSessions(std::int64_t account_id) override;
  Status InsertConnectCode(const crypto::Hash& code_hash,
                           std::int64_t account_id,
                           UnixSeconds expires_at) override;
  Result<std::optional<std::int64_t>> UseConnectCode(
      const crypto::Hash& code_hash, UnixSeconds now) override;
  Result<std::int64_t> PutDeviceConnection(
      const DeviceConnectionRow& row) override;
  Result<std::optional<DeviceConnectionRow>> FindDeviceConnection(
      const crypto::Hash& device_hash) override;
  Result<std::vector<DeviceConnectionRow>> ListDeviceConnections(
      std::int64_t account_id) override;
  Status TouchDeviceConnection(std::int64_t id, UnixSeconds at) override;
  Status DeleteDeviceConnection(std::int64_t id) override;
  Result<bool> AddAccountCode(const AccountCodeRow& row) override;
  Result<std::vector<AccountCodeRow>> ListAccountCodes(
      std::int64_t account_id) override;
  Result<std::optional<AccountCodeRow>> FindAccountCode(
      std::int64_t account_id, std::int64_t code_id) override;
  Result<std::optional<std::int64_t>> FindCodeAdministrator(
      std::int64_t code_id) override;
  Status NoteDeviceCode(const crypto::Hash& device_hash,
                        std::int64_t code_id) override;
  Result<std::vector<ActivationRow>> ListConnectedSeats(
      const crypto::Hash& device_hash) override;
  Status DeleteAccountCode(std::int64_t account_id,
                           std::int64_t code_id) override;
  Result<std::int64_t> InsertInvitation(const InvitationRow& row) override;
  Result<std::optional<InvitationRow>> FindInvitation(std::int64_t id) override;
  Result<std::vector<InvitationRow>> ListCodeInvitations(
      std::int64_t code_id) override;
  Result<std::vector<InvitationRow>> ListEmailInvitations(
      std::string_view email) override;
  Status SetInvitationState(std::int64_t id, InvitationState state,
                            UnixSeconds at) override;
  Result<std::int64_t> InsertDeviceAction(const DeviceActionRow& row) override;
  Result<std::vector<DeviceActionRow>> ListPendingDeviceActions(
      const crypto::Hash& device_hash) override;
  Result<std::vector<DeviceActionRow>> ListDeviceActions(
      const crypto::Hash& device_hash, int limit) override;
  Result<bool> FinishDeviceAction(std::int64_t id,
                                  const crypto::Hash& device_hash,
                                  DeviceActionState state,
                                  std::string_view error_code,
                                  std::string_view message,
                                  UnixSeconds at) override;

 private:
  // Every statement goes through these: the cache stamp is taken before
  // the first one (read_cache.h).
  Status Run(const SqlStatement& statement, SqlParams params, RowVisitor row);
  Status Run(const SqlStatement& statement, SqlParams params);
  // SqlSession::Insert. Writes only: no cache stamp to take.
  Result<std::int64_t> Insert(const SqlStatement& statement, SqlParams params);
  // The last row the statement returns, decoded by `decode`; empty when
  // it returns none.
  template <typename Decode>
  auto FindRow(const SqlStatement& statement, SqlParams params, Decode decode)
      -> Result<
          std::optional<decltype(decode(std::declval<const SqlRow&>()))>> {
    std::optional<decltype(decode(std::declval<const SqlRow&>()))> found;
    LICENTIA_RETURN_IF_ERROR(Run(statement, params, [&](const SqlRow& row) {
      found = decode(row);
      return Status::Ok();
    }));
    return found;
  }
  // Whether the statement (an UPDATE ... RETURNING) returned any row.
  Result<bool> RunReturnsRow(const SqlStatement& statement, SqlParams params) {
    bool any = false;
    LICENTIA_RETURN_IF_ERROR(Run(statement, params, [&](const SqlRow&) {
      any = true;
      return Status::Ok();
    }));
    return any;
  }
  // The first row's column 0 as an integer; kInternal if there is no row.
  Result<std::int64_t> RunForInt(const SqlStatement& statement,
                                 SqlParams params);
  Result<std::optional<CodeRow>> OneCode(const SqlStatement& statement,
                                         SqlParams params);
  Status LoadVersions(ProductRow& product);
  Status AddSeats(std::int64_t code_id, int delta);

  SqlSession& session_;
  const SqlTransactionOptions options_;
  bool stamped_ = false;
  std::uint64_t stamp_ = 0;  // the cache epoch before the first statement
};

}  // namespace licentia::store

#endif  // LICENTIA_STORE_SQL_TRANSACTION_H_
