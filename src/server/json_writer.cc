#include "server/json_writer.h"

#include <cassert>
#include <charconv>
#include <cstring>

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

void JsonWriter::Key(JsonKey key) {
  assert(!after_key_);
  BeforeValue();
  // Quote, key, quote and colon in one growth of the output (a status
  // answer has ~25 keys; appending them piece by piece, with a check for
  // escapes, was ~5% of its instructions).
  const std::string_view text = key.text();
  const std::size_t at = out_.size();
  out_.resize(at + text.size() + 3);
  char* p = out_.data() + at;
  p[0] = '"';
  std::memcpy(p + 1, text.data(), text.size());
  p[text.size() + 1] = '"';
  p[text.size() + 2] = ':';
  after_key_ = true;
}

void JsonWriter::DynamicKey(std::string_view key) {
  assert(!after_key_);
  BeforeValue();
  Quoted(key);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::String(std::string_view v) {
  BeforeValue();
  Quoted(v);
}

namespace {

// The first byte in [p, end) that JSON must escape, or `end`. Eight bytes at
// a time: a word is skipped when none of its bytes is below 0x20 or equals
// '"' or '\\' (the "has a byte less than / equal to" tricks of bit-twiddling
// folklore; they never miss a byte but may flag a word that has none, so a
// flagged word is looked at byte by byte). A license key's armour is ~700
// bytes with a line break every 64.
const char* FindEscape(const char* p, const char* end) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  while (end - p >= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, sizeof x);
    const std::uint64_t quote = x ^ (kOnes * '"');
    const std::uint64_t backslash = x ^ (kOnes * '\\');
    const std::uint64_t flagged = ((x - kOnes * 0x20) & ~x) |
                                  ((quote - kOnes) & ~quote) |
                                  ((backslash - kOnes) & ~backslash);
    if ((flagged & kHighs) != 0) break;
    p += 8;
  }
  while (p != end && !JsonNeedsEscape(static_cast<unsigned char>(*p))) ++p;
  return p;
}

}  // namespace

void JsonWriter::Quoted(std::string_view v) {
  // The escapes Boost.JSON's serializer writes (json_writer_test.cc checks
  // every byte value against it). Runs of bytes that need none are copied
  // whole: most strings are one run (codes, versions), and a license key's
  // armour (a few line breaks in ~500 bytes) is a handful.
  static constexpr char kHex[] = "0123456789abcdef";
  out_ += '"';
  const char* run = v.data();
  const char* end = v.data() + v.size();
  for (const char* p = FindEscape(run, end); p != end;
       p = FindEscape(p + 1, end)) {
    auto c = static_cast<unsigned char>(*p);
    out_.append(run, p);
    run = p + 1;
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out_.append(u, sizeof u);
      }
    }
  }
  out_.append(run, end);
  out_ += '"';
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

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_ += json;
}

void JsonWriter::OptInt(std::optional<std::int64_t> v) {
  if (v) {
    Int(*v);
  } else {
    Null();
  }
}

}  // namespace licentia::server
