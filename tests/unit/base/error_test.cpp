#include "tokumei/base/error.h"

#include <gtest/gtest.h>

namespace tokumei {
namespace {

const Text kMsg{"整数を指定してください", "expected an integer"};

TEST(Error, DescribeWithFullLocation) {
  Error e(Errc::invalid_input, kMsg, Location{"tokumei.toml", 7, 1, "store.busy_timeout_ms"});
  EXPECT_EQ(e.describe(), "tokumei.toml:7:1: store.busy_timeout_ms: 整数を指定してください");
  EXPECT_EQ(e.describe(Lang::ja),
            "tokumei.toml:7:1: store.busy_timeout_ms: 整数を指定してください");
  EXPECT_EQ(e.describe(Lang::en), "tokumei.toml:7:1: store.busy_timeout_ms: expected an integer");
}

TEST(Error, DescribeWithPartialLocation) {
  EXPECT_EQ(Error(Errc::invalid_input, kMsg, Location{"a.csv", 12, 0, ""}).describe(Lang::en),
            "a.csv:12: expected an integer");
  EXPECT_EQ(Error(Errc::invalid_input, kMsg, Location{"a.csv", 0, 0, "age"}).describe(Lang::en),
            "a.csv: age: expected an integer");
  EXPECT_EQ(Error(Errc::invalid_input, kMsg, Location{"", 0, 0, "age"}).describe(Lang::ja),
            "age: 整数を指定してください");
  EXPECT_EQ(Error(Errc::invalid_input, kMsg, Location{"", 3, 0, ""}).describe(Lang::ja),
            "行 3: 整数を指定してください");
  EXPECT_EQ(Error(Errc::invalid_input, kMsg, Location{"", 3, 0, "age"}).describe(Lang::en),
            "line 3: age: expected an integer");
  // Binary and non-line formats are located by byte offset.
  const Location at_byte{.file = "a.uke", .field = "RE", .offset = 1234};
  EXPECT_FALSE(at_byte.empty());
  EXPECT_EQ(Error(Errc::invalid_input, kMsg, at_byte).describe(Lang::en),
            "a.uke (offset 1234): RE: expected an integer");
  EXPECT_EQ(Error(Errc::invalid_input, kMsg, at_byte).describe(Lang::ja),
            "a.uke (オフセット 1234): RE: 整数を指定してください");
}

TEST(Error, DescribeWithoutLocation) {
  Error e(Errc::not_found, {"見つかりません", "not found"});
  EXPECT_TRUE(e.where().empty());
  EXPECT_EQ(e.describe(Lang::ja), "見つかりません");
  EXPECT_EQ(e.describe(Lang::en), "not found");
}

TEST(Error, Accessors) {
  Error e(Errc::expired, {"期限切れです", "expired"}, Location{"f", 1, 2, "k"});
  EXPECT_EQ(e.code(), Errc::expired);
  EXPECT_EQ(e.message(), "期限切れです");
  EXPECT_EQ(e.message(Lang::en), "expired");
  EXPECT_EQ(e.text().in(Lang::ja), "期限切れです");
  EXPECT_EQ(e.where().column, 2);
  EXPECT_FALSE(e.where().empty());
}

TEST(Error, WithinPrefixesBothLanguages) {
  Error e(Errc::io, {"ファイルがありません", "no such file"});
  e.within({"鍵束を開く", "opening the key ring"});
  EXPECT_EQ(e.message(Lang::ja), "鍵束を開く: ファイルがありません");
  EXPECT_EQ(e.message(Lang::en), "opening the key ring: no such file");
  e.within({"起動", "starting"});
  EXPECT_EQ(e.message(Lang::en), "starting: opening the key ring: no such file");
  EXPECT_EQ(e.code(), Errc::io);
}

TEST(Error, WithinKeepsTheLocation) {
  Error e(Errc::invalid_input, kMsg, Location{"a.toml", 2, 0, "k"});
  e.within({"設定", "configuration"});
  EXPECT_EQ(e.describe(Lang::en), "a.toml:2: k: configuration: expected an integer");
}

TEST(Lang, ParsesJapaneseAndEnglish) {
  Lang lang = Lang::en;
  EXPECT_TRUE(parse_lang("ja", &lang));
  EXPECT_EQ(lang, Lang::ja);
  EXPECT_TRUE(parse_lang("EN", &lang));
  EXPECT_EQ(lang, Lang::en);
  EXPECT_TRUE(parse_lang("Ja", &lang));
  EXPECT_EQ(lang, Lang::ja);
  EXPECT_TRUE(parse_lang("english", &lang));
  EXPECT_EQ(lang, Lang::en);
}

TEST(Lang, RejectsOtherLanguagesWithoutTouchingTheOutput) {
  Lang lang = Lang::ja;
  EXPECT_FALSE(parse_lang("fr", &lang));
  EXPECT_FALSE(parse_lang("", &lang));
  EXPECT_FALSE(parse_lang("ja ", &lang));
  EXPECT_EQ(lang, Lang::ja);
  lang = Lang::en;
  EXPECT_FALSE(parse_lang("de", &lang));
  EXPECT_EQ(lang, Lang::en);
}

TEST(Errc, HasStableNames) {
  EXPECT_EQ(errc_name(Errc::invalid_input), "invalid_input");
  EXPECT_EQ(errc_name(Errc::key_destroyed), "key_destroyed");
  EXPECT_EQ(errc_name(Errc::internal), "internal");
}

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(Errc::invalid_argument, {"正の数ではありません", "not positive"});
  return v;
}

Result<int> doubled(int v) {
  TKM_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  TKM_RETURN_IF_ERROR(parse_positive(v));
  return ok();
}

TEST(Result, MacrosPassValuesAndErrorsThrough) {
  EXPECT_EQ(doubled(4).value(), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), Errc::invalid_argument);
  EXPECT_EQ(bad.error().message(Lang::en), "not positive");
  EXPECT_TRUE(check(1).has_value());
  EXPECT_EQ(check(0).error().code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace tokumei
