#include "tokumei/identity/japanese.h"

#include <fmt/format.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <tuple>
#include <vector>

namespace tokumei::identity {
namespace {

icu::UnicodeString nfkc_unicode(std::string_view utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  const icu::UnicodeString source = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size())));
  if (U_FAILURE(status)) return source;
  icu::UnicodeString out = nfkc->normalize(source, status);
  return U_FAILURE(status) ? source : out;
}

std::u32string utf32_of(const icu::UnicodeString& s) {
  std::u32string out(static_cast<std::size_t>(s.countChar32()), U'\0');
  UErrorCode status = U_ZERO_ERROR;
  s.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<std::int32_t>(out.size()), status);
  return out;
}

std::u32string nfkc32(std::string_view utf8) { return utf32_of(nfkc_unicode(utf8)); }

bool is_space(char32_t c) {
  return c == U' ' || c == U'\u3000' || c == U'\t' || c == U'\u00a0' || c == U'\u30fb' ||
         c == U'\u00b7';
}
bool is_variation_selector(char32_t c) {
  return (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef);
}
// Marks hospitals use to lengthen a vowel in kana (after NFKC: ー, -, and dashes).
bool is_long_vowel_mark(char32_t c) {
  return c == U'ー' || c == U'-' || c == U'\u2010' || c == U'\u2011' || c == U'\u2012' ||
         c == U'\u2013' || c == U'\u2014' || c == U'\u2015' || c == U'\u2212' || c == U'~' ||
         c == U'\u301c';
}

// The one way each katakana is written here: small kana large, sounds written two ways one.
char32_t standard_kana(char32_t c) {
  switch (c) {
    case U'ァ':
      return U'ア';
    case U'ィ':
      return U'イ';
    case U'ゥ':
      return U'ウ';
    case U'ェ':
      return U'エ';
    case U'ォ':
      return U'オ';
    case U'ッ':
      return U'ツ';
    case U'ャ':
      return U'ヤ';
    case U'ュ':
      return U'ユ';
    case U'ョ':
      return U'ヨ';
    case U'ヮ':
      return U'ワ';
    case U'ヵ':
      return U'カ';
    case U'ヶ':
      return U'ケ';
    case U'ヂ':
      return U'ジ';
    case U'ヅ':
      return U'ズ';
    case U'ヲ':
      return U'オ';
    case U'ヰ':
      return U'イ';
    case U'ヱ':
      return U'エ';
    case U'ヴ':
      return U'ブ';
  }
  return c;
}

// The vowel a (standard) katakana ends in: 'a', 'i', 'u', 'e', 'o', or 0 (ン, anything else).
char vowel_of(char32_t c) {
  static constexpr std::u32string_view rows[] = {
      U"アカガサザタダナハバパマヤラワ", U"イキギシジチニヒビピミリ", U"ウクグスズツヌフブプムユル",
      U"エケゲセゼテデネヘベペメレ", U"オコゴソゾトドノホボポモヨロ"};
  static constexpr char names[] = {'a', 'i', 'u', 'e', 'o'};
  for (std::size_t i = 0; i < 5; ++i) {
    if (rows[i].find(c) != std::u32string_view::npos) return names[i];
  }
  return 0;
}

// Whether kana `c` after a kana ending in `vowel` only lengthens that vowel (トウ, トオ, ユウ,
// ケイ, キイ, カア).
bool lengthens(char vowel, char32_t c) {
  switch (c) {
    case U'ウ':
      return vowel == 'o' || vowel == 'u';
    case U'オ':
      return vowel == 'o';
    case U'イ':
      return vowel == 'e' || vowel == 'i';
    case U'ア':
      return vowel == 'a';
    case U'エ':
      return vowel == 'e';
  }
  return false;
}

// Old and variant kanji (旧字体・異体字) as their standard forms, sorted by code point.
struct Variant {
  char32_t from, to;
};
constexpr Variant kKanjiVariants[] = {
    {U'亞', U'亜'},         {U'來', U'来'}, {U'兒', U'児'}, {U'冨', U'富'}, {U'國', U'国'},
    {U'圓', U'円'},         {U'壽', U'寿'}, {U'實', U'実'}, {U'嵜', U'崎'}, {U'嶋', U'島'},
    {U'嶌', U'島'},         {U'廣', U'広'}, {U'彌', U'弥'}, {U'德', U'徳'}, {U'惠', U'恵'},
    {U'條', U'条'},         {U'榮', U'栄'}, {U'槇', U'槙'}, {U'櫻', U'桜'}, {U'淺', U'浅'},
    {U'澤', U'沢'},         {U'濱', U'浜'}, {U'瀨', U'瀬'}, {U'眞', U'真'}, {U'與', U'与'},
    {U'舘', U'館'},         {U'萬', U'万'}, {U'藏', U'蔵'}, {U'邉', U'辺'}, {U'邊', U'辺'},
    {U'關', U'関'},         {U'髙', U'高'}, {U'齊', U'斎'}, {U'齋', U'斎'}, {U'龜', U'亀'},
    {U'\uFA11', U'崎'},  // 﨑: a unified ideograph in the compatibility block, which NFKC keeps
    {U'\U00020BB7', U'吉'},  // 𠮷
    {U'\U0002550E', U'崎'},  // 𥔎
};
static_assert([] {
  for (std::size_t i = 1; i < std::size(kKanjiVariants); ++i) {
    if (!(kKanjiVariants[i - 1].from < kKanjiVariants[i].from)) return false;
  }
  return true;
}());

