#include "tokumei/synth/population.h"

#include <fmt/format.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "tokumei/identity/japanese.h"
#include "tokumei/synth/generator.h"

namespace tokumei::synth {
namespace {

struct Surname {
  std::string_view kanji, kana;
  std::string_view variant{};  // the same name in an old or variant form, when it has one
};
// Common surnames, most common first (drawn with falling frequency). Some share a reading
// (斎藤/斉藤, 渡辺/渡部), as real ones do.
constexpr Surname kSurnames[] = {
    {"佐藤", "サトウ"},
    {"鈴木", "スズキ"},
    {"高橋", "タカハシ", "髙橋"},
    {"田中", "タナカ"},
    {"伊藤", "イトウ"},
    {"渡辺", "ワタナベ", "渡邊"},
    {"山本", "ヤマモト"},
    {"中村", "ナカムラ"},
    {"小林", "コバヤシ"},
    {"加藤", "カトウ"},
    {"吉田", "ヨシダ", "𠮷田"},
    {"山田", "ヤマダ"},
    {"佐々木", "ササキ"},
    {"山口", "ヤマグチ"},
    {"松本", "マツモト"},
    {"井上", "イノウエ"},
    {"木村", "キムラ"},
    {"林", "ハヤシ"},
    {"斎藤", "サイトウ", "齋藤"},
    {"清水", "シミズ"},
    {"山崎", "ヤマザキ", "山﨑"},
    {"森", "モリ"},
    {"池田", "イケダ"},
    {"橋本", "ハシモト"},
    {"阿部", "アベ"},
    {"石川", "イシカワ"},
    {"山下", "ヤマシタ"},
    {"中島", "ナカジマ", "中嶋"},
    {"石井", "イシイ"},
    {"小川", "オガワ"},
    {"前田", "マエダ"},
    {"岡田", "オカダ"},
    {"長谷川", "ハセガワ"},
    {"藤田", "フジタ"},
    {"後藤", "ゴトウ"},
    {"近藤", "コンドウ"},
    {"村上", "ムラカミ"},
    {"遠藤", "エンドウ"},
    {"青木", "アオキ"},
    {"坂本", "サカモト"},
    {"斉藤", "サイトウ"},
    {"福田", "フクダ"},
    {"太田", "オオタ"},
    {"西村", "ニシムラ"},
    {"藤井", "フジイ"},
    {"金子", "カネコ"},
    {"岡本", "オカモト"},
    {"藤原", "フジワラ"},
    {"中野", "ナカノ"},
    {"三浦", "ミウラ"},
    {"原田", "ハラダ"},
    {"中川", "ナカガワ"},
    {"松田", "マツダ"},
    {"竹内", "タケウチ"},
    {"小野", "オノ"},
    {"田村", "タムラ"},
    {"中山", "ナカヤマ"},
    {"和田", "ワダ"},
    {"石田", "イシダ"},
    {"森田", "モリタ"},
    {"上田", "ウエダ"},
    {"原", "ハラ"},
    {"内田", "ウチダ"},
    {"柴田", "シバタ"},
    {"酒井", "サカイ"},
    {"宮崎", "ミヤザキ", "宮﨑"},
    {"横山", "ヨコヤマ"},
    {"高木", "タカギ", "髙木"},
    {"安藤", "アンドウ"},
    {"宮本", "ミヤモト"},
    {"大野", "オオノ"},
    {"小島", "コジマ", "小嶋"},
    {"谷口", "タニグチ"},
    {"今井", "イマイ"},
    {"工藤", "クドウ"},
    {"高田", "タカダ", "髙田"},
    {"増田", "マスダ"},
    {"丸山", "マルヤマ"},
    {"杉山", "スギヤマ"},
    {"村田", "ムラタ"},
    {"大塚", "オオツカ"},
    {"小山", "コヤマ"},
    {"平野", "ヒラノ"},
    {"藤本", "フジモト"},
    {"河野", "コウノ"},
    {"上野", "ウエノ"},
    {"野口", "ノグチ"},
    {"武田", "タケダ"},
    {"松井", "マツイ"},
    {"千葉", "チバ"},
    {"岩崎", "イワサキ", "岩﨑"},
    {"菅原", "スガワラ"},
    {"木下", "キノシタ"},
    {"久保", "クボ"},
    {"佐野", "サノ"},
    {"野村", "ノムラ"},
    {"松尾", "マツオ"},
    {"市川", "イチカワ"},
    {"菊地", "キクチ"},
    {"杉本", "スギモト"},
    {"古川", "フルカワ"},
    {"大西", "オオニシ"},
    {"島田", "シマダ", "嶋田"},
    {"水野", "ミズノ"},
    {"桜井", "サクライ", "櫻井"},
    {"高野", "タカノ", "髙野"},
    {"渡部", "ワタナベ"},
    {"吉村", "ヨシムラ", "𠮷村"},
    {"沢田", "サワダ", "澤田"},
    {"浜田", "ハマダ", "濱田"},
    {"広瀬", "ヒロセ", "廣瀬"},
};
struct Given {
  std::string_view kanji, kana;
};
constexpr Given kMale[] = {
    {"太郎", "タロウ"},   {"一郎", "イチロウ"}, {"健", "ケン"},       {"大輔", "ダイスケ"},
    {"翔太", "ショウタ"}, {"誠", "マコト"},     {"浩", "ヒロシ"},     {"修", "オサム"},
    {"隆", "タカシ"},     {"蓮", "レン"},       {"悠真", "ユウマ"},   {"拓也", "タクヤ"},
    {"健太", "ケンタ"},   {"直樹", "ナオキ"},   {"和也", "カズヤ"},   {"達也", "タツヤ"},
    {"哲也", "テツヤ"},   {"剛", "ツヨシ"},     {"学", "マナブ"},     {"茂", "シゲル"},
    {"稔", "ミノル"},     {"清", "キヨシ"},     {"勇", "イサム"},     {"進", "ススム"},
    {"博", "ヒロシ"},     {"正", "タダシ"},     {"豊", "ユタカ"},     {"実", "ミノル"},
    {"聡", "サトシ"},     {"洋", "ヒロシ"},     {"亮", "リョウ"},     {"翼", "ツバサ"},
    {"陸", "リク"},       {"大和", "ヤマト"},   {"湊", "ミナト"},     {"陽翔", "ハルト"},
    {"悠人", "ユウト"},   {"颯太", "ソウタ"},   {"健一", "ケンイチ"}, {"雄一", "ユウイチ"},
    {"英樹", "ヒデキ"},   {"秀樹", "ヒデキ"},   {"康弘", "ヤスヒロ"}, {"和夫", "カズオ"},
    {"昭", "アキラ"},     {"明", "アキラ"},     {"勝", "マサル"},     {"弘", "ヒロシ"},
    {"功", "イサオ"},     {"武", "タケシ"},
};
constexpr Given kFemale[] = {
    {"花子", "ハナコ"},   {"陽子", "ヨウコ"},   {"恵子", "ケイコ"},   {"美咲", "ミサキ"},
    {"結衣", "ユイ"},     {"直美", "ナオミ"},   {"由美", "ユミ"},     {"幸子", "サチコ"},
    {"葵", "アオイ"},     {"千代", "チヨ"},     {"智子", "トモコ"},   {"久美子", "クミコ"},
    {"裕子", "ユウコ"},   {"優子", "ユウコ"},   {"明美", "アケミ"},   {"真由美", "マユミ"},
    {"和子", "カズコ"},   {"洋子", "ヨウコ"},   {"京子", "キョウコ"}, {"典子", "ノリコ"},
    {"順子", "ジュンコ"}, {"節子", "セツコ"},   {"弘子", "ヒロコ"},   {"美穂", "ミホ"},
    {"愛", "アイ"},       {"舞", "マイ"},       {"彩", "アヤ"},       {"さくら", "サクラ"},
    {"陽菜", "ヒナ"},     {"結愛", "ユア"},     {"凛", "リン"},       {"芽依", "メイ"},
    {"莉子", "リコ"},     {"美優", "ミユ"},     {"七海", "ナナミ"},   {"恵美", "エミ"},
    {"香織", "カオリ"},   {"麻衣", "マイ"},     {"沙織", "サオリ"},   {"友美", "トモミ"},
    {"奈々", "ナナ"},     {"亜希子", "アキコ"}, {"純子", "ジュンコ"}, {"文子", "フミコ"},
    {"静香", "シズカ"},   {"千尋", "チヒロ"},   {"瞳", "ヒトミ"},     {"綾", "アヤ"},
    {"恵", "メグミ"},     {"美紀", "ミキ"},
};

// The long tail of names, made of two parts (山+田, 健+太): most persons have a name outside the
// common lists, as in Japan, where the hundred commonest surnames cover about a third of people.
struct Part {
  std::string_view kanji, kana;
  std::string_view variant{};  // an old or variant form of the part
};
constexpr Part kSurnameFirst[] = {
    {"山", "ヤマ"},         {"田", "タ"},         {"中", "ナカ"},       {"小", "コ"},
    {"大", "オオ"},         {"高", "タカ", "髙"}, {"石", "イシ"},       {"川", "カワ"},
    {"木", "キ"},           {"松", "マツ"},       {"井", "イ"},         {"森", "モリ"},
    {"岡", "オカ"},         {"藤", "フジ"},       {"西", "ニシ"},       {"東", "ヒガシ"},
    {"北", "キタ"},         {"南", "ミナミ"},     {"上", "ウエ"},       {"下", "シモ"},
    {"村", "ムラ"},         {"竹", "タケ"},       {"杉", "スギ"},       {"梅", "ウメ"},
    {"桜", "サクラ", "櫻"}, {"堀", "ホリ"},       {"宮", "ミヤ"},       {"原", "ハラ"},
    {"野", "ノ"},           {"前", "マエ"},       {"新", "ニイ"},       {"古", "フル"},
    {"長", "ナガ"},         {"今", "イマ"},       {"平", "ヒラ"},       {"福", "フク"},
    {"吉", "ヨシ"},         {"菊", "キク"},       {"浅", "アサ"},       {"沢", "サワ", "澤"},
    {"浜", "ハマ", "濱"},   {"広", "ヒロ", "廣"}, {"島", "シマ", "嶋"}, {"星", "ホシ"},
};
constexpr Part kSurnameSecond[] = {
    {"田", "ダ"},   {"山", "ヤマ"},       {"川", "カワ"},       {"村", "ムラ"},
    {"本", "モト"}, {"井", "イ"},         {"野", "ノ"},         {"木", "キ"},
    {"原", "ハラ"}, {"島", "ジマ", "嶋"}, {"沢", "ザワ", "澤"}, {"谷", "タニ"},
    {"口", "グチ"}, {"部", "ベ"},         {"岡", "オカ"},       {"崎", "ザキ", "﨑"},
    {"内", "ウチ"}, {"橋", "ハシ"},       {"森", "モリ"},       {"下", "シタ"},
    {"上", "カミ"}, {"池", "イケ"},       {"浦", "ウラ"},       {"尾", "オ"},
    {"塚", "ツカ"}, {"城", "シロ"},       {"瀬", "セ"},         {"浜", "ハマ", "濱"},
    {"江", "エ"},   {"辺", "ベ", "邊"},
};
constexpr Part kMaleFirst[] = {
    {"健", "ケン"}, {"大", "ダイ"}, {"翔", "ショウ"}, {"拓", "タク"}, {"和", "カズ"},
    {"達", "タツ"}, {"哲", "テツ"}, {"直", "ナオ"},   {"雄", "ユウ"}, {"英", "ヒデ"},
    {"秀", "ヒデ"}, {"康", "ヤス"}, {"正", "マサ"},   {"勝", "カツ"}, {"弘", "ヒロ"},
    {"浩", "ヒロ"}, {"博", "ヒロ"}, {"孝", "タカ"},   {"隆", "タカ"}, {"俊", "トシ"},
    {"信", "ノブ"}, {"義", "ヨシ"}, {"光", "ミツ"},   {"誠", "セイ"}, {"良", "リョウ"},
    {"晴", "ハル"}, {"悠", "ユウ"}, {"陽", "ハル"},   {"蒼", "ソウ"}, {"颯", "ソウ"},
};
constexpr Part kMaleSecond[] = {
    {"太", "タ"},   {"也", "ヤ"},   {"介", "スケ"}, {"輔", "スケ"}, {"樹", "キ"},
    {"一", "イチ"}, {"二", "ジ"},   {"郎", "ロウ"}, {"人", "ト"},   {"斗", "ト"},
    {"真", "マ"},   {"平", "ヘイ"}, {"彦", "ヒコ"}, {"之", "ユキ"}, {"志", "シ"},
    {"男", "オ"},   {"夫", "オ"},   {"吾", "ゴ"},   {"希", "キ"},   {"馬", "マ"},
};
constexpr Part kFemaleFirst[] = {
    {"美", "ミ"},     {"真", "マ"},   {"由", "ユ"},   {"優", "ユウ"},   {"明", "アキ"},
    {"千", "チ"},     {"智", "トモ"}, {"久", "ヒサ"}, {"幸", "サチ"},   {"和", "カズ"},
    {"順", "ジュン"}, {"裕", "ユウ"}, {"陽", "ヨウ"}, {"京", "キョウ"}, {"典", "ノリ"},
    {"節", "セツ"},   {"弘", "ヒロ"}, {"奈", "ナ"},   {"沙", "サ"},     {"麻", "マ"},
    {"彩", "アヤ"},   {"結", "ユイ"}, {"莉", "リ"},   {"愛", "アイ"},   {"早", "サ"},
    {"菜", "ナ"},     {"香", "カ"},   {"静", "シズ"}, {"文", "フミ"},   {"友", "トモ"},
};
constexpr Part kFemaleSecond[] = {
    {"子", "コ"}, {"美", "ミ"}, {"恵", "エ"}, {"香", "カ"}, {"代", "ヨ"},
    {"江", "エ"}, {"枝", "エ"}, {"穂", "ホ"}, {"奈", "ナ"}, {"希", "キ"},
    {"菜", "ナ"}, {"里", "リ"}, {"衣", "イ"}, {"乃", "ノ"}, {"音", "ネ"},
    {"紀", "キ"}, {"絵", "エ"}, {"佳", "カ"}, {"花", "カ"}, {"世", "ヨ"},
};

// A name as drawn: kanji, kana, and the kanji in an old or variant form (empty when none).
struct Name {
  std::string kanji, kana, variant;
};

// Kana and kanji a mistyped name gets instead of one of its own.
constexpr std::u32string_view kTypoKana =
    U"アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
constexpr std::u32string_view kTypoKanji = U"田由中申大太本木子了島鳥川州山上下井野";

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
bool valid(int y, int m, int d) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return y >= 1900 && y <= 2025 && m >= 1 && m <= 12 && d >= 1 &&
         d <= (m == 2 && leap(y) ? 29 : days[m - 1]);
}

// Where a person lives at one time.
struct Home {
  std::string postal, phone;
};

struct Base {
  Name surname, given;
  bool male;
  int y, m, d;
};

class Maker {
 public:
  explicit Maker(const PopulationOptions& o) : o_(o), random_(o.seed) {
    UErrorCode status = U_ZERO_ERROR;
    halfwidth_.reset(
        icu::Transliterator::createInstance("Fullwidth-Halfwidth", UTRANS_FORWARD, status));
    if (U_FAILURE(status)) halfwidth_.reset();
    // Surnames drawn with weight 1/rank^0.8: a few very common, a long tail.
    for (std::size_t i = 0; i < std::size(kSurnames); ++i) {
      surname_weights_.push_back(1.0 / std::pow(static_cast<double>(i + 1), 0.8));
    }
  }

