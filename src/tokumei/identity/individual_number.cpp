#include "tokumei/identity/individual_number.h"

#include <string>
#include <vector>

namespace tokumei::identity {

bool valid_individual_number(std::string_view digits) {
  if (digits.size() != 12) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  int sum = 0;
  for (int n = 1; n <= 11; ++n) {
    const int p = digits[11 - n] - '0';
    const int q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const int remainder = sum % 11;
  const int check = remainder <= 1 ? 0 : 11 - remainder;
  return digits[11] - '0' == check;
}

namespace {

// A character of the text reduced to what matters here: a digit (full-width too), a letter or
// hyphen that would make a run part of a longer code, a space, or anything else.
struct Unit {
  char kind;  // 'd' digit, 'w' word character (letter, hyphen), 's' space, 'o' other
  char digit;
  std::size_t offset;
  std::size_t length;
};

std::vector<Unit> units(std::string_view text) {
  std::vector<Unit> out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    // Full-width digits ０-９: EF BC 90 … EF BC 99; full-width hyphen-minus EF BC 8D.
    if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBC) {
      const unsigned char c2 = static_cast<unsigned char>(text[i + 2]);
      if (c2 >= 0x90 && c2 <= 0x99) {
        out.push_back({'d', static_cast<char>('0' + (c2 - 0x90)), i, 3});
        i += 3;
        continue;
      }
      if (c2 == 0x8D) {
        out.push_back({'-', 0, i, 3});
        i += 3;
        continue;
      }
    }
    char kind = 'o';
    if (c >= '0' && c <= '9') {
      kind = 'd';
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') {
      kind = 'w';
    } else if (c == '-') {
      kind = '-';
    } else if (c == ' ') {
      kind = 's';
    }
    out.push_back({kind, static_cast<char>(c), i, 1});
    ++i;
  }
  return out;
}

bool looks_like_timestamp(std::string_view d) {
  auto two = [&](std::size_t at) { return (d[at] - '0') * 10 + (d[at + 1] - '0'); };
  const int century = two(0), month = two(4), day = two(6), hour = two(8), minute = two(10);
  return (century == 19 || century == 20) && month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
         hour <= 23 && minute <= 59;
}

}  // namespace

std::optional<Found> find_individual_number(std::string_view text) {
  const std::vector<Unit> u = units(text);
  auto is = [&](std::size_t i, char kind) { return i < u.size() && u[i].kind == kind; };
  // Lines end in LF, CR or CRLF (HL7 segments end in CR).
  auto line_of = [&](std::size_t offset) {
    int line = 1;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
        ++line;
      }
    }
    return line;
  };
  for (std::size_t start = 0; start < u.size(); ++start) {
    if (u[start].kind != 'd') continue;
    // A candidate starts where the previous unit is not part of a code, nor a decimal point
    // after digits (the fraction of a decimal number).
    if (start > 0 &&
        (u[start - 1].kind == 'd' || u[start - 1].kind == 'w' || u[start - 1].kind == '-')) {
      continue;
    }
    if (start > 1 && u[start - 1].digit == '.' && u[start - 1].kind == 'o' &&
        u[start - 2].kind == 'd') {
      continue;
    }
    // Plain: 12 digits. Grouped: 4 digits, separator, 4 digits, the same separator, 4 digits.
    std::string digits;
    std::size_t i = start;
    while (is(i, 'd') && digits.size() < 13) digits.push_back(u[i++].digit);
    std::size_t end = i;
    if (digits.size() == 4 && (is(i, '-') || is(i, 's'))) {
      const char separator = u[i].kind;
      bool grouped = true;
      for (int group = 0; group < 2 && grouped; ++group) {
        if (!is(i, separator)) {
          grouped = false;
          break;
        }
        ++i;
        for (int k = 0; k < 4; ++k) {
          if (!is(i, 'd')) {
            grouped = false;
            break;
          }
          digits.push_back(u[i++].digit);
        }
      }
      if (!grouped) continue;
      end = i;
    }
    if (digits.size() != 12) continue;
    // And it must end where a code would end too, and not be a decimal's integer part.
    if (is(end, 'd') || is(end, 'w') || is(end, '-')) continue;
    if (end + 1 < u.size() && u[end].kind == 'o' && u[end].digit == '.' && is(end + 1, 'd')) {
      continue;
    }
    // A timestamp (yyyyMMddHHmm, as HL7 writes them) passes the check one time in eleven; such
    // values are taken for timestamps. An Individual Number that happens to read as one (about
    // one in ten thousand) is missed: the price of not refusing every eleventh HL7 message.
    if (looks_like_timestamp(digits)) continue;
    if (valid_individual_number(digits)) {
      return Found{.offset = u[start].offset, .line = line_of(u[start].offset)};
    }
  }
  return std::nullopt;
}

}  // namespace tokumei::identity
