// Decoding hospitals' character sets to UTF-8, and refusing (with the byte offset) what the
// declared charset does not allow.

#include "tokumei/ingest/text_encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tokumei::ingest {
namespace {

using ::testing::HasSubstr;

TEST(TextEncoding, Iso2022JpKanjiAndKanaBehindEscapes) {
  // 患者^タロウ: ESC $ B switches to JIS X 0208, ESC ( B back to ASCII; "<" and "^" inside the
  // kanji are not delimiters.
  const std::string bytes = "\x1b$B45<T\x1b(B^\x1b$B%?%m%&\x1b(B|";
  auto text = decode_to_utf8(bytes, Charset::iso_2022_jp, "msg");
  ASSERT_TRUE(text) << text.error().describe(Lang::en);
  EXPECT_EQ(*text, "患者^タロウ|");
}

TEST(TextEncoding, Cp932OnlyKanjiInIso2022JpIsRefusedAtItsOffset) {
  const std::string bytes = "PID|1|\xFB\xFC|";
  auto text = decode_to_utf8(bytes, Charset::iso_2022_jp, "a/b/file_1");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code(), Errc::invalid_input);
  EXPECT_EQ(text.error().where().file, "a/b/file_1");
  EXPECT_EQ(text.error().where().offset, 6);
  EXPECT_THAT(text.error().describe(Lang::en), HasSubstr("0xFB"));
  EXPECT_THAT(text.error().describe(Lang::en), HasSubstr("ISO-2022-JP"));
  EXPECT_THAT(text.error().describe(Lang::ja), HasSubstr("オフセット 6"));
}

TEST(TextEncoding, Cp932WithWindowsExtensions) {
  // 患者 in Shift_JIS, then ① (NEC row 13) and 髙 (IBM extension 0xFB 0xFC) that plain
  // Shift_JIS lacks.
  auto text = decode_to_utf8("\x8A\xB3\x8E\xD2\x87\x40\xFB\xFC", Charset::cp932, "c.UKE");
  ASSERT_TRUE(text) << text.error().describe(Lang::en);
  EXPECT_EQ(*text, "患者①髙");
}

TEST(TextEncoding, TruncatedCp932AtTheEndIsRefused) {
  auto text = decode_to_utf8("IR,1\r\n\x8A", Charset::cp932, "c.UKE");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().where().offset, 6);
  // The same bytes as a part that starts 2 MiB into the file: the offset is the file's.
  auto part = decode_to_utf8("IR,1\r\n\x8A", Charset::cp932, "c.UKE", 2 << 20);
  ASSERT_FALSE(part);
  EXPECT_EQ(part.error().where().offset, (2 << 20) + 6);
}

TEST(TextEncoding, InvalidUtf8IsRefusedAtItsOffset) {
  auto text = decode_to_utf8("{\"a\":\"\xC3\x28\"}", Charset::utf8, "b.json");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().where().offset, 6);
  EXPECT_TRUE(decode_to_utf8("日本語", Charset::utf8, "b.json").has_value());
}

TEST(TextEncoding, LongInputCrossesTheConversionChunks) {
  std::string bytes, want;
  for (int i = 0; i < 20000; ++i) {
    bytes += "\x1b$B45<T\x1b(BA";
    want += "患者A";
  }
  auto text = decode_to_utf8(bytes, Charset::iso_2022_jp, "long");
  ASSERT_TRUE(text) << text.error().describe(Lang::en);
  EXPECT_EQ(*text, want);
  bytes += "\x80";
  auto bad = decode_to_utf8(bytes, Charset::iso_2022_jp, "long");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where().offset, static_cast<std::int64_t>(bytes.size() - 1));
}

TEST(TextEncoding, EmptyInputIsEmptyText) {
  auto text = decode_to_utf8("", Charset::cp932, "empty");
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "");
}

}  // namespace
}  // namespace tokumei::ingest
