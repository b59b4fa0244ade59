// The Transaction's account methods (store.h, "Accounts"), written once in
// SQL for every backend: the license owners' side of the store, kept apart
// from the activation path's statements in sql_transaction.cc.
//
// Inserts that may meet an existing row use ON CONFLICT DO NOTHING: on
// PostgreSQL a failed statement aborts its whole transaction, so a
// conflict must not be an error the caller recovers from.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "store/list_statements.h"
#include "store/row_codec.h"
#include "store/sql_transaction.h"

namespace licentia::store {
namespace {

constexpr char kAccountColumns[] =
    "id, email, password_hash, created_at, password_changed_at, totp_secret, "
    "totp_pending, totp_last_step";
constexpr char kConnectionColumns[] =
    "id, device_hash, account_id, token_hash, device_name, os, app_version, "
    "connected_at, last_contact_at";
constexpr char kAccountCodeColumns[] =
    "account_id, code_id, role, sealed_code, added_at";

const SqlStatement kInsertAccount(
    "INSERT INTO accounts(email, password_hash, created_at, "
    "password_changed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO "
    "NOTHING RETURNING id");
const SqlStatement kFindAccountByEmail(
    fmt::format("SELECT {} FROM accounts WHERE email = $1", kAccountColumns));
const SqlStatement kFindAccountById(
    fmt::format("SELECT {} FROM accounts WHERE id = $1", kAccountColumns));
const SqlStatement kSetAccountPassword(
    "UPDATE accounts SET password_hash = $2, password_changed_at = $3 WHERE "
    "id = $1");

const SqlStatement kInsertSession(
    "INSERT INTO account_sessions(token_hash, account_id, created_at, "
    "expires_at) VALUES ($1, $2, $3, $4)");
const SqlStatement kFindSession(
    "SELECT account_id, created_at, expires_at FROM account_sessions WHERE "
    "token_hash = $1");
const SqlStatement kDeleteSession(
    "DELETE FROM account_sessions WHERE token_hash = $1");
const SqlStatement kDeleteAccountSessions(
    "DELETE FROM account_sessions WHERE account_id = $1");

const SqlStatement kInsertConnectCode(
    "INSERT INTO connect_codes(code_hash, account_id, expires_at) VALUES "
    "($1, $2, $3)");
const SqlStatement kUseConnectCode(
    "UPDATE connect_codes SET used_at = $2 WHERE code_hash = $1 AND used_at "
    "IS NULL AND expires_at > $2 RETURNING account_id");

const SqlStatement kDeleteConnectionOfDevice(
    "DELETE FROM device_connections WHERE device_hash = $1");
const SqlStatement kInsertConnection(
    "INSERT INTO device_connections(device_hash, account_id, token_hash, "
    "device_name, os, app_version, connected_at, last_contact_at) VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id");
const SqlStatement kFindConnection(
    fmt::format("SELECT {} FROM device_connections WHERE device_hash = $1",
                kConnectionColumns));
const SqlStatement kListConnections(
    fmt::format("SELECT {} FROM device_connections WHERE account_id = $1 "
                "ORDER BY id",
                kConnectionColumns));
const SqlStatement kTouchConnection(
    "UPDATE device_connections SET last_contact_at = $2 WHERE id = $1");
const SqlStatement kForgetConnectionCodes(
    "DELETE FROM device_codes WHERE device_hash IN (SELECT device_hash FROM "
    "device_connections WHERE id = $1)");
const SqlStatement kDeleteConnection(
    "DELETE FROM device_connections WHERE id = $1");

const SqlStatement kAddAccountCode(
    "INSERT INTO account_codes(account_id, code_id, role, sealed_code, "
    "added_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, code_id) "
    "DO NOTHING RETURNING code_id");
const SqlStatement kListAccountCodes(
    fmt::format("SELECT {} FROM account_codes WHERE account_id = $1 ORDER "
                "BY added_at, code_id",
                kAccountCodeColumns));
const SqlStatement kFindAccountCode(
    fmt::format("SELECT {} FROM account_codes WHERE account_id = $1 AND "
                "code_id = $2",
                kAccountCodeColumns));
const SqlStatement kFindCodeAdministrator(
    "SELECT account_id FROM account_codes WHERE code_id = $1 AND role = "
    "'administrator'");
// The console's history: by the code's event index, backwards.
const SqlStatement kNewestCodeEvents = SqlStatement::PerDialect(
    SqliteParameters(
        fmt::format("SELECT {} FROM events INDEXED BY events_by_code WHERE "
                    "code_id = $1 ORDER BY id DESC LIMIT $2",
                    kEventColumns)),
    fmt::format("SELECT {} FROM events WHERE code_id = $1 ORDER BY id DESC "
                "LIMIT $2",
                kEventColumns));
const SqlStatement kNoteDeviceCode(
    "INSERT INTO device_codes(device_hash, code_id) VALUES ($1, $2) ON "
    "CONFLICT (device_hash, code_id) DO NOTHING");
const SqlStatement kForgetDeviceCodes(
    "DELETE FROM device_codes WHERE device_hash = $1");
// Each reported code's seat by the seat index (code, device).
const SqlStatement kListConnectedSeats(
    fmt::format("SELECT {} FROM device_codes d JOIN activations a ON "
                "a.code_id = d.code_id AND a.device_hash = d.device_hash AND "
                "a.deactivated_at IS NULL WHERE d.device_hash = $1 ORDER BY "
                "a.id",
                QualifiedColumns("a", kActivationColumns)));

// The index of `text` in `names`; kCorruption naming `what` if absent.
template <size_t N>
Result<int> NameIndex(const std::string_view (&names)[N], std::string_view text,
                      std::string_view what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<int>(i);
  }
  return Status(ErrorCode::kCorruption,
                fmt::format("Unknown {} \"{}\".", what, text));
}

const SqlStatement kDeleteAccountCode(
    "DELETE FROM account_codes WHERE account_id = $1 AND code_id = $2");

constexpr char kInvitationColumns[] =
    "id, code_id, inviter_account_id, email, state, created_at, decided_at";
const SqlStatement kInsertInvitation(
    "INSERT INTO invitations(code_id, inviter_account_id, email, state, "
    "created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id");
const SqlStatement kFindInvitation(fmt::format(
    "SELECT {} FROM invitations WHERE id = $1", kInvitationColumns));
const SqlStatement kListCodeInvitations(
    fmt::format("SELECT {} FROM invitations WHERE code_id = $1 ORDER BY id",
                kInvitationColumns));
const SqlStatement kListEmailInvitations(
    fmt::format("SELECT {} FROM invitations WHERE email = $1 ORDER BY id",
                kInvitationColumns));
const SqlStatement kSetInvitationState(
    "UPDATE invitations SET state = $2, decided_at = $3 WHERE id = $1");

constexpr std::string_view kInvitationStates[] = {"pending", "accepted",
                                                  "declined", "revoked"};

Result<InvitationRow> DecodeInvitation(const SqlRow& row) {
  InvitationRow r;
  r.id = row.Int(0);
  r.code_id = row.Int(1);
  r.inviter_account_id = row.Int(2);
  r.email = row.Text(3);
  LICENTIA_ASSIGN_OR_RETURN(
      int state, NameIndex(kInvitationStates, row.Text(4), "invitation state"));
  r.state = static_cast<InvitationState>(state);
  r.created_at = row.Int(5);
  r.decided_at = row.OptInt(6);
  return r;
}

constexpr char kDeviceActionColumns[] =
    "id, device_hash, account_id, kind, code_id, state, error_code, message, "
    "created_at, done_at";
const SqlStatement kInsertDeviceAction(
    "INSERT INTO device_actions(device_hash, account_id, kind, code_id, "
    "state, error_code, message, created_at) VALUES ($1, $2, $3, $4, $5, "
    "$6, $7, $8) RETURNING id");
const SqlStatement kListPendingDeviceActions(
    fmt::format("SELECT {} FROM device_actions WHERE device_hash = $1 AND "
                "state = 'pending' ORDER BY id",
                kDeviceActionColumns));
const SqlStatement kListDeviceActions(
    fmt::format("SELECT {} FROM device_actions WHERE device_hash = $1 "
                "ORDER BY id DESC LIMIT $2",
                kDeviceActionColumns));
const SqlStatement kFinishDeviceAction(
    "UPDATE device_actions SET state = $3, error_code = $4, message = $5, "
    "done_at = $6 WHERE id = $1 AND device_hash = $2 AND state = 'pending' "
    "RETURNING id");

constexpr std::string_view kActionKinds[] = {"activate", "set_reserve",
                                             "remove_reserve"};
constexpr std::string_view kActionStates[] = {"pending", "done", "refused"};

Result<DeviceActionRow> DecodeDeviceAction(const SqlRow& row) {
  DeviceActionRow a;
  a.id = row.Int(0);
  LICENTIA_ASSIGN_OR_RETURN(a.device_hash, DecodeHash(row, 1));
  a.account_id = row.Int(2);
  LICENTIA_ASSIGN_OR_RETURN(int kind,
                            NameIndex(kActionKinds, row.Text(3), "action"));
  a.kind = static_cast<DeviceActionKind>(kind);
  a.code_id = row.OptInt(4);
  LICENTIA_ASSIGN_OR_RETURN(
      int state, NameIndex(kActionStates, row.Text(5), "action state"));
  a.state = static_cast<DeviceActionState>(state);
  a.error_code = row.Text(6);
  a.message = row.Text(7);
  a.created_at = row.Int(8);
  a.done_at = row.OptInt(9);
  return a;
}

AccountRow DecodeAccount(const SqlRow& row) {
  return {row.Int(0), row.Text(1), row.Text(2), row.Int(3),
          row.Int(4), row.Text(5), row.Text(6), row.Int(7)};
}

const SqlStatement kSetAccountTotp(
    "UPDATE accounts SET totp_secret = $2, totp_pending = $3, "
    "totp_last_step = $4 WHERE id = $1");
const SqlStatement kUseTotpStep(
    "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND "
    "totp_last_step < $2 RETURNING id");
const SqlStatement kDeleteRecoveryCodes(
    "DELETE FROM recovery_codes WHERE account_id = $1");
const SqlStatement kInsertRecoveryCode(
    "INSERT INTO recovery_codes(account_id, code_hash) VALUES ($1, $2)");
const SqlStatement kUseRecoveryCode(
    "UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND "
    "code_hash = $2 AND used_at IS NULL RETURNING account_id");
const SqlStatement kCountRecoveryCodesLeft(
    "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at "
    "IS NULL");

Result<DeviceConnectionRow> DecodeConnection(const SqlRow& row) {
  DeviceConnectionRow c;
  c.id = row.Int(0);
  LICENTIA_ASSIGN_OR_RETURN(c.device_hash, DecodeHash(row, 1));
  c.account_id = row.Int(2);
  LICENTIA_ASSIGN_OR_RETURN(c.token_hash, DecodeHash(row, 3));
  c.device_name = row.Text(4);
  c.os = row.Text(5);
  c.app_version = row.Text(6);
  c.connected_at = row.Int(7);
  c.last_contact_at = row.Int(8);
  return c;
}

constexpr std::string_view kAdministrator = "administrator";
constexpr std::string_view kMember = "member";

Result<AccountCodeRow> DecodeAccountCode(const SqlRow& row) {
  AccountCodeRow c;
  c.account_id = row.Int(0);
  c.code_id = row.Int(1);
  std::string role = row.Text(2);
  if (role == kAdministrator) {
    c.role = AccountRole::kAdministrator;
  } else if (role == kMember) {
    c.role = AccountRole::kMember;
  } else {
    return Status(ErrorCode::kCorruption,
                  fmt::format("Unknown account role \"{}\".", role));
  }
  c.sealed_code = row.Text(3);
  c.added_at = row.Int(4);
  return c;
}

// A row visitor keeping the first row's integer column 0, if there is a
// row. Passed by reference: a RowVisitor does not own what it calls.
class FirstInt {
 public:
  Status operator()(const SqlRow& row) {
    if (!value_) value_ = row.Int(0);
    return Status::Ok();
  }
  std::optional<std::int64_t> value() const { return value_; }