  void run(const std::function<void(const PopulationRecord&)>& each) {
    const int hospitals = std::clamp(o_.institutions, 1, 5);
    std::discrete_distribution<int> surname(surname_weights_.begin(), surname_weights_.end());
    // How many of the hospitals a person is a patient of: 1 (40 %), 2 (30 %), 3 (17 %), 4 (9 %),
    // 5 (4 %), as far as there are that many.
    std::discrete_distribution<int> visits{40, 30, 17, 9, 4};
    std::vector<std::size_t> next_id(static_cast<std::size_t>(hospitals) + 1, 0);
    for (std::size_t n = 0; n < o_.persons; ++n) {
      Base who;
      who.surname = draw_surname(surname);
      who.male = chance(0.5);
      who.given = draw_given(who.male);
      do {
        who.y = 1930 + static_cast<int>(below(91));
        who.m = 1 + static_cast<int>(below(12));
        who.d = 1 + static_cast<int>(below(31));
      } while (!valid(who.y, who.m, who.d));
      std::vector<int> order(static_cast<std::size_t>(hospitals));
      for (int h = 0; h < hospitals; ++h) order[static_cast<std::size_t>(h)] = h + 1;
      std::shuffle(order.begin(), order.end(), random_);
      order.resize(
          std::min<std::size_t>(order.size(), 1 + static_cast<std::size_t>(visits(random_))));
      // Life events between one hospital and the next: a move (a quarter of persons), a marriage
      // (a tenth of women born 1950–2000), who mostly move then too.
      const std::size_t k = order.size();
      const std::size_t moves_at = k > 1 && chance(0.25) ? 1 + below(k - 1) : k;
      const bool marries = !who.male && who.y >= 1950 && who.y <= 2000 && k > 1 && chance(0.10);
      const std::size_t married_at = marries ? 1 + below(k - 1) : k;
      Name new_surname = who.surname;
      while (marries && new_surname.kana == who.surname.kana) new_surname = draw_surname(surname);
      const Home first = home(), later = home();
      for (std::size_t v = 0; v < k; ++v) {
        PopulationRecord r;
        r.institution = order[v];
        r.person = n;
        const bool is_married = v >= married_at;
        const bool has_moved = v >= moves_at || (is_married && chance(0.7));
        const Name& s = is_married ? new_surname : who.surname;
        if (is_married) r.noise |= married;
        if (has_moved) r.noise |= moved;
        fill(r, who, s, has_moved ? later : first);
        r.identity.institution = institution_code(r.institution);
        r.identity.patient_id =
            fmt::format("{:08}", ++next_id[static_cast<std::size_t>(r.institution)]);
        each(r);
      }
    }
  }

