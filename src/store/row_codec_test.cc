// The row codec read through a real SQLite connection: what it decodes,
// and that it fails closed on what it cannot read exactly.
#include "store/row_codec.h"

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/sqlite_session.h"

namespace licentia::store {
namespace {

class RowCodecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = sqlite::Connection::Open(":memory:", false);
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
    // The columns the codec reads, whatever they are, with any values.
    ASSERT_TRUE(
        conn_->Exec(std::string("CREATE TABLE codes (") + kCodeColumns + ");")
            .ok());
  }

  // Inserts a code row whose hash is `hash_bytes` bytes and whose type is
  // `type`, and decodes it.
  Result<CodeRow> RoundTrip(int hash_bytes, std::string_view type) {
    static const SqlStatement kInsert(
        "INSERT INTO codes(id, code_hash, code_tail, batch_id, product_id, "
        "edition, features, max_devices, license_type, term_days, "
        "activate_by, compatible_versions, requires_account, created_at, "
        "first_activated_at, blocked, blocked_reason, seats_used, "
        "prepare_days) VALUES (7, $1, 'ABCDE', 3, 'p', 'pro', 'a\nb', 2, $2, "
        "365, NULL, '>=1', 1, 100, 200, 0, '', 1, 0)");
    static const SqlStatement kSelect(std::string("SELECT ") + kCodeColumns +
                                      " FROM codes");
    sqlite::SqliteSession session(*conn_);
    std::vector<std::uint8_t> hash(hash_bytes, 0xab);
    Status st =
        session.Run(kInsert, {std::span<const std::uint8_t>(hash), type});
    if (!st.ok()) return st;
    std::optional<Result<CodeRow>> decoded;
    st = session.Run(kSelect, {}, [&](const SqlRow& row) {
      decoded = DecodeCode(row);
      return Status::Ok();
    });
    if (!st.ok()) return st;
    return *decoded;
  }

  std::unique_ptr<sqlite::Connection> conn_;
};

TEST_F(RowCodecTest, DecodesEveryColumn) {
  auto code = RoundTrip(crypto::kHashBytes, "subscription");
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(code->id, 7);
  EXPECT_EQ(code->code_hash[0], 0xab);
  EXPECT_EQ(code->code_tail, "ABCDE");
  EXPECT_EQ(code->batch_id, 3);
  EXPECT_EQ(code->terms.product, "p");
  EXPECT_EQ(code->terms.edition, "pro");
  EXPECT_EQ(code->terms.features, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(code->terms.max_devices, 2);
  EXPECT_EQ(code->terms.type, LicenseType::kSubscription);
  EXPECT_EQ(code->terms.term_days, 365);
  EXPECT_FALSE(code->terms.activate_by.has_value());
  EXPECT_EQ(code->terms.compatible_versions, ">=1");
  EXPECT_TRUE(code->terms.requires_account);
  EXPECT_EQ(code->created_at, 100);
  EXPECT_EQ(code->first_activated_at, 200);
  EXPECT_FALSE(code->blocked);
  EXPECT_EQ(code->seats_used, 1);
}

// An unknown type used to be read as a term license: a code this build
// does not understand must not be served as one it does.
TEST_F(RowCodecTest, AnUnknownLicenseTypeIsCorruption) {
  auto code = RoundTrip(crypto::kHashBytes, "lifetime-plus");
  EXPECT_EQ(code.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(code.status().message().find("lifetime-plus"), std::string::npos);
}

// A hash of the wrong size used to be read as all zeros.
TEST_F(RowCodecTest, AHashOfTheWrongSizeIsCorruption) {
  EXPECT_EQ(RoundTrip(crypto::kHashBytes - 1, "term").status().code(),
            ErrorCode::kCorruption);
  ASSERT_TRUE(conn_->Exec("DELETE FROM codes").ok());
  EXPECT_EQ(RoundTrip(0, "term").status().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace licentia::store
