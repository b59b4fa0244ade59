// The storage contract. The server's domain logic is written once against
// Transaction; each backend (sqlite/, postgres/) implements it. The same
// contract test suite (store_contract_test.cc) runs against every backend.
//
// Thread safety: a Store is safe to use from any number of threads. A
// Transaction is used only by the thread running the function it was given
// to, and only during that call.
#ifndef LICENTIA_STORE_STORE_H_
#define LICENTIA_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/license_terms.h"
#include "core/status.h"

namespace licentia::store {

struct ProductRow {
  std::string id;  // slug chosen by the vendor, e.g. "photo-studio"
  std::string name;
  UnixSeconds created_at = 0;
  std::vector<std::string> versions;  // filled by FindProduct/ListProducts
};

struct BatchRow {
  std::int64_t id = 0;
  std::string product_id;
  std::int64_t count = 0;
  std::string note;
  UnixSeconds created_at = 0;
};

struct CodeRow {
  std::int64_t id = 0;
  crypto::Hash code_hash{};  // keyed hash of the canonical code
  std::string code_tail;     // last five symbols, for the masked display
  std::int64_t batch_id = 0;
  CodeTerms terms;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> first_activated_at;
  bool blocked = false;
  std::string blocked_reason;
  int seats_used = 0;  // active activations, kept by the store with each
                       // seat taken or freed (sql_transaction.h)
  // Subscriptions: the end the latest renewal set (it replaces the end
  // counted from first activation), and a suspension by the vendor.
  std::optional<UnixSeconds> ends_at;
  bool suspended = false;
  std::string suspended_reason;
};

// A webhook endpoint (server/webhook_dispatcher.h).
struct WebhookEndpointRow {
  std::int64_t id = 0;
  std::string url;
  std::vector<std::string> event_types;  // {"*"}: every type
  std::string description;
  std::string sealed_secret;  // the signing secret, sealed (code_seal.h)
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> disabled_at;
};

// One event to deliver to one endpoint, from the outbox.
enum class DeliveryState { kPending, kDelivered, kFailed };
// "pending", "delivered", "failed": as stored and as the API shows them.
std::string_view DeliveryStateName(DeliveryState state);

struct WebhookDeliveryRow {
  std::int64_t id = 0;
  std::int64_t endpoint_id = 0;
  std::string event_key;  // the event's id for receivers ("evt_…")
  std::string event_type;
  std::string payload;  // the JSON body sent
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  UnixSeconds next_attempt_at = 0;
  std::optional<UnixSeconds> last_attempt_at;
  std::optional<std::int64_t> last_status;  // the receiver's HTTP status
  std::string last_error;
  std::optional<UnixSeconds> delivered_at;
  UnixSeconds created_at = 0;
  // Filled by ClaimDueDeliveries: where and with what to send it.
  std::string url;
  std::string sealed_secret;
};

// A change of issued codes' terms, where it is safe (admin API: terms):
// each field set is written; unset ones are left as they are.
struct TermsChange {
  std::optional<int> max_devices;
  bool set_activate_by = false;  // with activate_by: none when empty
  std::optional<UnixSeconds> activate_by;
  std::optional<std::string> compatible_versions;
};

// A seat whose device has not been seen for its code's heartbeat_days.
struct StaleSeat {
  std::int64_t activation_id = 0;
  std::int64_t code_id = 0;
  crypto::Hash device_hash{};
  std::string device_name;
  UnixSeconds last_seen_at = 0;
  int heartbeat_days = 0;
};

struct ActivationRow {
  std::int64_t id = 0;
  std::int64_t code_id = 0;
  crypto::Hash device_hash{};  // DeviceBinding(fingerprint)
  std::string device_name;
  std::string os;
  std::string app_version;
  crypto::Hash token_hash{};  // hash of the device's activation token
  UnixSeconds activated_at = 0;
  UnixSeconds last_seen_at = 0;
  std::optional<UnixSeconds> deactivated_at;
  std::uint64_t key_serial = 0;
};

struct ReserveRow {
  crypto::Hash device_hash{};
  std::string product_id;
  std::int64_t code_id = 0;
  UnixSeconds added_at = 0;
};

// A seat freed by someone other than its device, as the device is told.
struct ReleasedSeat {
  crypto::Hash token_hash{};  // the activation token the seat had
  UnixSeconds at = 0;
  std::string released_by;  // "vendor" or "owner"
  std::string reason;
};

// What an activation decides on: the code a device names, the device's
// active seat on it and the device's reserve for the code's product.
struct CodeSeat {
  std::optional<CodeRow> code;  // empty: no such code, and nothing else
  std::optional<ActivationRow> activation;
  std::optional<ReserveRow> reserve;
};

struct EventRow {
  std::int64_t id = 0;
  UnixSeconds at = 0;
  std::string type;  // "code.issued", "code.activated", ...
  std::optional<std::int64_t> code_id;
  std::string product_id;
  std::string device;  // hex of the device hash, or ""
  std::string actor;   // "admin", "device", "system"
  std::string details_json = "{}";
  std::optional<std::int64_t> token_id;  // the admin token that acted
};

// An admin API token (server/admin_scopes.h), stored as its hash.
struct AdminTokenRow {
  std::int64_t id = 0;
  std::string name;
  std::string scopes;  // as ScopeSet stores them, e.g. "issue seats"
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> last_used_at;
  std::optional<UnixSeconds> revoked_at;
};

// A license owner's account in the management console.
struct AccountRow {
  std::int64_t id = 0;
  std::string email;          // as normalised by the console: lower case
  std::string password_hash;  // Argon2id, libsodium's string form
  UnixSeconds created_at = 0;
  UnixSeconds password_changed_at = 0;
  // The second factor (server/totp.h), each secret sealed as text: ""
  // when off, and while none is being set up.
  std::string totp_secret;
  std::string totp_pending;
  std::int64_t totp_last_step = 0;
};

// A signed-in console session: the hash of the cookie's token.
struct SessionRow {
  crypto::Hash token_hash{};
  std::int64_t account_id = 0;
  UnixSeconds created_at = 0;
  UnixSeconds expires_at = 0;
};

// A device linked to an account with a one-time connection code.
struct DeviceConnectionRow {
  std::int64_t id = 0;
  crypto::Hash device_hash{};  // DeviceBinding(fingerprint)
  std::int64_t account_id = 0;
  crypto::Hash token_hash{};  // hash of the device's connection token
  std::string device_name;
  std::string os;
  std::string app_version;
  UnixSeconds connected_at = 0;
  UnixSeconds last_contact_at = 0;
};

// How an account holds a code: as its license administrator (the first
// account to add it) or as a member the administrator invited.
enum class AccountRole { kAdministrator, kMember };

struct AccountCodeRow {
  std::int64_t account_id = 0;
  std::int64_t code_id = 0;
  AccountRole role = AccountRole::kMember;
  // The administrator's copy of the code, sealed (server/code_seal.h), as
  // text; "" when the account cannot be shown the code (a member, or an
  // administrator who added it by connecting a device).
  std::string sealed_code;
  UnixSeconds added_at = 0;
};

// An invitation from a code's license administrator to the account with
// `email` to use the code.
enum class InvitationState { kPending, kAccepted, kDeclined, kRevoked };

struct InvitationRow {
  std::int64_t id = 0;
  std::int64_t code_id = 0;
  std::int64_t inviter_account_id = 0;
  std::string email;  // the invitee's, normalised as accounts' are
  InvitationState state = InvitationState::kPending;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> decided_at;
};

// An action taken in the console for a connected device, carried out by
// the device at its next contact.
enum class DeviceActionKind { kActivate, kSetReserve, kRemoveReserve };
enum class DeviceActionState { kPending, kDone, kRefused };

struct DeviceActionRow {
  std::int64_t id = 0;
  crypto::Hash device_hash{};
  std::int64_t account_id = 0;
  DeviceActionKind kind = DeviceActionKind::kActivate;
  std::optional<std::int64_t> code_id;  // none for kRemoveReserve
  DeviceActionState state = DeviceActionState::kPending;
  std::string error_code;  // the device's refusal, e.g. "RESERVE_NOT_LATER"
  std::string message;
  UnixSeconds created_at = 0;
  std::optional<UnixSeconds> done_at;
};

struct CodeFilter {
  std::string product_id;       // "" = any
  std::optional<bool> blocked;  // unset = any
  std::optional<std::int64_t> batch_id;
  std::string tail;           // masked-code search: last symbols
  std::int64_t after_id = 0;  // keyset pagination
  int limit = 100;
};

struct EventFilter {
  std::optional<std::int64_t> code_id;
  std::string product_id;
  std::string type;
  std::int64_t after_id = 0;
  int limit = 100;
};

// One unit of work. Every method returns kUnavailable when the database
// cannot be reached and kInternal for unexpected database errors; other
// errors are documented per method. Write methods fail in a read transaction.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Products.
  virtual Result<std::optional<ProductRow>> FindProduct(
      std::string_view id) = 0;
  virtual Result<std::vector<ProductRow>> ListProducts() = 0;
  // kConflict if the id exists.
  virtual Status InsertProduct(const ProductRow& row) = 0;
  // kConflict if the version exists.
  virtual Status InsertProductVersion(std::string_view product_id,
                                      std::string_view version,
                                      UnixSeconds at) = 0;

