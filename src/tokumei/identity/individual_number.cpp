#include "tokumei/identity/individual_number.h"

#include <string>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
// underscore ('w') or hyphen ('-') that would make a run part of a longer code, a space ('s'), or
// anything else ('o').
struct Unit {
  char kind = 'o';
  char digit = 0;  // the digit, or the character itself for 'o'
  std::size_t length = 1;
};

Unit unit_at(std::string_view text, std::size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  // Full-width digits ０-９ are EF BC 90 … EF BC 99; the full-width hyphen-minus EF BC 8D.
  if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBC) {
    const unsigned char c2 = static_cast<unsigned char>(text[i + 2]);
    if (c2 >= 0x90 && c2 <= 0x99) return {'d', static_cast<char>('0' + (c2 - 0x90)), 3};
    if (c2 == 0x8D) return {'-', 0, 3};
  }
  if (c >= '0' && c <= '9') return {'d', static_cast<char>(c), 1};
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') return {'w', 0, 1};
  if (c == '-') return {'-', 0, 1};
  if (c == ' ') return {'s', 0, 1};
  return {'o', static_cast<char>(c), 1};
}

// The unit that ends just before byte i.
Unit unit_before(std::string_view text, std::size_t i) {
  if (i >= 3 && static_cast<unsigned char>(text[i - 3]) == 0xEF) {
    Unit u = unit_at(text, i - 3);
    if (u.length == 3) return u;
  }
  return unit_at(text, i - 1);
}

bool looks_like_timestamp(std::string_view d) {
  auto two = [&](std::size_t at) { return (d[at] - '0') * 10 + (d[at + 1] - '0'); };
  const int century = two(0), month = two(4), day = two(6), hour = two(8), minute = two(10);
  return (century == 19 || century == 20) && month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
         hour <= 23 && minute <= 59;
}

// Lines end in LF, CR or CRLF (HL7 segments end in CR).
int line_of(std::string_view text, std::size_t offset) {
  int line = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
      ++line;
    }
  }
  return line;
}

// The 12 digits of a candidate starting at `start`, and where it ends; nullopt when the run
// there is not 12 digits written plainly or as 4-4-4 groups.
std::optional<std::pair<std::string, std::size_t>> candidate(std::string_view text,
                                                             std::size_t start) {
  std::string digits;
  std::size_t i = start;
  auto take_digits = [&](std::size_t most) {
    while (i < text.size() && digits.size() < most) {
      Unit u = unit_at(text, i);
      if (u.kind != 'd') break;
      digits.push_back(u.digit);
      i += u.length;
    }
  };
  take_digits(13);
  if (digits.size() == 4 && i < text.size()) {
    const Unit separator = unit_at(text, i);
    if (separator.kind != '-' && separator.kind != 's') return std::nullopt;
    for (int group = 0; group < 2; ++group) {
      if (i >= text.size() || unit_at(text, i).kind != separator.kind) return std::nullopt;
      i += unit_at(text, i).length;
      const std::size_t before = digits.size();
      take_digits(before + 4);
      if (digits.size() != before + 4) return std::nullopt;
    }
  }
  if (digits.size() != 12) return std::nullopt;
  return std::pair{digits, i};
}

// The first byte at or after `from` that may begin a digit (an ASCII digit, or 0xEF, which begins
// a full-width one), or text.size(). Sixteen bytes at a time where SSE2 is there: most of a file
// is not digits, and every file is screened whole.
std::size_t next_digit_start(std::string_view text, std::size_t from) {
  std::size_t i = from;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128(), nine = _mm_set1_epi8(9), digit0 = _mm_set1_epi8('0'),
                ef = _mm_set1_epi8(static_cast<char>(0xEF));
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    // (v - '0') as unsigned bytes is at most 9 exactly for the digits.
    const __m128i digit = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(v, digit0), nine), zero);
    const int mask = _mm_movemask_epi8(_mm_or_si128(digit, _mm_cmpeq_epi8(v, ef)));
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c >= '0' && c <= '9') || c == 0xEF) return i;
  }
  return text.size();
}

}  // namespace

std::optional<Found> find_individual_number(std::string_view text) {
  for (std::size_t start = next_digit_start(text, 0); start < text.size();
       start = next_digit_start(text, start + 1)) {
    const unsigned char c = static_cast<unsigned char>(text[start]);
    if (c != 0xEF) {
      // A run of ASCII digits that is neither 12 long nor 4 long and followed by a separator
      // cannot be one: skip it whole (a start inside it follows a digit anyway).
      std::size_t end = start;
      while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
      const std::size_t n = end - start;
      const bool more = end < text.size() && (static_cast<unsigned char>(text[end]) == 0xEF ||
                                              text[end] == '-' || text[end] == ' ');
      if (n > 12 || (n != 12 && !more)) {
        start = end - 1;
        continue;
      }
    }
    if (unit_at(text, start).kind != 'd') continue;
    // A candidate starts where the previous unit is not part of a code, nor a decimal point
    // after digits (the fraction of a decimal number).
    if (start > 0) {
      const Unit before = unit_before(text, start);
      if (before.kind == 'd' || before.kind == 'w' || before.kind == '-') continue;
      if (before.kind == 'o' && before.digit == '.' && start >= 2 &&
          unit_before(text, start - 1).kind == 'd') {
        continue;
      }
    }
    auto found = candidate(text, start);
    if (!found) continue;
    const auto& [digits, end] = *found;
    // It must end where a code would end too, and not be a decimal's integer part.
    if (end < text.size()) {
      const Unit after = unit_at(text, end);
      if (after.kind == 'd' || after.kind == 'w' || after.kind == '-') continue;
      if (after.kind == 'o' && after.digit == '.' && end + 1 < text.size() &&
          unit_at(text, end + 1).kind == 'd') {
        continue;
      }
    }
    // A timestamp (yyyyMMddHHmm, as HL7 writes them) passes the check one time in eleven; such
    // values are taken for timestamps. An Individual Number that happens to read as one (about
    // one in ten thousand) is missed: the price of not refusing every eleventh HL7 message.
    if (looks_like_timestamp(digits)) continue;
    // Likewise a value with four or more leading zeros is taken for a zero-padded field of a
    // fixed-width layout (DPC EF files have several 12-digit ones); about one Individual Number
    // in ten thousand starts so.
    if (digits.starts_with("0000")) continue;
    if (valid_individual_number(digits)) {
      return Found{.offset = start, .line = line_of(text, start)};
    }
  }
  return std::nullopt;
}

}  // namespace tokumei::identity
