// FHIR R4 reading: the public JP Core and Synthea samples (expectations in
// tests/fixtures/ingest/fhir_samples.toml), and self-made bundles, single resources and NDJSON for
// each rule and each refusal.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "support/test_support.h"
#include "tokumei/ingest/fhir/reader.h"

namespace tokumei::ingest::fhir {
namespace {

using ::testing::HasSubstr;

TEST(FhirSamples, EverySampleSetGivesItsCounts) {
  toml::table want =
      toml::parse_file((tokumei::testing::fixtures_dir() / "ingest/fhir_samples.toml").string());
  for (const auto& node : *want["set"].as_array()) {
    const auto& set = *node.as_table();
    const std::string name = set["name"].value_or("");
    SCOPED_TRACE(name);
    const auto folder = tokumei::testing::shared_data_dir() / set["folder"].value_or("");
    if (!std::filesystem::exists(folder)) {
      GTEST_SKIP() << "no " << folder;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(folder)) files.push_back(e.path());
    std::sort(files.begin(), files.end());

    std::map<FileOutcome::Kind, std::int64_t> kinds;
    std::set<std::string> persons;
    std::int64_t encounters = 0, diagnoses = 0, medications = 0, labs = 0, procedures = 0,
                 warnings = 0, refused = 0;
    read_files(files, set["institution"].value_or(""), [&](FileOutcome&& o) {
      ++kinds[o.kind];
      for (const auto& p : o.extract.persons) persons.insert(p.patient_id);
      encounters += static_cast<std::int64_t>(o.extract.encounters.size());
      diagnoses += static_cast<std::int64_t>(o.extract.diagnoses.size());
      medications += static_cast<std::int64_t>(o.extract.medications.size());
      labs += static_cast<std::int64_t>(o.extract.lab_results.size());
      procedures += static_cast<std::int64_t>(o.extract.procedures.size());
      warnings += static_cast<std::int64_t>(o.warnings.size());
      if (o.kind == FileOutcome::Kind::read)
        refused += static_cast<std::int64_t>(o.problems.size());
      // Every event names a known patient and its source.
      for (const auto& l : o.extract.lab_results) {
        EXPECT_TRUE(persons.contains(l.patient_id) || o.extract.persons.empty()) << l.patient_id;
        EXPECT_EQ(l.source.file, o.path);
        EXPECT_FALSE(l.source.element.empty());
      }
    });
    EXPECT_EQ(static_cast<std::int64_t>(files.size()), set["files"].value_or(-1));
    EXPECT_EQ(kinds[FileOutcome::Kind::read], set["read"].value_or(-1));
    EXPECT_EQ(kinds[FileOutcome::Kind::not_read], set["not_read"].value_or(-1));
    EXPECT_EQ(kinds[FileOutcome::Kind::quarantined], set["quarantined"].value_or(-1));
    EXPECT_EQ(static_cast<std::int64_t>(persons.size()), set["persons"].value_or(-1));
    EXPECT_EQ(encounters, set["encounters"].value_or(-1));
    EXPECT_EQ(diagnoses, set["diagnoses"].value_or(-1));
    EXPECT_EQ(medications, set["medications"].value_or(-1));
    EXPECT_EQ(labs, set["lab_results"].value_or(-1));
    EXPECT_EQ(procedures, set["procedures"].value_or(-1));
    EXPECT_EQ(warnings, set["warnings"].value_or(-1));
    EXPECT_EQ(refused, set["refused_resources"].value_or(-1));
  }
}

const char* kPatient = R"({"resourceType":"Patient","id":"p1",
  "identifier":[{"system":"urn:oid:1.2.392.100495.20.3.51.11310000001","value":"000123"}],
  "name":[{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation","valueCode":"IDE"}],"family":"山田","given":["花子"]},
          {"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation","valueCode":"SYL"}],"family":"ヤマダ","given":["ハナコ"]}],
  "gender":"female","birthDate":"1980-02-29",
  "address":[{"postalCode":"1000001","text":"東京都千代田区千代田1-1"}],
  "telecom":[{"system":"phone","value":"0300000000"},{"system":"email","value":"a@example.jp"}]})";

TEST(Fhir, PatientWithKanjiAndKanaNames) {
  Reader reader("1310000001");
  auto o = reader.read("p.json", kPatient);
  ASSERT_EQ(o.kind, FileOutcome::Kind::read);
  ASSERT_EQ(o.extract.persons.size(), 1u);
  const auto& p = o.extract.persons[0];
  EXPECT_EQ(p.patient_id, "000123");
  EXPECT_EQ(p.institution, "1310000001");
  EXPECT_EQ(p.name_kanji, "山田\u3000花子");
  EXPECT_EQ(p.name_kana, "ヤマダ\u3000ハナコ");
  EXPECT_EQ(p.sex, model::Sex::female);
  EXPECT_EQ(p.birth_date, "1980-02-29");
  EXPECT_EQ(p.postal_code, "1000001");
  EXPECT_EQ(p.address, "東京都千代田区千代田1-1");
  EXPECT_EQ(p.phones, std::vector<std::string>{"0300000000"});
  EXPECT_EQ(p.source.element, "Patient");
}

