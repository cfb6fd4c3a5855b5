#pragma once
// HL7 v2.5 messages as SS-MIX2 stores them: one message per file, segments ended by CR (LF and
// CRLF accepted too), fields split by the separators the MSH segment declares, values unescaped
// (\F\ \S\ \T\ \R\ \E\, \Xhh\, \.br\) on access. MLLP framing around the message (VT before,
// FS after, as SS-MIX2 files often keep it) is ignored. The text must already be UTF-8: decode
// ISO-2022-JP first (text_encoding.h), since JIS kanji bytes can look like delimiters.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/error.h"

namespace tokumei::ingest::hl7 {

struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

// One segment. Field numbers are HL7's: field(0) is the segment ID; in MSH, field(1) is the field
// separator itself and field(2) the encoding characters, so MSH-9 is field(9) as in the standard.
struct Segment {
  std::vector<std::string_view> fields;  // raw (escaped) text of each field
  int line = 0;                          // the segment's line in the message text, from 1

  std::string_view id() const { return fields[0]; }
  std::string_view field(std::size_t n) const { return n < fields.size() ? fields[n] : ""; }
};

// A parsed message. Owns its text; segments point into it. Movable, not copyable.
class Message {
 public:
  // Parses `text` (UTF-8). Refused with the line and segment located in `source`: no MSH at the
  // start, bad encoding characters, a segment ID that is not three letters or digits, or a
  // second MSH (an SS-MIX2 file holds exactly one message).
  static Result<Message> parse(std::string text, const std::string& source);

  const Delimiters& delimiters() const { return delimiters_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // The first segment called `id`, or nullptr.
  const Segment* find(std::string_view id) const;
  // Every segment called `id`, in order.
  std::vector<const Segment*> find_all(std::string_view id) const;

  // Number of repetitions of a field (0 when empty).
  std::size_t repetitions(const Segment& s, std::size_t field) const;
  // The unescaped value at field / repetition / component / subcomponent (all from 1, as
  // HL7 numbers them); "" when absent.
  std::string value(const Segment& s, std::size_t field, std::size_t component = 1,
                    std::size_t subcomponent = 1, std::size_t repetition = 1) const;
  // The raw (still escaped) text of one repetition of a field.
  std::string_view repetition(const Segment& s, std::size_t field, std::size_t repetition) const;
  // Unescapes raw field text.
  std::string unescape(std::string_view raw) const;

  // MSH-9 as "ADT^A08" (message type ^ trigger event).
  std::string message_type() const;

 private:
  std::unique_ptr<std::string> text_;  // stable address: segments are views into it
  Delimiters delimiters_;
  std::vector<Segment> segments_;
};

}  // namespace tokumei::ingest::hl7
