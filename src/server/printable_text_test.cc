#include "server/printable_text.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace licentia::server {
namespace {

TEST(PrintableTextTest, KeepsPrintableUtf8) {
  for (std::string_view s : {"", "plain", "Unknown 'x'", "caf\xc3\xa9",
                             "\xe2\x82\xac 5", "\xf0\x9f\x94\x91 key"}) {
    EXPECT_EQ(PrintableText(s), s);
  }
}

TEST(PrintableTextTest, ReplacesWhatIsNotWellFormedOrPrintable) {
  EXPECT_EQ(PrintableText("laaa\xaa"
                          "aaa"),
            "laaa?aaa");                                 // a lone byte
  EXPECT_EQ(PrintableText("\xc3"), "?");                 // cut short
  EXPECT_EQ(PrintableText("\xc0\xaf"), "??");            // overlong '/'
  EXPECT_EQ(PrintableText("\xed\xa0\x80"), "???");       // a surrogate
  EXPECT_EQ(PrintableText("\xf4\x90\x80\x80"), "????");  // above U+10FFFF
  EXPECT_EQ(PrintableText(std::string("a\0b\n\x7f", 5)), "a?b??");
}

// What the server quotes always serialises to JSON that parses again to
// the same text.
TEST(PrintableTextTest, EveryByteStringBecomesValidJson) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t start = 0; start < all.size(); start += 7) {
    std::string text = PrintableText(all.substr(start) + all.substr(0, start));
    std::string json = boost::json::serialize(boost::json::value(text));
    boost::system::error_code ec;
    auto back = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << start;
    EXPECT_EQ(back.as_string(), text);
  }
}

}  // namespace
}  // namespace licentia::server
