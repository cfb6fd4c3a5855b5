// Hierarchy builders: every builder's exact labels, level by level, for the attribute kinds
// medical data carries, the values and settings each one refuses, and that each result is a valid
// hierarchy (from_rows validates it; height() is checked here).

#include "tokumei/anon/hierarchy_builders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tokumei::anon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Values = std::vector<std::string>;

// All labels of the row of `value`, level 0 first; empty when the value is missing.
std::vector<std::string> labels_of(const GeneralizationHierarchy& h, std::string_view value) {
  std::vector<std::string> out;
  std::int64_t row = h.find(value);
  if (row < 0) return out;
  for (int l = 0; l < h.height(); ++l) out.push_back(h.label(static_cast<std::size_t>(row), l));
  return out;
}

// A refusal of value `value`: invalid_input, the value in Location::field and in both messages.
template <class T>
void expect_value_refused(const Result<T>& r, const std::string& value) {
  ASSERT_FALSE(r) << "accepted \"" << value << "\"";
  EXPECT_EQ(r.error().code(), Errc::invalid_input) << value;
  EXPECT_EQ(r.error().where().field, value);
  EXPECT_THAT(r.error().message(Lang::en), HasSubstr("\"" + value + "\""));
  EXPECT_THAT(r.error().message(Lang::ja), HasSubstr("「" + value + "」"));
}

// ---------------------------------------------------------------------------------------------
// Intervals

