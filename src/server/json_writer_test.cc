#include "server/json_writer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "server/service_context.h"

namespace licentia::server {
namespace {

namespace json = boost::json;

TEST(JsonWriterTest, WritesWhatBoostJsonSerializes) {
  std::string text;
  JsonWriter w(text);
  w.BeginObject();
  w.Field("s", std::string_view("a \"quoted\" \\ line\nnext\ttab \x01 ünï €"));
  w.Field("neg", std::int64_t{-42});
  w.Field("min", std::numeric_limits<std::int64_t>::min());
  w.Field("max", std::numeric_limits<std::uint64_t>::max());
  w.Field("t", true);
  w.Field("f", false);
  w.Field("none", std::optional<std::int64_t>());
  w.Field("some", std::optional<std::int64_t>(7));
  w.Key("empty_list");
  w.BeginArray();
  w.EndArray();
  w.Key("empty_object");
  w.BeginObject();
  w.EndObject();
  w.Key("nested");
  w.BeginArray();
  w.BeginObject();
  w.Field("k", std::string_view(""));
  w.EndObject();
  w.Int(1);
  w.Null();
  w.String("x");
  w.EndArray();
  w.EndObject();

  json::object expected{
      {"s", "a \"quoted\" \\ line\nnext\ttab \x01 ünï €"},
      {"neg", -42},
      {"min", std::numeric_limits<std::int64_t>::min()},
      {"max", std::numeric_limits<std::uint64_t>::max()},
      {"t", true},
      {"f", false},
      {"none", nullptr},
      {"some", 7},
      {"empty_list", json::array()},
      {"empty_object", json::object()},
      {"nested", json::array{json::object{{"k", ""}}, 1, nullptr, "x"}}};
  EXPECT_EQ(text, json::serialize(expected));
}

// Keys written in the source are copied as they are (checked at compile
// time); keys made at run time are escaped. Both must come out as the
// library writes them.
TEST(JsonWriterTest, WritesEveryKindOfKeyAsTheLibraryDoes) {
  const std::string keys[] = {"",
                              "plain",
                              std::string(300, 'x'),
                              "quote\"d",
                              "back\\slash",
                              "line\nbreak",
                              std::string("nul\0byte", 8),
                              "\x1f",
                              "ünï €"};
  std::string text;
  JsonWriter w(text);
  w.BeginObject();
  json::object expected;
  int n = 0;
  for (const std::string& key : keys) {
    w.DynamicKey(key);
    w.Int(n);
    expected[key] = n++;
  }
  w.Field("literal", std::int64_t{n});
  expected["literal"] = n;
  w.Key("long_literal_key_with_underscores_and_digits_0123456789");
  w.Null();
  expected["long_literal_key_with_underscores_and_digits_0123456789"] = nullptr;
  w.EndObject();
  EXPECT_EQ(text, json::serialize(expected));
}

TEST(JsonWriterTest, EscapesEveryByteAsTheLibraryDoes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    // Half the rounds draw from bytes that need no escaping (the fast
    // path, DEL and non-ASCII bytes included), half from all bytes.
    bool printable = round % 2 == 0;
    std::string s(rng() % 40, '\0');
    for (char& c : s) {
      do {
        c = static_cast<char>(rng() % 256);
      } while (printable &&
               (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\'));
    }
    std::string text;
    JsonWriter w(text);
    w.String(s);
    EXPECT_EQ(text, json::serialize(json::string(s)));
  }
}

// Every byte value, alone, at either end of a string and between plain
// runs, against the library's own output.
TEST(JsonWriterTest, EscapesEachByteValueWherever) {
  for (int b = 0; b < 256; ++b) {
    std::string c(1, static_cast<char>(b));
    for (const std::string& s :
         {c, "ab" + c, c + "cd", "ab" + c + "cd" + c + c + "ef"}) {
      std::string text;
      JsonWriter w(text);
      w.String(s);
      EXPECT_EQ(text, json::serialize(json::string(s))) << "byte " << b;
    }
  }
}

// The scan looks at eight bytes at a time: every byte value at every
// offset of a run long enough to span several words, and next to bytes
// just above and below the ones that need escapes.
TEST(JsonWriterTest, EscapesEachByteValueAtEveryOffsetOfAWord) {
  for (int b = 0; b < 256; ++b) {
    for (size_t at = 0; at < 24; ++at) {
      for (char filler : {'a', '!', '#', '[', ']', '\x7f', '\x80', '\xff'}) {
        std::string s(24, filler);
        s[at] = static_cast<char>(b);
        std::string text;
        JsonWriter w(text);
        w.String(s);
        ASSERT_EQ(text, json::serialize(json::string(s)))
            << "byte " << b << " at " << at << " among " << int{filler};
      }
    }
  }
}

TEST(JsonWriterTest, EscapesLongStrings) {
  // Many escapes among long plain runs, as in a license key's armour.
  std::string s;
  for (int i = 0; i < 300; ++i) s += "line \"" + std::to_string(i) + "\"\n\x02";
  std::string text;
  JsonWriter w(text);
  w.String(s);
  EXPECT_EQ(text, json::serialize(json::string(s)));
}

TEST(JsonWriterTest, CodeFieldsAreTheApiShapeOfACode) {
  store::CodeRow c;
  c.id = 12;
  c.code_tail = "WBRV6";
  c.batch_id = 3;
  c.terms.product = "photo";
  c.terms.edition = "pro \"plus\"";
  c.terms.features = {"raw", "hdr"};
  c.terms.type = LicenseType::kSubscription;
  c.terms.term_days = 30;
  c.terms.max_devices = 5;
  c.terms.activate_by = 1800000000;
  c.terms.compatible_versions = ">=21.0 <23";
  c.created_at = 1700000000;
  c.first_activated_at = 1700000100;
  c.blocked = true;
  c.blocked_reason = "refund\n";
  c.seats_used = 2;
  json::object expected{{"id", 12},
                        {"masked_code", "*****-*****-*****-WBRV6"},
                        {"product", "photo"},
                        {"batch_id", 3},
                        {"edition", "pro \"plus\""},
                        {"features", json::array{"raw", "hdr"}},
                        {"license_type", "subscription"},
                        {"term_days", 30},
                        {"max_devices", 5},
                        {"seats_used", 2},
                        {"activate_by", 1800000000},
                        {"compatible_versions", ">=21.0 <23"},
                        {"requires_account", false},
                        {"prepare_days", 0},
                        {"created_at", 1700000000},
                        {"first_activated_at", 1700000100},
                        {"expires_at", 1700000100 + 30 * 86400},
                        {"blocked", true},
                        {"blocked_reason", "refund\n"},
                        {"suspended", false},
                        {"suspended_reason", ""},
                        {"grace_days", 0},
                        {"grace_until", nullptr},
                        {"key_valid_until", 1700000100 + 30 * 86400},
                        {"heartbeat_days", 0}};
  EXPECT_EQ(json::serialize(CodeJson(c)), json::serialize(expected));

  // Never activated: the dates are null.
  c.first_activated_at.reset();
  c.terms.activate_by.reset();
  json::object fresh = CodeJson(c);
  EXPECT_TRUE(fresh.at("first_activated_at").is_null());
  EXPECT_TRUE(fresh.at("expires_at").is_null());
  EXPECT_TRUE(fresh.at("activate_by").is_null());
}

}  // namespace
}  // namespace licentia::server
