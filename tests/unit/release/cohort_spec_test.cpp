// The cohort specification: TOML and JSON, canonical hash, located errors (ANON-05).

#include "tokumei/release/cohort_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokumei::release {
namespace {

using ::testing::HasSubstr;

constexpr const char* kToml = R"(kind = "anonymized"
period = { from = "2020-04-01", to = "2025-03-31" }
diagnoses = ["I10", "E11", "E11"]
age = { min = 40, max = 89 }
fields = ["sex", "age", "diagnosis"]
dates = "index"
)";

TEST(CohortSpecTest, TomlAndJsonAskingTheSameHaveOneHash) {
  auto a = parse_cohort_spec(kToml, "spec.toml");
  ASSERT_TRUE(a) << a.error().describe(Lang::en);
  auto b = parse_cohort_spec(
      R"({"fields": ["diagnosis", "age", "sex"], "kind": "anonymized", "dates": "index",
          "period": {"to": "2025-03-31", "from": "2020-04-01"}, "diagnoses": ["E11", "I10"],
          "age": {"max": 89, "min": 40}})",
      "spec.json");
  ASSERT_TRUE(b) << b.error().describe(Lang::en);
  EXPECT_EQ(a->hash(), b->hash());
  EXPECT_EQ(a->diagnoses, (std::vector<std::string>{"E11", "I10"}));
  EXPECT_TRUE(spec_differences(*a, *b).empty());
  b->fields.push_back("prefecture");
  auto diff = spec_differences(*a, *b);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_THAT(diff[0], HasSubstr("fields"));
  EXPECT_NE(a->hash(), b->hash());
}

TEST(CohortSpecTest, ProblemsAreLocated) {
  auto unknown = parse_cohort_spec(std::string(kToml) + "colour = \"red\"\n", "spec.toml");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().where().field, "colour");
  EXPECT_EQ(unknown.error().where().line, 7);
  EXPECT_EQ(unknown.error().where().file, "spec.toml");

  auto field = parse_cohort_spec(R"(kind = "anonymized"
period = { from = "2020-04-01", to = "2025-03-31" }
fields = ["sex", "name"]
)",
                                 "s.toml");
  ASSERT_FALSE(field);
  EXPECT_THAT(field.error().text().en, HasSubstr("unknown field: name"));
  EXPECT_EQ(field.error().where().line, 3);

  auto institution = parse_cohort_spec(R"(kind = "anonymized"
period = { from = "2020-04-01", to = "2025-03-31" }
institutions = ["13-1"]
fields = ["sex"]
)",
                                       "s.toml");
  ASSERT_FALSE(institution);
  EXPECT_EQ(institution.error().where().line, 3);
  EXPECT_THAT(institution.error().text().en, HasSubstr("10 digits"));

  auto backwards = parse_cohort_spec(R"(kind = "pseudonymized"
period = { from = "2025-04-01", to = "2020-03-31" }
fields = ["sex"]
)");
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().where().field, "period.to");

  auto syntax = parse_cohort_spec("kind = \n", "x.toml");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().where().line, 1);
  EXPECT_FALSE(parse_cohort_spec("{ not json", "x.json"));
}

TEST(CohortSpecTest, TomlDatesAreRead) {
  auto s = parse_cohort_spec(R"(kind = "anonymized"
period = { from = 2021-01-01, to = 2021-12-31 }
fields = ["sex"]
)");
  ASSERT_TRUE(s) << s.error().describe(Lang::en);
  EXPECT_EQ(s->period_from, "2021-01-01");
  EXPECT_EQ(dataset_kind_label(s->kind), "匿名加工医療情報");
}

}  // namespace
}  // namespace tokumei::release
