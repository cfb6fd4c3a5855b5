#include "tokumei/anon/csv.h"

#include <fmt/format.h>

#include <algorithm>

namespace tokumei::anon {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not well-formed (overlong forms,
// surrogates and values above U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  unsigned char c1 = byte(i + 1);
  if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
  if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
  if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
  if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
  return n;
}

std::unexpected<Error> csv_error(const std::string& source, int line, int column, std::string ja,
                                 std::string en) {
  return fail(Errc::invalid_input, {std::move(ja), std::move(en)},
              Location{.file = source, .line = line, .column = column});
}

}  // namespace

char detect_delimiter(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  // The first record, as parse_csv sees it: blank lines are skipped.
  text.remove_prefix(std::min(text.size(), text.find_first_not_of("\r\n")));
  std::size_t semicolons = 0, commas = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    semicolons += c == ';';
    commas += c == ',';
  }
  return semicolons >= commas && semicolons > 0 ? ';' : ',';
}

Status parse_csv(std::string_view text, const std::string& source, CsvOptions options,
                 const std::function<Status(int line, std::vector<std::string>& fields)>& row) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const char delimiter = options.delimiter != 0 ? options.delimiter : detect_delimiter(text);

  std::vector<std::string> fields;
  std::string field;
  int line = 1, record_line = 1;
  std::size_t line_start = 0;
  bool in_quotes = false, after_quote = false, record_empty = true;
  auto column = [&](std::size_t i) { return static_cast<int>(i - line_start) + 1; };

  auto end_record = [&]() -> Status {
    fields.push_back(std::move(field));
    field.clear();
    Status s = ok();
    if (!(record_empty && fields.size() == 1 && fields[0].empty())) s = row(record_line, fields);
    fields.clear();
    record_empty = true;
    after_quote = false;
    return s;
  };

  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::size_t n = utf8_sequence_length(text, i);
      if (n == 0) {
        return csv_error(
            source, line, column(i),
            "UTF-8 として正しくないバイトがあります (Shift_JIS 等は UTF-8 に変換してください)",
            "invalid UTF-8 byte (convert Shift_JIS and other encodings to UTF-8)");
      }
      if (after_quote) {
        return csv_error(source, line, column(i), "閉じ引用符の後に文字があります",
                         "text after a closing quote");
      }
      field.append(text.substr(i, n));
      record_empty = false;
      i += n;
      continue;
    }
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        in_quotes = false;
        after_quote = true;
      } else {
        if (c == '\n') {
          ++line;
          line_start = i + 1;
        }
        field.push_back(c);
      }
      ++i;
      continue;
    }
    if (c == delimiter) {
      fields.push_back(std::move(field));
      field.clear();
      after_quote = false;
      record_empty = false;
    } else if (c == '\n' || c == '\r') {
      TKM_RETURN_IF_ERROR(end_record());
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      line_start = i + 1;
      record_line = line;
    } else if (after_quote) {
      return csv_error(source, line, column(i), "閉じ引用符の後に文字があります",
                       "text after a closing quote");
    } else if (c == '"' && field.empty()) {
      in_quotes = true;
      record_empty = false;
    } else {
      // A run of plain ASCII characters at once.
      std::size_t j = i + 1;
      while (j < text.size()) {
        const char d = text[j];
        if (static_cast<unsigned char>(d) >= 0x80 || d == delimiter || d == '\n' || d == '\r' ||
            d == '"') {
          break;
        }
        ++j;
      }
      field.append(text.substr(i, j - i));
      record_empty = false;
      i = j;
      continue;
    }
    ++i;
  }
  if (in_quotes) {
    return csv_error(source, record_line, 0, "引用符が閉じられないままファイルが終わっています",
                     "the file ends inside a quoted field");
  }
  if (!record_empty || !field.empty()) TKM_RETURN_IF_ERROR(end_record());
  return ok();
}

void append_csv_record(std::string& out, const std::vector<std::string_view>& fields,
                       char delimiter) {
  if (fields.size() == 1 && fields[0].empty()) {
    out += "\"\"\n";  // a bare empty line would be read back as a blank line, not a record
    return;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(delimiter);
    std::string_view f = fields[i];
    if (std::none_of(f.begin(), f.end(), [&](char c) {
          return c == delimiter || c == '"' || c == '\n' || c == '\r';
        })) {
      out.append(f);
      continue;
    }
    out.push_back('"');
    for (char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('\n');
}

}  // namespace tokumei::anon