  // Codes. InsertCode returns the new id; kConflict on a duplicate hash.
  virtual Result<std::int64_t> InsertBatch(const BatchRow& row) = 0;
  virtual Result<std::int64_t> InsertCode(const CodeRow& row) = 0;
  virtual Result<std::optional<CodeRow>> FindCodeByHash(
      const crypto::Hash& code_hash) = 0;
  virtual Result<std::optional<CodeRow>> FindCodeById(std::int64_t id) = 0;
  virtual Result<std::vector<CodeRow>> ListCodes(const CodeFilter& filter) = 0;
  // Sets the first activation if none is recorded yet, or if `at` is
  // earlier than the one recorded (rule 3: the earliest use; a reserve
  // prepared to start at a license's end may be taken up sooner).
  virtual Status SetFirstActivation(std::int64_t code_id, UnixSeconds at) = 0;
  virtual Status SetBlocked(std::int64_t code_id, bool blocked,
                            std::string_view reason) = 0;
  // A renewal: the code's end (none: counted from first activation) and
  // its term.
  virtual Status SetCodeEnd(std::int64_t code_id,
                            std::optional<UnixSeconds> ends_at,
                            int term_days) = 0;
  virtual Status SetSuspended(std::int64_t code_id, bool suspended,
                              std::string_view reason) = 0;
  // Writes `change` to the code, or to every code of `batch_id`. REQUIRES: the
  // change was checked against every code it reaches (SummarizeBatch for a
  // batch).
  virtual Status ChangeCodeTerms(std::int64_t code_id,
                                 const TermsChange& change) = 0;
  virtual Status ChangeBatchTerms(std::int64_t batch_id,
                                  const TermsChange& change) = 0;
  // The batch's product, how many codes it has and the smallest and
  // largest max_devices among them; empty: no such batch.
  struct BatchTermsSummary {
    std::string product_id;
    std::int64_t codes = 0;
    int max_devices = 0;
    int min_max_devices = 0;
  };
  virtual Result<std::optional<BatchTermsSummary>> SummarizeBatch(
      std::int64_t batch_id) = 0;

