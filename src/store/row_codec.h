// How the store's rows are laid out in SQL, once for every backend: the
// columns each statement selects, in order, and their mapping to the row
// structs of store.h.
//
// Decoding fails closed: a stored value this build cannot read exactly (a
// license type it does not know, a hash that is not kHashBytes long) is
// kCorruption, never a default that would be served as if it were true.
#ifndef LICENTIA_STORE_ROW_CODEC_H_
#define LICENTIA_STORE_ROW_CODEC_H_

#include "core/status.h"
#include "store/sql_session.h"
#include "store/store.h"

namespace licentia::store {

// The columns DecodeCode reads, in order.
inline constexpr char kCodeColumns[] =
    "id, code_hash, code_tail, batch_id, product_id, edition, features, "
    "max_devices, license_type, term_days, activate_by, compatible_versions, "
    "requires_account, created_at, first_activated_at, blocked, "
    "blocked_reason, seats_used, prepare_days, ends_at, suspended, "
    "suspended_reason, grace_days, heartbeat_days";
// The columns DecodeActivation reads, in order.
inline constexpr char kActivationColumns[] =
    "id, code_id, device_hash, device_name, os, app_version, token_hash, "
    "activated_at, last_seen_at, deactivated_at, key_serial";
// The columns DecodeEvent reads, in order.
inline constexpr char kEventColumns[] =
    "id, at, type, code_id, product_id, device, actor, details, token_id";
// The columns DecodeProduct reads, in order.
inline constexpr char kProductColumns[] = "id, name, created_at";

// Each reads its columns from `row` starting at column `first`.
// kCorruption if a value cannot be read exactly.
Result<CodeRow> DecodeCode(const SqlRow& row, int first = 0);
Result<ActivationRow> DecodeActivation(const SqlRow& row, int first = 0);
EventRow DecodeEvent(const SqlRow& row);
ProductRow DecodeProduct(const SqlRow& row);

// The hash stored at `col`; kCorruption unless it is kHashBytes long.
Result<crypto::Hash> DecodeHash(const SqlRow& row, int col);

}  // namespace licentia::store

#endif  // LICENTIA_STORE_ROW_CODEC_H_
