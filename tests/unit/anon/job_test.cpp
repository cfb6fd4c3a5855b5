// Job files (tokumei anonymize --config): every key read into the Job, paths relative to the job
// file, every refusal located at the file, line and dotted key, builders turned into hierarchies
// by make_spec, and engine errors placed back at the job line of the setting they name.

#include "tokumei/anon/job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokumei/anon/anonymizer.h"

namespace tokumei::anon {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tokumei::testing::TempDir;
using tokumei::testing::write_file;

// 1-based line of the first line of `text` that contains `needle`; 0 when none does.
int line_of(const std::string& text, const std::string& needle) {
  int line = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string::npos) return line;
    start = end + 1;
    ++line;
  }
  return 0;
}

const JobAttribute* attribute(const Job& job, const std::string& column) {
  for (const auto& a : job.attributes) {
    if (a.column == column) return &a;
  }
  return nullptr;
}

const AttributeSpec* attribute(const AnonymizationSpec& spec, const std::string& column) {
  for (const auto& a : spec.attributes) {
    if (a.column == column) return &a;
  }
  return nullptr;
}

// All labels of `value` in `h`, level 0 first.
std::vector<std::string> labels_of(const GeneralizationHierarchy& h, const std::string& value) {
  std::vector<std::string> out;
  auto row = h.find(value);
  if (row < 0) return out;
  for (int l = 0; l < h.height(); ++l) out.push_back(h.label(static_cast<std::size_t>(row), l));
  return out;
}

// A minimal valid job body after [input], to which each error test adds its one mistake.
const std::string kModel = R"([model]
k = 2

[attributes.age]
role = "quasi_identifying"
hierarchy = "age.csv"
)";

Error parse_error(const std::string& text) {
  auto job = parse_job(text, "job.toml", "/jobs");
  if (job) throw std::runtime_error("the job was accepted:\n" + text);
  return job.error();
}

// ---------------------------------------------------------------------------------------------
// Loading