  // Activations (seats).
  virtual Result<std::optional<ActivationRow>> FindActiveActivation(
      std::int64_t code_id, const crypto::Hash& device_hash) = 0;
  virtual Result<std::vector<ActivationRow>> ListActivations(
      std::int64_t code_id) = 0;
  virtual Result<int> CountActiveSeats(std::int64_t code_id) = 0;
  // Every activation (in use or freed) with an id above `after_id`, in id
  // order, at most `limit`: of the code `code_id` if not 0, of the product
  // `product_id` if not "". For exports.
  virtual Result<std::vector<ActivationRow>> ListActivationsAfter(
      std::int64_t after_id, std::string_view product_id, std::int64_t code_id,
      int limit) = 0;
  virtual Result<std::int64_t> InsertActivation(const ActivationRow& row) = 0;
  // Refreshes a seat on idempotent re-activation.
  virtual Status RefreshActivation(const ActivationRow& row) = 0;
  virtual Status Deactivate(std::int64_t activation_id, UnixSeconds at) = 0;
  // Deactivate, by someone other than the device: `released_by` ("vendor",
  // "owner") and `reason` are kept for the device to be told
  // (FindReleasedSeat).
  virtual Status ReleaseSeat(std::int64_t activation_id, UnixSeconds at,
                             std::string_view released_by,
                             std::string_view reason) = 0;
  // The device's latest freed seat on the code, if someone other than the
  // device freed it.
  virtual Result<std::optional<ReleasedSeat>> FindReleasedSeat(
      std::int64_t code_id, const crypto::Hash& device_hash) = 0;
  virtual Result<std::uint64_t> NextKeySerial() = 0;
  // Records that the seat's device was in contact at `at` (heartbeats).
  virtual Status TouchActivation(std::int64_t activation_id,
                                 UnixSeconds at) = 0;
  // Seats in use on codes with heartbeats whose device was last seen
  // heartbeat_days or more before `now`, oldest first, at most `limit`.
  virtual Result<std::vector<StaleSeat>> ListStaleSeats(UnixSeconds now,
                                                        int limit) = 0;

