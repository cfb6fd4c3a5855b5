// `tokumei anonymize --config job.toml`, run the way an operator runs it: the released CSV and the
// report are written, --json prints the report, a bad job exits 1 naming the job file's line,
// and --lang en speaks English.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace tokumei::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Ten patients: 3-anonymity by decade and sex holds once the one 55-year-old is suppressed.
constexpr const char* kPatients =
    "name,age,sex,disease,ward\n"
    "A,31,M,flu,1\nB,32,M,cold,2\nC,33,M,hay,1\nD,34,F,flu,2\nE,35,F,cold,1\n"
    "F,36,F,flu,2\nG,41,M,flu,1\nH,42,M,cold,2\nI,43,M,hay,1\nJ,55,F,flu,2\n";

class AnonymizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = tokumei_binary();
    ASSERT_TRUE(std::filesystem::exists(binary_)) << binary_;
    write_file(tmp / "in/patients.csv", kPatients);
    write_file(tmp / "in/sex.csv", "M;*\nF;*\n");
    std::filesystem::create_directories(tmp / "out");
  }
  CommandResult tokumei(const std::string& args) {
    return run_command("TOKUMEI_LANG= " + binary_ + " " + args);
  }
  // A job in tmp/in with `model` as its [model] body.
  std::string write_job(const std::string& model) {
    job_text_ =
        "[input]\npath = \"patients.csv\"\n\n"
        "[output]\npath = \"../out/released.csv\"\nreport = \"../out/report.json\"\n\n"
        "[model]\n" +
        model +
        "\n"
        "[attributes.name]\nrole = \"identifying\"\n\n"
        "[attributes.age]\nrole = \"quasi_identifying\"\nbuilder = \"intervals\"\n"
        "bottom = 30\ntop = 60\nwidths = [10]\n\n"
        "[attributes.sex]\nrole = \"quasi_identifying\"\nhierarchy = \"sex.csv\"\n\n"
        "[attributes.disease]\nrole = \"sensitive\"\n\n"
        "[attributes.ward]\nrole = \"insensitive\"\n";
    write_file(tmp / "in/job.toml", job_text_);
    return "anonymize --config '" + (tmp / "in/job.toml").string() + "'";
  }
  int line_of(const std::string& needle) const {
    int line = 1;
    for (std::size_t i = 0; i < job_text_.find(needle); ++i) line += job_text_[i] == '\n';
    return line;
  }
  std::string binary_;
  std::string job_text_;
  TempDir tmp;
};

TEST_F(AnonymizeCli, WritesTheReleaseAndTheReport) {
  auto r = tokumei(write_job("k = 3\nsuppression_limit = 0.1\n"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, AllOf(HasSubstr("最適な一般化が見つかりました"), HasSubstr("released.csv"),
                              HasSubstr("report.json")));

  std::string released = read_file(tmp / "out/released.csv");
  EXPECT_EQ(released,
            "age,sex,disease,ward\n"
            "30-39,M,flu,1\n30-39,M,cold,2\n30-39,M,hay,1\n30-39,F,flu,2\n30-39,F,cold,1\n"
            "30-39,F,flu,2\n40-49,M,flu,1\n40-49,M,cold,2\n40-49,M,hay,1\n*,*,flu,2\n");
  EXPECT_THAT(released, Not(HasSubstr("A,")));  // names are gone

  auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  EXPECT_EQ(report["found"], true);
  EXPECT_EQ(report["rows"], 10);
  EXPECT_EQ(report["suppressed_rows"], 1);
  EXPECT_EQ(report["levels"], nlohmann::json::array({1, 0}));
  EXPECT_EQ(report["equivalence_classes"]["count"], 3);
  EXPECT_EQ(report["input"], (tmp / "in/patients.csv").string());
  EXPECT_EQ(report["output"], (tmp / "in/../out/released.csv").string());
  EXPECT_DOUBLE_EQ(report["risk"]["prosecutor"]["highest"].get<double>(), 1.0 / 3);
}

TEST_F(AnonymizeCli, JsonPrintsTheReport) {
  auto r = tokumei("--json " + write_job("k = 3\nsuppression_limit = 0.1\n"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["found"], true);
  EXPECT_EQ(j["suppressed_rows"], 1);
  EXPECT_EQ(j["transformation"][0]["attribute"], "age");
  EXPECT_TRUE(j["utility"]["after"]["loss"].is_number());
  EXPECT_TRUE(j["search"]["lattice_size"].is_number());
}

TEST_F(AnonymizeCli, EnglishOnRequest) {
  auto r = tokumei("--lang en " + write_job("k = 3\nsuppression_limit = 0.1\n"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, AllOf(HasSubstr("Optimal generalization found"),
                              HasSubstr("10 rows, 1 suppressed (limit 1)"),
                              HasSubstr("anonymized table: "), Not(HasSubstr("最適"))));
}

TEST_F(AnonymizeCli, ABadJobExitsOneNamingTheLine) {
  auto r = tokumei("--lang en " + write_job("k = 3\nsupression_limit = 0.1\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, AllOf(HasSubstr("job.toml:" + std::to_string(line_of("supression_limit"))),
                              HasSubstr("unknown key \"model.supression_limit\"")));
  EXPECT_FALSE(std::filesystem::exists(tmp / "out/released.csv"));

  auto j = nlohmann::json::parse(tokumei("--json " + write_job("k = \"three\"\n")).output);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"]["field"], "model.k");
  EXPECT_EQ(j["error"]["line"], line_of("k = \"three\""));
}

TEST_F(AnonymizeCli, AnEngineErrorIsPlacedAtTheJobLine) {
  auto r = tokumei("--lang en " + write_job("k = 50\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, AllOf(HasSubstr("job.toml:" + std::to_string(line_of("k = 50"))),
                              HasSubstr("model.k"), HasSubstr("larger than the table's 10 rows")));
}

TEST_F(AnonymizeCli, NoSatisfyingGeneralizationExitsOneWithoutARelease) {
  // Distinct 4-diversity of a column with three values.
  auto r = tokumei("--lang en " + write_job("[[model.l_diversity]]\nattribute = \"disease\"\n"
                                            "l = 4\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("No generalization satisfies the privacy model"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "out/released.csv"));
  auto report = nlohmann::json::parse(read_file(tmp / "out/report.json"));
  EXPECT_EQ(report["found"], false);
}

}  // namespace
}  // namespace tokumei::testing