char32_t standard_kanji(char32_t c) {
  const auto* end = std::end(kKanjiVariants);
  const auto* it = std::lower_bound(std::begin(kKanjiVariants), end, c,
                                    [](const Variant& v, char32_t x) { return v.from < x; });
  return it != end && it->from == c ? it->to : c;
}

// --- dates ------------------------------------------------------------------------------------

struct Ymd {
  int y = 0, m = 0, d = 0;
  auto operator<=>(const Ymd&) const = default;
};

// The five modern eras: names, first and last day (明治 taken from the start of 1868, when the
// calendar reform of 1873 makes earlier days ambiguous anyway).
struct Era {
  std::u32string_view kanji;
  char32_t short_kanji, letter, code;
  Ymd first, last;
};
constexpr Era kEras[] = {
    {U"明治", U'明', U'M', U'1', {1868, 1, 1}, {1912, 7, 29}},
    {U"大正", U'大', U'T', U'2', {1912, 7, 30}, {1926, 12, 24}},
    {U"昭和", U'昭', U'S', U'3', {1926, 12, 25}, {1989, 1, 7}},
    {U"平成", U'平', U'H', U'4', {1989, 1, 8}, {2019, 4, 30}},
    {U"令和", U'令', U'R', U'5', {2019, 5, 1}, {9999, 12, 31}},
};

const Era* find_era(std::u32string_view name) {
  for (const Era& e : kEras) {
    if (name == e.kanji) return &e;
    if (name.size() == 1) {
      const char32_t c = name[0] >= U'a' && name[0] <= U'z' ? name[0] - 32 : name[0];
      if (c == e.short_kanji || c == e.letter || c == e.code) return &e;
    }
  }
  return nullptr;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in(int y, int m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// The text split into runs of digits and runs of other characters, after NFKC (full-width digits
// and letters become ASCII). 元 (the first year of an era) counts as the number 1.
struct Token {
  bool number = false;
  bool closed = false;  // 元: no digit joins it
  int value = 0;
  std::size_t digits = 0;
  std::u32string text{};
};
std::vector<Token> tokens(const std::u32string& s) {
  std::vector<Token> out;
  for (char32_t c : s) {
    if (is_space(c)) continue;
    if (c == U'元') {
      out.push_back({.number = true, .closed = true, .value = 1, .digits = 1});
    } else if (c >= U'0' && c <= U'9') {
      if (out.empty() || !out.back().number || out.back().closed) out.push_back({.number = true});
      Token& t = out.back();
      if (t.digits < 9) t.value = t.value * 10 + static_cast<int>(c - U'0');
      ++t.digits;
    } else {
      if (out.empty() || out.back().number) out.push_back({});
      out.back().text.push_back(c);
    }
  }
  return out;
}

std::optional<int> era_year(const Era& e, int number) {
  if (number < 1 || e.first.y + number - 1 > e.last.y) return std::nullopt;
  return e.first.y + number - 1;
}

Result<std::string> bad_date(std::string_view text, std::string_view ja, std::string_view en) {
  return fail(Errc::invalid_argument,
              {fmt::format("日付「{}」: {}", text, ja), fmt::format("date \"{}\": {}", text, en)});
}

Result<std::string> checked(std::string_view text, Ymd date, const Era* era) {
  if (date.m < 1 || date.m > 12 || date.d < 1 || date.d > days_in(date.y, date.m)) {
    return bad_date(text, "存在しない日です", "no such day");
  }
  if (era != nullptr && (date < era->first || era->last < date)) {
    return bad_date(text, fmt::format("{}の期間外です", utf8_of(era->kanji)), "outside the era");
  }
  return fmt::format("{:04}-{:02}-{:02}", date.y, date.m, date.d);
}

bool separator(const Token& t, std::u32string_view allowed) {
  return !t.number && t.text.size() == 1 && allowed.find(t.text[0]) != std::u32string_view::npos;
}

}  // namespace

std::string nfkc(std::string_view utf8) {
  std::string out;
  nfkc_unicode(utf8).toUTF8String(out);
  return out;
}

std::u32string code_points(std::string_view utf8) {
  return utf32_of(icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size()))));
}