TEST(JobLoad, ReadsEveryKeyWithPathsRelativeToTheJobFile) {
  TempDir tmp;
  const auto dir = tmp / "jobs";
  const auto elsewhere = tmp / "elsewhere" / "sex.csv";
  const std::string text = R"(threads = 2

[input]
path = "data/patients.csv"
delimiter = ","

[output]
path = "out/released.csv"
report = "out/report.json"

[report]
risk_threshold = 0.1

[model]
k = 2
suppression_limit = 0.25
metric = "precision"
gs_factor = 0.3
highest_risk = 0.5
average_risk = 0.6

[[model.l_diversity]]
attribute = "disease"
variant = "recursive"
l = 2
c = 3

[[model.l_diversity]]
attribute = "disease"

[[model.t_closeness]]
attribute = "disease"
distance = "equal"
t = 0.6

[attributes.name]
role = "identifying"

[attributes.age]
role = "quasi_identifying"
hierarchy = "hierarchies/age.csv"

[attributes.sex]
role = "quasi_identifying"
hierarchy = ")" + elsewhere.string() +
                           R"("

[attributes.disease]
role = "sensitive"
)";
  write_file(dir / "job.toml", text);
  write_file(dir / "data/patients.csv",
             "name,age,sex,disease\nA,31,M,flu\nB,32,M,cold\nC,33,F,flu\nD,34,F,cold\n"
             "E,41,M,flu\nF,42,M,cold\nG,43,F,flu\nH,44,F,cold\n");
  write_file(dir / "hierarchies/age.csv",
             "31;30-39;*\n32;30-39;*\n33;30-39;*\n34;30-39;*\n"
             "41;40-49;*\n42;40-49;*\n43;40-49;*\n44;40-49;*\n");
  write_file(elsewhere, "M;*\nF;*\n");

  auto job = load_job(dir / "job.toml");
  ASSERT_TRUE(job) << job.error().describe(Lang::en);
  EXPECT_EQ(job->source, (dir / "job.toml").string());
  EXPECT_EQ(job->input, dir / "data/patients.csv");
  EXPECT_EQ(job->csv.delimiter, ',');
  EXPECT_EQ(job->output, dir / "out/released.csv");
  EXPECT_EQ(job->report, dir / "out/report.json");
  EXPECT_DOUBLE_EQ(job->risk_threshold, 0.1);
  EXPECT_EQ(job->threads, 2);
  EXPECT_EQ(job->model.k, 2);
  EXPECT_DOUBLE_EQ(job->model.suppression_limit, 0.25);
  EXPECT_DOUBLE_EQ(job->model.highest_risk, 0.5);
  EXPECT_DOUBLE_EQ(job->model.average_risk, 0.6);
  EXPECT_EQ(job->metric.metric, Metric::precision);
  EXPECT_DOUBLE_EQ(job->metric.gs_factor, 0.3);
  ASSERT_EQ(job->model.l_diversity.size(), 2u);
  EXPECT_EQ(job->model.l_diversity[0].attribute, "disease");
  EXPECT_EQ(job->model.l_diversity[0].variant, LDiversity::Variant::recursive);
  EXPECT_DOUBLE_EQ(job->model.l_diversity[0].l, 2);
  EXPECT_DOUBLE_EQ(job->model.l_diversity[0].c, 3);
  // Defaults: distinct 2-diversity.
  EXPECT_EQ(job->model.l_diversity[1].variant, LDiversity::Variant::distinct);
  EXPECT_DOUBLE_EQ(job->model.l_diversity[1].l, 2);
  ASSERT_EQ(job->model.t_closeness.size(), 1u);
  EXPECT_EQ(job->model.t_closeness[0].distance, TCloseness::Distance::equal);
  EXPECT_DOUBLE_EQ(job->model.t_closeness[0].t, 0.6);

  ASSERT_EQ(job->attributes.size(), 4u);
  ASSERT_NE(attribute(*job, "name"), nullptr);
  EXPECT_EQ(attribute(*job, "name")->role, AttributeRole::identifying);
  EXPECT_FALSE(attribute(*job, "name")->hierarchy);
  ASSERT_TRUE(attribute(*job, "age")->hierarchy);
  EXPECT_EQ(attribute(*job, "age")->hierarchy->file, dir / "hierarchies/age.csv");
  EXPECT_EQ(attribute(*job, "age")->hierarchy->line, line_of(text, "[attributes.age]"));
  EXPECT_EQ(attribute(*job, "sex")->hierarchy->file, elsewhere);  // absolute: kept
  EXPECT_EQ(attribute(*job, "disease")->role, AttributeRole::sensitive);
  EXPECT_EQ(job->lines.at("model.k"), line_of(text, "k = 2"));
  EXPECT_EQ(job->lines.at("model.metric"), line_of(text, "metric ="));
  EXPECT_EQ(job->lines.at("attributes.sex"), line_of(text, "[attributes.sex]"));

  // And it runs.
  auto table = read_table(job->input, job->csv);
  ASSERT_TRUE(table) << table.error().describe(Lang::en);
  auto spec = make_spec(*job, *table);
  ASSERT_TRUE(spec) << spec.error().describe(Lang::en);
  EXPECT_EQ(spec->threads, 2);
  EXPECT_EQ(spec->metric.metric, Metric::precision);
  EXPECT_EQ(spec->model.l_diversity.size(), 2u);
  ASSERT_TRUE(attribute(*spec, "age")->hierarchy);
  EXPECT_EQ(attribute(*spec, "age")->hierarchy->height(), 3);
  EXPECT_EQ(attribute(*spec, "sex")->hierarchy->height(), 2);
  auto result = anonymize(*table, *spec);
  ASSERT_TRUE(result) << result.error().describe(Lang::en);
  EXPECT_TRUE(result->found);
}

