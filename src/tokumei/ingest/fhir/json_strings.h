#pragma once
// Following JSON text byte by byte through its strings, so that brackets and commas inside a
// string are not taken for structure: what the large-file readers need without parsing
// (fhir::BundleParts, fhir::NdjsonSniffer).

namespace tokumei::ingest::fhir {

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