  // FindCodeByHash, then FindActiveActivation of `device_hash` on the code
  // found and FindReserve of the device for the code's product, as one
  // statement where the backend can: on the single SQLite writer every
  // statement is time no other write can use, and on PostgreSQL each is a
  // round trip. In a write transaction the code is read as FindCodeByHash
  // reads it there (locked, on PostgreSQL). This default makes the three
  // calls.
  virtual Result<CodeSeat> FindCodeSeat(const crypto::Hash& code_hash,
                                        const crypto::Hash& device_hash);

  // Reserve codes: at most one per device and product.
  virtual Result<std::optional<ReserveRow>> FindReserve(
      const crypto::Hash& device_hash, std::string_view product_id) = 0;
  virtual Status PutReserve(const ReserveRow& row) = 0;
  virtual Status DeleteReserve(const crypto::Hash& device_hash,
                               std::string_view product_id) = 0;

  // Offline activation (docs/offline-files.md): records that the device
  // request `request_id` (kind "activate" or "deactivate", for `code_id`
  // on `device_hash`) was answered. kConflict if it was answered before:
  // each request is answered once.
  virtual Status RecordOfflineRequest(std::span<const std::uint8_t> request_id,
                                      std::string_view kind,
                                      std::int64_t code_id,
                                      const crypto::Hash& device_hash,
                                      UnixSeconds at) = 0;

  // Runs `fn` once this write has committed, on the store's thread,
  // before the write's `done`; never if the commit fails, nor for a run of
  // the transaction function that is discarded and run again (see
  // WriteAsync). This is where effects outside the database that follow
  // from the write go (queuing a license key to be signed, say): the
  // function itself must have none. `fn` may run before the commit is
  // durable, while it is being made so; `done` says whether it became
  // durable, and nothing may tell anyone the write happened before then.
  // Callbacks of writes committed together run one after another, in
  // commit order. `fn` must be quick and must not call into the store.
  // kInternal in a read transaction (nothing would ever run it).
  [[nodiscard]] virtual Status OnCommit(std::function<void()> fn) = 0;
  // As OnCommit, but `fn` runs once per commit however many of the writes
  // committed together register a function under the same `key` (the
  // first one registered runs), after every OnCommit callback of that
  // commit: for work that serves them all at once (the server signs every
  // key they queued with one signature).
  [[nodiscard]] virtual Status OnceAfterCommit(const void* key,
                                               std::function<void()> fn) = 0;

  // The append-only event log. A backend may send the insert with the
  // transaction's next statement or its commit (PostgreSQL does, to save a
  // round trip); an error is then that call's, and the transaction fails
  // either way.
  virtual Status AppendEvent(const EventRow& row) = 0;
  virtual Result<std::vector<EventRow>> ListEvents(
      const EventFilter& filter) = 0;
  // The code's newest `limit` events, newest first (by the code's event
  // index, whatever the log's length).
  virtual Result<std::vector<EventRow>> ListNewestCodeEvents(
      std::int64_t code_id, int limit) = 0;

