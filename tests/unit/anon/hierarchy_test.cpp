// Generalization hierarchies: the ARX sample files load with the right heights, every malformed
// hierarchy is refused at the line (and column) that is wrong, and bind() turns a hierarchy into
// the integer groups the search uses.

#include "tokumei/anon/hierarchy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokumei/anon/table.h"

namespace tokumei::anon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Rows = std::vector<std::vector<std::string>>;

// All labels of the row of `value`, level 0 first; empty when the value is missing.
std::vector<std::string> labels_of(const GeneralizationHierarchy& h, std::string_view value) {
  std::vector<std::string> out;
  std::int64_t row = h.find(value);
  if (row < 0) return out;
  for (int l = 0; l < h.height(); ++l) out.push_back(h.label(static_cast<std::size_t>(row), l));
  return out;
}

std::filesystem::path arx_dir() { return testing::shared_data_dir() / "arx"; }

// ---------------------------------------------------------------------------------------------
// Loading

TEST(HierarchyArx, AllNineAdultHierarchiesLoadWithTheirHeights) {
  if (!std::filesystem::exists(arx_dir())) GTEST_SKIP() << "no " << arx_dir();
  struct Case {
    std::string attribute;
    int height;
    std::size_t size;
  };
  // Heights and row counts as read from the files themselves (levels per line, lines per file).
  const std::vector<Case> cases = {
      {"age", 5, 100},           {"education", 4, 16},  {"marital-status", 3, 7},
      {"native-country", 3, 41}, {"occupation", 3, 14}, {"race", 2, 5},
      {"salary-class", 2, 2},    {"sex", 2, 2},         {"workclass", 3, 8},
  };
  for (const auto& c : cases) {
    const auto path = arx_dir() / ("adult_hierarchy_" + c.attribute + ".csv");
    auto h = GeneralizationHierarchy::read(path);
    ASSERT_TRUE(h) << c.attribute << ": " << h.error().describe(Lang::en);
    EXPECT_EQ(h->height(), c.height) << c.attribute;
    EXPECT_EQ(h->size(), c.size) << c.attribute;
    EXPECT_EQ(h->source(), path.string());
    for (std::size_t r = 0; r < h->size(); ++r) {
      EXPECT_EQ(h->label(r, h->height() - 1), "*") << c.attribute << " row " << r;
    }
  }
}

TEST(HierarchyArx, AdultLabelsAndLines) {
  if (!std::filesystem::exists(arx_dir())) GTEST_SKIP() << "no " << arx_dir();
  auto age = GeneralizationHierarchy::read(arx_dir() / "adult_hierarchy_age.csv");
  ASSERT_TRUE(age) << age.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*age, "39"), ElementsAre("39", "35-39", "30-39", "20-39", "*"));
  EXPECT_EQ(age->line(static_cast<std::size_t>(age->find("39"))), 39);
  EXPECT_EQ(age->find("101"), -1);

  auto education = GeneralizationHierarchy::read(arx_dir() / "adult_hierarchy_education.csv");
  ASSERT_TRUE(education) << education.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*education, "Bachelors"),
              ElementsAre("Bachelors", "Undergraduate", "Higher education", "*"));

  // The native-country file has no final line break: its last row still counts.
  auto country = GeneralizationHierarchy::read(arx_dir() / "adult_hierarchy_native-country.csv");
  ASSERT_TRUE(country) << country.error().describe(Lang::en);
  EXPECT_THAT(labels_of(*country, "Japan"), ElementsAre("Japan", "Asia", "*"));
  EXPECT_EQ(country->line(country->size() - 1), 41);
}

TEST(HierarchyArx, AdultColumnsBindToTheirHierarchies) {
  if (!std::filesystem::exists(arx_dir())) GTEST_SKIP() << "no " << arx_dir();
  auto table = read_table(arx_dir() / "adult.csv");
  ASSERT_TRUE(table) << table.error().describe(Lang::en);
  for (std::size_t c = 0; c < table->column_count(); ++c) {
    const Column& column = table->column(c);
    auto h = GeneralizationHierarchy::read(arx_dir() / ("adult_hierarchy_" + column.name + ".csv"));
    ASSERT_TRUE(h) << h.error().describe(Lang::en);
    auto b = bind(*h, column);
    ASSERT_TRUE(b) << b.error().describe(Lang::en);
    EXPECT_EQ(b->height, h->height());
    EXPECT_EQ(b->domain_size, h->size());
    EXPECT_EQ(b->groups(0), column.dictionary.size()) << column.name;
    EXPECT_EQ(b->groups(h->height() - 1), 1u) << column.name;
    EXPECT_THAT(b->label[h->height() - 1], ElementsAre("*"));
    EXPECT_THAT(b->leaves[h->height() - 1], ElementsAre(h->size()));
  }
}

