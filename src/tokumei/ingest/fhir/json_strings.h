#pragma once
// Following JSON text byte by byte, so that brackets and commas inside a string are not taken for
// structure: what the large-file readers need without parsing (fhir::BundleParts,
// fhir::NdjsonSniffer).

#include <cstdint>

namespace tokumei::ingest::fhir {

// Whether `c`, the byte at offset `at` of a text, can be part of a UTF-8 byte order mark before
// it, which JSON readers may skip (RFC 8259 §8.1) and Windows tools write.
inline bool byte_order_mark_byte(std::int64_t at, char c) {
  static constexpr unsigned char kBom[] = {0xEF, 0xBB, 0xBF};
  return at >= 0 && at < 3 && static_cast<unsigned char>(c) == kBom[at];
}

class JsonStrings {
 public:
  enum class Step { outside, opens, inside, closes };
  // Where `c`, the next byte of the text, stands: outside any string, its opening quote, inside
  // it (escapes included), or its closing quote.
  Step step(char c) {
    if (!in_) {
      if (c != '"') return Step::outside;
      in_ = true;
      return Step::opens;
    }
    if (escaped_) {
      escaped_ = false;
    } else if (c == '\\') {
      escaped_ = true;
    } else if (c == '"') {
      in_ = false;
      return Step::closes;
    }
    return Step::inside;
  }
  // Whether the text given so far ends inside a string.
  bool in_string() const { return in_; }

 private:
  bool in_ = false, escaped_ = false;
};

}  // namespace tokumei::ingest::fhir
