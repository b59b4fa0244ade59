#include "server/json_fields.h"

#include <gtest/gtest.h>

namespace licentia::server {
namespace {

TEST(JsonFieldsTest, RejectsNonObjectsAndUnknownFields) {
  EXPECT_EQ(JsonFields::Parse("[1]", {"a"}).status().code(),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(JsonFields::Parse("{", {"a"}).status().code(),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(JsonFields::Parse("", {"a"}).status().code(),
            ErrorCode::kInvalidRequest);
  auto unknown = JsonFields::Parse(R"({"b":1})", {"a"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'b'"), std::string::npos);
  std::string deep(100, '[');
  EXPECT_FALSE(JsonFields::Parse(R"({"a":)" + deep, {"a"}).ok());
}

TEST(JsonFieldsTest, BodiesLargerThanTheParseArenaParseWhole) {
  // The parse starts in a small buffer of its own and goes on in the heap.
  std::string name(3000, 'n');
  std::string body = R"({"a":")" + name + R"(","b":[)";
  for (int i = 0; i < 200; ++i)
    body += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  body += "]}";
  auto f = JsonFields::Parse(body, {"a", "b"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  // Moved (as Result does), the fields stay readable.
  JsonFields moved = std::move(*f);
  EXPECT_EQ(*moved.String("a", 5000), name);
  auto list = moved.StringList("b", 500, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 200u);
  EXPECT_EQ(list->back(), "199");
}

TEST(JsonFieldsTest, TypedAccessNamesTheField) {
  auto f =
      *JsonFields::Parse(R"({"s":"x","n":5,"b":true,"l":["p","q"],"wrong":1})",
                         {"s", "n", "b", "l", "wrong"});
  EXPECT_EQ(*f.String("s", 10), "x");
  EXPECT_EQ(*f.Int("n", 1, 10, 0), 5);
  EXPECT_EQ(*f.Int("missing", 1, 10, 7), 7);
  EXPECT_EQ(*f.Bool("b", false), true);
  EXPECT_EQ(f.StringList("l", 5, 5)->size(), 2u);
  auto bad = f.String("wrong", 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'wrong'"), std::string::npos);
  EXPECT_FALSE(f.Int("s", 0, 1, 0).ok());
  EXPECT_FALSE(f.Int("n", 6, 10, 0).ok());
  EXPECT_FALSE(f.String("missing", 10).ok());
  EXPECT_FALSE(f.String("s", 0).ok());
}

TEST(JsonFieldsTest, RejectsControlCharacters) {
  auto f = *JsonFields::Parse(R"({"s":"a\u0000b"})", {"s"});
  EXPECT_FALSE(f.String("s", 10).ok());
}

TEST(JsonFieldsTest, Dates) {
  EXPECT_EQ(ParseDate("2027-01-01"), 1798847999);  // end of that day, UTC
  EXPECT_EQ(ParseDate("2027-01-01T00:00:00Z"), 1798761600);
  EXPECT_FALSE(ParseDate("2027-02-30").has_value());
  EXPECT_FALSE(ParseDate("2027-13-01").has_value());
  EXPECT_FALSE(ParseDate("tomorrow").has_value());
  auto f = *JsonFields::Parse(R"({"d":"2027-01-01","e":"x","u":5})",
                              {"d", "e", "u"});
  EXPECT_EQ(**f.OptDate("d"), 1798847999);
  EXPECT_EQ(**f.OptDate("u"), 5);
  EXPECT_FALSE(f.OptDate("e").ok());
}

}  // namespace
}  // namespace licentia::server