 private:
  std::optional<std::int64_t> value_;
};

}  // namespace

Result<std::int64_t> SqlTransaction::InsertAccount(const AccountRow& a) {
  FirstInt id;
  LICENTIA_RETURN_IF_ERROR(
      Run(kInsertAccount,
          {a.email, a.password_hash, a.created_at, a.password_changed_at}, id));
  if (!id.value()) {
    return Status(ErrorCode::kConflict,
                  "An account with this email address exists already.");
  }
  return *id.value();
}

Result<std::optional<AccountRow>> SqlTransaction::FindAccountByEmail(
    std::string_view email) {
  return FindRow(kFindAccountByEmail, {email}, DecodeAccount);
}

Result<std::optional<AccountRow>> SqlTransaction::FindAccountById(
    std::int64_t id) {
  return FindRow(kFindAccountById, {id}, DecodeAccount);
}

Status SqlTransaction::SetAccountPassword(std::int64_t account_id,
                                          std::string_view password_hash,
                                          UnixSeconds at) {
  return Run(kSetAccountPassword, {account_id, password_hash, at});
}

Status SqlTransaction::SetAccountTotp(std::int64_t account_id,
                                      std::string_view secret,
                                      std::string_view pending,
                                      std::int64_t last_step) {
  return Run(kSetAccountTotp, {account_id, secret, pending, last_step});
}