TEST(HierarchyParse, SemicolonAndCommaFiles) {
  auto semi = GeneralizationHierarchy::parse("a;x;*\nb;x;*\nc;y;*\n", "semi.csv");
  ASSERT_TRUE(semi) << semi.error().describe(Lang::en);
  EXPECT_EQ(semi->height(), 3);
  EXPECT_EQ(semi->size(), 3u);
  EXPECT_THAT(labels_of(*semi, "c"), ElementsAre("c", "y", "*"));

  auto comma = GeneralizationHierarchy::parse("a,x,*\r\nb,x,*\r\n", "comma.csv");
  ASSERT_TRUE(comma) << comma.error().describe(Lang::en);
  EXPECT_EQ(comma->height(), 3);
  EXPECT_THAT(labels_of(*comma, "b"), ElementsAre("b", "x", "*"));

  // An explicit delimiter keeps the other one inside labels.
  auto explicit_comma =
      GeneralizationHierarchy::parse("a;1,x;*\n", "e.csv", CsvOptions{.delimiter = ','});
  ASSERT_TRUE(explicit_comma) << explicit_comma.error().describe(Lang::en);
  EXPECT_EQ(explicit_comma->height(), 2);
  EXPECT_THAT(labels_of(*explicit_comma, "a;1"), ElementsAre("a;1", "x;*"));
}

TEST(HierarchyParse, LinesFollowTheFileAndJapaneseIsKept) {
  auto h = GeneralizationHierarchy::parse(
      "\xEF\xBB\xBF"
      "131016;東京都;関東地方;*\n\n011002;北海道;北海道地方;*\n",
      "pref.csv");
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ(h->find("131016"), 0);
  EXPECT_EQ(h->find("011002"), 1);
  EXPECT_EQ(h->line(0), 1);
  EXPECT_EQ(h->line(1), 3);
  EXPECT_THAT(labels_of(*h, "011002"), ElementsAre("011002", "北海道", "北海道地方", "*"));
  EXPECT_EQ(h->source(), "pref.csv");
}

TEST(HierarchyFromRows, BasicsAndDefaultLines) {
  auto h = GeneralizationHierarchy::from_rows({{"a", "x", "*"}, {"b", "y", "*"}}, "rows");
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 3);
  EXPECT_EQ(h->size(), 2u);
  EXPECT_EQ(h->source(), "rows");
  EXPECT_EQ(h->line(0), 1);
  EXPECT_EQ(h->line(1), 2);
  EXPECT_EQ(h->label(1, 1), "y");
  EXPECT_EQ(h->find("b"), 1);
  EXPECT_EQ(h->find("x"), -1);  // labels above level 0 are not original values

  auto explicit_lines =
      GeneralizationHierarchy::from_rows({{"a", "*"}, {"b", "*"}}, "rows", {10, 20});
  ASSERT_TRUE(explicit_lines) << explicit_lines.error().describe(Lang::en);
  EXPECT_EQ(explicit_lines->line(1), 20);
}

TEST(HierarchyFromRows, ALabelMayRepeatAcrossLevels) {
  // "K29" is both an original value and a level-1 label; "*" is both a masked label and the top.
  auto h = GeneralizationHierarchy::from_rows(
      {{"K29", "K29", "*"}, {"K297", "K29", "*"}, {"5", "*", "*"}}, "rows");
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  EXPECT_EQ(h->height(), 3);
}

// ---------------------------------------------------------------------------------------------
// Refusals

TEST(HierarchyRefuses, NoRows) {
  auto h = GeneralizationHierarchy::from_rows({}, "none");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().file, "none");

  auto parsed = GeneralizationHierarchy::parse("\n\r\n", "blank.csv");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code(), Errc::invalid_input);
  EXPECT_EQ(parsed.error().where().file, "blank.csv");
}

TEST(HierarchyRefuses, ARowWithNoCells) {
  auto h = GeneralizationHierarchy::from_rows({{}}, "rows");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().line, 1);
}

TEST(HierarchyRefuses, RaggedRowAtItsLine) {
  auto h = GeneralizationHierarchy::parse("a;x;*\n\nb;x\nc;y;*\n", "h.csv");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().file, "h.csv");
  EXPECT_EQ(h.error().where().line, 3);
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("2 levels"));
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("has 3"));

  auto longer = GeneralizationHierarchy::from_rows({{"a", "*"}, {"b", "*"}, {"c", "x", "*"}},
                                                   "rows", {10, 20, 30});
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error().code(), Errc::invalid_input);
  EXPECT_EQ(longer.error().where().file, "rows");
  EXPECT_EQ(longer.error().where().line, 30);
}

