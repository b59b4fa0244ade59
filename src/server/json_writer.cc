#include "server/json_writer.h"

#include <boost/json/serializer.hpp>
#include <cassert>
#include <charconv>

namespace licentia::server {

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  std::uint32_t bit = 1u << (depth_ - 1);
  if (has_items_ & bit) out_ += ',';
  has_items_ |= bit;
}

void JsonWriter::Open(char c) {
  BeforeValue();
  assert(depth_ < kMaxDepth);
  out_ += c;
  has_items_ &= ~(1u << depth_);
  ++depth_;
}

void JsonWriter::Close(char c) {
  assert(depth_ > 0 && !after_key_);
  --depth_;
  out_ += c;
}

void JsonWriter::BeginObject() { Open('{'); }
void JsonWriter::EndObject() { Close('}'); }
void JsonWriter::BeginArray() { Open('['); }
void JsonWriter::EndArray() { Close(']'); }

void JsonWriter::Key(std::string_view key) {
  assert(!after_key_);
  String(key);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::String(std::string_view v) {
  BeforeValue();
  boost::json::serializer sr;
  sr.reset(boost::json::string_view(v.data(), v.size()));
  char buf[256];
  while (!sr.done()) {
    auto chunk = sr.read(buf);
    out_.append(chunk.data(), chunk.size());
  }
}

void JsonWriter::Int(std::int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void JsonWriter::Uint(std::uint64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  out_ += v ? "true" : "false";
}

void JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
}

void JsonWriter::OptInt(std::optional<std::int64_t> v) {
  if (v) {
    Int(*v);
  } else {
    Null();
  }
}

}  // namespace licentia::server
