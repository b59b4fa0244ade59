#include "server/json_writer.h"

#include <algorithm>
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
  // Most strings need no escaping at all (codes, versions, keys in base64).
  bool plain = std::none_of(v.begin(), v.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == '"' || c == '\\';
  });
  if (plain) {
    out_ += '"';
    out_ += v;
    out_ += '"';
    return;
  }
  // Room for the worst case (every byte as \u00XX, and the quotes), so the
  // serializer finishes in one read and never suspends (which allocates).
  std::size_t room = 6 * v.size() + 2;
  boost::json::serializer sr;
  sr.reset(boost::json::string_view(v.data(), v.size()));
  char local[4096];
  if (room <= sizeof local) {
    auto written = sr.read(local, room);
    assert(sr.done());
    out_.append(written.data(), written.size());
    return;
  }
  std::size_t start = out_.size();
  out_.resize(start + room);
  auto written = sr.read(out_.data() + start, room);
  assert(sr.done());
  out_.resize(start + written.size());
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