Result<bool> SqlTransaction::UseTotpStep(std::int64_t account_id,
                                         std::int64_t step) {
  FirstInt used;
  LICENTIA_RETURN_IF_ERROR(Run(kUseTotpStep, {account_id, step}, used));
  return used.value().has_value();
}

Status SqlTransaction::ReplaceRecoveryCodes(
    std::int64_t account_id, const std::vector<crypto::Hash>& hashes) {
  LICENTIA_RETURN_IF_ERROR(Run(kDeleteRecoveryCodes, {account_id}));
  for (const crypto::Hash& h : hashes) {
    LICENTIA_RETURN_IF_ERROR(Run(kInsertRecoveryCode, {account_id, h}));
  }
  return Status::Ok();
}

Result<bool> SqlTransaction::UseRecoveryCode(std::int64_t account_id,
                                             const crypto::Hash& hash,
                                             UnixSeconds at) {
  FirstInt used;
  LICENTIA_RETURN_IF_ERROR(Run(kUseRecoveryCode, {account_id, hash, at}, used));
  return used.value().has_value();
}

Result<int> SqlTransaction::CountRecoveryCodesLeft(std::int64_t account_id) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t n,
                            RunForInt(kCountRecoveryCodesLeft, {account_id}));
  return static_cast<int>(n);
}

