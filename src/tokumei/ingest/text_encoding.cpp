#include "tokumei/ingest/text_encoding.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <unicode/ucnv.h>
#include <unicode/ustring.h>

#include <array>
#include <memory>
#include <optional>

namespace tokumei::ingest {
namespace {

// ICU's converter for a charset, and how people call it.
struct CharsetNames {
  const char* converter;
  const char* label;
};
CharsetNames names_of(Charset charset) {
  switch (charset) {
    case Charset::iso_2022_jp:
      return {"ISO-2022-JP", "ISO-2022-JP"};
    case Charset::cp932:
      return {"windows-31j", "Shift_JIS (CP932)"};
    case Charset::utf8:
      break;
  }
  return {"UTF-8", "UTF-8"};
}
const char* converter_name(Charset charset) { return names_of(charset).converter; }
const char* charset_label(Charset charset) { return names_of(charset).label; }

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};

// One character's UTF-8 (at most 3 bytes: the Japanese charsets map into the BMP); size 0 where
// the code is not a character.
struct Utf8Char {
  char bytes[3];
  std::uint8_t size;
};

// What ICU makes of `bytes` in `charset` as one character, or size 0 if anything else.
Utf8Char icu_char(UConverter* converter, std::string_view bytes) {
  ucnv_reset(converter);
  UChar out[4];
  UErrorCode status = U_ZERO_ERROR;
  const std::int32_t units = ucnv_toUChars(converter, out, 4, bytes.data(),
                                           static_cast<std::int32_t>(bytes.size()), &status);
  Utf8Char c{};
  if (U_FAILURE(status) || units != 1 || U16_IS_SURROGATE(out[0])) return c;
  const auto u = static_cast<std::uint32_t>(out[0]);
  if (u < 0x80) {
    c.bytes[0] = static_cast<char>(u);
    c.size = 1;
  } else if (u < 0x800) {
    c.bytes[0] = static_cast<char>(0xC0 | (u >> 6));
    c.bytes[1] = static_cast<char>(0x80 | (u & 0x3F));
    c.size = 2;
  } else {
    c.bytes[0] = static_cast<char>(0xE0 | (u >> 12));
    c.bytes[1] = static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    c.bytes[2] = static_cast<char>(0x80 | (u & 0x3F));
    c.size = 3;
  }
  return c;
}

// Tables of what ICU maps each code to, made once on first use (some 40 ms), so that the common
// inputs are decoded by table look-up with exactly ICU's mapping; anything the tables do not cover
// (another escape sequence, a byte outside the charset, a truncated character) is left to ICU,
// which also words the error.
struct Tables {
  std::array<Utf8Char, 94 * 94> jis_x0208{};    // ISO-2022-JP after ESC $ B: rows, cells 0x21..0x7E
  std::array<bool, 128> jis_ascii_same{};       // ISO-2022-JP bytes ICU gives back as they are
  std::array<bool, 128> cp932_ascii_same{};     // the same in CP932
  std::array<Utf8Char, 128> jis_x0201_roman{};  // after ESC ( J
  std::array<Utf8Char, 256> cp932_single{};     // CP932 bytes that are characters alone
  std::array<Utf8Char, 256 * 256> cp932_double{};  // CP932 lead byte × trail byte
  Tables() {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<UConverter, ConverterCloser> jis(ucnv_open("ISO-2022-JP", &status));
    std::unique_ptr<UConverter, ConverterCloser> cp932(ucnv_open("windows-31j", &status));
    if (U_FAILURE(status)) return;  // empty tables: everything goes to ICU, which says why
    ucnv_setToUCallBack(jis.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
    ucnv_setToUCallBack(cp932.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
    if (U_FAILURE(status)) return;
    for (int row = 0x21; row <= 0x7E; ++row) {
      for (int cell = 0x21; cell <= 0x7E; ++cell) {
        const char code[] = {'\x1B', '$', 'B', static_cast<char>(row), static_cast<char>(cell)};
        jis_x0208[(row - 0x21) * 94 + (cell - 0x21)] =
            icu_char(jis.get(), std::string_view(code, sizeof code));
      }
    }
    for (int c = 0; c < 0x80; ++c) {
      const char b = static_cast<char>(c);
      const Utf8Char same = icu_char(jis.get(), std::string_view(&b, 1));
      jis_ascii_same[c] = c != 0x1B && same.size == 1 && same.bytes[0] == b;
    }
    for (int c = 0x21; c <= 0x7E; ++c) {
      const char code[] = {'\x1B', '(', 'J', static_cast<char>(c)};
      jis_x0201_roman[c] = icu_char(jis.get(), std::string_view(code, sizeof code));
    }
    for (int b = 0; b < 256; ++b) {
      const char single = static_cast<char>(b);
      if (!cp932_lead(b)) cp932_single[b] = icu_char(cp932.get(), std::string_view(&single, 1));
      if (b < 0x80) {
        cp932_ascii_same[b] = cp932_single[b].size == 1 && cp932_single[b].bytes[0] == single;
      }
    }
    for (int lead = 0x81; lead <= 0xFC; ++lead) {
      if (!cp932_lead(lead)) continue;
      for (int trail = 0x40; trail <= 0xFC; ++trail) {
        const char code[] = {static_cast<char>(lead), static_cast<char>(trail)};
        cp932_double[lead * 256 + trail] = icu_char(cp932.get(), std::string_view(code, 2));
      }
    }
  }
  static bool cp932_lead(int b) { return (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC); }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

void append(std::string& out, const Utf8Char& c) { out.append(c.bytes, c.size); }

// Copies the run of bytes from in[i] on that `same` says the charset maps to themselves (most of
// an HL7 message) at once; returns where the run ends (i itself when in[i] is not such a byte).
std::size_t append_same_run(std::string& out, std::string_view in, std::size_t i,
                            const std::array<bool, 128>& same) {
  std::size_t end = i;
  while (end < in.size() && static_cast<unsigned char>(in[end]) < 0x80 &&
         same[static_cast<unsigned char>(in[end])]) {
    ++end;
  }
  out.append(in.data() + i, end - i);
  return end;
}

// ISO-2022-JP in ASCII, JIS X 0201 Roman and JIS X 0208 (ESC ( B, ESC ( J, ESC $ B), as ICU
// decodes it; nullopt for anything else.
std::optional<std::string> iso_2022_jp_by_table(std::string_view in) {
  const Tables& t = tables();
  enum class Mode { ascii, roman, kanji } mode = Mode::ascii;
  std::string out;
  out.reserve(in.size() + in.size() / 2);
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
  bool after_escape = false;  // ICU refuses an escape sequence right after another
  for (std::size_t i = 0; i < in.size();) {
    const unsigned char c = byte(i);
    if (c == 0x1B) {
      if (after_escape || i + 2 >= in.size()) return std::nullopt;
      const std::string_view escape = in.substr(i + 1, 2);
      if (escape == "(B") {
        mode = Mode::ascii;
      } else if (escape == "(J") {
        mode = Mode::roman;
      } else if (escape == "$B") {
        mode = Mode::kanji;
      } else {
        return std::nullopt;
      }
      i += 3;
      after_escape = true;
      continue;
    }
    after_escape = false;
    if (c >= 0x80) return std::nullopt;
    if (mode == Mode::ascii) {
      if (!t.jis_ascii_same[c]) return std::nullopt;
      i = append_same_run(out, in, i, t.jis_ascii_same);
    } else if (mode == Mode::roman) {
      if (c < 0x21 || c > 0x7E || t.jis_x0201_roman[c].size == 0) return std::nullopt;
      append(out, t.jis_x0201_roman[c]);
      ++i;
    } else {
      if (i + 1 >= in.size()) return std::nullopt;
      const unsigned char d = byte(i + 1);
      if (c < 0x21 || c > 0x7E || d < 0x21 || d > 0x7E) return std::nullopt;
      const Utf8Char& k = t.jis_x0208[(c - 0x21) * 94 + (d - 0x21)];
      if (k.size == 0) return std::nullopt;
      append(out, k);
      i += 2;
    }
  }
  return out;
}

// CP932 (Shift_JIS with the Windows extensions) as ICU decodes it; nullopt where a byte or pair
// is not a character.
std::optional<std::string> cp932_by_table(std::string_view in) {
  const Tables& t = tables();
  std::string out;
  out.reserve(in.size() + in.size() / 2);
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
  for (std::size_t i = 0; i < in.size();) {
    const unsigned char c = byte(i);
    if (c < 0x80) {
      if (!t.cp932_ascii_same[c]) return std::nullopt;
      i = append_same_run(out, in, i, t.cp932_ascii_same);
    } else if (Tables::cp932_lead(c)) {
      if (i + 1 >= in.size()) return std::nullopt;
      const Utf8Char& k = t.cp932_double[c * 256 + byte(i + 1)];
      if (k.size == 0) return std::nullopt;
      append(out, k);
      i += 2;
    } else {
      if (t.cp932_single[c].size == 0) return std::nullopt;
      append(out, t.cp932_single[c]);
      ++i;
    }
  }
  return out;
}

}  // namespace

Result<std::string> decode_to_utf8_with_icu(std::string_view bytes, Charset charset,
                                            const std::string& source, std::int64_t bytes_before) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, ConverterCloser> converter(
      ucnv_open(converter_name(charset), &status));
  if (U_FAILURE(status)) {
    return fail(Errc::internal, {fmt::format("文字コード変換器 {} を開けません: {}",
                                             converter_name(charset), u_errorName(status)),
                                 fmt::format("cannot open the {} converter: {}",
                                             converter_name(charset), u_errorName(status))});
  }
  // Stop at the first byte sequence the charset does not allow, instead of substituting.
  ucnv_setToUCallBack(converter.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);

  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  constexpr std::size_t kChunk = 16384;
  UChar utf16[kChunk];
  const char* begin = bytes.data();
  const char* in = begin;
  const char* end = begin + bytes.size();
  bool flushed = false;
  while (!flushed) {
    UChar* target = utf16;
    status = U_ZERO_ERROR;
    ucnv_toUnicode(converter.get(), &target, utf16 + kChunk, &in, end, nullptr, /*flush=*/true,
                   &status);
    const bool more = status == U_BUFFER_OVERFLOW_ERROR;
    if (U_FAILURE(status) && !more) {
      char invalid[32];
      int8_t invalid_length = sizeof invalid;
      UErrorCode ignored = U_ZERO_ERROR;
      ucnv_getInvalidChars(converter.get(), invalid, &invalid_length, &ignored);
      const std::int64_t offset = (in - begin) - (U_FAILURE(ignored) ? 0 : invalid_length);
      std::string hex;
      for (int i = 0; i < invalid_length && !U_FAILURE(ignored); ++i) {
        hex += fmt::format("{}0x{:02X}", i ? " " : "", static_cast<unsigned char>(invalid[i]));
      }
      const char* label = charset_label(charset);
      return fail(Errc::invalid_input,
                  {fmt::format("{} として正しくないバイト列 {} があります", label, hex),
                   fmt::format("byte sequence {} is not valid {}", hex, label)},
                  Location{.file = source, .offset = bytes_before + offset});
    }
    // UTF-16 → UTF-8 for what this round produced.
    const int32_t units = static_cast<int32_t>(target - utf16);
    if (units > 0) {
      int32_t needed = 0;
      UErrorCode s = U_ZERO_ERROR;
      u_strToUTF8(nullptr, 0, &needed, utf16, units, &s);
      const std::size_t at = out.size();
      out.resize(at + static_cast<std::size_t>(needed));
      s = U_ZERO_ERROR;
      u_strToUTF8(out.data() + at, needed, nullptr, utf16, units, &s);
      if (U_FAILURE(s)) {
        return fail(Errc::internal,
                    {fmt::format("UTF-8 への変換に失敗しました: {}", u_errorName(s)),
                     fmt::format("conversion to UTF-8 failed: {}", u_errorName(s))});
      }
    }
    flushed = !more;
  }
  return out;
}

Result<std::string> decode_to_utf8(std::string_view bytes, Charset charset,
                                   const std::string& source, std::int64_t bytes_before) {
  std::optional<std::string> fast;
  switch (charset) {
    case Charset::utf8:
      if (simdjson::validate_utf8(bytes.data(), bytes.size())) fast.emplace(bytes);
      break;
    case Charset::iso_2022_jp:
      fast = iso_2022_jp_by_table(bytes);
      break;
    case Charset::cp932:
      fast = cp932_by_table(bytes);
      break;
  }
  if (fast) return std::move(*fast);
  return decode_to_utf8_with_icu(bytes, charset, source, bytes_before);
}

Result<std::string> encode_from_utf8(std::string_view text, Charset charset) {
  UErrorCode status = U_ZERO_ERROR;
  std::int32_t units = 0;
  u_strFromUTF8(nullptr, 0, &units, text.data(), static_cast<std::int32_t>(text.size()), &status);
  std::u16string utf16(static_cast<std::size_t>(units), u'\0');
  status = U_ZERO_ERROR;
  u_strFromUTF8(reinterpret_cast<UChar*>(utf16.data()), units, nullptr, text.data(),
                static_cast<std::int32_t>(text.size()), &status);
  if (U_FAILURE(status)) {
    return fail(Errc::invalid_input, {"UTF-8 として正しくありません", "not valid UTF-8"});
  }
  status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, ConverterCloser> converter(
      ucnv_open(converter_name(charset), &status));
  if (U_FAILURE(status)) {
    return fail(Errc::internal, {"文字コード変換器を開けません", "cannot open the converter"});
  }
  ucnv_setFromUCallBack(converter.get(), UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr,
                        &status);
  std::string out(static_cast<std::size_t>(
                      UCNV_GET_MAX_BYTES_FOR_STRING(units, ucnv_getMaxCharSize(converter.get()))),
                  '\0');
  status = U_ZERO_ERROR;
  const std::int32_t written =
      ucnv_fromUChars(converter.get(), out.data(), static_cast<std::int32_t>(out.size()),
                      reinterpret_cast<const UChar*>(utf16.data()), units, &status);
  if (U_FAILURE(status)) {
    return fail(Errc::invalid_input,
                {fmt::format("{} で表せない文字があります", charset_label(charset)),
                 fmt::format("a character cannot be written in {}", charset_label(charset))});
  }
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace tokumei::ingest