TEST(JobLoad, AMissingJobFileIsAnError) {
  TempDir tmp;
  auto job = load_job(tmp / "nosuch.toml");
  ASSERT_FALSE(job);
  EXPECT_THAT(job.error().describe(Lang::en), HasSubstr("nosuch.toml"));
}

TEST(JobLoad, IntegersAreAcceptedWhereNumbersAreExpected) {
  auto job = parse_job(
      "[input]\npath = \"a.csv\"\n[model]\nk = 3\nsuppression_limit = 0\n"
      "[attributes.age]\nrole = \"insensitive\"\n",
      "job.toml", "/jobs");
  ASSERT_TRUE(job) << job.error().describe(Lang::en);
  EXPECT_DOUBLE_EQ(job->model.suppression_limit, 0);
  EXPECT_EQ(job->input, std::filesystem::path("/jobs/a.csv"));
  EXPECT_EQ(job->csv.delimiter, 0);  // detected from the file
  EXPECT_TRUE(job->output.empty());
  EXPECT_TRUE(job->report.empty());
  EXPECT_EQ(job->metric.metric, Metric::loss);
}

// ---------------------------------------------------------------------------------------------
// Refusals: file, line, dotted key

TEST(JobErrors, UnknownKeysAreNamedWithTheirLine) {
  struct Case {
    std::string text, key, line_text;
  };
  const std::string input = "[input]\npath = \"a.csv\"\n";
  std::vector<Case> cases{
      {"colour = \"red\"\n" + input + kModel, "colour", "colour"},
      {"[input]\npath = \"a.csv\"\nencoding = \"utf-8\"\n" + kModel, "input.encoding", "encoding"},
      {input + "[output]\npath = \"b.csv\"\nformat = \"csv\"\n" + kModel, "output.format",
       "format"},
      {input + "[model]\nk = 2\nkk = 5\n", "model.kk", "kk = 5"},
      {input + kModel + "hierachy = \"x.csv\"\n", "attributes.age.hierachy", "hierachy"},
      {input + kModel + "[[model.l_diversity]]\nattribute = \"d\"\nlvalue = 2\n",
       "model.l_diversity.lvalue", "lvalue"},
      {input + kModel + "[[model.t_closeness]]\nattribute = \"d\"\ntt = 0.2\n",
       "model.t_closeness.tt", "tt ="},
      {input + "[report]\nthreshold = 0.2\n" + kModel, "report.threshold", "threshold"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    Error e = parse_error(c.text);
    EXPECT_EQ(e.code(), Errc::invalid_input);
    EXPECT_EQ(e.where().file, "job.toml");
    EXPECT_EQ(e.where().field, c.key);
    EXPECT_EQ(e.where().line, line_of(c.text, c.line_text));
    EXPECT_THAT(e.message(Lang::en),
                AllOf(HasSubstr("unknown key \"" + c.key + "\""), HasSubstr("known keys")));
    EXPECT_THAT(e.message(Lang::ja), HasSubstr(c.key));
  }
}

TEST(JobErrors, BadRoleMetricBuilderVariantAndDistanceAreNamed) {
  struct Case {
    std::string text, key, line_text, says;
  };
  const std::string input = "[input]\npath = \"a.csv\"\n";
  std::vector<Case> cases{
      {input + "[model]\nk = 2\n[attributes.age]\nrole = \"secret\"\n", "attributes.age.role",
       "[attributes.age]", "the role of \"age\" must be identifying, quasi_identifying"},
      {input + "[model]\nk = 2\n[attributes.age]\nhierarchy = \"age.csv\"\n", "attributes.age.role",
       "[attributes.age]", "the role of \"age\""},
      {input + "[model]\nk = 2\nmetric = \"speed\"\n" + kModel.substr(kModel.find("[attr")),
       "model.metric", "metric", "unknown metric \"speed\""},
      {input + "[model]\nk = 2\n[attributes.age]\nrole = \"quasi_identifying\"\n"
               "builder = \"zodiac\"\n",
       "attributes.age.builder", "builder", "unknown builder \"zodiac\""},
      {input + kModel + "[[model.l_diversity]]\nattribute = \"d\"\nvariant = \"fuzzy\"\n",
       "model.l_diversity.variant", "variant", "unknown variant \"fuzzy\""},
      {input + kModel + "[[model.t_closeness]]\nattribute = \"d\"\ndistance = \"far\"\n",
       "model.t_closeness.distance", "distance", "unknown distance \"far\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    Error e = parse_error(c.text);
    EXPECT_EQ(e.code(), Errc::invalid_input);
    EXPECT_EQ(e.where().file, "job.toml");
    EXPECT_EQ(e.where().field, c.key);
    EXPECT_EQ(e.where().line, line_of(c.text, c.line_text));
    EXPECT_THAT(e.message(Lang::en), HasSubstr(c.says));
  }
}

TEST(JobErrors, WrongTypesAreNamed) {
  struct Case {
    std::string text, key, says;
  };
  const std::string input = "[input]\npath = \"a.csv\"\n";
  const std::string attrs = kModel.substr(kModel.find("[attr"));
  std::vector<Case> cases{
      {input + "[model]\nk = \"5\"\n" + attrs, "model.k", "must be an integer"},
      {input + "[model]\nk = 2.5\n" + attrs, "model.k", "must be an integer"},
      {input + "[model]\nsuppression_limit = \"5%\"\n" + attrs, "model.suppression_limit",
       "must be a number"},
      {input + "[model]\nmetric = 3\n" + attrs, "model.metric", "must be a string"},
      {"[input]\npath = 3\n" + kModel, "input.path", "must be a string"},
      {"threads = \"many\"\n" + input + kModel, "threads", "must be an integer"},
      {input + "[model]\nk = 2\n[attributes.age]\nrole = \"quasi_identifying\"\n"
               "builder = \"intervals\"\nwidths = [\"ten\"]\n",
       "attributes.age.widths", "array of the right type"},
      {input + "[model]\nk = 2\n[attributes.age]\nrole = \"quasi_identifying\"\n"
               "builder = \"prefix\"\nlengths = 3\n",
       "attributes.age.lengths", "array of the right type"},
      {input + "[model]\nk = 2\nl_diversity = \"occupation\"\n" + attrs, "model.l_diversity",
       "array of tables"},
      {input + "[model]\nk = 2\n[attributes]\nage = \"quasi_identifying\"\n", "attributes.age",
       "must be a table"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    Error e = parse_error(c.text);
    EXPECT_EQ(e.where().field, c.key);
    EXPECT_GT(e.where().line, 0);
    EXPECT_THAT(e.message(Lang::en), HasSubstr(c.says));
  }
}

TEST(JobErrors, MissingPartsAreNamed) {
  struct Case {
    std::string text, key;
  };
  const std::string input = "[input]\npath = \"a.csv\"\n";
  std::vector<Case> cases{
      {kModel, "input.path"},
      {"[input]\ndelimiter = \";\"\n" + kModel, "input.path"},
      {input + "[attributes.age]\nrole = \"insensitive\"\n", "model"},
      {input + "[model]\nk = 2\n", "attributes"},
      {input + kModel + "[[model.l_diversity]]\nl = 2\n", "model.l_diversity.attribute"},
      {input + kModel + "[[model.t_closeness]]\nt = 0.2\n", "model.t_closeness.attribute"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    Error e = parse_error(c.text);
    EXPECT_EQ(e.where().file, "job.toml");
    EXPECT_EQ(e.where().field, c.key);
  }
}

TEST(JobErrors, OtherMistakes) {
  const std::string input = "[input]\npath = \"a.csv\"\n";
  // TOML syntax, at its line.
  std::string syntax = input + "[model]\nk = = 2\n";
  Error e = parse_error(syntax);
  EXPECT_EQ(e.where().line, line_of(syntax, "k = = 2"));
  EXPECT_THAT(e.message(Lang::en), HasSubstr("TOML syntax error"));
  // A delimiter other than ; or ,.
  e = parse_error("[input]\npath = \"a.csv\"\ndelimiter = \"|\"\n" + kModel);
  EXPECT_EQ(e.where().field, "input.delimiter");
  EXPECT_EQ(e.where().line, 3);
  // A hierarchy file and a builder both.
  std::string both = input +
                     "[model]\nk = 2\n[attributes.age]\nrole = \"quasi_identifying\"\n"
                     "hierarchy = \"age.csv\"\nbuilder = \"intervals\"\n";
  e = parse_error(both);
  EXPECT_EQ(e.where().field, "attributes.age");
  EXPECT_EQ(e.where().line, line_of(both, "[attributes.age]"));
  EXPECT_THAT(e.message(Lang::en), HasSubstr("either hierarchy or builder"));
}

// ---------------------------------------------------------------------------------------------
// Builders and hierarchy files through make_spec

class JobSpec : public ::testing::Test {
 protected:
  JobSpec() {
    write_file(tmp / "data.csv",
               "id;age;birth;icd;city;zip;phone;disease\n"
               "1;37;1980-03-15;K297;131016;1130033;0312345678;flu\n"
               "2;38;1980-05-02;K29.7;131016;1130034;0312345679;cold\n"
               "3;105;1981-11-30;J18;271004;5300001;0612345678;flu\n"
               "4;-3;1981-12-01;J189;271004;5300002;0612345679;cold\n");
  }
  // Loads `attributes` after a fixed [input] and [model] and builds the spec.
  Result<AnonymizationSpec> spec(const std::string& attributes, Job* out = nullptr,
                                 const std::string& model = "k = 2\n") {
    text = "[input]\npath = \"data.csv\"\n[model]\n" + model + attributes;
    write_file(tmp / "job.toml", text);
    auto job = load_job(tmp / "job.toml");
    if (!job) return std::unexpected(job.error());
    auto table = read_table(job->input, job->csv);
    if (!table) return std::unexpected(table.error());
    table_ = std::move(*table);
    if (out != nullptr) *out = *job;
    return make_spec(*job, table_);
  }
  const GeneralizationHierarchy& hierarchy_of(const AnonymizationSpec& s, const std::string& c) {
    const AttributeSpec* a = attribute(s, c);
    if (a == nullptr || !a->hierarchy) throw std::runtime_error("no hierarchy for " + c);
    return *a->hierarchy;
  }
  TempDir tmp;
  std::string text;
  Table table_;
};

TEST_F(JobSpec, BuildersMakeHierarchiesFromTheColumnsValues) {
  auto s = spec(R"(
[attributes.id]
role = "identifying"

[attributes.age]
role = "quasi_identifying"
builder = "intervals"
bottom = 0
top = 100
widths = [10, 20]

[attributes.birth]
role = "quasi_identifying"
builder = "dates"
levels = ["month", "year"]

[attributes.icd]
role = "quasi_identifying"
builder = "icd10"

[attributes.city]
role = "quasi_identifying"
builder = "municipality"

[attributes.zip]
role = "quasi_identifying"
builder = "prefix"
lengths = [3, 1]

[attributes.phone]
role = "insensitive"

[attributes.disease]
role = "sensitive"
)");
  ASSERT_TRUE(s) << s.error().describe(Lang::en);
  EXPECT_THAT(labels_of(hierarchy_of(*s, "age"), "37"), ElementsAre("37", "30-39", "20-39", "*"));
  EXPECT_THAT(labels_of(hierarchy_of(*s, "age"), "105"), ElementsAre("105", ">=100", ">=100", "*"));
  EXPECT_THAT(labels_of(hierarchy_of(*s, "age"), "-3"), ElementsAre("-3", "<0", "<0", "*"));
  EXPECT_THAT(labels_of(hierarchy_of(*s, "birth"), "1980-03-15"),
              ElementsAre("1980-03-15", "1980-03", "1980", "*"));
  EXPECT_THAT(labels_of(hierarchy_of(*s, "icd"), "K29.7"),
              ElementsAre("K29.7", "K29", "K00-K93", "*"));
  EXPECT_THAT(labels_of(hierarchy_of(*s, "city"), "131016"),
              ElementsAre("131016", "東京都", "関東地方", "*"));
  EXPECT_THAT(labels_of(hierarchy_of(*s, "zip"), "5300001"),
              ElementsAre("5300001", "530", "5", "*"));
  // Builders run on the column's own values: every value has its row, and the engine takes it.
  EXPECT_EQ(hierarchy_of(*s, "icd").size(), 4u);
  auto result = anonymize(table_, *s);
  ASSERT_TRUE(result) << result.error().describe(Lang::en);
  EXPECT_EQ(result->quasi_identifiers,
            (std::vector<std::string>{"age", "birth", "icd", "city", "zip"}));
  EXPECT_TRUE(result->found);
}

TEST_F(JobSpec, ABuilderErrorIsLocatedAtTheAttribute) {
  auto s = spec(
      "[attributes.birth]\nrole = \"quasi_identifying\"\nbuilder = \"intervals\"\n"
      "bottom = 0\ntop = 100\nwidths = [10]\n");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where().file, (tmp / "job.toml").string());
  EXPECT_EQ(s.error().where().line, line_of(text, "[attributes.birth]"));
  EXPECT_THAT(s.error().where().field, HasSubstr("attributes.birth"));
  EXPECT_THAT(s.error().message(Lang::en), HasSubstr("1980-03-15"));

  s = spec(
      "[attributes.age]\nrole = \"quasi_identifying\"\nbuilder = \"intervals\"\n"
      "bottom = 0\ntop = 100\nwidths = [10, 15]\n");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where().line, line_of(text, "[attributes.age]"));
  EXPECT_THAT(s.error().message(Lang::en), HasSubstr("whole multiple"));

  s = spec("[attributes.nosuch]\nrole = \"quasi_identifying\"\nbuilder = \"prefix\"\n");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where().line, line_of(text, "[attributes.nosuch]"));
  EXPECT_EQ(s.error().where().field, "attributes.nosuch");
}

TEST_F(JobSpec, HierarchyFileErrorsNameTheFile) {
  write_file(tmp / "zip.csv", "1130033;113;*\n1130034;*\n");
  auto s = spec("[attributes.zip]\nrole = \"quasi_identifying\"\nhierarchy = \"zip.csv\"\n");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where().file, (tmp / "zip.csv").string());
  EXPECT_EQ(s.error().where().line, 2);
  EXPECT_THAT(s.error().message(Lang::en), HasSubstr("ragged"));

  s = spec("[attributes.zip]\nrole = \"quasi_identifying\"\nhierarchy = \"missing.csv\"\n");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().describe(Lang::en), HasSubstr("missing.csv"));
}