Status SqlTransaction::InsertSession(const SessionRow& s) {
  return Run(kInsertSession,
             {s.token_hash, s.account_id, s.created_at, s.expires_at});
}

Result<std::optional<SessionRow>> SqlTransaction::FindSession(
    const crypto::Hash& token_hash) {
  std::optional<SessionRow> found;
  LICENTIA_RETURN_IF_ERROR(
      Run(kFindSession, {token_hash}, [&](const SqlRow& row) {
        found = SessionRow{token_hash, row.Int(0), row.Int(1), row.Int(2)};
        return Status::Ok();
      }));
  return found;
}

Status SqlTransaction::DeleteSession(const crypto::Hash& token_hash) {
  return Run(kDeleteSession, {token_hash});
}

Status SqlTransaction::DeleteAccountSessions(std::int64_t account_id) {
  return Run(kDeleteAccountSessions, {account_id});
}

Status SqlTransaction::InsertConnectCode(const crypto::Hash& code_hash,
                                         std::int64_t account_id,
                                         UnixSeconds expires_at) {
  return Run(kInsertConnectCode, {code_hash, account_id, expires_at});
}

Result<std::optional<std::int64_t>> SqlTransaction::UseConnectCode(
    const crypto::Hash& code_hash, UnixSeconds now) {
  FirstInt account;
  LICENTIA_RETURN_IF_ERROR(Run(kUseConnectCode, {code_hash, now}, account));
  return account.value();
}

