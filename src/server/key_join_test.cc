#include "server/key_join.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <optional>
#include <string>

namespace licentia::server {
namespace {

crypto::Bytes Bytes(std::string_view text) {
  return crypto::Bytes(text.begin(), text.end());
}

// Records the one answer a KeyJoin gives.
struct Answers {
  int count = 0;
  // The answer's status, and its body parsed back when it succeeded.
  std::optional<Result<boost::json::object>> last;
  Reply reply() {
    return [this](ResultMaker make) {
      ++count;
      Result<JsonBody> made = make();
      if (made.ok()) {
        last = boost::json::parse(std::move(*made).Serialize()).as_object();
      } else {
        last = made.status();
      }
    };
  }
};

struct Fixture {
  Answers answers;
  std::shared_ptr<IssuedKey> key = std::make_shared<IssuedKey>();
  KeyJoin join{key,
               [k = key]() -> Result<boost::json::object> {
                 return boost::json::object{
                     {"license_key",
                      std::string(k->signed_key.begin(), k->signed_key.end())}};
               },
               answers.reply()};
  std::string SentKey() const {
    return std::string(answers.last->value().at("license_key").as_string());
  }
};

TEST(KeyJoinTest, AnswersWhenBothHalvesAreInWhicheverComesFirst) {
  {
    Fixture f;
    f.join.Signed(Bytes("KEY"));
    EXPECT_EQ(f.answers.count, 0);  // signed, not yet durable: nothing sent
    f.join.Durable(Status::Ok());
    ASSERT_EQ(f.answers.count, 1);
    EXPECT_EQ(f.SentKey(), "KEY");
  }
  {
    Fixture f;
    f.join.Durable(Status::Ok());
    EXPECT_EQ(f.answers.count, 0);
    f.join.Signed(Bytes("KEY"));
    ASSERT_EQ(f.answers.count, 1);
    EXPECT_EQ(f.SentKey(), "KEY");
  }
}

TEST(KeyJoinTest, AFailedWriteAnswersItsErrorAndNeverTheKey) {
  Fixture f;
  f.join.Signed(Bytes("KEY"));
  f.join.Durable(Status(ErrorCode::kInternal, "the commit failed"));
  ASSERT_EQ(f.answers.count, 1);
  EXPECT_EQ(f.answers.last->status().code(), ErrorCode::kInternal);
  EXPECT_TRUE(f.key->signed_key.empty());
  // A signature arriving afterwards changes nothing.
  Fixture g;
  g.join.Durable(Status(ErrorCode::kUnavailable, "down"));
  g.join.Signed(Bytes("KEY"));
  EXPECT_EQ(g.answers.count, 1);
  EXPECT_EQ(g.answers.last->status().code(), ErrorCode::kUnavailable);
}

TEST(KeyJoinTest, ASigningErrorIsTheAnswer) {
  Fixture f;
  f.join.Durable(Status::Ok());
  f.join.Signed(Status(ErrorCode::kInvalidRequest, "too long"));
  ASSERT_EQ(f.answers.count, 1);
  EXPECT_EQ(f.answers.last->status().code(), ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia::server
