#pragma once
// The generator's own small tables: Japanese names with their readings, municipalities,
// diseases, drugs and laboratory tests. Made for this project; codes are of the right form and
// drawn from public code systems, but the lists are short and not a reference.

#include <string_view>

namespace tokumei::synth {

struct Name {
  std::string_view kanji, kana;
};
struct Municipality {
  std::string_view code;  // 全国地方公共団体コード (6 digits)
  std::string_view prefecture, city;
  std::string_view postal;  // postal code prefix (3 digits)
};
struct Disease {
  std::string_view icd10, mdcdx2, claims, name;
};
struct Drug {
  std::string_view hot9, claims, name, unit;
  int dose;  // per day, in `unit`
};
struct LabTest {
  std::string_view jlac10, name, unit;
  double low, high;
};

inline constexpr Name kFamilyNames[] = {
    {"佐藤", "サトウ"},   {"鈴木", "スズキ"},     {"高橋", "タカハシ"}, {"田中", "タナカ"},
    {"伊藤", "イトウ"},   {"渡辺", "ワタナベ"},   {"山本", "ヤマモト"}, {"中村", "ナカムラ"},
    {"小林", "コバヤシ"}, {"加藤", "カトウ"},     {"吉田", "ヨシダ"},   {"山田", "ヤマダ"},
    {"佐々木", "ササキ"}, {"山口", "ヤマグチ"},   {"松本", "マツモト"}, {"井上", "イノウエ"},
    {"木村", "キムラ"},   {"林", "ハヤシ"},       {"斎藤", "サイトウ"}, {"清水", "シミズ"},
    {"藤田", "フジタ"},   {"長谷川", "ハセガワ"}, {"石川", "イシカワ"}, {"近藤", "コンドウ"},
};
inline constexpr Name kMaleNames[] = {
    {"太郎", "タロウ"},   {"一郎", "イチロウ"}, {"健", "ケン"},     {"大輔", "ダイスケ"},
    {"翔太", "ショウタ"}, {"誠", "マコト"},     {"浩", "ヒロシ"},   {"修", "オサム"},
    {"隆", "タカシ"},     {"蓮", "レン"},       {"悠真", "ユウマ"}, {"拓也", "タクヤ"},
};
inline constexpr Name kFemaleNames[] = {
    {"花子", "ハナコ"}, {"陽子", "ヨウコ"}, {"恵子", "ケイコ"}, {"美咲", "ミサキ"},
    {"結衣", "ユイ"},   {"直美", "ナオミ"}, {"由美", "ユミ"},   {"幸子", "サチコ"},
    {"葵", "アオイ"},   {"千代", "チヨ"},   {"智子", "トモコ"}, {"久美子", "クミコ"},
};
// Readings that differ only in how they are written: the same person registered at two
// hospitals (ヅ/ズ, ヂ/ジ, long vowels).
struct KanaVariant {
  std::string_view from, to;
};
inline constexpr KanaVariant kKanaVariants[] = {
    {"ウ", "ー"},
    {"ズ", "ヅ"},
    {"ジ", "ヂ"},
    {"オ", "ウ"},
};
// Kanji mistyped: another character (斉 for 斎 is another surname).
inline constexpr KanaVariant kKanjiTypos[] = {
    {"斎", "斉"}, {"田", "由"}, {"子", "了"}, {"藤", "籐"}, {"太", "大"},
};
// Old and variant forms of kanji: the same name once normalized (only forms ISO-2022-JP, that is
// JIS X 0208, can carry: SS-MIX2 cannot write 髙 or 﨑).
inline constexpr KanaVariant kKanjiOldForms[] = {
    {"辺", "邊"}, {"斎", "齋"}, {"沢", "澤"}, {"浜", "濱"}, {"島", "嶋"}, {"広", "廣"},
};
inline constexpr Municipality kMunicipalities[] = {
    {"131016", "東京都", "千代田区", "100"}, {"131130", "東京都", "渋谷区", "150"},
    {"141003", "神奈川県", "横浜市", "220"}, {"221007", "静岡県", "静岡市", "420"},
    {"231002", "愛知県", "名古屋市", "460"}, {"271004", "大阪府", "大阪市", "530"},
    {"011002", "北海道", "札幌市", "060"},   {"401307", "福岡県", "福岡市", "810"},
    {"041009", "宮城県", "仙台市", "980"},   {"341002", "広島県", "広島市", "730"},
    {"261009", "京都府", "京都市", "600"},   {"281000", "兵庫県", "神戸市", "650"},
};
inline constexpr Disease kDiseases[] = {
    {"K297", "20054174", "8830417", "胃炎"},
    {"I10", "20062167", "8833421", "本態性高血圧症"},
    {"E119", "20063622", "2500013", "２型糖尿病"},
    {"E785", "20067287", "2720004", "高脂血症"},
    {"J069", "20054590", "4659007", "急性上気道炎"},
    {"M545", "20065137", "7242003", "腰痛症"},
    {"K210", "20059874", "5300022", "逆流性食道炎"},
    {"J301", "20063125", "4779002", "花粉症"},
};
inline constexpr Drug kDrugs[] = {
    {"108665201", "620000402", "ダーゼン錠５ｍｇ", "TAB", 3},
    {"110626901", "610433203", "パンスポリンＴ錠１００ｍｇ", "TAB", 3},
    {"103835401", "620004422", "ムコダイン錠２５０ｍｇ", "TAB", 3},
    {"105271807", "620098801", "アムロジピン錠５ｍｇ", "TAB", 1},
    {"112052901", "622265501", "メトホルミン塩酸塩錠２５０ｍｇ", "TAB", 2},
    {"111356601", "611170005", "ロスバスタチン錠２．５ｍｇ", "TAB", 1},
    {"107726101", "620003855", "ファモチジン錠２０ｍｇ", "TAB", 2},
    {"116104201", "622038501", "ロキソプロフェンＮａ錠６０ｍｇ", "TAB", 3},
};
// A JLAC10 code one character short (the anomaly "invalid_code").
inline constexpr LabTest kMalformedLabTest = {"3D01000000192610", "グルコース", "mg/dL", 70, 109};
inline constexpr LabTest kLabTests[] = {
    {"3D010000001926101", "グルコース", "mg/dL", 70, 109},
    {"3D045000001906202", "ＨｂＡ１ｃ", "%", 4.6, 6.2},
    {"3F050000002327101", "総コレステロール", "mg/dL", 142, 219},
    {"3B035000002327201", "ＡＳＴ", "U/L", 13, 30},
    {"3B045000002327201", "ＡＬＴ", "U/L", 7, 30},
    {"3C015000002327101", "クレアチニン", "mg/dL", 0.46, 1.07},
    {"2A990000001930952", "白血球数", "10^3/uL", 3.3, 8.6},
    {"2A030000001930101", "ヘモグロビン", "g/dL", 11.6, 16.8},
};

}  // namespace tokumei::synth