 private:
  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }

  // A surname: three persons in ten have one of the common ones (the commonest most often), the
  // others one of the long tail.
  Name draw_surname(std::discrete_distribution<int>& common) {
    if (chance(0.3)) {
      const Surname& c = kSurnames[static_cast<std::size_t>(common(random_))];
      return {std::string(c.kanji), std::string(c.kana), std::string(c.variant)};
    }
    return compose(kSurnameFirst[below(std::size(kSurnameFirst))],
                   kSurnameSecond[below(std::size(kSurnameSecond))]);
  }
  // A given name: a quarter of persons have one of the common ones.
  Name draw_given(bool male) {
    if (chance(0.25)) {
      const Given& g = male ? kMale[below(std::size(kMale))] : kFemale[below(std::size(kFemale))];
      return {std::string(g.kanji), std::string(g.kana), ""};
    }
    return male ? compose(kMaleFirst[below(std::size(kMaleFirst))],
                          kMaleSecond[below(std::size(kMaleSecond))])
                : compose(kFemaleFirst[below(std::size(kFemaleFirst))],
                          kFemaleSecond[below(std::size(kFemaleSecond))]);
  }
  static Name compose(const Part& a, const Part& b) {
    Name n{std::string(a.kanji) + std::string(b.kanji), std::string(a.kana) + std::string(b.kana),
           ""};
    if (!a.variant.empty() || !b.variant.empty()) {
      n.variant = std::string(a.variant.empty() ? a.kanji : a.variant) +
                  std::string(b.variant.empty() ? b.kanji : b.variant);
    }
    return n;
  }