TEST(Fhir, BundleEntriesResolveTheirPatientAndABadEntryIsRefusedAlone) {
  const std::string bundle = std::string(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:aaa","resource":)") +
                             kPatient + R"(},
    {"fullUrl":"urn:uuid:bbb","resource":{"resourceType":"Observation","id":"o1",
      "subject":{"reference":"urn:uuid:aaa"},
      "code":{"coding":[{"system":"http://loinc.org","code":"2345-7"},
                        {"system":"urn:oid:1.2.392.200119.4.504","code":"3D010000001926101"}]},
      "effectiveDateTime":"2024-01-05T08:30:00+09:00",
      "valueQuantity":{"value":98,"unit":"mg/dL"},
      "referenceRange":[{"low":{"value":70},"high":{"value":109}}],
      "interpretation":[{"coding":[{"code":"N"}]}]}},
    {"resource":{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"E11"}]}}},
    {"resource":{"resourceType":"Encounter","subject":{"reference":"Patient/p1"},"class":{"code":"IMP"},
      "period":{"start":"2024-01-04","end":"2024-01-10"}}},
    {"resource":{"resourceType":"Organization","name":"x"}}]})";
  Reader reader("1310000001");
  auto o = reader.read("b.json", bundle);
  ASSERT_EQ(o.kind, FileOutcome::Kind::read);
  ASSERT_EQ(o.extract.lab_results.size(), 1u);
  const auto& lab = o.extract.lab_results[0];
  EXPECT_EQ(lab.patient_id, "000123");
  EXPECT_EQ(lab.test.system, "JLAC10");  // preferred over LOINC
  EXPECT_EQ(lab.numeric, 98.0);
  EXPECT_EQ(lab.unit, "mg/dL");
  EXPECT_EQ(lab.reference_range, "70-109");
  EXPECT_EQ(lab.abnormal_flag, "N");
  EXPECT_EQ(lab.observed, "2024-01-05T08:30:00");
  EXPECT_EQ(lab.source.element, "Bundle.entry[1]");
  ASSERT_EQ(o.extract.encounters.size(), 1u);
  EXPECT_EQ(o.extract.encounters[0].patient_id, "000123");
  EXPECT_EQ(o.extract.encounters[0].kind, model::EncounterKind::admission);
  EXPECT_EQ(o.extract.encounters[0].end, "2024-01-10");
  // The Condition without a subject is refused, located; the others are read.
  EXPECT_TRUE(o.extract.diagnoses.empty());
  ASSERT_EQ(o.problems.size(), 1u);
  EXPECT_EQ(o.problems[0].where().file, "b.json");
  EXPECT_EQ(o.problems[0].where().field, "Bundle.entry[2].subject");
  EXPECT_THAT(o.record_type, HasSubstr("Organization 1"));
}

TEST(Fhir, PatientsInOtherFilesAreResolvedAfterLearningThem) {
  const std::string condition = R"({"resourceType":"Condition","id":"c1",
    "subject":{"reference":"Patient/p1"},
    "verificationStatus":{"coding":[{"code":"provisional"}]},
    "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"K297"},
                      {"system":"http://medis.or.jp/CodeSystem/master-disease-keyNumber","code":"20054174"}]},
    "onsetDateTime":"2023-12-01"})";
  Reader unresolved("1310000001");
  auto before = unresolved.read("c.json", condition);
  ASSERT_EQ(before.extract.diagnoses.size(), 1u);
  EXPECT_EQ(before.extract.diagnoses[0].patient_id, "p1");  // the reference's id, with a warning
  ASSERT_EQ(before.warnings.size(), 1u);
  EXPECT_EQ(before.warnings[0].where().field, "Condition.subject.reference");

  Reader reader("1310000001");
  reader.learn_patients(kPatient);
  EXPECT_EQ(reader.known_references(), 1u);  // "Patient/p1" (a lone resource has no fullUrl)
  auto after = reader.read("c.json", condition);
  ASSERT_EQ(after.extract.diagnoses.size(), 1u);
  const auto& d = after.extract.diagnoses[0];
  EXPECT_EQ(d.patient_id, "000123");
  EXPECT_TRUE(after.warnings.empty());
  EXPECT_EQ(d.code.system, "ICD10");
  EXPECT_EQ(d.code.code, "K297");
  EXPECT_EQ(d.disease.system, "MDCDX2");
  EXPECT_EQ(d.disease.code, "20054174");
  EXPECT_TRUE(d.suspected);
  EXPECT_EQ(d.onset, "2023-12-01");
}

