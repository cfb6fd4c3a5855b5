#include "tokumei/ingest/ssmix2/hl7.h"

#include <fmt/format.h>

#include "tokumei/ingest/fields.h"

namespace tokumei::ingest::hl7 {
namespace {

// The `index`-th (from 0) piece of `text` split at `separator`; "" when there are fewer.
std::string_view piece(std::string_view text, char separator, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    std::size_t next = text.find(separator, start);
    if (next == std::string_view::npos) return {};
    start = next + 1;
  }
  std::size_t end = text.find(separator, start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

bool valid_segment_id(std::string_view id) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return id.size() == 3 && upper(id[0]) && (upper(id[1]) || digit(id[1])) &&
         (upper(id[2]) || digit(id[2]));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Result<Message> Message::parse(std::string text, const std::string& source) {
  Message m;
  m.text_ = std::make_unique<std::string>(std::move(text));
  std::string_view all = *m.text_;
  // MLLP framing, which SS-MIX2 files often keep: a VT (0x0B) before the message and an FS
  // (0x1C, then perhaps CR or LF) after it.
  if (all.starts_with('\x0b')) all.remove_prefix(1);
  while (!all.empty() && (all.back() == '\r' || all.back() == '\n')) all.remove_suffix(1);
  if (all.ends_with('\x1c')) all.remove_suffix(1);
  auto refuse = [&](int line, std::string segment, std::string ja, std::string en) {
    return fail(Errc::invalid_input, {std::move(ja), std::move(en)},
                Location{.file = source, .line = line, .field = std::move(segment)});
  };

  if (!all.starts_with("MSH") || all.size() < 8) {
    return refuse(1, "MSH", "メッセージが MSH セグメントで始まっていません",
                  "the message does not start with an MSH segment");
  }
  Delimiters& d = m.delimiters_;
  d.field = all[3];
  d.component = all[4];
  d.repetition = all[5];
  d.escape = all[6];
  d.subcomponent = all[7];
  const std::string_view declared = all.substr(3, 5);
  for (std::size_t i = 0; i < declared.size(); ++i) {
    char c = declared[i];
    bool bad = c == '\r' || c == '\n' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
               (c >= 'a' && c <= 'z') || declared.find(c) != i;
    if (bad) {
      return refuse(1, "MSH-2", "MSH の区切り文字 (MSH-1, MSH-2) が正しくありません",
                    "the MSH delimiters (MSH-1, MSH-2) are not valid");
    }
  }

  int line = 1;
  std::size_t start = 0;
  while (start < all.size()) {
    // (A loop, not find_first_of, which searches the set once per character.)
    std::size_t end = start;
    while (end < all.size() && all[end] != '\r' && all[end] != '\n') ++end;
    std::string_view text_line = all.substr(start, end - start);
    const int this_line = line;
    // The next segment starts after CR, LF or CRLF.
    start = end;
    if (start < all.size()) {
      if (all[start] == '\r' && start + 1 < all.size() && all[start + 1] == '\n') ++start;
      ++start;
      ++line;
    }
    if (text_line.empty()) continue;

    Segment s{.fields = split(text_line, d.field), .line = this_line};
    const std::string_view id = s.fields[0];
    if (!valid_segment_id(id)) {
      std::string shown(id.substr(0, 20));
      return refuse(
          this_line, shown,
          fmt::format("{} 行目のセグメント ID「{}」が正しくありません (英大文字か数字 3 文字)",
                      this_line, shown),
          fmt::format("line {}: segment ID \"{}\" is not valid (three capital letters or "
                      "digits)",
                      this_line, shown));
    }
    if (id == "MSH") {
      if (!m.segments_.empty()) {
        return refuse(this_line, "MSH",
                      fmt::format("{} 行目から二つ目のメッセージが始まっています "
                                  "(一つのファイルには一つのメッセージ)",
                                  this_line),
                      fmt::format("a second message starts at line {} (a file holds one message)",
                                  this_line));
      }
      // MSH-1 is the field separator itself: shift so field numbers match the standard.
      s.fields.insert(s.fields.begin() + 1, all.substr(3, 1));
    }
    m.segments_.push_back(std::move(s));
  }
  return m;
}

const Segment* Message::find(std::string_view id) const {
  for (const auto& s : segments_) {
    if (s.id() == id) return &s;
  }
  return nullptr;
}

std::vector<const Segment*> Message::find_all(std::string_view id) const {
  std::vector<const Segment*> out;
  for (const auto& s : segments_) {
    if (s.id() == id) out.push_back(&s);
  }
  return out;
}

std::size_t Message::repetitions(const Segment& s, std::size_t field) const {
  std::string_view f = s.field(field);
  if (f.empty()) return 0;
  // MSH-2 holds the repetition character itself.
  if (s.id() == "MSH" && field <= 2) return 1;
  std::size_t n = 1;
  for (char c : f) n += c == delimiters_.repetition;
  return n;
}

std::string_view Message::repetition(const Segment& s, std::size_t field,
                                     std::size_t repetition) const {
  if (repetition == 0) return {};
  std::string_view f = s.field(field);
  if (s.id() == "MSH" && field <= 2) return repetition == 1 ? f : std::string_view{};
  return piece(f, delimiters_.repetition, repetition - 1);
}

std::string Message::value(const Segment& s, std::size_t field, std::size_t component,
                           std::size_t subcomponent, std::size_t repetition) const {
  if (component == 0 || subcomponent == 0) return {};
  std::string_view r = this->repetition(s, field, repetition);
  if (s.id() == "MSH" && field <= 2) return std::string(component == 1 ? r : std::string_view{});
  std::string_view c = piece(r, delimiters_.component, component - 1);
  return unescape(piece(c, delimiters_.subcomponent, subcomponent - 1));
}

std::string Message::unescape(std::string_view raw) const {
  const char e = delimiters_.escape;
  if (raw.find(e) == std::string_view::npos) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    if (raw[i] != e) {
      out.push_back(raw[i++]);
      continue;
    }
    std::size_t close = raw.find(e, i + 1);
    if (close == std::string_view::npos) {  // not an escape sequence: keep the text
      out.append(raw.substr(i));
      break;
    }
    std::string_view seq = raw.substr(i + 1, close - i - 1);
    bool known = true;
    if (seq == "F") {
      out.push_back(delimiters_.field);
    } else if (seq == "S") {
      out.push_back(delimiters_.component);
    } else if (seq == "T") {
      out.push_back(delimiters_.subcomponent);
    } else if (seq == "R") {
      out.push_back(delimiters_.repetition);
    } else if (seq == "E") {
      out.push_back(e);
    } else if (seq == ".br") {
      out.push_back('\n');
    } else if (seq == "H" || seq == "N") {
      // Highlighting on and off: no text.
    } else if (seq.size() >= 3 && seq[0] == 'X' && seq.size() % 2 == 1) {
      // \Xhh...\: ASCII bytes only (other bytes would be in the sender's charset).
      std::string bytes;
      for (std::size_t k = 1; k < seq.size(); k += 2) {
        int hi = hex_value(seq[k]), lo = hex_value(seq[k + 1]);
        int byte = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        if (byte < 0x20 || byte >= 0x7F) {
          known = byte == '\r' || byte == '\n' || byte == '\t';
          if (!known) break;
        }
        bytes.push_back(static_cast<char>(byte));
      }
      if (known) out += bytes;
    } else {
      known = false;
    }
    if (!known) out.append(raw.substr(i, close - i + 1));  // unknown: kept as written
    i = close + 1;
  }
  return out;
}

std::string Message::message_type() const {
  const Segment* msh = find("MSH");
  if (msh == nullptr) return {};
  std::string type = value(*msh, 9, 1), event = value(*msh, 9, 2);
  return event.empty() ? type : type + "^" + event;
}

}  // namespace tokumei::ingest::hl7