  Home home() {
    return {fmt::format("{:03}-{:04}", 1 + below(999), below(10000)),
            fmt::format("0{}-{:04}-{:04}", 3 + below(7), below(10000), below(10000))};
  }

  // One hospital's record of the person, with its own differences.
  void fill(PopulationRecord& r, const Base& who, const Name& s, const Home& where) {
    model::PersonIdentity& id = r.identity;
    std::u32string family_kana = identity::code_points(s.kana),
                   given_kana = identity::code_points(who.given.kana);
    std::u32string family_kanji = identity::code_points(s.kanji),
                   given_kanji = identity::code_points(who.given.kanji);
    if (!s.variant.empty() && chance(0.3)) {
      family_kanji = identity::code_points(s.variant);  // registered in the old form
      r.noise |= kanji_variant;
    }
    if (chance(0.02)) {
      typo(chance(0.5) ? family_kana : given_kana, kTypoKana);
      r.noise |= kana_typo;
    }
    if (chance(0.01)) {
      typo(chance(0.5) ? family_kanji : given_kanji, kTypoKanji);
      r.noise |= kanji_typo;
    }
    id.name_kanji = identity::utf8_of(family_kanji) + "\u3000" + identity::utf8_of(given_kanji);
    id.name_kana =
        written(identity::utf8_of(family_kana) + "\u3000" + identity::utf8_of(given_kana), r.noise);
    if (chance(0.03)) {
      (chance(0.7) ? id.name_kanji : id.name_kana).clear();
      r.noise |= field_missing;
    }
    int y = who.y, m = who.m, d = who.d;
    if (chance(0.01)) {
      mistype(y, m, d);
      r.noise |= birth_typo;
    }
    id.birth_date = fmt::format("{:04}-{:02}-{:02}", y, m, d);
    id.sex = who.male ? model::Sex::male : model::Sex::female;
    if (chance(0.007)) {
      id.sex = chance(0.7) ? model::Sex::unknown : who.male ? model::Sex::female : model::Sex::male;
      r.noise |= sex_unknown_or_wrong;
    }
    if (chance(0.95)) {
      id.postal_code = where.postal;
    } else {
      r.noise |= field_missing;
    }
    if (chance(0.7)) {
      id.phones.push_back(where.phone);
    } else {
      r.noise |= field_missing;
    }
  }

