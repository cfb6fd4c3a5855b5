#include "tokumei/ingest/text_encoding.h"

#include <fmt/format.h>
#include <unicode/ucnv.h>
#include <unicode/ustring.h>

#include <memory>

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

}  // namespace

Result<std::string> decode_to_utf8(std::string_view bytes, Charset charset,
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