  // Webhooks. InsertWebhookEndpoint returns the new id; the secret is set
  // after (it is sealed for that id).
  virtual Result<std::int64_t> InsertWebhookEndpoint(
      const WebhookEndpointRow& row) = 0;
  virtual Status SetWebhookSecret(std::int64_t id,
                                  std::string_view sealed_secret) = 0;
  virtual Result<std::optional<WebhookEndpointRow>> FindWebhookEndpoint(
      std::int64_t id) = 0;
  virtual Result<std::vector<WebhookEndpointRow>> ListWebhookEndpoints() = 0;
  // Disables (at `at`) or enables the endpoint: false if there is none.
  virtual Result<bool> SetWebhookEndpointEnabled(std::int64_t id, bool enabled,
                                                 UnixSeconds at) = 0;
  // The outbox: one pending delivery of this event for every enabled
  // endpoint that wants its type, due at `at`. Like AppendEvent, a backend
  // may send it with the transaction's next statement or its commit.
  virtual Status EnqueueWebhookDeliveries(std::string_view event_type,
                                          std::string_view event_key,
                                          std::string_view payload,
                                          UnixSeconds at) = 0;
  // Takes up to `limit` pending deliveries due at `now`, oldest first, with
  // their endpoint's URL and secret, and moves each one's next attempt to
  // `lease_until`: a dispatcher that dies while sending leaves them due
  // again then (the receiver may see a delivery twice, always with the
  // same event key). Instances sharing a database never take the same one.
  virtual Result<std::vector<WebhookDeliveryRow>> ClaimDueDeliveries(
      UnixSeconds now, UnixSeconds lease_until, int limit) = 0;
  // Records an attempt: its outcome (kPending again with `next_attempt_at`
  // for a retry), the receiver's status or the error.
  virtual Status RecordDeliveryAttempt(std::int64_t id, DeliveryState state,
                                       UnixSeconds at,
                                       UnixSeconds next_attempt_at,
                                       std::optional<std::int64_t> status,
                                       std::string_view error) = 0;
  // The endpoint's deliveries, newest first, with ids below `before` (0:
  // from the newest).
  virtual Result<std::vector<WebhookDeliveryRow>> ListWebhookDeliveries(
      std::int64_t endpoint_id, std::int64_t before, int limit) = 0;
  virtual Result<std::optional<WebhookDeliveryRow>> FindWebhookDelivery(
      std::int64_t id) = 0;
  // Makes the delivery pending and due at `at` again (its attempts count
  // on): false if there is none.
  virtual Result<bool> Redeliver(std::int64_t id, UnixSeconds at) = 0;

  // Admin API tokens, stored as hashes. InsertAdminToken returns the new
  // token's id.
  virtual Result<std::int64_t> InsertAdminToken(const crypto::Hash& token_hash,
                                                std::string_view name,
                                                std::string_view scopes,
                                                UnixSeconds at) = 0;
  // The token with this hash, revoked or not.
  virtual Result<std::optional<AdminTokenRow>> FindAdminToken(
      const crypto::Hash& token_hash) = 0;
  virtual Result<std::vector<AdminTokenRow>> ListAdminTokens() = 0;
  // Revokes the token: false (changing nothing) if there is none with this
  // id or it was revoked already.
  virtual Result<bool> RevokeAdminToken(std::int64_t id, UnixSeconds at) = 0;
  virtual Status TouchAdminToken(std::int64_t id, UnixSeconds at) = 0;
  virtual Result<std::int64_t> CountAdminTokens() = 0;

  // Accounts (the management console). InsertAccount: kConflict if the
  // email is taken (nothing is written).
  virtual Result<std::int64_t> InsertAccount(const AccountRow& row) = 0;
  virtual Result<std::optional<AccountRow>> FindAccountByEmail(
      std::string_view email) = 0;
  virtual Result<std::optional<AccountRow>> FindAccountById(
      std::int64_t id) = 0;
  virtual Status SetAccountPassword(std::int64_t account_id,
                                    std::string_view password_hash,
                                    UnixSeconds at) = 0;

  // The account's second factor: sets its secret, the one being set up
  // and the last step used, as given.
  virtual Status SetAccountTotp(std::int64_t account_id,
                                std::string_view secret,
                                std::string_view pending,
                                std::int64_t last_step) = 0;
  // Records that the code of `step` was used: false (changing nothing) if
  // that step or a later one was used already.
  virtual Result<bool> UseTotpStep(std::int64_t account_id,
                                   std::int64_t step) = 0;
  // Replaces the account's recovery codes with these (their hashes).
  virtual Status ReplaceRecoveryCodes(
      std::int64_t account_id, const std::vector<crypto::Hash>& hashes) = 0;
  // Uses one: false (changing nothing) if it is not the account's or was
  // used already.
  virtual Result<bool> UseRecoveryCode(std::int64_t account_id,
                                       const crypto::Hash& hash,
                                       UnixSeconds at) = 0;
  virtual Result<int> CountRecoveryCodesLeft(std::int64_t account_id) = 0;