Result<std::int64_t> SqlTransaction::PutDeviceConnection(
    const DeviceConnectionRow& c) {
  LICENTIA_RETURN_IF_ERROR(Run(kDeleteConnectionOfDevice, {c.device_hash}));
  LICENTIA_RETURN_IF_ERROR(Run(kForgetDeviceCodes, {c.device_hash}));
  FirstInt id;
  LICENTIA_RETURN_IF_ERROR(
      Run(kInsertConnection,
          {c.device_hash, c.account_id, c.token_hash, c.device_name, c.os,
           c.app_version, c.connected_at, c.last_contact_at},
          id));
  if (!id.value()) {
    return Status(ErrorCode::kInternal, "An insert returned no id.");
  }
  return *id.value();
}

Result<std::optional<DeviceConnectionRow>> SqlTransaction::FindDeviceConnection(
    const crypto::Hash& device_hash) {
  std::optional<DeviceConnectionRow> found;
  LICENTIA_RETURN_IF_ERROR(
      Run(kFindConnection, {device_hash}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(found, DecodeConnection(row));
        return Status::Ok();
      }));
  return found;
}

Result<std::vector<DeviceConnectionRow>> SqlTransaction::ListDeviceConnections(
    std::int64_t account_id) {
  std::vector<DeviceConnectionRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(kListConnections, {account_id}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(DeviceConnectionRow c, DecodeConnection(row));
        out.push_back(std::move(c));
        return Status::Ok();
      }));
  return out;
}

Status SqlTransaction::TouchDeviceConnection(std::int64_t id, UnixSeconds at) {
  return Run(kTouchConnection, {id, at});
}

Status SqlTransaction::DeleteDeviceConnection(std::int64_t id) {
  LICENTIA_RETURN_IF_ERROR(Run(kForgetConnectionCodes, {id}));
  return Run(kDeleteConnection, {id});
}

Result<bool> SqlTransaction::AddAccountCode(const AccountCodeRow& c) {
  FirstInt added;
  LICENTIA_RETURN_IF_ERROR(
      Run(kAddAccountCode,
          {c.account_id, c.code_id,
           c.role == AccountRole::kAdministrator ? kAdministrator : kMember,
           c.sealed_code, c.added_at},
          added));
  return added.value().has_value();
}

Result<std::vector<AccountCodeRow>> SqlTransaction::ListAccountCodes(
    std::int64_t account_id) {
  std::vector<AccountCodeRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(kListAccountCodes, {account_id}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(AccountCodeRow c, DecodeAccountCode(row));
        out.push_back(std::move(c));
        return Status::Ok();
      }));
  return out;
}

Result<std::optional<AccountCodeRow>> SqlTransaction::FindAccountCode(
    std::int64_t account_id, std::int64_t code_id) {
  std::optional<AccountCodeRow> found;
  LICENTIA_RETURN_IF_ERROR(
      Run(kFindAccountCode, {account_id, code_id}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(found, DecodeAccountCode(row));
        return Status::Ok();
      }));
  return found;
}

Result<std::optional<std::int64_t>> SqlTransaction::FindCodeAdministrator(
    std::int64_t code_id) {
  FirstInt account;
  LICENTIA_RETURN_IF_ERROR(Run(kFindCodeAdministrator, {code_id}, account));
  return account.value();
}

Result<std::vector<EventRow>> SqlTransaction::ListNewestCodeEvents(
    std::int64_t code_id, int limit) {
  std::vector<EventRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(kNewestCodeEvents, {code_id, limit}, [&](const SqlRow& row) {
        out.push_back(DecodeEvent(row));
        return Status::Ok();
      }));
  return out;
}

Status SqlTransaction::NoteDeviceCode(const crypto::Hash& device_hash,
                                      std::int64_t code_id) {
  return Run(kNoteDeviceCode, {device_hash, code_id});
}

Result<std::vector<ActivationRow>> SqlTransaction::ListConnectedSeats(
    const crypto::Hash& device_hash) {
  std::vector<ActivationRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(kListConnectedSeats, {device_hash}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(ActivationRow a, DecodeActivation(row));
        out.push_back(std::move(a));
        return Status::Ok();
      }));
  return out;
}

Status SqlTransaction::DeleteAccountCode(std::int64_t account_id,
                                         std::int64_t code_id) {
  return Run(kDeleteAccountCode, {account_id, code_id});
}

