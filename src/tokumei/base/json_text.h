#pragma once
// JSON text written by hand where building a document first would cost more than the data (sealed
// event and identity records, written for every event and person taken in).

#include <cstddef>
#include <string>
#include <string_view>

namespace tokumei {

// Appends `s` as a JSON string, quotes included, escaped as RFC 8259 requires and as nlohmann's
// dump() does: `"` and `\`, the control characters (\b \f \n \r \t, the others \u00xx); other
// bytes as they are. With `replace_invalid`, a byte that does not start a well-formed UTF-8
// sequence becomes U+FFFD instead.
void append_json_string(std::string& out, std::string_view s, bool replace_invalid = true);

// Length of the well-formed UTF-8 sequence `s` starts with (1 for ASCII), or 0.
std::size_t utf8_sequence_length(std::string_view s);

}  // namespace tokumei