TEST(BuilderIntervals, IntegerDataGetsInclusiveLabels) {
  auto h = build_interval_hierarchy({"20", "24", "25", "37", "0", "99"},
                                    IntervalSpec{.bottom = 0, .top = 100, .widths = {5, 10, 50}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 5);
  EXPECT_EQ(h->size(), 6u);
  EXPECT_THAT(labels_of(*h, "20"), ElementsAre("20", "20-24", "20-29", "0-49", "*"));
  EXPECT_THAT(labels_of(*h, "24"), ElementsAre("24", "20-24", "20-29", "0-49", "*"));
  EXPECT_THAT(labels_of(*h, "25"), ElementsAre("25", "25-29", "20-29", "0-49", "*"));
  EXPECT_THAT(labels_of(*h, "37"), ElementsAre("37", "35-39", "30-39", "0-49", "*"));
  EXPECT_THAT(labels_of(*h, "0"), ElementsAre("0", "0-4", "0-9", "0-49", "*"));
  EXPECT_THAT(labels_of(*h, "99"), ElementsAre("99", "95-99", "90-99", "50-99", "*"));
}

TEST(BuilderIntervals, BottomAndTopCoding) {
  auto h = build_interval_hierarchy({"17", "5", "18", "22", "23", "88", "89", "90", "104"},
                                    IntervalSpec{.bottom = 18, .top = 90, .widths = {5, 10}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 4);
  EXPECT_THAT(labels_of(*h, "17"), ElementsAre("17", "<18", "<18", "*"));
  EXPECT_THAT(labels_of(*h, "5"), ElementsAre("5", "<18", "<18", "*"));
  EXPECT_THAT(labels_of(*h, "90"), ElementsAre("90", ">=90", ">=90", "*"));
  EXPECT_THAT(labels_of(*h, "104"), ElementsAre("104", ">=90", ">=90", "*"));
  // Intervals are aligned at bottom.
  EXPECT_THAT(labels_of(*h, "18"), ElementsAre("18", "18-22", "18-27", "*"));
  EXPECT_THAT(labels_of(*h, "22"), ElementsAre("22", "18-22", "18-27", "*"));
  EXPECT_THAT(labels_of(*h, "23"), ElementsAre("23", "23-27", "18-27", "*"));
  // The last interval is cut at top.
  EXPECT_THAT(labels_of(*h, "88"), ElementsAre("88", "88-89", "88-89", "*"));
  EXPECT_THAT(labels_of(*h, "89"), ElementsAre("89", "88-89", "88-89", "*"));
}

TEST(BuilderIntervals, IntegerValuedDecimalsCountAsIntegers) {
  auto h = build_interval_hierarchy({"20.0", "21"},
                                    IntervalSpec{.bottom = 0, .top = 100, .widths = {5}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*h, "20.0"), ElementsAre("20.0", "20-24", "*"));
}

TEST(BuilderIntervals, NonIntegerDataGetsHalfOpenLabels) {
  auto h = build_interval_hierarchy({"20.5", "21", "37.25", "-1.5", "100"},
                                    IntervalSpec{.bottom = 0, .top = 100, .widths = {5, 10}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 4);
  EXPECT_THAT(labels_of(*h, "20.5"), ElementsAre("20.5", "[20,25)", "[20,30)", "*"));
  EXPECT_THAT(labels_of(*h, "21"), ElementsAre("21", "[20,25)", "[20,30)", "*"));
  EXPECT_THAT(labels_of(*h, "37.25"), ElementsAre("37.25", "[35,40)", "[30,40)", "*"));
  EXPECT_THAT(labels_of(*h, "-1.5"), ElementsAre("-1.5", "<0", "<0", "*"));
  EXPECT_THAT(labels_of(*h, "100"), ElementsAre("100", ">=100", ">=100", "*"));
}

TEST(BuilderIntervals, NonIntegerBottomGivesHalfOpenLabels) {
  auto h = build_interval_hierarchy({"20", "25"},
                                    IntervalSpec{.bottom = 0.5, .top = 100.5, .widths = {5, 10}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*h, "20"), ElementsAre("20", "[15.5,20.5)", "[10.5,20.5)", "*"));
  EXPECT_THAT(labels_of(*h, "25"), ElementsAre("25", "[20.5,25.5)", "[20.5,30.5)", "*"));
}

TEST(BuilderIntervals, NegativeValues) {
  auto h = build_interval_hierarchy({"-7", "-1", "3"},
                                    IntervalSpec{.bottom = -10, .top = 10, .widths = {5, 10}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*h, "-7"), ElementsAre("-7", "-10--6", "-10--1", "*"));
  EXPECT_THAT(labels_of(*h, "-1"), ElementsAre("-1", "-5--1", "-10--1", "*"));
  EXPECT_THAT(labels_of(*h, "3"), ElementsAre("3", "0-4", "0-9", "*"));
}

TEST(BuilderIntervals, WidthsMustNest) {
  const Values ages{"20", "37"};
  auto ok5_10 = build_interval_hierarchy(ages, {.bottom = 0, .top = 100, .widths = {5, 10}});
  ASSERT_TRUE(ok5_10) << ok5_10.error().describe(Lang::en);
  EXPECT_EQ(ok5_10->height(), 4);

  auto ok5_15_45 = build_interval_hierarchy(ages, {.bottom = 0, .top = 100, .widths = {5, 15, 45}});
  ASSERT_TRUE(ok5_15_45) << ok5_15_45.error().describe(Lang::en);
  EXPECT_EQ(ok5_15_45->height(), 5);

  auto bad = build_interval_hierarchy(ages, {.bottom = 0, .top = 100, .widths = {5, 7}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::invalid_argument);
  EXPECT_THAT(bad.error().message(Lang::en), HasSubstr("width 7"));
  EXPECT_THAT(bad.error().message(Lang::en), HasSubstr("5"));
  EXPECT_THAT(bad.error().message(Lang::ja), HasSubstr("7"));

  auto shrinking = build_interval_hierarchy(ages, {.bottom = 0, .top = 100, .widths = {10, 5}});
  ASSERT_FALSE(shrinking);
  EXPECT_EQ(shrinking.error().code(), Errc::invalid_argument);
}

TEST(BuilderIntervals, BadSettingsAreRefused) {
  const Values ages{"20"};
  for (const IntervalSpec& spec : {IntervalSpec{.bottom = 0, .top = 100, .widths = {}},
                                   IntervalSpec{.bottom = 0, .top = 100, .widths = {0}},
                                   IntervalSpec{.bottom = 0, .top = 100, .widths = {-5}},
                                   IntervalSpec{.bottom = 50, .top = 50, .widths = {5}},
                                   IntervalSpec{.bottom = 60, .top = 50, .widths = {5}}}) {
    auto h = build_interval_hierarchy(ages, spec);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code(), Errc::invalid_argument);
  }
}

TEST(BuilderIntervals, NonNumericValueIsRefusedByName) {
  const IntervalSpec spec{.bottom = 0, .top = 100, .widths = {5}};
  expect_value_refused(build_interval_hierarchy({"20", "abc", "30"}, spec), "abc");
  expect_value_refused(build_interval_hierarchy({"20歳"}, spec), "20歳");
  expect_value_refused(build_interval_hierarchy({"20", " 21"}, spec), " 21");
  expect_value_refused(build_interval_hierarchy({"nan"}, spec), "nan");
  expect_value_refused(build_interval_hierarchy({"inf"}, spec), "inf");
}

TEST(BuilderIntervals, FractionalTopWithIntegerDataLabelsTheLastIntervalCorrectly) {
  auto h = build_interval_hierarchy({"85", "89"}, {.bottom = 0, .top = 89.5, .widths = {10}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  const std::string label = labels_of(*h, "89").at(1);
  EXPECT_TRUE(label == "80-89" || label == "[80,89.5)") << label;
}

TEST(BuilderIntervals, DecimalWidthsNestWithoutRoundingErrors) {
  // 0.1 and 0.3 are not exact in binary; 0.3 is still a whole multiple of 0.1.
  auto h = build_interval_hierarchy({"0.25", "0.3", "0.35", "0.6"},
                                    {.bottom = 0, .top = 1, .widths = {0.1, 0.3}});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 4);
}

// ---------------------------------------------------------------------------------------------
// Dates

TEST(BuilderDates, AllThreeFormatsToMonthQuarterYear) {
  auto h =
      build_date_hierarchy({"2024-03-15", "2024/03/01", "20240331", "2024-11-02", "2023-12-31"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 5);
  EXPECT_THAT(labels_of(*h, "2024-03-15"),
              ElementsAre("2024-03-15", "2024-03", "2024-Q1", "2024", "*"));
  EXPECT_THAT(labels_of(*h, "2024/03/01"),
              ElementsAre("2024/03/01", "2024-03", "2024-Q1", "2024", "*"));
  EXPECT_THAT(labels_of(*h, "20240331"),
              ElementsAre("20240331", "2024-03", "2024-Q1", "2024", "*"));
  EXPECT_THAT(labels_of(*h, "2024-11-02"),
              ElementsAre("2024-11-02", "2024-11", "2024-Q4", "2024", "*"));
  EXPECT_THAT(labels_of(*h, "2023-12-31"),
              ElementsAre("2023-12-31", "2023-12", "2023-Q4", "2023", "*"));
}

TEST(BuilderDates, QuarterBoundaries) {
  auto h = build_date_hierarchy(
      {"2024-01-01", "2024-04-01", "2024-06-30", "2024-07-01", "2024-09-30", "2024-10-01"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(labels_of(*h, "2024-01-01").at(2), "2024-Q1");
  EXPECT_EQ(labels_of(*h, "2024-04-01").at(2), "2024-Q2");
  EXPECT_EQ(labels_of(*h, "2024-06-30").at(2), "2024-Q2");
  EXPECT_EQ(labels_of(*h, "2024-07-01").at(2), "2024-Q3");
  EXPECT_EQ(labels_of(*h, "2024-09-30").at(2), "2024-Q3");
  EXPECT_EQ(labels_of(*h, "2024-10-01").at(2), "2024-Q4");
}

TEST(BuilderDates, LeapDays) {
  auto ok = build_date_hierarchy({"2024-02-29", "2000-02-29"});
  ASSERT_TRUE(ok) << ok.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*ok, "2000-02-29"),
              ElementsAre("2000-02-29", "2000-02", "2000-Q1", "2000", "*"));

  expect_value_refused(build_date_hierarchy({"2024-02-29", "2023-02-29"}), "2023-02-29");
  expect_value_refused(build_date_hierarchy({"1900-02-29"}), "1900-02-29");
  expect_value_refused(build_date_hierarchy({"20230229"}), "20230229");
}

TEST(BuilderDates, ImpossibleAndMalformedDatesAreRefusedByName) {
  for (const std::string bad : {"2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
                                "2024-01-32", "2024-3-5", "2024-03/05", "24-03-05", "2024.03.05",
                                "2024-03-05T00", "R06-03-05", "", "２０２４-03-05"}) {
    expect_value_refused(build_date_hierarchy({"2024-01-01", bad}), bad);
  }
}

TEST(BuilderDates, ChosenLevels) {
  auto qy = build_date_hierarchy({"2024-05-06"}, {"quarter", "year"});
  ASSERT_TRUE(qy) << qy.error().describe(Lang::en);
  EXPECT_EQ(qy->height(), 4);
  EXPECT_THAT(labels_of(*qy, "2024-05-06"), ElementsAre("2024-05-06", "2024-Q2", "2024", "*"));

  auto y = build_date_hierarchy({"2024-05-06"}, {"year"});
  ASSERT_TRUE(y) << y.error().describe(Lang::en);
  EXPECT_EQ(y->height(), 3);
  EXPECT_THAT(labels_of(*y, "2024-05-06"), ElementsAre("2024-05-06", "2024", "*"));

  auto my = build_date_hierarchy({"2024/05/06"}, {"month", "year"});
  ASSERT_TRUE(my) << my.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*my, "2024/05/06"), ElementsAre("2024/05/06", "2024-05", "2024", "*"));
}

TEST(BuilderDates, BadLevelNamesAreRefused) {
  for (const std::vector<std::string>& levels :
       std::vector<std::vector<std::string>>{{"week"}, {"month", "Year"}}) {
    auto h = build_date_hierarchy({"2024-05-06"}, levels);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code(), Errc::invalid_argument);
    EXPECT_THAT(h.error().message(Lang::en), HasSubstr("\"" + levels.back() + "\""));
  }
  // Out of order or repeated.
  for (const std::vector<std::string>& levels :
       std::vector<std::vector<std::string>>{{"year", "month"}, {"month", "month"}}) {
    auto h = build_date_hierarchy({"2024-05-06"}, levels);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code(), Errc::invalid_argument);
  }
}

// ---------------------------------------------------------------------------------------------
// Prefixes

TEST(BuilderPrefix, DefaultLengths) {
  auto h = build_prefix_hierarchy({"K297", "K29", "E119"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 5);
  EXPECT_THAT(labels_of(*h, "K297"), ElementsAre("K297", "K29", "K2", "K", "*"));
  EXPECT_THAT(labels_of(*h, "K29"), ElementsAre("K29", "K29", "K2", "K", "*"));
  EXPECT_THAT(labels_of(*h, "E119"), ElementsAre("E119", "E11", "E1", "E", "*"));
}

TEST(BuilderPrefix, ExplicitLengths) {
  auto one = build_prefix_hierarchy({"K297", "K291"}, {2});
  ASSERT_TRUE(one) << one.error().describe(Lang::en);
  EXPECT_EQ(one->height(), 3);
  EXPECT_THAT(labels_of(*one, "K297"), ElementsAre("K297", "K2", "*"));

  auto two = build_prefix_hierarchy({"K297", "J10"}, {3, 1});
  ASSERT_TRUE(two) << two.error().describe(Lang::en);
  EXPECT_EQ(two->height(), 4);
  EXPECT_THAT(labels_of(*two, "K297"), ElementsAre("K297", "K29", "K", "*"));
  EXPECT_THAT(labels_of(*two, "J10"), ElementsAre("J10", "J10", "J", "*"));
}

TEST(BuilderPrefix, SingleCharacterValuesGoStraightToTheTop) {
  auto h = build_prefix_hierarchy({"A", "B"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 2);
  EXPECT_THAT(labels_of(*h, "A"), ElementsAre("A", "*"));
}

TEST(BuilderPrefix, LengthsMustStrictlyDecrease) {
  for (const std::vector<int>& lengths :
       std::vector<std::vector<int>>{{2, 2}, {1, 2}, {3, 1, 2}, {0}, {2, -1}}) {
    auto h = build_prefix_hierarchy({"K297"}, lengths);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code(), Errc::invalid_argument);
  }
}

TEST(BuilderPrefix, MultibyteCharactersAreCutAtCodePoints) {
  auto h = build_prefix_hierarchy({"東京都港区", "大阪府"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 6);
  EXPECT_THAT(labels_of(*h, "東京都港区"),
              ElementsAre("東京都港区", "東京都港", "東京都", "東京", "東", "*"));
  EXPECT_THAT(labels_of(*h, "大阪府"),
              ElementsAre("大阪府", "大阪府", "大阪府", "大阪", "大", "*"));

  auto mixed = build_prefix_hierarchy({"ab東京", "𠮷野家"}, {3});
  ASSERT_TRUE(mixed) << mixed.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*mixed, "ab東京"), ElementsAre("ab東京", "ab東", "*"));
  EXPECT_THAT(labels_of(*mixed, "𠮷野家"), ElementsAre("𠮷野家", "𠮷野家", "*"));
}

TEST(BuilderPrefix, EmptyValueIsRefused) {
  auto h = build_prefix_hierarchy({"K29", ""});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().field, "");
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("\"\""));
}