// ---------------------------------------------------------------------------------------------
// locate(): engine errors back at the job's lines

TEST_F(JobSpec, LocatePutsEngineErrorsAtTheJobLine) {
  const std::string roles =
      "[attributes.id]\nrole = \"identifying\"\n"
      "[attributes.age]\nrole = \"quasi_identifying\"\nbuilder = \"intervals\"\nbottom = 0\n"
      "top = 200\nwidths = [50]\n"
      "[attributes.birth]\nrole = \"insensitive\"\n[attributes.icd]\nrole = \"insensitive\"\n"
      "[attributes.city]\nrole = \"insensitive\"\n[attributes.zip]\nrole = \"insensitive\"\n"
      "[attributes.phone]\nrole = \"insensitive\"\n[attributes.disease]\nrole = \"sensitive\"\n";
  Job job;
  auto s = spec(roles, &job);
  ASSERT_TRUE(s) << s.error().describe(Lang::en);

  // k larger than the table (4 rows).
  s->model.k = 10;
  job.model.k = 10;
  auto r = anonymize(table_, *s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where().field, "k");
  Error located = locate(job, r.error());
  EXPECT_EQ(located.where().file, job.source);
  EXPECT_EQ(located.where().line, line_of(text, "k = 2"));
  EXPECT_EQ(located.where().field, "model.k");
  EXPECT_EQ(located.message(Lang::en), r.error().message(Lang::en));
  EXPECT_THAT(located.describe(Lang::en),
              HasSubstr("job.toml:" + std::to_string(line_of(text, "k = 2"))));

  // A criterion on a column that is not sensitive: at the column's declaration.
  s->model.k = 2;
  s->model.l_diversity.push_back({.attribute = "phone", .l = 2});
  r = anonymize(table_, *s);
  ASSERT_FALSE(r);
  located = locate(job, r.error());
  EXPECT_EQ(located.where().field, "attributes.phone");
  EXPECT_EQ(located.where().line, line_of(text, "[attributes.phone]"));

  // An error that already names a file (a value missing from a hierarchy) is left alone.
  Error with_file(Errc::invalid_input, {"x", "x"}, Location{.file = "age.csv", .field = "age"});
  EXPECT_EQ(locate(job, with_file).where().file, "age.csv");
  // A field the job does not mention: the job file, no line.
  Error unknown(Errc::invalid_input, {"x", "x"}, Location{.field = "gs_factor"});
  EXPECT_EQ(locate(job, unknown).where().file, job.source);
  EXPECT_EQ(locate(job, unknown).where().line, 0);
}

