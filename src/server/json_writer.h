// Writes JSON straight to text, for the answers served most often
// (activation and status). Building a boost::json::object first costs an
// allocation for every key and value string; the writer itself allocates
// nothing beyond the output's growth. The text is what boost::json::serialize
// gives for the same object, key order included (json_writer_test.cc pins it).
//
// Strings are escaped exactly as boost::json's serializer escapes them
// (the tests compare every byte value, alone and inside text). Not
// thread-safe; one writer per output string.
#ifndef LICENTIA_SERVER_JSON_WRITER_H_
#define LICENTIA_SERVER_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace licentia::server {

// True for the bytes a JSON string must escape (control characters, the
// quote and the backslash).
constexpr bool JsonNeedsEscape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

// An object key written in the source: checked when the program is
// compiled to need no escapes (a key that does is a compile error), so the
// writer copies it as it is. Keys made at run time go through
// JsonWriter::DynamicKey instead.
class JsonKey {
 public:
  template <std::size_t N>
  consteval JsonKey(const char (&key)[N])  // NOLINT: implicit by design
      : text_(key, N - 1) {
    for (std::size_t i = 0; i + 1 < N; ++i) {
      if (JsonNeedsEscape(static_cast<unsigned char>(key[i]))) {
        throw "a JsonKey must need no escapes; use DynamicKey";
      }
    }
  }
  constexpr std::string_view text() const { return text_; }

 private:
  std::string_view text_;
};

class JsonWriter {
 public:
  // Nesting deeper than this is a programming error (asserts).
  static constexpr int kMaxDepth = 16;

  // Appends to `out`, which must outlive the writer.
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // REQUIRES (both): inside an object, and each key followed by one value.
  void Key(JsonKey key);
  // A key known only at run time, escaped as a string value is.
  void DynamicKey(std::string_view key);

  void String(std::string_view v);
  void Int(std::int64_t v);
  void Uint(std::uint64_t v);
  void Bool(bool v);
  void Null();
  // A value already written as JSON. REQUIRES: `json` is one valid value.
  void Raw(std::string_view json);
  // The integer, or null when absent.
  void OptInt(std::optional<std::int64_t> v);

  // Key and value in one call.
  template <typename T>
  void Field(JsonKey key, const T& value);

 private:
  // Writes the comma that separates this value from the previous one.
  void BeforeValue();
  // Writes `v` as a JSON string: quoted, with the escapes it needs.
  void Quoted(std::string_view v);
  void Open(char c);
  void Close(char c);

  std::string& out_;
  int depth_ = 0;
  std::uint32_t has_items_ = 0;  // bit d: the container at depth d has items
  bool after_key_ = false;
};

template <typename T>
void JsonWriter::Field(JsonKey key, const T& value) {
  Key(key);
  if constexpr (std::is_same_v<T, bool>) {
    Bool(value);
  } else if constexpr (std::is_same_v<T, std::optional<std::int64_t>>) {
    OptInt(value);
  } else if constexpr (std::is_unsigned_v<T>) {
    Uint(value);
  } else if constexpr (std::is_integral_v<T>) {
    Int(value);
  } else {
    String(value);
  }
}

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_JSON_WRITER_H_