TEST(HierarchyRefuses, EmptyCellAtItsLineAndColumn) {
  auto h = GeneralizationHierarchy::parse("a;x;*\nb;;*\n", "h.csv");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().file, "h.csv");
  EXPECT_EQ(h.error().where().line, 2);
  EXPECT_EQ(h.error().where().column, 2);
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("\"b\""));
  EXPECT_THAT(h.error().message(Lang::ja), HasSubstr("b"));

  auto top = GeneralizationHierarchy::parse("a;x;*\nb;x;\n", "h.csv");
  ASSERT_FALSE(top);
  EXPECT_EQ(top.error().where().line, 2);
  EXPECT_EQ(top.error().where().column, 3);

  auto value = GeneralizationHierarchy::from_rows({{"a", "*"}, {"", "*"}}, "rows");
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code(), Errc::invalid_input);
  EXPECT_EQ(value.error().where().line, 2);
  EXPECT_EQ(value.error().where().column, 1);
}

TEST(HierarchyRefuses, DuplicateValueNamesTheFirstLine) {
  auto h = GeneralizationHierarchy::parse("a;x;*\nb;x;*\n\na;x;*\n", "h.csv");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().file, "h.csv");
  EXPECT_EQ(h.error().where().line, 4);
  EXPECT_EQ(h.error().where().field, "a");
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("\"a\""));
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("line 1"));
  EXPECT_THAT(h.error().message(Lang::ja), HasSubstr("1 行目"));
}

TEST(HierarchyRefuses, InconsistentGeneralizationNamesBothLines) {
  // "x" at level 1 goes to "*" on line 1 but to "ALL" on line 5.
  auto h = GeneralizationHierarchy::parse("a;x;*\nb;x;*\nc;y;*\n\nd;x;ALL\n", "h.csv");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().file, "h.csv");
  EXPECT_EQ(h.error().where().line, 5);
  EXPECT_EQ(h.error().where().column, 3);
  EXPECT_EQ(h.error().where().field, "d");
  const std::string& en = h.error().message(Lang::en);
  EXPECT_THAT(en, HasSubstr("\"x\""));
  EXPECT_THAT(en, HasSubstr("\"ALL\""));
  EXPECT_THAT(en, HasSubstr("\"*\""));
  EXPECT_THAT(en, HasSubstr("line 1"));
  EXPECT_THAT(h.error().message(Lang::ja), HasSubstr("1 行目"));
}

TEST(HierarchyRefuses, InconsistentGeneralizationDeeperDown) {
  // Level 1 → 2: "20-24" sits under "20-29" from line 2 but under "0-49" here.
  auto h = GeneralizationHierarchy::from_rows(
      {{"19", "15-19", "10-19", "*"}, {"20", "20-24", "20-29", "*"}, {"21", "20-24", "0-49", "*"}},
      "rows", {7, 8, 9});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().line, 9);
  EXPECT_EQ(h.error().where().column, 3);
  EXPECT_EQ(h.error().where().field, "21");
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("\"20-24\""));
  EXPECT_THAT(h.error().message(Lang::en), HasSubstr("line 8"));
}

TEST(HierarchyRefuses, CsvErrorsPassThrough) {
  auto h = GeneralizationHierarchy::parse("a;x;*\nb;\"x\"y;*\n", "h.csv");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::invalid_input);
  EXPECT_EQ(h.error().where().line, 2);
  EXPECT_EQ(h.error().where().column, 6);
}

TEST(HierarchyRefuses, MissingFile) {
  testing::TempDir dir;
  auto h = GeneralizationHierarchy::read(dir / "absent.csv");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), Errc::not_found);
}

TEST(HierarchyRead, ErrorsNameTheFile) {
  testing::TempDir dir;
  testing::write_file(dir / "h.csv", "a;x;*\nb;x\n");
  auto h = GeneralizationHierarchy::read(dir / "h.csv");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().where().file, (dir / "h.csv").string());
  EXPECT_EQ(h.error().where().line, 2);
}

// ---------------------------------------------------------------------------------------------
// bind()

// v1, v2 → A; v3, v4 → B; v5 → C; all → *.
GeneralizationHierarchy small_hierarchy() {
  auto h = GeneralizationHierarchy::parse("v1;A;*\nv2;A;*\nv3;B;*\nv4;B;*\nv5;C;*\n", "small.csv");
  EXPECT_TRUE(h) << h.error().describe(Lang::en);
  return std::move(*h);
}

