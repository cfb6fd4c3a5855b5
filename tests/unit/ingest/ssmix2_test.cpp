// SS-MIX2 storage paths, and messages of each data type mapped into the model, on self-made
// messages (the public sample tree is read in ssmix2_sample_test.cpp).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"
#include "tokumei/ingest/ssmix2/messages.h"
#include "tokumei/ingest/ssmix2/reader.h"
#include "tokumei/ingest/ssmix2/storage.h"

namespace tokumei::ingest::ssmix2 {
namespace {

using ::testing::HasSubstr;

const char* kPath =
    "123/456/1234567/20240105/OMP-01/"
    "1234567_20240105_OMP-01_000000000000042_20240105093000123_01_1";

TEST(Ssmix2Path, FoldersAndFileNameAgree) {
  auto p = parse_storage_path(kPath, kPath);
  ASSERT_TRUE(p) << p.error().describe(Lang::en);
  EXPECT_EQ(p->patient_id, "1234567");
  EXPECT_EQ(p->date, "20240105");
  EXPECT_EQ(p->data_type, "OMP-01");
  EXPECT_EQ(p->order_number, "000000000000042");
  EXPECT_EQ(p->event_time, "20240105093000123");
  EXPECT_EQ(p->department, "01");
  EXPECT_FALSE(p->deleted);
  EXPECT_EQ(p->key(), "1234567/OMP-01/000000000000042");
  auto deleted = parse_storage_path(
      "123/456/1234567/-/ADT-00/1234567_-_ADT-00_999999999999999_20240105093000123_-_0", "x");
  ASSERT_TRUE(deleted) << deleted.error().describe(Lang::en);
  EXPECT_TRUE(deleted->deleted);
  EXPECT_EQ(deleted->date, "-");
}

TEST(Ssmix2Path, EachDisagreementIsNamed) {
  struct Case {
    const char* path;
    const char* field;
  };
  for (const auto& c : std::vector<Case>{
           {"123/456/1234568/20240105/OMP-01/1234567_20240105_OMP-01_1_20240105093000123_01_1",
            "patient ID"},
           {"123/999/1234567/20240105/OMP-01/1234567_20240105_OMP-01_1_20240105093000123_01_1",
            "patient ID"},
           {"123/456/1234567/20240106/OMP-01/1234567_20240105_OMP-01_1_20240105093000123_01_1",
            "date"},
           {"123/456/1234567/20240105/OMP-02/1234567_20240105_OMP-01_1_20240105093000123_01_1",
            "data type"},
           {"123/456/1234567/20241305/OMP-01/1234567_20241305_OMP-01_1_20240105093000123_01_1",
            "date"},
           {"123/456/1234567/20240105/omp01/1234567_20240105_omp01_1_20240105093000123_01_1",
            "data type"},
           {"123/456/1234567/20240105/OMP-01/1234567_20240105_OMP-01_1_2024010509300012_01_1",
            "event time"},
           {"123/456/1234567/20240105/OMP-01/1234567_20240105_OMP-01_1_20240105093000123_01_2",
            "condition flag"},
           {"123/456/1234567/20240105/OMP-01/1234567_20240105_OMP-01_1_20240105093000123_1",
            "file name"},
           {"456/1234567/20240105/OMP-01/1234567_20240105_OMP-01_1_20240105093000123_01_1", "path"},
       }) {
    auto p = parse_storage_path(c.path, c.path);
    ASSERT_FALSE(p) << c.path;
    EXPECT_EQ(p.error().where().field, c.field) << c.path;
    EXPECT_EQ(p.error().where().file, c.path);
  }
}

TEST(Ssmix2Messages, IsoDatetimeKeepsThePrecisionGiven) {
  EXPECT_EQ(iso_datetime("2011"), "2011");
  EXPECT_EQ(iso_datetime("201112"), "2011-12");
  EXPECT_EQ(iso_datetime("20111220"), "2011-12-20");
  EXPECT_EQ(iso_datetime("2011122022"), "2011-12-20T22");
  EXPECT_EQ(iso_datetime("201112202244"), "2011-12-20T22:44");
  EXPECT_EQ(iso_datetime("20111220224447.3399+0900"), "2011-12-20T22:44:47");
  EXPECT_EQ(iso_datetime(""), "");
  EXPECT_EQ(iso_datetime("2011122"), "");   // odd digits
  EXPECT_EQ(iso_datetime("20111320"), "");  // month 13
  EXPECT_EQ(iso_datetime("20111200"), "");  // day 0
  EXPECT_EQ(iso_datetime("abc"), "");
}

std::string message(const std::string& type, const std::string& body) {
  return "MSH|^~\\&|HIS|SEND|GW|RCV|20240105093000||" + type +
         "|1|P|2.5\r"
         "PID|0001||1234567^^^^PI||山田^花子^^^^^L^I~ヤマダ^ハナコ^^^^^L^P||19800229|F|||"
         "^^^^100-0001^JPN^H^東京都千代田区千代田１−１\r" +
         body;
}

FileOutcome read(const std::string& path, const std::string& text) {
  return read_storage_bytes(path, tokumei::testing::encode_with_iconv(text, "ISO-2022-JP"),
                            "1310000001");
}

TEST(Ssmix2Messages, PrescriptionsCarryDoseDaysAndStart) {
  auto o = read(kPath, message("RDE^O11^RDE_O11",
                               "ORC|NW|42||1|||||20240105090000\r"
                               "RXE||620000001^薬Ａ^HOT9|3||TAB^錠^MR9P\r"
                               "TQ1|1|||||7^d|20240106\r"
                               "RXE||620000002^薬Ｂ^HOT9|abc||MG^mg^MR9P\r"));
  ASSERT_EQ(o.kind, FileOutcome::Kind::read) << o.problems[0].describe(Lang::en);
  ASSERT_EQ(o.extract.medications.size(), 2u);
  const auto& a = o.extract.medications[0];
  EXPECT_EQ(a.patient_id, "1234567");
  EXPECT_EQ(a.kind, model::MedicationKind::prescription);
  EXPECT_EQ(a.drug.system, "HOT9");
  EXPECT_EQ(a.drug.code, "620000001");
  EXPECT_EQ(a.dose, 3.0);
  EXPECT_EQ(a.dose_unit, "TAB");
  EXPECT_EQ(a.days, 7);
  EXPECT_EQ(a.start, "2024-01-06");
  EXPECT_EQ(a.source.line, 4);
  EXPECT_EQ(a.source.element, "RXE[1]");
  const auto& b = o.extract.medications[1];
  EXPECT_FALSE(b.dose.has_value());
  EXPECT_EQ(b.start, "2024-01-05T09:00:00");  // from ORC-9 when no TQ1 follows
  EXPECT_NE(a.source_key, b.source_key);
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_EQ(o.warnings[0].where().field, "RXE-3");
  EXPECT_EQ(o.warnings[0].where().line, 6);

  ASSERT_EQ(o.extract.persons.size(), 1u);
  const auto& p = o.extract.persons[0];
  EXPECT_EQ(p.name_kanji, "山田\u3000花子");
  EXPECT_EQ(p.name_kana, "ヤマダ\u3000ハナコ");
  EXPECT_EQ(p.birth_date, "1980-02-29");
  EXPECT_EQ(p.sex, model::Sex::female);
  EXPECT_EQ(p.institution, "1310000001");
}

TEST(Ssmix2Messages, AMessageTypeThatIsNotTheDataTypesIsQuarantined) {
  auto o = read(kPath, message("OUL^R22^OUL_R22", "OBX|1|NM|3A010^TP^JC10||7.1\r"));
  ASSERT_EQ(o.kind, FileOutcome::Kind::quarantined);
  ASSERT_EQ(o.problems.size(), 1u);
  EXPECT_EQ(o.problems[0].where().field, "MSH-9");
  EXPECT_EQ(o.problems[0].where().line, 1);
  EXPECT_THAT(o.problems[0].describe(Lang::en), HasSubstr("RDE^O11"));
}

TEST(Ssmix2Messages, WithdrawalsAreMarkedDeleted) {
  // Condition flag 0 in the file name.
  std::string deleted_path = kPath;
  deleted_path.back() = '0';
  auto flagged = read(deleted_path, message("RDE^O11^RDE_O11", "RXE||1^x^HOT9|1\r"));
  ASSERT_EQ(flagged.kind, FileOutcome::Kind::read);
  EXPECT_TRUE(flagged.extract.deleted);
  // ADT^A23 under ADT-00.
  const std::string adt00 =
      "123/456/1234567/-/ADT-00/1234567_-_ADT-00_999999999999999_20240105093000123_-_1";
  auto a23 = read(adt00, message("ADT^A23^ADT_A21", "EVN||20240105\r"));
  ASSERT_EQ(a23.kind, FileOutcome::Kind::read);
  EXPECT_TRUE(a23.extract.deleted);
  auto a08 = read(adt00, message("ADT^A08^ADT_A01", "EVN||20240105\r"));
  ASSERT_EQ(a08.kind, FileOutcome::Kind::read);
  EXPECT_FALSE(a08.extract.deleted);
}

TEST(Ssmix2Messages, DiagnosesAdmissionsDischargesAndResults) {
  auto ppr = read(
      "123/456/1234567/-/PPR-01/1234567_-_PPR-01_999999999999999_20240105093000123_01_1",
      message("PPR^ZD1^PPR_ZD1",
              "PRB|AD|20240105|20054174^胃炎^MDCDX2|1|||20231201|||K297^^I10|||P|||20231130\r"));
  ASSERT_EQ(ppr.kind, FileOutcome::Kind::read);
  ASSERT_EQ(ppr.extract.diagnoses.size(), 1u);
  const auto& d = ppr.extract.diagnoses[0];
  EXPECT_EQ(d.disease.code, "20054174");
  EXPECT_EQ(d.disease.system, "MDCDX2");
  EXPECT_EQ(d.code.system, "ICD10");
  EXPECT_EQ(d.code.code, "K297");
  EXPECT_TRUE(d.suspected);
  EXPECT_EQ(d.onset, "2023-11-30");
  EXPECT_EQ(d.recorded, "2024-01-05");

  const std::string pv1_admit =
      "PV1|0001|I|32^302|||||||01" + std::string(34, '|') + "202401051000|202401201500\r";
  auto adt22 = read(
      "123/456/1234567/20240105/ADT-22/"
      "1234567_20240105_ADT-22_999999999999999_20240105093000123_01_1",
      message("ADT^A01^ADT_A01", pv1_admit));
  ASSERT_EQ(adt22.kind, FileOutcome::Kind::read);
  ASSERT_EQ(adt22.extract.encounters.size(), 1u);
  EXPECT_EQ(adt22.extract.encounters[0].kind, model::EncounterKind::admission);
  EXPECT_EQ(adt22.extract.encounters[0].start, "2024-01-05T10:00");
  EXPECT_EQ(adt22.extract.encounters[0].end, "2024-01-20T15:00");
  EXPECT_EQ(adt22.extract.encounters[0].department.code, "01");

  auto oml = read(
      "123/456/1234567/20240105/OML-11/"
      "1234567_20240105_OML-11_000000000000077_20240105093000123_01_1",
      message("OUL^R22^OUL_R22",
              "SPM|1|1||023^血清^JC10|||||||||||||202401050800\r"
              "OBX|1|NM|3A010000002327101^総蛋白^JC10||7.2|g/dl|6.7-8.3|N|||F\r"
              "OBX|2|ST|5H010000009199911^血液型^JC10||A\r"));
  ASSERT_EQ(oml.kind, FileOutcome::Kind::read);
  ASSERT_EQ(oml.extract.lab_results.size(), 2u);
  const auto& tp = oml.extract.lab_results[0];
  EXPECT_EQ(tp.test.system, "JC10");
  EXPECT_EQ(tp.numeric, 7.2);
  EXPECT_EQ(tp.unit, "g/dl");
  EXPECT_EQ(tp.reference_range, "6.7-8.3");
  EXPECT_EQ(tp.abnormal_flag, "N");
  EXPECT_EQ(tp.observed, "2024-01-05T08:00");
  EXPECT_FALSE(oml.extract.lab_results[1].numeric.has_value());
  EXPECT_EQ(oml.extract.lab_results[1].value, "A");
}

TEST(Ssmix2Messages, OtherDataTypesAreRecognizedButNotRead) {
  auto o = read(
      "123/456/1234567/20240105/OMG-01/"
      "1234567_20240105_OMG-01_000000000000077_20240105093000123_01_1",
      message("OMG^O19^OMG_O19", "ORC|NW|77\r"));
  EXPECT_EQ(o.kind, FileOutcome::Kind::not_read);
  EXPECT_TRUE(o.extract.persons.empty());
}

TEST(Ssmix2Messages, AMisplacedFileIsQuarantinedWithEveryProblem) {
  auto o = read("123/456/7654321/20240105/OMP-01/1234567_20240105_OMP-01_1_20240105093000123_01_1",
                "MSH|^~\\&|A\rPID|1\rjunk\r");
  ASSERT_EQ(o.kind, FileOutcome::Kind::quarantined);
  ASSERT_EQ(o.problems.size(), 2u);
  EXPECT_EQ(o.problems[0].where().field, "patient ID");
  EXPECT_EQ(o.problems[1].where().line, 3);
}

}  // namespace
}  // namespace tokumei::ingest::ssmix2
