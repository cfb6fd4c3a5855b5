// Decoding hospitals' character sets to UTF-8, and refusing (with the byte offset) what the
// declared charset does not allow.

#include "tokumei/ingest/text_encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokumei/base/random.h"

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

// decode_to_utf8 decodes by tables made from ICU and leaves the rest to ICU: whatever the input,
// it must answer exactly as ICU alone does (the same text, or the same error at the same offset).
void expect_same_as_icu(const std::string& bytes, Charset charset) {
  auto fast = decode_to_utf8(bytes, charset, "f", 100);
  auto icu = decode_to_utf8_with_icu(bytes, charset, "f", 100);
  ASSERT_EQ(fast.has_value(), icu.has_value()) << ::testing::PrintToString(bytes);
  if (fast) {
    EXPECT_EQ(*fast, *icu) << ::testing::PrintToString(bytes);
  } else {
    EXPECT_EQ(fast.error().describe(Lang::en), icu.error().describe(Lang::en));
    EXPECT_EQ(fast.error().where().offset, icu.error().where().offset);
  }
}

TEST(TextEncoding, EveryCodeDecodesAsIcuDecodesIt) {
  std::string jis = "\x1b$B", roman = "\x1b(J", cp932, single;
  for (int row = 0x21; row <= 0x7E; ++row) {
    for (int cell = 0x21; cell <= 0x7E; ++cell) {
      const std::string code{static_cast<char>(row), static_cast<char>(cell)};
      expect_same_as_icu("\x1b$B" + code, Charset::iso_2022_jp);
    }
  }
  for (int c = 0; c < 0x80; ++c) {
    expect_same_as_icu(std::string(1, static_cast<char>(c)), Charset::iso_2022_jp);
    expect_same_as_icu("\x1b(J" + std::string(1, static_cast<char>(c)), Charset::iso_2022_jp);
  }
  for (int lead = 0; lead < 256; ++lead) {
    expect_same_as_icu(std::string(1, static_cast<char>(lead)), Charset::cp932);
    for (int trail = 0; trail < 256; ++trail) {
      expect_same_as_icu(std::string{static_cast<char>(lead), static_cast<char>(trail)},
                         Charset::cp932);
    }
  }
}

TEST(TextEncoding, RandomInputsDecodeAsIcuDecodesThem) {
  SeededRandom random(2026);
  const std::vector<std::string> pieces = {
      "\x1b$B",   "\x1b(B",       "\x1b(J",       "\x1b$@",      "\x1b(I", "\x1b$(D",
      "\x1b",     "\x1b$",        "\r",           "\n",          "|",      "^",
      "45<T",     "%?%m",         "\x8a\xb3",     "\x82\xa0",    "\xb1",   "\xfb\xfc",
      "\x87\x40", "\xef\xbf\xbd", "\xe6\x82\xa3", "\xed\xa0\x80"};
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    const auto n = random.uniform(12);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (random.uniform(4) == 0) {
        bytes += static_cast<char>(random.uniform(256));
      } else {
        bytes += pieces[random.uniform(pieces.size())];
      }
    }
    for (Charset charset : {Charset::iso_2022_jp, Charset::cp932, Charset::utf8}) {
      expect_same_as_icu(bytes, charset);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace tokumei::ingest