  // Console sessions, by the hash of their token.
  virtual Status InsertSession(const SessionRow& row) = 0;
  virtual Result<std::optional<SessionRow>> FindSession(
      const crypto::Hash& token_hash) = 0;
  virtual Status DeleteSession(const crypto::Hash& token_hash) = 0;
  // Ends every session of the account ("sign out everywhere").
  virtual Status DeleteAccountSessions(std::int64_t account_id) = 0;

  // One-time device connection codes, by their hash.
  virtual Status InsertConnectCode(const crypto::Hash& code_hash,
                                   std::int64_t account_id,
                                   UnixSeconds expires_at) = 0;
  // Uses the code: its account if it exists, was not used and has not
  // expired at `now` (it is then used); empty otherwise, changing nothing.
  virtual Result<std::optional<std::int64_t>> UseConnectCode(
      const crypto::Hash& code_hash, UnixSeconds now) = 0;

  // Devices connected to accounts, one account per device.
  // PutDeviceConnection replaces the device's earlier connection, if any,
  // and returns the new connection's id.
  virtual Result<std::int64_t> PutDeviceConnection(
      const DeviceConnectionRow& row) = 0;
  virtual Result<std::optional<DeviceConnectionRow>> FindDeviceConnection(
      const crypto::Hash& device_hash) = 0;
  virtual Result<std::vector<DeviceConnectionRow>> ListDeviceConnections(
      std::int64_t account_id) = 0;
  virtual Status TouchDeviceConnection(std::int64_t id, UnixSeconds at) = 0;
  virtual Status DeleteDeviceConnection(std::int64_t id) = 0;

  // Codes held by accounts. AddAccountCode returns false (writing
  // nothing) if the account holds the code already.
  virtual Result<bool> AddAccountCode(const AccountCodeRow& row) = 0;
  virtual Result<std::vector<AccountCodeRow>> ListAccountCodes(
      std::int64_t account_id) = 0;
  virtual Result<std::optional<AccountCodeRow>> FindAccountCode(
      std::int64_t account_id, std::int64_t code_id) = 0;
  // The code's license administrator, if an account holds it as one.
  virtual Result<std::optional<std::int64_t>> FindCodeAdministrator(
      std::int64_t code_id) = 0;
  // Removes the account's hold on the code (a member whose invitation was
  // revoked).
  virtual Status DeleteAccountCode(std::int64_t account_id,
                                   std::int64_t code_id) = 0;

  // Invitations. InsertInvitation returns the new id.
  virtual Result<std::int64_t> InsertInvitation(const InvitationRow& row) = 0;
  virtual Result<std::optional<InvitationRow>> FindInvitation(
      std::int64_t id) = 0;
  virtual Result<std::vector<InvitationRow>> ListCodeInvitations(
      std::int64_t code_id) = 0;
  virtual Result<std::vector<InvitationRow>> ListEmailInvitations(
      std::string_view email) = 0;
  virtual Status SetInvitationState(std::int64_t id, InvitationState state,
                                    UnixSeconds at) = 0;

  // Device actions. ListDeviceActions returns the device's newest `limit`
  // actions, newest first; FinishDeviceAction records the device's result
  // of its pending action `id` and returns false (changing nothing) if the
  // device has no such pending action.
  virtual Result<std::int64_t> InsertDeviceAction(
      const DeviceActionRow& row) = 0;
  virtual Result<std::vector<DeviceActionRow>> ListPendingDeviceActions(
      const crypto::Hash& device_hash) = 0;
  virtual Result<std::vector<DeviceActionRow>> ListDeviceActions(
      const crypto::Hash& device_hash, int limit) = 0;
  virtual Result<bool> FinishDeviceAction(std::int64_t id,
                                          const crypto::Hash& device_hash,
                                          DeviceActionState state,
                                          std::string_view error_code,
                                          std::string_view message,
                                          UnixSeconds at) = 0;

  // The codes a connected device reported using (NoteDeviceCode), kept
  // until its connection ends (DeleteDeviceConnection, or another
  // PutDeviceConnection), and its active seats among them.
  virtual Status NoteDeviceCode(const crypto::Hash& device_hash,
                                std::int64_t code_id) = 0;
  virtual Result<std::vector<ActivationRow>> ListConnectedSeats(
      const crypto::Hash& device_hash) = 0;
};