Result<std::int64_t> SqlTransaction::InsertInvitation(const InvitationRow& r) {
  FirstInt id;
  LICENTIA_RETURN_IF_ERROR(
      Run(kInsertInvitation,
          {r.code_id, r.inviter_account_id, r.email,
           kInvitationStates[static_cast<int>(r.state)], r.created_at},
          id));
  if (!id.value()) {
    return Status(ErrorCode::kInternal, "An insert returned no id.");
  }
  return *id.value();
}

Result<std::optional<InvitationRow>> SqlTransaction::FindInvitation(
    std::int64_t id) {
  std::optional<InvitationRow> found;
  LICENTIA_RETURN_IF_ERROR(Run(kFindInvitation, {id}, [&](const SqlRow& row) {
    LICENTIA_ASSIGN_OR_RETURN(found, DecodeInvitation(row));
    return Status::Ok();
  }));
  return found;
}

namespace {

Result<std::vector<InvitationRow>> ListInvitations(SqlSession& session,
                                                   const SqlStatement& st,
                                                   SqlValue key) {
  std::vector<InvitationRow> out;
  LICENTIA_RETURN_IF_ERROR(session.Run(st, {key}, [&](const SqlRow& row) {
    LICENTIA_ASSIGN_OR_RETURN(InvitationRow r, DecodeInvitation(row));
    out.push_back(std::move(r));
    return Status::Ok();
  }));
  return out;
}

}  // namespace

Result<std::vector<InvitationRow>> SqlTransaction::ListCodeInvitations(
    std::int64_t code_id) {
  return ListInvitations(session_, kListCodeInvitations, code_id);
}

Result<std::vector<InvitationRow>> SqlTransaction::ListEmailInvitations(
    std::string_view email) {
  return ListInvitations(session_, kListEmailInvitations, email);
}

Status SqlTransaction::SetInvitationState(std::int64_t id,
                                          InvitationState state,
                                          UnixSeconds at) {
  return Run(kSetInvitationState,
             {id, kInvitationStates[static_cast<int>(state)], at});
}

Result<std::int64_t> SqlTransaction::InsertDeviceAction(
    const DeviceActionRow& a) {
  FirstInt id;
  LICENTIA_RETURN_IF_ERROR(
      Run(kInsertDeviceAction,
          {a.device_hash, a.account_id, kActionKinds[static_cast<int>(a.kind)],
           a.code_id, kActionStates[static_cast<int>(a.state)], a.error_code,
           a.message, a.created_at},
          id));
  if (!id.value()) {
    return Status(ErrorCode::kInternal, "An insert returned no id.");
  }
  return *id.value();
}

namespace {

Result<std::vector<DeviceActionRow>> ListActions(SqlSession& session,
                                                 const SqlStatement& st,
                                                 SqlParams params) {
  std::vector<DeviceActionRow> out;
  LICENTIA_RETURN_IF_ERROR(session.Run(st, params, [&](const SqlRow& row) {
    LICENTIA_ASSIGN_OR_RETURN(DeviceActionRow a, DecodeDeviceAction(row));
    out.push_back(std::move(a));
    return Status::Ok();
  }));
  return out;
}

}  // namespace

Result<std::vector<DeviceActionRow>> SqlTransaction::ListPendingDeviceActions(
    const crypto::Hash& device_hash) {
  return ListActions(session_, kListPendingDeviceActions, {device_hash});
}

Result<std::vector<DeviceActionRow>> SqlTransaction::ListDeviceActions(
    const crypto::Hash& device_hash, int limit) {
  return ListActions(session_, kListDeviceActions, {device_hash, limit});
}

Result<bool> SqlTransaction::FinishDeviceAction(
    std::int64_t id, const crypto::Hash& device_hash, DeviceActionState state,
    std::string_view error_code, std::string_view message, UnixSeconds at) {
  FirstInt done;
  LICENTIA_RETURN_IF_ERROR(
      Run(kFinishDeviceAction,
          {id, device_hash, kActionStates[static_cast<int>(state)], error_code,
           message, at},
          done));
  return done.value().has_value();
}

}  // namespace licentia::store