// ---------------------------------------------------------------------------------------------
// ICD-10 chapters

TEST(BuilderIcd10, CodesToCategoryToChapter) {
  auto h = build_icd10_chapter_hierarchy({"K297", "K29.7", "K29", "S720", "T141", "A09", "C509",
                                          "D48", "D50", "H60", "W19", "U071", "Z00"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 4);
  EXPECT_THAT(labels_of(*h, "K297"), ElementsAre("K297", "K29", "K00-K93", "*"));
  EXPECT_THAT(labels_of(*h, "K29.7"), ElementsAre("K29.7", "K29", "K00-K93", "*"));
  EXPECT_THAT(labels_of(*h, "K29"), ElementsAre("K29", "K29", "K00-K93", "*"));
  EXPECT_THAT(labels_of(*h, "S720"), ElementsAre("S720", "S72", "S00-T98", "*"));
  EXPECT_THAT(labels_of(*h, "T141"), ElementsAre("T141", "T14", "S00-T98", "*"));
  EXPECT_THAT(labels_of(*h, "A09"), ElementsAre("A09", "A09", "A00-B99", "*"));
  EXPECT_THAT(labels_of(*h, "C509"), ElementsAre("C509", "C50", "C00-D48", "*"));
  EXPECT_THAT(labels_of(*h, "D48"), ElementsAre("D48", "D48", "C00-D48", "*"));
  EXPECT_THAT(labels_of(*h, "D50"), ElementsAre("D50", "D50", "D50-D89", "*"));
  EXPECT_THAT(labels_of(*h, "H60"), ElementsAre("H60", "H60", "H60-H95", "*"));
  EXPECT_THAT(labels_of(*h, "W19"), ElementsAre("W19", "W19", "V01-Y98", "*"));
  EXPECT_THAT(labels_of(*h, "U071"), ElementsAre("U071", "U07", "U00-U99", "*"));
  EXPECT_THAT(labels_of(*h, "Z00"), ElementsAre("Z00", "Z00", "Z00-Z99", "*"));
}

TEST(BuilderIcd10, NonCodesAreRefusedByName) {
  for (const std::string bad : {"123", "k297", "K2", "K", "", "胃炎", "9K29"}) {
    expect_value_refused(build_icd10_chapter_hierarchy({"K297", bad}), bad);
  }
}

// ---------------------------------------------------------------------------------------------
// Municipality codes

TEST(BuilderMunicipality, CodeToPrefectureToRegion) {
  auto h = build_municipality_hierarchy({"131016", "011002", "13101", "271004", "471003", "151009",
                                         "242012", "401005", "331007", "372013", "042021"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 4);
  EXPECT_THAT(labels_of(*h, "131016"), ElementsAre("131016", "東京都", "関東地方", "*"));
  EXPECT_THAT(labels_of(*h, "011002"), ElementsAre("011002", "北海道", "北海道地方", "*"));
  EXPECT_THAT(labels_of(*h, "13101"), ElementsAre("13101", "東京都", "関東地方", "*"));
  EXPECT_THAT(labels_of(*h, "271004"), ElementsAre("271004", "大阪府", "近畿地方", "*"));
  EXPECT_THAT(labels_of(*h, "471003"), ElementsAre("471003", "沖縄県", "九州・沖縄地方", "*"));
  EXPECT_THAT(labels_of(*h, "151009"), ElementsAre("151009", "新潟県", "中部地方", "*"));
  EXPECT_THAT(labels_of(*h, "242012"), ElementsAre("242012", "三重県", "近畿地方", "*"));
  EXPECT_THAT(labels_of(*h, "401005"), ElementsAre("401005", "福岡県", "九州・沖縄地方", "*"));
  EXPECT_THAT(labels_of(*h, "331007"), ElementsAre("331007", "岡山県", "中国地方", "*"));
  EXPECT_THAT(labels_of(*h, "372013"), ElementsAre("372013", "香川県", "四国地方", "*"));
  EXPECT_THAT(labels_of(*h, "042021"), ElementsAre("042021", "宮城県", "東北地方", "*"));
}

TEST(BuilderMunicipality, NonCodesAreRefusedByName) {
  for (const std::string bad :
       {"481000", "001000", "1310", "1310160", "13101a", "", "東京都", "13-101"}) {
    expect_value_refused(build_municipality_hierarchy({"131016", bad}), bad);
  }
}

// ---------------------------------------------------------------------------------------------
// Masking

TEST(BuilderMasking, MasksOneMoreCharacterPerLevel) {
  auto h = build_masking_hierarchy({"1234", "1299"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 6);
  EXPECT_THAT(labels_of(*h, "1234"), ElementsAre("1234", "123*", "12**", "1***", "****", "*"));
  EXPECT_THAT(labels_of(*h, "1299"), ElementsAre("1299", "129*", "12**", "1***", "****", "*"));
}

TEST(BuilderMasking, DifferentLengthsStillMakeAnEqualDepthHierarchy) {
  auto h = build_masking_hierarchy({"1234", "56", "7"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 6);
  EXPECT_THAT(labels_of(*h, "1234"), ElementsAre("1234", "123*", "12**", "1***", "****", "*"));
  EXPECT_THAT(labels_of(*h, "56"), ElementsAre("56", "5*", "**", "**", "**", "*"));
  EXPECT_THAT(labels_of(*h, "7"), ElementsAre("7", "*", "*", "*", "*", "*"));
}

TEST(BuilderMasking, MultibyteCharactersAreMaskedOneStarEach) {
  auto h = build_masking_hierarchy({"東京都", "ab"});
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 5);
  EXPECT_THAT(labels_of(*h, "東京都"), ElementsAre("東京都", "東京*", "東**", "***", "*"));
  EXPECT_THAT(labels_of(*h, "ab"), ElementsAre("ab", "a*", "**", "**", "*"));
}

TEST(BuilderMasking, EmptyValueIsRefused) {
  auto h = build_masking_hierarchy({"12", ""});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().field, "");
}

// ---------------------------------------------------------------------------------------------
// Every builder's result is a hierarchy whose top is "*" and that binds to its own values.

TEST(BuilderAll, ResultsEndInStarAndBind) {
  struct Case {
    std::string name;
    Values values;
    Result<GeneralizationHierarchy> built;
  };
  std::vector<Case> cases;
  const Values ages{"17", "20", "25", "64", "90"};
  cases.push_back({"intervals", ages,
                   build_interval_hierarchy(ages, {.bottom = 18, .top = 90, .widths = {5, 10}})});
  const Values dates{"2024-01-05", "2024/02/29", "20231231"};
  cases.push_back({"dates", dates, build_date_hierarchy(dates)});
  const Values codes{"K297", "K29", "S720", "A09"};
  cases.push_back({"prefix", codes, build_prefix_hierarchy(codes)});
  cases.push_back({"icd10", codes, build_icd10_chapter_hierarchy(codes)});
  const Values places{"131016", "011002", "13101"};
  cases.push_back({"municipality", places, build_municipality_hierarchy(places)});
  cases.push_back({"masking", codes, build_masking_hierarchy(codes)});

  for (auto& c : cases) {
    ASSERT_TRUE(c.built) << c.name << ": " << c.built.error().describe(Lang::en);
    const GeneralizationHierarchy& h = *c.built;
    EXPECT_GE(h.height(), 2) << c.name;
    EXPECT_EQ(h.size(), c.values.size()) << c.name;
    std::string text = "v\n";
    for (const auto& v : c.values) text += v + "\n";
    auto table = parse_table(text, c.name, CsvOptions{.delimiter = ';'});
    ASSERT_TRUE(table) << table.error().describe(Lang::en);
    auto b = bind(h, table->column(0));
    ASSERT_TRUE(b) << c.name << ": " << b.error().describe(Lang::en);
    EXPECT_EQ(b->groups(0), c.values.size()) << c.name;
    EXPECT_THAT(b->label[h.height() - 1], ElementsAre("*")) << c.name;
    // Group counts never grow with the level.
    for (int l = 1; l < h.height(); ++l) EXPECT_LE(b->groups(l), b->groups(l - 1)) << c.name;
  }
}

}  // namespace
}  // namespace tokumei::anon