TEST(Fhir, NdjsonLinesAreReadAndABadLineIsRefusedWithItsNumber) {
  std::string ndjson = std::string(kPatient).substr(0);
  std::erase(ndjson, '\n');
  ndjson += "\n";
  ndjson +=
      R"({"resourceType":"Procedure","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"73761001"}]},"performedPeriod":{"start":"2012-11-25T23:37:54+00:00"}})";
  ndjson += "\n{\"resourceType\": \"Observation\", broken\n";
  ndjson += R"({"resourceType":"Procedure","subject":{"reference":"Patient/p1"}})";
  ndjson += "\n";
  Reader reader("1310000001");
  auto o = reader.read("Procedure.ndjson", ndjson);
  ASSERT_EQ(o.kind, FileOutcome::Kind::read);
  EXPECT_EQ(o.extract.persons.size(), 1u);
  ASSERT_EQ(o.extract.procedures.size(), 1u);
  EXPECT_EQ(o.extract.procedures[0].code.system, "SNOMED");
  EXPECT_EQ(o.extract.procedures[0].performed, "2012-11-25T23:37:54");
  EXPECT_EQ(o.extract.procedures[0].source.line, 2);
  ASSERT_EQ(o.problems.size(), 2u);
  EXPECT_EQ(o.problems[0].where().line, 3);
  EXPECT_EQ(o.problems[1].where().line, 4);
  EXPECT_EQ(o.problems[1].where().field, "line 4.code");
}

TEST(Fhir, NotJsonIsQuarantinedAtTheOffsetOfTheError) {
  Reader reader("1310000001");
  auto o = reader.read("x.json", R"({"resourceType": "Patient", "id": })");
  ASSERT_EQ(o.kind, FileOutcome::Kind::quarantined);
  ASSERT_EQ(o.problems.size(), 1u);
  EXPECT_EQ(o.problems[0].where().file, "x.json");
  EXPECT_EQ(o.problems[0].where().offset, 34);
  auto not_fhir = reader.read("package.json", R"({"name": "a package"})");
  EXPECT_EQ(not_fhir.kind, FileOutcome::Kind::not_read);
}

// Found by fuzz: a number too large for a double made the offset search throw.
TEST(Fhir, AnOverflowingNumberIsQuarantinedNotThrown) {
  Reader reader("1310000001");
  auto o = reader.read("x.json",
                       "6666E666666666666666666666666666666666{\"resourceType\": \"Patient\"}");
  ASSERT_EQ(o.kind, FileOutcome::Kind::quarantined);
  EXPECT_EQ(o.problems.size(), 1u);
  auto big =
      reader.read("y.json", R"({"resourceType":"Observation","valueQuantity":{"value":1e999}})");
  EXPECT_NE(big.kind, FileOutcome::Kind::read);
}

TEST(Fhir, MalformedDatesAreWarnedAndLeftEmpty) {
  Reader reader("1310000001");
  auto o = reader.read("e.json", R"({"resourceType":"Encounter","subject":{"reference":"Patient/x"},
    "period":{"start":"2024-13","end":"yesterday"}})");
  ASSERT_EQ(o.extract.encounters.size(), 1u);
  EXPECT_EQ(o.extract.encounters[0].start, "");
  EXPECT_EQ(o.extract.encounters[0].end, "");
  EXPECT_EQ(o.warnings.size(), 3u);  // two dates, and the unknown patient
}

TEST(Fhir, CodeSystemNames) {
  EXPECT_EQ(code_system_name("urn:oid:1.2.392.200119.4.504"), "JLAC10");
  EXPECT_EQ(code_system_name("urn:oid:1.2.392.200119.4.403.1"), "HOT9");
  EXPECT_EQ(code_system_name("http://loinc.org"), "LOINC");
  EXPECT_EQ(code_system_name("http://snomed.info/sct"), "SNOMED");
  EXPECT_EQ(code_system_name("http://www.nlm.nih.gov/research/umls/rxnorm"), "RxNorm");
  EXPECT_EQ(code_system_name("http://example.org/local"), "http://example.org/local");
}

// NDJSON is told from a JSON document by its first line being a whole value and the next line
// starting another; a document whose second line happens to start with "{" is a document.
TEST(FhirNdjson, ADocumentWhoseLineStartsWithABraceIsNotNdjson) {
  EXPECT_TRUE(
      looks_like_ndjson("{\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Patient\"}\n"));
  EXPECT_TRUE(looks_like_ndjson("{\"a\":\"}{\"}\r\n\n{\"b\":1}"));
  EXPECT_FALSE(
      looks_like_ndjson("{\"resourceType\":\"Bundle\",\"entry\":[{\"period\":\n{\"start\":1}}]}"));
  EXPECT_FALSE(looks_like_ndjson("{\"resourceType\":\"Bundle\", \"x\": \"}\"\n{\"start\":1}}"));
  EXPECT_FALSE(looks_like_ndjson("{\n  \"resourceType\": \"Bundle\"\n}\n"));
  EXPECT_FALSE(looks_like_ndjson("{\"resourceType\":\"Patient\"}"));
}

}  // namespace
}  // namespace tokumei::ingest::fhir