TEST_F(JobSpec, LocatePutsThresholdErrorsAtTheirLines) {
  const std::string roles =
      "[attributes.id]\nrole = \"identifying\"\n"
      "[attributes.age]\nrole = \"quasi_identifying\"\nbuilder = \"masking\"\n"
      "[attributes.birth]\nrole = \"insensitive\"\n[attributes.icd]\nrole = \"insensitive\"\n"
      "[attributes.city]\nrole = \"insensitive\"\n[attributes.zip]\nrole = \"insensitive\"\n"
      "[attributes.phone]\nrole = \"insensitive\"\n[attributes.disease]\nrole = \"sensitive\"\n";
  struct Case {
    std::string model, line_text, key;
  };
  std::vector<Case> cases{
      {"suppression_limit = 1.5\n", "suppression_limit", "model.suppression_limit"},
      {"highest_risk = 2.0\n", "highest_risk", "model.highest_risk"},
      {"gs_factor = -1.0\n", "gs_factor", "model.gs_factor"},
      {"[[model.l_diversity]]\nattribute = \"disease\"\nl = 50\n", "l = 50", "model.l_diversity.l"},
      {"[[model.t_closeness]]\nattribute = \"disease\"\nt = 2.0\n", "t = 2.0",
       "model.t_closeness.t"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.model);
    Job job;
    auto s = spec(roles, &job, c.model);
    ASSERT_TRUE(s) << s.error().describe(Lang::en);
    auto r = anonymize(table_, *s);
    ASSERT_FALSE(r);
    Error located = locate(job, r.error());
    EXPECT_EQ(located.where().file, job.source);
    EXPECT_EQ(located.where().field, c.key);
    EXPECT_EQ(located.where().line, line_of(text, c.line_text));
  }
}

TEST_F(JobSpec, LocatePutsAnUnknownColumnAtItsDeclaration) {
  Job job;
  auto s = spec("[attributes.weight]\nrole = \"insensitive\"\n", &job);
  ASSERT_TRUE(s) << s.error().describe(Lang::en);  // make_spec does not check columns
  auto r = anonymize(table_, *s);
  ASSERT_FALSE(r);
  Error located = locate(job, r.error());
  EXPECT_EQ(located.where().field, "attributes.weight");
  EXPECT_EQ(located.where().line, line_of(text, "[attributes.weight]"));
  EXPECT_THAT(located.message(Lang::en), HasSubstr("\"weight\""));
}

}  // namespace
}  // namespace tokumei::anon
