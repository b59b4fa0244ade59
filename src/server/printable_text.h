// Text from a client, made safe to quote in an answer: error messages name
// what was wrong ("Unknown query parameter 'x'"), and a path segment or a
// query parameter arrives percent-decoded as any bytes at all. Quoted raw,
// bytes that are not UTF-8 make the answer invalid JSON (admin_api_fuzz
// found "?%aa=1").
#ifndef LICENTIA_SERVER_PRINTABLE_TEXT_H_
#define LICENTIA_SERVER_PRINTABLE_TEXT_H_

#include <string>
#include <string_view>

namespace licentia::server {

// `text` with every byte that is not part of a well-formed UTF-8 sequence,
// and every control character, replaced by '?'. Valid printable text comes
// back unchanged.
std::string PrintableText(std::string_view text);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_PRINTABLE_TEXT_H_
