#include "tokumei/identity/japanese.h"

#include <gtest/gtest.h>

namespace tokumei::identity {
namespace {

TEST(Nfkc, WidensHalfWidthKanaAndNarrowsFullWidthLetters) {
  EXPECT_EQ(nfkc("ｻﾄｳ ﾀﾛｳ"), "サトウ タロウ");
  EXPECT_EQ(nfkc("ｶﾞｯｺｳ"), "ガッコウ");  // the voiced mark joins its kana
  EXPECT_EQ(nfkc("ＡＢＣ１２３"), "ABC123");
}

TEST(NormalizeKana, WritesOneNameOneWay) {
  // Half-width, hiragana, spaces and the full-width space all give the same name.
  const std::string expected = normalize_kana("サトウ　タロウ");
  EXPECT_EQ(normalize_kana("ｻﾄｳ ﾀﾛｳ"), expected);
  EXPECT_EQ(normalize_kana("さとう たろう"), expected);
  EXPECT_EQ(normalize_kana("サトウタロウ"), expected);
  // Long vowels: ー, オウ, オオ and a plain short vowel are one.
  EXPECT_EQ(normalize_kana("サトー"), normalize_kana("サトウ"));
  EXPECT_EQ(normalize_kana("オオノ"), normalize_kana("オーノ"));
  EXPECT_EQ(normalize_kana("ユウマ"), normalize_kana("ユーマ"));
  EXPECT_EQ(normalize_kana("ケイコ"), normalize_kana("ケーコ"));
  // Small kana and sounds written two ways.
  EXPECT_EQ(normalize_kana("ショウ"), normalize_kana("シヨウ"));
  EXPECT_EQ(normalize_kana("ハットリ"), normalize_kana("ハツトリ"));
  EXPECT_EQ(normalize_kana("スズキ"), normalize_kana("スヅキ"));
  EXPECT_EQ(normalize_kana("フジタ"), normalize_kana("フヂタ"));
  EXPECT_EQ(normalize_kana("ヴァイオリン"), normalize_kana("ばいおりん"));
}

TEST(NormalizeKana, KeepsNamesThatDiffer) {
  EXPECT_NE(normalize_kana("サトウ"), normalize_kana("サイトウ"));
  EXPECT_NE(normalize_kana("カトウ"), normalize_kana("ガトウ"));  // voiced marks count
  EXPECT_NE(normalize_kana("タロウ"), normalize_kana("ジロウ"));
  EXPECT_EQ(normalize_kana(""), "");
}

TEST(NormalizeKanji, MakesVariantFormsStandard) {
  EXPECT_EQ(normalize_kanji("髙橋"), "高橋");
  EXPECT_EQ(normalize_kanji("山\uFA11"), "山崎");  // 﨑, which NFKC leaves as it is
  EXPECT_EQ(normalize_kanji("山\U0002550E"), "山崎");
  EXPECT_EQ(normalize_kanji("渡邊"), "渡辺");
  EXPECT_EQ(normalize_kanji("渡邉"), "渡辺");
  EXPECT_EQ(normalize_kanji("齋藤"), "斎藤");
  EXPECT_EQ(normalize_kanji("齊藤"), "斎藤");
  EXPECT_EQ(normalize_kanji("\U00020BB7田"), "吉田");
  EXPECT_EQ(normalize_kanji("長谷川　花子"), "長谷川花子");
  // A variation selector (IVS) after 葛 is dropped; a compatibility ideograph NFKC decomposes
  // (塚 U+FA10) becomes the unified one.
  EXPECT_EQ(normalize_kanji("葛\U000E0100飾"), "葛飾");
  EXPECT_EQ(normalize_kanji("\uFA10本"), "塚本");
  // Distinct surnames stay distinct.
  EXPECT_NE(normalize_kanji("斉藤"), normalize_kanji("斎藤"));
}

TEST(WesternYear, ByNameLetterOrCode) {
  EXPECT_EQ(western_year("昭和", 50), 1975);
  EXPECT_EQ(western_year("昭", 50), 1975);
  EXPECT_EQ(western_year("S", 50), 1975);
  EXPECT_EQ(western_year("s", 50), 1975);
  EXPECT_EQ(western_year("3", 50), 1975);
  EXPECT_EQ(western_year("平成", 1), 1989);
  EXPECT_EQ(western_year("令和", 1), 2019);
  EXPECT_EQ(western_year("明治", 45), 1912);
  EXPECT_EQ(western_year("大正", 15), 1926);
  EXPECT_FALSE(western_year("昭和", 65));  // 昭和 ended in its 64th year
  EXPECT_FALSE(western_year("平成", 32));
  EXPECT_FALSE(western_year("平成", 0));
  EXPECT_FALSE(western_year("慶応", 3));
  EXPECT_FALSE(western_year("6", 1));
}

TEST(NormalizeDate, ReadsWesternAndEraForms) {
  for (const char* text :
       {"1975-03-01", "1975/3/1", "1975.03.01", "1975年3月1日", "１９７５年３月１日", "19750301",
        "昭和50年3月1日", "昭和５０年３月１日", "昭和 50 年 3 月 1 日", "S50.3.1", "s50/03/01",
        "S50-3-1", "昭50.3.1", "3500301", "昭和50年3月1"}) {
    const auto date = normalize_date(text);
    ASSERT_TRUE(date) << text << ": " << date.error().message(Lang::en);
    EXPECT_EQ(*date, "1975-03-01") << text;
  }
  EXPECT_EQ(*normalize_date("平成元年1月8日"), "1989-01-08");
  EXPECT_EQ(*normalize_date("令和元年5月1日"), "2019-05-01");
  EXPECT_EQ(*normalize_date("R1.5.1"), "2019-05-01");
  EXPECT_EQ(*normalize_date("H31.4.30"), "2019-04-30");
  EXPECT_EQ(*normalize_date("M45.7.29"), "1912-07-29");
  EXPECT_EQ(*normalize_date("2024-02-29"), "2024-02-29");
}

TEST(NormalizeDate, RefusesWhatIsNoDateAndSaysWhy) {
  struct Case {
    const char* text;
    const char* reason;  // part of the English message
  };
  for (const Case& c : {
           Case{"", "empty"},
           Case{"2023-02-29", "no such day"},
           Case{"2024-13-01", "no such day"},
           Case{"昭和65年1月1日", "year outside the era"},
           Case{"昭和64年1月8日", "outside the era"},  // already 平成元年
           Case{"平成元年1月7日", "outside the era"},  // still 昭和64年
           Case{"平成31年5月1日", "outside the era"},  // already 令和元年
           Case{"慶応3年1月1日", "unknown era"},
           Case{"75-03-01", "4 digits"},
           Case{"1975-03", "not all there"},
           Case{"1975-03/01", "separators"},
           Case{"1975年3月1日朝", "separators"},
           Case{"6500301", "era year"},
           Case{"197503", "not 8 digits"},
           Case{"1975-003-01", "too many digits"},
       }) {
    const auto date = normalize_date(c.text);
    ASSERT_FALSE(date) << c.text << " gave " << *date;
    EXPECT_EQ(date.error().code(), Errc::invalid_argument);
    EXPECT_NE(date.error().message(Lang::en).find(c.reason), std::string::npos)
        << c.text << ": " << date.error().message(Lang::en);
    EXPECT_NE(date.error().message(Lang::ja).find(c.text), std::string::npos);
  }
}

}  // namespace
}  // namespace tokumei::identity