std::string utf8_of(std::u32string_view text) {
  std::string out;
  icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()),
                                static_cast<std::int32_t>(text.size()))
      .toUTF8String(out);
  return out;
}

std::string normalize_kana(std::string_view utf8) {
  std::u32string out;
  char vowel = 0;  // of the last kana kept
  bool last_was_vu = false;
  for (char32_t c : nfkc32(utf8)) {
    if (is_space(c) || is_long_vowel_mark(c) || is_variation_selector(c)) continue;
    if (c >= U'\u3041' && c <= U'\u3096') c += 0x60;  // hiragana → katakana
    if (last_was_vu && !out.empty()) {  // ヴァ ヴィ ヴェ ヴォ → バ ビ ベ ボ
      last_was_vu = false;
      const std::u32string_view small = U"ァィェォ", voiced = U"バビベボ";
      if (const auto at = small.find(c); at != std::u32string_view::npos) {
        out.back() = voiced[at];
        vowel = vowel_of(out.back());
        continue;
      }
    }
    last_was_vu = c == U'ヴ';
    c = standard_kana(c);
    if (lengthens(vowel, c)) continue;
    out.push_back(c);
    vowel = vowel_of(c);
  }
  return utf8_of(out);
}

std::string normalize_kanji(std::string_view utf8) {
  std::u32string out;
  for (char32_t c : nfkc32(utf8)) {
    if (is_space(c) || is_variation_selector(c)) continue;
    out.push_back(standard_kanji(c));
  }
  return utf8_of(out);
}

std::optional<int> western_year(std::string_view era, int number) {
  if (era.size() == 1) {  // a letter or a claims code: no conversion needed
    const Era* e = find_era(std::u32string(1, static_cast<char32_t>(era[0])));
    return e != nullptr ? era_year(*e, number) : std::nullopt;
  }
  const std::u32string name32 = code_points(era);
  const Era* e = find_era(name32);
  return e != nullptr ? era_year(*e, number) : std::nullopt;
}

Result<std::string> normalize_date(std::string_view text) {
  const std::u32string s = nfkc32(text);
  const std::vector<Token> t = tokens(s);
  if (t.empty()) return bad_date(text, "空です", "empty");

  // Compact forms: yyyyMMdd (8 digits) and the claims' GYYMMDD (7 digits, G the era's code).
  if (t.size() == 1 && t[0].number) {
    const int v = t[0].value;
    if (t[0].digits == 8) return checked(text, {v / 10000, v / 100 % 100, v % 100}, nullptr);
    if (t[0].digits == 7) {
      const Era* era = find_era(std::u32string(1, static_cast<char32_t>(U'0' + v / 1000000)));
      const auto year = era ? era_year(*era, v / 10000 % 100) : std::nullopt;
      if (!year) return bad_date(text, "元号の年が読めません", "unreadable era year");
      return checked(text, {*year, v / 100 % 100, v % 100}, era);
    }
    return bad_date(text, "8 桁 (yyyyMMdd) か 7 桁 (GYYMMDD) ではありません",
                    "not 8 digits (yyyyMMdd) or 7 (GYYMMDD)");
  }

  // An era name (昭和, 昭, S, s) before the year, or none.
  std::size_t i = 0;
  const Era* era = nullptr;
  if (!t[0].number) {
    era = find_era(t[0].text);
    if (era == nullptr) return bad_date(text, "元号が読めません", "unknown era");
    i = 1;
  }
  // year SEP month SEP day [日], where SEP is one of - / . or 年 then 月.
  if (t.size() < i + 5 || !t[i].number || !t[i + 2].number || !t[i + 4].number) {
    return bad_date(text, "年・月・日がそろっていません", "year, month and day are not all there");
  }
  const bool kanji = separator(t[i + 1], U"年") && separator(t[i + 3], U"月");
  const bool punctuated = separator(t[i + 1], U"-/.") && t[i + 3].text == t[i + 1].text;
  const bool tail_ok =
      t.size() == i + 5 || (kanji && t.size() == i + 6 && separator(t[i + 5], U"日"));
  if (!(kanji || punctuated) || !tail_ok) {
    return bad_date(text, "区切りが読めません", "unreadable separators");
  }
  int year = t[i].value;
  if (era != nullptr) {
    const auto western = t[i].digits <= 2 ? era_year(*era, year) : std::nullopt;
    if (!western) return bad_date(text, "元号の年が範囲外です", "year outside the era");
    year = *western;
  } else if (t[i].digits != 4) {
    return bad_date(text, "西暦の年は 4 桁です", "a western year has 4 digits");
  }
  if (t[i + 2].digits > 2 || t[i + 4].digits > 2) {
    return bad_date(text, "月か日の桁が多すぎます", "month or day has too many digits");
  }
  return checked(text, {year, t[i + 2].value, t[i + 4].value}, era);
}

}  // namespace tokumei::identity
