#include "store/row_codec.h"

#include <fmt/format.h>

#include "store/feature_list.h"

namespace licentia::store {

Result<crypto::Hash> DecodeHash(const SqlRow& row, int col) {
  crypto::Hash out{};
  if (!row.FixedBytes(col, out)) {
    return Status(ErrorCode::kCorruption,
                  fmt::format("The database holds a hash (column {}) that is "
                              "not {} bytes long.",
                              col, crypto::kHashBytes));
  }
  return out;
}

Result<CodeRow> DecodeCode(const SqlRow& row, int first) {
  CodeRow c;
  c.id = row.Int(first + 0);
  LICENTIA_ASSIGN_OR_RETURN(c.code_hash, DecodeHash(row, first + 1));
  c.code_tail = row.Text(first + 2);
  c.batch_id = row.Int(first + 3);
  c.terms.product = row.Text(first + 4);
  c.terms.edition = row.Text(first + 5);
  c.terms.features = DecodeFeatures(row.Text(first + 6));
  c.terms.max_devices = static_cast<int>(row.Int(first + 7));
  std::string type = row.Text(first + 8);
  std::optional<LicenseType> known = LicenseTypeFromName(type);
  if (!known) {
    return Status(ErrorCode::kCorruption,
                  fmt::format("Code {} has a license type this licentiad does "
                              "not know ('{}').",
                              c.id, type));
  }
  c.terms.type = *known;
  c.terms.term_days = static_cast<int>(row.Int(first + 9));
  c.terms.activate_by = row.OptInt(first + 10);
  c.terms.compatible_versions = row.Text(first + 11);
  c.terms.requires_account = row.Bool(first + 12);
  c.created_at = row.Int(first + 13);
  c.first_activated_at = row.OptInt(first + 14);
  c.blocked = row.Bool(first + 15);
  c.blocked_reason = row.Text(first + 16);
  c.seats_used = static_cast<int>(row.Int(first + 17));
  c.terms.prepare_days = static_cast<int>(row.Int(first + 18));
  c.ends_at = row.OptInt(first + 19);
  c.suspended = row.Bool(first + 20);
  c.suspended_reason = row.Text(first + 21);
  c.terms.grace_days = static_cast<int>(row.Int(first + 22));
  c.terms.heartbeat_days = static_cast<int>(row.Int(first + 23));
  return c;
}

Result<ActivationRow> DecodeActivation(const SqlRow& row, int first) {
  ActivationRow a;
  a.id = row.Int(first + 0);
  a.code_id = row.Int(first + 1);
  LICENTIA_ASSIGN_OR_RETURN(a.device_hash, DecodeHash(row, first + 2));
  a.device_name = row.Text(first + 3);
  a.os = row.Text(first + 4);
  a.app_version = row.Text(first + 5);
  LICENTIA_ASSIGN_OR_RETURN(a.token_hash, DecodeHash(row, first + 6));
  a.activated_at = row.Int(first + 7);
  a.last_seen_at = row.Int(first + 8);
  a.deactivated_at = row.OptInt(first + 9);
  a.key_serial = static_cast<std::uint64_t>(row.Int(first + 10));
  return a;
}

EventRow DecodeEvent(const SqlRow& row) {
  return {row.Int(0),  row.Int(1),  row.Text(2), row.OptInt(3), row.Text(4),
          row.Text(5), row.Text(6), row.Text(7), row.OptInt(8)};
}

ProductRow DecodeProduct(const SqlRow& row) {
  return {row.Text(0), row.Text(1), row.Int(2), {}};
}

}  // namespace licentia::store