  void typo(std::u32string& text, std::u32string_view alphabet) {
    if (text.empty()) return;
    const std::size_t at = below(text.size());
    if (text.size() > 2 && chance(0.3)) {
      text.erase(at, 1);
      return;
    }
    char32_t c;
    do {
      c = alphabet[below(alphabet.size())];
    } while (c == text[at]);
    text[at] = c;
  }

  // A kana name as one hospital's system writes it: half-width, hiragana, a long vowel as ー,
  // ヅ/ヂ for ズ/ジ (a fifth of records), or as it is.
  std::string written(const std::string& kana, std::uint16_t& noise) {
    if (!chance(0.2)) return kana;
    std::u32string text = identity::code_points(kana);
    switch (below(4)) {
      case 0:
        if (halfwidth_) {
          icu::UnicodeString s = icu::UnicodeString::fromUTF8(kana);
          halfwidth_->transliterate(s);
          std::string out;
          s.toUTF8String(out);
          noise |= kana_written_differently;
          return out;
        }
        break;
      case 1:
        for (char32_t& c : text) {
          if (c >= U'ァ' && c <= U'ヶ') c -= 0x60;
        }
        break;
      case 2:
        for (std::size_t i = 1; i < text.size(); ++i) {
          if (text[i] == U'ウ' && text[i - 1] != U'\u3000') {
            text[i] = U'ー';
            break;
          }
        }
        break;
      default:
        for (char32_t& c : text) {
          if (c == U'ズ') c = U'ヅ';
          if (c == U'ジ') c = U'ヂ';
        }
    }
    std::string out = identity::utf8_of(text);
    if (out != kana) noise |= kana_written_differently;
    return out;
  }

