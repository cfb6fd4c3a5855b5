#pragma once
// Character sets hospitals' exports come in, decoded to UTF-8 before anything else reads them:
// SS-MIX2 messages are ISO-2022-JP (JIS X 0208 behind escape sequences, so a kanji's bytes may
// look like HL7 delimiters until decoded), claims files Shift_JIS/CP932, FHIR UTF-8.

#include <cstdint>
#include <string>
#include <string_view>

#include "tokumei/base/error.h"

namespace tokumei::ingest {

enum class Charset {
  utf8,
  iso_2022_jp,  // ISO-2022-JP (ESC ( B, ESC ( J, ESC $ @, ESC $ B)
  cp932,        // Shift_JIS with the Windows (NEC and IBM) extensions: what claims files use
};

// `bytes` in `charset`, as UTF-8. A byte sequence the charset does not allow (a CP932-only kanji
// in an ISO-2022-JP message, a stray 8-bit byte, a truncated sequence) is refused with the byte
// offset where it starts, located in `source` (`bytes_before` added, for part of a file);
// nothing is replaced silently.
Result<std::string> decode_to_utf8(std::string_view bytes, Charset charset,
                                   const std::string& source, std::int64_t bytes_before = 0);

// The same with ICU alone: decode_to_utf8 decodes the usual inputs by tables made from ICU's own
// mapping and leaves the rest to this. Public so that tests can hold the two to the same answers.
Result<std::string> decode_to_utf8_with_icu(std::string_view bytes, Charset charset,
                                            const std::string& source,
                                            std::int64_t bytes_before = 0);

// UTF-8 `text` in `charset` (for writing test and synthetic data as hospitals would). A character
// the charset cannot hold is refused (Errc::invalid_input, with its byte offset in `text`).
Result<std::string> encode_from_utf8(std::string_view text, Charset charset);

}  // namespace tokumei::ingest
