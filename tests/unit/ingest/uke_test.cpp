// Claims (UKE) files: the public outpatient sample (expectations in
// tests/fixtures/ingest/uke_sample.toml) and self-made files for each rule and refusal.

#include "tokumei/ingest/receipt/uke.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <filesystem>
#include <set>

#include "support/test_support.h"
#include "tokumei/ingest/receipt/dpc_ef.h"

namespace tokumei::ingest::receipt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(UkeSample, OutpatientClaimsGiveTheirCounts) {
  toml::table want =
      toml::parse_file((tokumei::testing::fixtures_dir() / "ingest/uke_sample.toml").string());
  const auto path = tokumei::testing::shared_data_dir() / want["file"].value_or("");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto o = read_uke(path.filename().string(), tokumei::testing::read_file(path),
                    want["institution"].value_or(""));
  ASSERT_EQ(o.kind, FileOutcome::Kind::read);
  const auto& x = o.extract;
  std::set<std::string> persons;
  for (const auto& p : x.persons) persons.insert(p.patient_id);
  std::size_t days = 0;
  for (const auto& v : x.claim_visits) days += v.visit_dates.size();
  std::int64_t suspected = 0;
  for (const auto& d : x.diagnoses) suspected += d.suspected;
  EXPECT_EQ(static_cast<std::int64_t>(persons.size()), want["persons"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(x.claim_visits.size()), want["claim_visits"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(days), want["visit_days"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(x.diagnoses.size()), want["diagnoses"].value_or(-1));
  EXPECT_EQ(suspected, want["suspected"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(x.medications.size()), want["medications"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(x.procedures.size()), want["procedures"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(o.problems.size()), want["problems"].value_or(-1));
  EXPECT_EQ(static_cast<std::int64_t>(o.warnings.size()), want["warnings"].value_or(-1));

  const auto& first = *want["first"].as_table();
  const auto& p = x.persons.front();
  EXPECT_EQ(p.patient_id, first["patient_id"].value_or(""));
  EXPECT_EQ(p.name_kanji, first["name_kanji"].value_or(""));
  EXPECT_EQ(p.name_kana, first["name_kana"].value_or(""));
  EXPECT_EQ(p.birth_date, first["birth_date"].value_or(""));
  EXPECT_EQ(static_cast<std::int64_t>(p.insurance.size()), first["insurance"].value_or(-1));
  std::vector<std::string> dates;
  for (const auto& d : *first["visit_dates"].as_array()) dates.push_back(d.value_or(""));
  EXPECT_EQ(x.claim_visits.front().visit_dates, dates);
  EXPECT_EQ(x.claim_visits.front().patient_id, p.patient_id);
}

// UTF-8 test text as claims files are written, in CP932.
std::string cp932(const std::string& utf8) {
  return tokumei::testing::encode_with_iconv(utf8, "CP932");
}

std::string days(std::initializer_list<int> on) {
  std::string out;
  for (int d = 1; d <= 31; ++d) {
    out += ",";
    for (int x : on) {
      if (x == d) out += "1";
    }
  }
  return out;
}

TEST(Uke, EraDatesAndMonths) {
  EXPECT_EQ(claims_date("19911121"), "1991-11-21");
  EXPECT_EQ(claims_date("4031121"), "1991-11-21");  // 平成3年
  EXPECT_EQ(claims_date("3640101"), "1989-01-01");  // 昭和64年
  EXPECT_EQ(claims_date("5010501"), "2019-05-01");  // 令和元年
  EXPECT_EQ(claims_date("1450730"), "1912-07-30");  // 明治45年
  EXPECT_EQ(claims_date("6010101"), "");            // no era 6
  EXPECT_EQ(claims_date("19911321"), "");
  EXPECT_EQ(claims_date("1991112"), "");  // 明治 had no year 99
  EXPECT_EQ(claims_date("4320101"), "");  // nor 平成 a year 32
  EXPECT_EQ(claims_month("202110"), "2021-10");
  EXPECT_EQ(claims_month("50310"), "2021-10");
  EXPECT_EQ(claims_month("50313"), "");
  EXPECT_EQ(claims_month(""), "");
}

TEST(Uke, ClaimsBecomePersonsVisitsAndEvents) {
  const std::string file = cp932(
      "IR,1,13,1,0000001,,テスト病院,50606,00,0300000000\r\n"
      "RE,1,1112,50606,山田　花子,2,3550229,,,,,,,C-001,,,,,,,,,,,,,,,,,,,,,,,ヤマダハナコ,\r\n"
      "HO,06130012,記号,１２３,2,500\r\n"
      "SY,8830417,5050520,1,8002,,01,\r\n"
      "SY,0000999,5050521,2,,未コード化の病名,,\r\n"
      "SI,11,1,111000110,,288,1,,,,,," +
      days({3}) +
      "\r\n"
      "IY,21,1,620000001,3,10,14,,,,,," +
      days({3}) +
      "\r\n"
      "JD,1" +
      days({3, 17}) +
      "\r\n"
      "CO,21,1,810000001,食後\r\n"
      "XX,unknown\r\n"
      "GO,1,298,99\r\n\x1a");
  auto o = read_uke("c.UKE", file, "1310000002");
  ASSERT_EQ(o.kind, FileOutcome::Kind::read) << o.problems.at(0).describe(Lang::en);
  const auto& x = o.extract;
  ASSERT_EQ(x.persons.size(), 1u);
  const auto& p = x.persons[0];
  EXPECT_EQ(p.patient_id, "C-001");
  EXPECT_EQ(p.name_kanji, "山田　花子");
  EXPECT_EQ(p.name_kana, "ヤマダハナコ");
  EXPECT_EQ(p.sex, model::Sex::female);
  EXPECT_EQ(p.birth_date, "1980-02-29");  // 昭和55年
  ASSERT_EQ(p.insurance.size(), 1u);
  EXPECT_EQ(p.insurance[0].insurer_number, "06130012");
  EXPECT_EQ(p.insurance[0].number, "１２３");
  ASSERT_EQ(x.claim_visits.size(), 1u);
  EXPECT_EQ(x.claim_visits[0].claim_month, "2024-06");
  EXPECT_THAT(x.claim_visits[0].visit_dates, ElementsAre("2024-06-03", "2024-06-17"));
  ASSERT_EQ(x.diagnoses.size(), 2u);
  EXPECT_EQ(x.diagnoses[0].disease.code, "8830417");
  EXPECT_TRUE(x.diagnoses[0].suspected);
  EXPECT_EQ(x.diagnoses[0].onset, "2023-05-20");
  EXPECT_EQ(x.diagnoses[1].disease.display, "未コード化の病名");
  EXPECT_EQ(x.diagnoses[1].outcome, "cured");
  ASSERT_EQ(x.medications.size(), 1u);
  EXPECT_EQ(x.medications[0].drug.code, "620000001");
  EXPECT_EQ(x.medications[0].dose, 3.0);
  EXPECT_EQ(x.medications[0].days, 14);
  EXPECT_EQ(x.medications[0].start, "2024-06-03");
  EXPECT_EQ(x.medications[0].source.line, 7);
  ASSERT_EQ(x.procedures.size(), 1u);
  EXPECT_EQ(x.procedures[0].performed, "2024-06-03");
  // The unknown record type is skipped with a located warning; IR's code (13 1 0000001)
  // differs from the institution given.
  ASSERT_EQ(o.warnings.size(), 2u);
  EXPECT_EQ(o.warnings[0].where().field, "IR-4");
  EXPECT_EQ(o.warnings[1].where().line, 10);
  EXPECT_THAT(o.warnings[1].describe(Lang::en), HasSubstr("XX"));
}

TEST(Uke, ADetailBeforeAnyClaimIsRefusedAlone) {
  auto o = read_uke("c.UKE",
                    cp932("IR,1,13,1,0000001,,,202406,00,\r\nSY,8830417,20240520,1,,,,\r\n"
                          "RE,1,1112,202406,患者,1,19800101,,,,,,,9,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
                          "SY,abc,20240520,1,,,,\r\n"),
                    "1310000001");
  ASSERT_EQ(o.kind, FileOutcome::Kind::read);
  EXPECT_EQ(o.extract.persons.size(), 1u);
  ASSERT_EQ(o.problems.size(), 2u);
  EXPECT_EQ(o.problems[0].where().line, 2);
  EXPECT_EQ(o.problems[0].where().field, "SY");
  EXPECT_EQ(o.problems[1].where().line, 4);
  EXPECT_EQ(o.problems[1].where().field, "SY-1");
}

TEST(Uke, FilesThatAreNotClaimsAreQuarantined) {
  auto not_ir = read_uke("x.UKE", cp932("RE,1\r\n"), "1310000001");
  EXPECT_EQ(not_ir.kind, FileOutcome::Kind::quarantined);
  EXPECT_TRUE(not_ir.extract.persons.empty());
  auto bad_bytes = read_uke("y.UKE", "IR,1\r\nRE,\x81\r\n", "1310000001");
  ASSERT_EQ(bad_bytes.kind, FileOutcome::Kind::quarantined);
  EXPECT_EQ(bad_bytes.problems[0].where().offset, 9);
  auto empty = read_uke("z.UKE", "\x1a", "1310000001");
  EXPECT_EQ(empty.kind, FileOutcome::Kind::quarantined);
}

}  // namespace
}  // namespace tokumei::ingest::receipt

namespace tokumei::ingest::receipt {
namespace {

TEST(DpcEfSample, InpatientEfFilesGiveTheirCounts) {
  toml::table want =
      toml::parse_file((tokumei::testing::fixtures_dir() / "ingest/uke_sample.toml").string());
  for (const auto& node : *want["ef"].as_array()) {
    const auto& ef = *node.as_table();
    const auto path = tokumei::testing::shared_data_dir() / ef["file"].value_or("");
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
    SCOPED_TRACE(path.string());
    auto o = read_dpc_ef(path.filename().string(), tokumei::testing::read_file(path), "0000000000");
    ASSERT_EQ(o.kind, FileOutcome::Kind::read);
    EXPECT_TRUE(o.problems.empty());
    EXPECT_EQ(static_cast<std::int64_t>(o.extract.persons.size()), ef["persons"].value_or(-1));
    EXPECT_EQ(static_cast<std::int64_t>(o.extract.encounters.size()),
              ef["encounters"].value_or(-1));
    EXPECT_EQ(static_cast<std::int64_t>(o.extract.procedures.size()),
              ef["procedures"].value_or(-1));
    EXPECT_EQ(static_cast<std::int64_t>(o.extract.medications.size()),
              ef["medications"].value_or(-1));
  }
}

// Fuzzing found it: the part readers kept references to the path and institution they were
// given, which may be temporaries; they keep their own copies.
TEST(UkeParts, OutliveTheStringsTheyWereMadeWith) {
  auto make = [] {
    const std::string path = std::string("claims/2024/") + "RECEIPTC-long-name.UKE";
    const std::string institution = std::string("13") + "10000001";
    return std::make_unique<UkeParts>(path, institution);
  };
  auto parts = make();
  std::vector<std::string> reuse(64, std::string(40, 'x'));  // what was freed is written over
  const std::string file = cp932(
      "IR,1,13,1,0000001,,テスト病院,50606,00,0300000000\r\n"
      "RE,1,1112,50606,試験　花子,2,3550229,,,,,,,C-001,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n"
      "SY,8830417,5050520,1,,,,\r\n");
  auto o = parts->read(file, 0, 0, true);
  for (const auto& p : o.problems) ADD_FAILURE() << p.describe(Lang::en);
  for (const auto& w : o.warnings) ADD_FAILURE() << w.describe(Lang::en);
  ASSERT_EQ(o.extract.diagnoses.size(), 1u);
  EXPECT_EQ(o.extract.diagnoses[0].source.file, "claims/2024/RECEIPTC-long-name.UKE");
  ASSERT_EQ(o.extract.persons.size(), 1u);
  EXPECT_EQ(o.extract.persons[0].institution, "1310000001");
}

TEST(DpcEf, LayoutDatesAndBadLines) {
  const std::string title =
      "施設コード\tデータ識別番号\t退院年月日\t入院年月日\tデータ区分\t順序番号\t行為明細番号\t病院"
      "点数マスタコード\t"
      "レセプト電算コード\t解釈番号\t診療明細名称\t使用量\t基準単位\t明細点数・金額\t円点区分\t出来"
      "高実績点数\t"
      "行為明細区分情報\t行為点数\t行為薬剤料\t行為材料料\t行為回数\t保険者番号\tレセプト種別コード"
      "\t実施年月日\t"
      "レセプト科区分\t診療科区分\t医師コード\t病棟コード\t病棟区分\t入外区分\t施設タイプ\r\n";
  auto row = [](const std::string& detail, const std::string& code, const std::string& performed,
                const std::string& discharged = "00000000") {
    return "131234567\tP001\t" + discharged + "\t20240704\t33\t0001\t" + detail + "\t1\t" + code +
           "\t\t名称\t0000002.500\t000\t0\t0\t0\t\t0\t0\t0\t001\t\t1119\t" + performed +
           "\t20\t310\t1\t31\t0\t0\t\r\n";
  };
  const std::string file =
      title + row("000", "160098110", "20240705") + row("001", "160098110", "20240705") +
      row("002", "620006625", "20240706") + row("003", "700000000", "20240706") +
      row("004", "160000000", "20241305") + "short\tline\r\n";
  auto o = read_dpc_ef("EFn_131234567_2407.txt", file, "1312345670");
  ASSERT_EQ(o.kind, FileOutcome::Kind::read);
  ASSERT_EQ(o.extract.encounters.size(), 1u);
  EXPECT_EQ(o.extract.encounters[0].start, "2024-07-04");
  EXPECT_EQ(o.extract.encounters[0].end, "");  // 00000000: not discharged yet
  ASSERT_EQ(o.extract.procedures.size(), 1u);
  EXPECT_EQ(o.extract.procedures[0].performed, "2024-07-05");
  ASSERT_EQ(o.extract.medications.size(), 1u);
  EXPECT_EQ(o.extract.medications[0].kind, model::MedicationKind::injection);  // データ区分 33
  EXPECT_EQ(o.extract.medications[0].dose, 2.5);
  ASSERT_EQ(o.problems.size(), 2u);
  EXPECT_EQ(o.problems[0].where().line, 6);
  EXPECT_EQ(o.problems[0].where().field, "実施年月日");
  EXPECT_EQ(o.problems[1].where().line, 7);
  EXPECT_EQ(o.problems[1].where().field, "columns");
  auto other = read_dpc_ef("EFn_x.txt", "a\tb\r\n", "1312345670");
  EXPECT_EQ(other.kind, FileOutcome::Kind::not_read);

  // Read in two parts (as a large file is): one admission although both parts name it, and
  // lines located in the file.
  const std::size_t cut = file.find("\r\n", file.find("620006625")) + 2;
  EfParts parts("EFn_131234567_2407.txt", "1312345670");
  auto first = parts.read(std::string_view(file).substr(0, cut), 0, 0, false);
  auto second =
      parts.read(std::string_view(file).substr(cut), 4, static_cast<std::int64_t>(cut), false);
  auto end = parts.read({}, 7, static_cast<std::int64_t>(file.size()), true);
  EXPECT_EQ(first.extract.encounters.size() + second.extract.encounters.size(), 1u);
  EXPECT_EQ(first.extract.procedures.size() + second.extract.procedures.size(), 1u);
  EXPECT_EQ(first.extract.medications.size() + second.extract.medications.size(), 1u);
  ASSERT_EQ(second.problems.size(), 2u);
  EXPECT_EQ(second.problems[0].where().line, 6);
  EXPECT_EQ(second.problems[1].where().line, 7);
  EXPECT_EQ(end.kind, FileOutcome::Kind::read);
  EXPECT_TRUE(end.problems.empty());
  EfParts unknown("EFn_x.txt", "1312345670");
  EXPECT_EQ(unknown.read("a\tb\r\n", 0, 0, false).kind, FileOutcome::Kind::not_read);
  EXPECT_EQ(unknown.read("c\td\r\n", 1, 5, true).kind, FileOutcome::Kind::not_read);
}

}  // namespace
}  // namespace tokumei::ingest::receipt