  // One digit of the birth date mistyped, or day and month swapped (always a real date).
  void mistype(int& y, int& m, int& d) {
    if (m != d && d <= 12 && chance(0.3)) {
      std::swap(m, d);
      return;
    }
    for (;;) {
      std::string digits = fmt::format("{:04}{:02}{:02}", y, m, d);
      const std::size_t at = 2 + below(6);  // not the century
      const char c = static_cast<char>('0' + below(10));
      if (digits[at] == c) continue;
      digits[at] = c;
      const int ny = std::stoi(digits.substr(0, 4)), nm = std::stoi(digits.substr(4, 2)),
                nd = std::stoi(digits.substr(6, 2));
      if (!valid(ny, nm, nd)) continue;
      y = ny;
      m = nm;
      d = nd;
      return;
    }
  }

  const PopulationOptions& o_;
  std::mt19937_64 random_;
  std::unique_ptr<icu::Transliterator> halfwidth_;
  std::vector<double> surname_weights_;
};

}  // namespace

std::string_view noise_name(int bit) {
  static constexpr std::string_view names[kNoiseKinds] = {"kana_written_differently",
                                                          "kana_typo",
                                                          "kanji_variant",
                                                          "kanji_typo",
                                                          "birth_typo",
                                                          "moved",
                                                          "married",
                                                          "sex_unknown_or_wrong",
                                                          "field_missing"};
  return bit >= 0 && bit < kNoiseKinds ? names[bit] : "";
}

