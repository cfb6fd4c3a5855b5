#pragma once
// Japanese names and dates as they are compared (名寄せ and the quality checks): the same name or
// date written in the different ways hospitals' systems write it comes out as the same text.
//
// - Kana names: NFKC (half-width ｶﾅ → full-width), hiragana → katakana, small kana → large
//   (ァ→ア, ッ→ツ, ャ→ヤ), sounds written two ways made one (ヂ→ジ, ヅ→ズ, ヲ→オ, ヰ→イ, ヱ→エ,
//   ヴ→ブ), long vowels made short (ー dropped; a vowel that only lengthens the one before it, as
//   in サトウ/サトー/サトオ, dropped), spaces dropped.
// - Kanji names: NFKC, old and variant forms to the standard ones (髙→高, 﨑→崎, 邊/邉→辺,
// 齋/齊→斎,
//   澤→沢, …), variation selectors and spaces dropped.
// - Dates: western (2024-03-01, 2024/3/1, 2024年3月1日, 20240301) or Japanese-era (昭和50年3月1日,
//   昭和元年…, S50.3.1, H1/1/8, R1-05-01, 昭50.3.1, claims-style 3500301) as ISO yyyy-mm-dd,
//   checked against the calendar and the era's first and last day.

#include <optional>
#include <string>
#include <string_view>

#include "tokumei/base/error.h"

namespace tokumei::identity {

// Unicode NFKC of UTF-8 text (ICU). Invalid UTF-8 sequences become U+FFFD.
std::string nfkc(std::string_view utf8);

// UTF-8 text as code points (invalid sequences become U+FFFD).
std::u32string code_points(std::string_view utf8);
// Code points as UTF-8.
std::string utf8_of(std::u32string_view text);

// A kana name as compared (see above). The family and given names may be given together; spaces
// between them are dropped.
std::string normalize_kana(std::string_view utf8);

// A kanji name as compared (see above).
std::string normalize_kanji(std::string_view utf8);

// The western year of year `number` of a Japanese era, named by its kanji (昭和, or 昭), its letter
// (S) or its claims code (3); nullopt for an unknown era or a year the era did not reach.
// 元 is written as 1.
std::optional<int> western_year(std::string_view era, int number);

// A date as ISO yyyy-mm-dd. Errc::invalid_argument, saying why, when the text is not a date in a
// form above, the day does not exist, or the era had ended (昭和65年) or not yet begun.
Result<std::string> normalize_date(std::string_view text);

}  // namespace tokumei::identity
