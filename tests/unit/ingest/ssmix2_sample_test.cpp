// The SS-MIX2 sample tree in ../shared/data, read end to end; expectations are data
// (tests/fixtures/ingest/ssmix2_sample.toml).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <filesystem>
#include <map>
#include <set>

#include "support/test_support.h"
#include "tokumei/ingest/ssmix2/reader.h"

namespace tokumei::ingest::ssmix2 {
namespace {

using ::testing::HasSubstr;

std::filesystem::path fixture() {
  return tokumei::testing::fixtures_dir() / "ingest" / "ssmix2_sample.toml";
}

TEST(Ssmix2Sample, EveryFileIsReadRecognizedOrQuarantinedWithALocatedReason) {
  toml::table want = toml::parse_file(fixture().string());
  const auto root = testing::shared_data_dir() / *want["root"].value<std::string>();
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "no " << root;
  const std::string institution = *want["institution"].value<std::string>();

  std::map<FileOutcome::Kind, std::int64_t> kinds;
  std::map<std::string, FileOutcome> quarantined;
  std::set<std::pair<std::string, std::string>> persons;
  std::int64_t identities = 0, encounters = 0, diagnoses = 0, medications = 0, labs = 0,
               warnings = 0, total = 0;
  std::optional<model::PersonIdentity> from_adt00;
  auto status = read_storage(root, institution, [&](FileOutcome&& o) {
    ++total;
    ++kinds[o.kind];
    for (const auto& p : o.extract.persons) {
      persons.insert({p.institution, p.patient_id});
      EXPECT_EQ(p.institution, institution);
      EXPECT_EQ(p.source.file, o.path);
      EXPECT_GT(p.source.line, 0);
    }
    if (o.record_type == "ADT-00" && !o.extract.persons.empty()) {
      from_adt00 = o.extract.persons[0];
    }
    identities += static_cast<std::int64_t>(o.extract.persons.size());
    encounters += static_cast<std::int64_t>(o.extract.encounters.size());
    diagnoses += static_cast<std::int64_t>(o.extract.diagnoses.size());
    medications += static_cast<std::int64_t>(o.extract.medications.size());
    labs += static_cast<std::int64_t>(o.extract.lab_results.size());
    warnings += static_cast<std::int64_t>(o.warnings.size());
    // Every event can be traced to its file and line.
    for (const auto& m : o.extract.medications) {
      EXPECT_EQ(m.source.file, o.path);
      EXPECT_GT(m.source.line, 0);
      EXPECT_FALSE(m.source_key.empty());
    }
    if (o.kind == FileOutcome::Kind::quarantined) quarantined[o.path] = std::move(o);
  });
  ASSERT_TRUE(status) << status.error().describe(Lang::en);

  EXPECT_EQ(total, want["files"]["total"].value_or(-1));
  EXPECT_EQ(kinds[FileOutcome::Kind::read], want["files"]["read"].value_or(-1));
  EXPECT_EQ(kinds[FileOutcome::Kind::not_read], want["files"]["not_read"].value_or(-1));
  EXPECT_EQ(kinds[FileOutcome::Kind::quarantined], want["files"]["quarantined"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(persons.size()), want["events"]["persons"].value_or(-1));
  EXPECT_EQ(identities, want["events"]["identities"].value_or(-1));
  EXPECT_EQ(encounters, want["events"]["encounters"].value_or(-1));
  EXPECT_EQ(diagnoses, want["events"]["diagnoses"].value_or(-1));
  EXPECT_EQ(medications, want["events"]["medications"].value_or(-1));
  EXPECT_EQ(labs, want["events"]["lab_results"].value_or(-1));
  EXPECT_EQ(warnings, want["events"]["warnings"].value_or(-1));

  ASSERT_TRUE(from_adt00.has_value());
  const auto& person = *want["person"].as_table();
  EXPECT_EQ(from_adt00->patient_id, person["patient_id"].value_or(""));
  EXPECT_EQ(from_adt00->name_kanji, person["name_kanji"].value_or(""));
  EXPECT_EQ(from_adt00->name_kana, person["name_kana"].value_or(""));
  EXPECT_EQ(from_adt00->birth_date, person["birth_date"].value_or(""));
  EXPECT_EQ(from_adt00->sex, model::Sex::male);
  EXPECT_EQ(from_adt00->postal_code, person["postal_code"].value_or(""));
  EXPECT_EQ(static_cast<std::int64_t>(from_adt00->phones.size()), person["phones"].value_or(-1));
  ASSERT_EQ(from_adt00->insurance.size(), 1u);
  EXPECT_EQ(from_adt00->insurance[0].insurer_number, person["insurer_number"].value_or(""));

  for (const auto& entry : *want["quarantined"].as_array()) {
    const auto& q = *entry.as_table();
    const std::string path = q["path"].value_or("");
    SCOPED_TRACE(path);
    ASSERT_TRUE(quarantined.contains(path));
    const auto& problems = quarantined[path].problems;
    const auto& reasons = *q["reasons"].as_array();
    ASSERT_EQ(problems.size(), reasons.size());
    for (std::size_t i = 0; i < reasons.size(); ++i) {
      const auto& r = *reasons[i].as_table();
      const Location& at = problems[i].where();
      EXPECT_EQ(at.file, path);
      if (auto field = r["field"].value<std::string>()) {
        EXPECT_EQ(at.field, *field);
      }
      if (auto line = r["line"].value<int>()) {
        EXPECT_EQ(at.line, *line);
      }
      if (auto offset = r["offset"].value<std::int64_t>()) {
        EXPECT_EQ(at.offset, *offset);
      }
      if (auto text = r["text"].value<std::string>()) {
        EXPECT_THAT(problems[i].describe(Lang::en), HasSubstr(*text));
      }
      EXPECT_FALSE(problems[i].message(Lang::ja).empty());
    }
  }
}

}  // namespace
}  // namespace tokumei::ingest::ssmix2