void population(const PopulationOptions& options,
                const std::function<void(const PopulationRecord&)>& each) {
  Maker(options).run(each);
}

LinkageEvaluation evaluate_linkage(const PopulationOptions& population_options,
                                   const identity::LinkOptions& link_options) {
  using Clock = std::chrono::steady_clock;
  LinkageEvaluation e;
  std::vector<identity::LinkRecord> records;
  std::vector<std::uint64_t> truth;
  std::vector<std::uint16_t> noise;
  const auto started = Clock::now();
  population(population_options, [&](const PopulationRecord& r) {
    records.push_back(identity::prepare(r.identity, static_cast<std::uint16_t>(r.institution)));
    truth.push_back(r.person);
    noise.push_back(r.noise);
  });
  e.records = records.size();
  identity::LinkageModel model = identity::LinkageModel::defaults();
  model.estimate_u(records, 1'000'000, population_options.seed);
  const auto prepared = Clock::now();
  e.result = identity::link(records, model, link_options);
  const auto linked = Clock::now();
  e.prepare_seconds = std::chrono::duration<double>(prepared - started).count();
  e.link_seconds = std::chrono::duration<double>(linked - prepared).count();
  e.quality = identity::evaluate(e.result, truth);
  // Records of one person are consecutive.
  for (std::size_t begin = 0; begin < truth.size();) {
    std::size_t end = begin + 1;
    while (end < truth.size() && truth[end] == truth[begin]) ++end;
    for (std::size_t a = begin; a < end; ++a) {
      for (std::size_t b = a + 1; b < end; ++b) {
        const bool linked_pair = e.result.person[a] == e.result.person[b];
        for (int bit = 0; bit < kNoiseKinds; ++bit) {
          if (((noise[a] | noise[b]) >> bit & 1) == 0) continue;
          ++e.noisy_pairs[static_cast<std::size_t>(bit)];
          e.noisy_pairs_linked[static_cast<std::size_t>(bit)] += linked_pair;
        }
      }
    }
    begin = end;
  }
  return e;
}

}  // namespace tokumei::synth
