#include "server/service_context.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace licentia::server {
namespace {

TEST(EventDetailsTest, IsTheJsonObjectOfItsFieldsInOrder) {
  std::string name = "Bob's \"laptop\"\n\\ ünï";
  EventDetails d{{"activation_id", std::int64_t{7}},
                 {"device_name", name},
                 {"seats_used", -1}};
  boost::json::object expected{
      {"activation_id", 7}, {"device_name", name}, {"seats_used", -1}};
  EXPECT_EQ(d.ToJson(), boost::json::serialize(expected));
  // Whatever a device sends as its name, the text parses back to it.
  auto back = boost::json::parse(d.ToJson()).as_object();
  EXPECT_EQ(back.at("device_name").as_string(), name);
  EXPECT_EQ(EventDetails{}.ToJson(), "{}");
}

TEST(EventDetailsTest, FindsStringFieldsOnly) {
  EventDetails d{{"product", "photo"}, {"count", 3}};
  EXPECT_EQ(d.FindString("product"), "photo");
  EXPECT_FALSE(d.FindString("count").has_value());
  EXPECT_FALSE(d.FindString("missing").has_value());
}

}  // namespace
}  // namespace licentia::server