// What commits changed, as the rows devices' answers are made of: codes
// (their rows or their seats, by code id) and devices (their reserves, by
// device hash).
struct ChangedKeys {
  std::vector<std::int64_t> codes;
  std::vector<crypto::Hash> devices;
  // The feed lost track for a while (PostgreSQL: its connection was lost):
  // anything may have changed.
  bool everything = false;

  void Clear() {
    codes.clear();
    devices.clear();
    everything = false;
  }
  bool empty() const { return codes.empty() && devices.empty() && !everything; }
};
using ChangeListener = std::function<void(const ChangedKeys&)>;

using TransactionFn = std::function<Status(Transaction&)>;
using DoneFn = std::function<void(Status)>;

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in a read-write transaction and commits if it returns OK; if it
  // returns an error nothing it did is kept. `done` is called exactly once,
  // on a store thread, after the commit is durable (or with the error). It
  // must be quick: post real work elsewhere. `fn` may run more than once:
  // a backend runs it again after a deadlock or serialization failure
  // (PostgreSQL) or when a write grouped into one commit with others must
  // be rolled back alone (SQLite); only the last run counts. So it must
  // have no effects outside the transaction; what follows from the write
  // outside it goes in Transaction::OnCommit. Never blocks the caller.
  virtual void WriteAsync(TransactionFn fn, DoneFn done) = 0;

  // WriteAsync, waiting for the outcome. Blocks the calling thread.
  Status Write(const TransactionFn& fn);

  // Runs `fn` on a consistent read-only snapshot, on the calling thread.
  virtual Status Read(const TransactionFn& fn) = 0;

  // Read, answering through `done` (called exactly once). Backends whose
  // reads wait on a network (PostgreSQL) run them on their own threads so
  // the caller's thread is not held; the default runs Read at once.
  virtual void ReadAsync(TransactionFn fn, DoneFn done) { done(Read(fn)); }

  // A counter of the backend's own machinery (SQLite's checkpoints, say),
  // reported on /metrics as licentia_store_<name>_total.
  struct EngineCounter {
    const char* name;  // a static string: [a-z_]+
    const char* help;  // a static string: one sentence
    std::uint64_t value = 0;
  };
  // Statistics for /metrics. Thread-safe.
  struct Stats {
    std::uint64_t commits = 0;       // durable commits (several write
                                     // transactions may share one)
    std::uint64_t transactions = 0;  // write transactions committed
    std::vector<EngineCounter> engine;
  };
  virtual Stats GetStats() const = 0;

  // The change feed: calls `listener` with what each commit changed, once
  // the commit is durable and before its writes are answered. At least
  // the changes a device's answers show (a code blocked, unblocked or
  // changed; a seat freed; a reserve added or removed); possibly more, so a
  // listener must tolerate keys whose rows look the same. On PostgreSQL it
  // hears the commits of every instance sharing the database, each within
  // moments of its commit, and says `everything` after it lost and regained
  // its connection. Called on a store thread; it must be quick and must
  // not call into the store.
  // REQUIRES: called once, before the first WriteAsync.
  virtual void SetChangeListener(ChangeListener listener) = 0;

  // OK while writes can be made durable; otherwise the error every write
  // now fails with (SQLite: a sync of the WAL failed, and the store
  // refuses to acknowledge writes until it is reopened). /healthz reports
  // it. Thread-safe.
  virtual Status WriteHealth() const { return Status::Ok(); }
};

struct OpenOptions {
  int pool_size = 8;  // PostgreSQL: connections (and write threads)
  // SQLite: the writer's WAL written one commit at a time
  // (sqlite/sqlite_store.h, SqliteOptions::wal_write_buffer).
  bool sqlite_wal_write_buffer = true;
};

// Opens the backend named by `url`: "sqlite:///abs/path.db" or a plain path
// for SQLite, "postgresql://..." for PostgreSQL. Runs pending migrations.
// kInvalidRequest for an unknown scheme, kUnavailable when the database
// cannot be reached.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url,
                                         const OpenOptions& options = {});

}  // namespace licentia::store

#endif  // LICENTIA_STORE_STORE_H_