TEST(HierarchyBind, GroupsLabelsAndLeavesPerLevel) {
  auto h = small_hierarchy();
  // Codes: v3 = 0, v1 = 1, v2 = 2. v4 and v5 are not in the data.
  auto table = parse_table("x\nv3\nv1\nv3\nv2\n", "data.csv");
  ASSERT_TRUE(table) << table.error().describe(Lang::en);
  auto b = bind(h, table->column(0));
  ASSERT_TRUE(b) << b.error().describe(Lang::en);

  EXPECT_EQ(b->height, 3);
  EXPECT_EQ(b->domain_size, 5u);
  ASSERT_EQ(b->group.size(), 3u);
  ASSERT_EQ(b->label.size(), 3u);
  ASSERT_EQ(b->leaves.size(), 3u);

  // Level 0 is the identity.
  EXPECT_THAT(b->group[0], ElementsAre(0u, 1u, 2u));
  EXPECT_THAT(b->label[0], ElementsAre("v3", "v1", "v2"));
  EXPECT_THAT(b->leaves[0], ElementsAre(1u, 1u, 1u));
  EXPECT_EQ(b->groups(0), 3u);

  // Level 1: B (v3) and A (v1, v2). B counts v4 too although v4 is not in the data; C is absent.
  EXPECT_THAT(b->group[1], ElementsAre(0u, 1u, 1u));
  EXPECT_THAT(b->label[1], ElementsAre("B", "A"));
  EXPECT_THAT(b->leaves[1], ElementsAre(2u, 2u));
  EXPECT_EQ(b->groups(1), 2u);

  // Level 2: everything in "*", whose leaves are the whole hierarchy.
  EXPECT_THAT(b->group[2], ElementsAre(0u, 0u, 0u));
  EXPECT_THAT(b->label[2], ElementsAre("*"));
  EXPECT_THAT(b->leaves[2], ElementsAre(5u));
  EXPECT_EQ(b->groups(2), 1u);
}

TEST(HierarchyBind, ValuesOfOneGroupOnly) {
  auto h = small_hierarchy();
  auto table = parse_table("x\nv5\nv5\n", "data.csv");
  ASSERT_TRUE(table) << table.error().describe(Lang::en);
  auto b = bind(h, table->column(0));
  ASSERT_TRUE(b) << b.error().describe(Lang::en);
  EXPECT_THAT(b->label[0], ElementsAre("v5"));
  EXPECT_THAT(b->label[1], ElementsAre("C"));
  EXPECT_THAT(b->leaves[1], ElementsAre(1u));
  EXPECT_THAT(b->leaves[2], ElementsAre(5u));
}

TEST(HierarchyBind, EmptyColumn) {
  auto h = small_hierarchy();
  auto table = parse_table("x\n", "data.csv");
  ASSERT_TRUE(table) << table.error().describe(Lang::en);
  auto b = bind(h, table->column(0));
  ASSERT_TRUE(b) << b.error().describe(Lang::en);
  EXPECT_EQ(b->height, 3);
  EXPECT_EQ(b->domain_size, 5u);
  for (int l = 0; l < 3; ++l) EXPECT_EQ(b->groups(l), 0u);
}

TEST(HierarchyBind, MissingValueNamesValueColumnAndDataRow) {
  auto h = small_hierarchy();
  // "zz" first appears on data row 3 (header excluded), i.e. file line 4.
  auto table = parse_table("id;code\n1;v1\n2;v2\n3;zz\n4;zz\n", "data.csv");
  ASSERT_TRUE(table) << table.error().describe(Lang::en);
  auto b = bind(h, table->column(1));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), Errc::invalid_input);
  EXPECT_EQ(b.error().where().file, "small.csv");
  EXPECT_EQ(b.error().where().field, "code");
  const std::string& en = b.error().message(Lang::en);
  EXPECT_THAT(en, HasSubstr("\"zz\""));
  EXPECT_THAT(en, HasSubstr("\"code\""));
  EXPECT_THAT(en, HasSubstr("data row 3"));
  const std::string& ja = b.error().message(Lang::ja);
  EXPECT_THAT(ja, HasSubstr("zz"));
  EXPECT_THAT(ja, HasSubstr("code"));
  EXPECT_THAT(ja, HasSubstr("3 行目"));
}

TEST(HierarchyBind, MissingJapaneseValueIsNamed) {
  auto h = GeneralizationHierarchy::parse("東京都;関東地方;*\n", "pref.csv");
  ASSERT_TRUE(h) << h.error().describe(Lang::en);
  auto table = parse_table("都道府県\n東京都\n大阪府\n", "data.csv");
  ASSERT_TRUE(table) << table.error().describe(Lang::en);
  auto b = bind(*h, table->column(0));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().where().field, "都道府県");
  EXPECT_THAT(b.error().message(Lang::ja), HasSubstr("大阪府"));
  EXPECT_THAT(b.error().message(Lang::ja), HasSubstr("2 行目"));
}

}  // namespace
}  // namespace tokumei::anon
