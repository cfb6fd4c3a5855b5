// Quality checks run the way an operator runs them, on `tokumei synth` data with injected
// anomalies: every anomaly found and no clean record flagged (the evaluation against the ground
// truth), acquisition refused while blocking findings are open, decisions by a qualified reviewer
// only (superseded, never edited), and acquisition deleting what was excluded with a deletion
// record.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"
#include "tokumei/store/sqlite_database.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class QualityCli : public DeploymentCliTest {
 protected:
  void SetUp() override {
    DeploymentCliTest::SetUp();
    data_ = tmp_ / "hospitals";
    ASSERT_EQ(
        tokumei("synth --out '" + data_.string() + "' --patients 700 --institutions 3").exit_code,
        0);
    ASSERT_EQ(tokumei("init --dir '" + dir_.string() + "' --officer sato").exit_code, 0);
    operate_as("kato");
    write_file(tmp_ / "notice.pdf", "院内掲示");
    for (int i = 1; i <= 3; ++i) {
      const std::string code = fmt_institution(i);
      CommandResult r =
          tokumei("ingest '" + (data_ / code).string() + "'" + at() + " --institution " + code);
      ASSERT_EQ(r.exit_code, 0) << r.output;
      const std::string notification = "notification --institution " + code + at();
      r = tokumei(notification +
                  " document --version 1 --method posting --effective 2023-04-01 "
                  "--file '" +
                  (tmp_ / "notice.pdf").string() + "'");
      ASSERT_EQ(r.exit_code, 0) << r.output;
      r = tokumei(notification + " import '" + (data_ / code / "notifications.csv").string() + "'");
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
  }
  static std::string fmt_institution(int n) { return "131000" + std::to_string(1000 + n); }
  void create_account(const std::string& id, security::Role role,
                      const std::string& qualification) {
    SystemClock clock;
    SystemRandom random;
    auto d = zones::Deployment::open(dir_, {}, clock, random);
    ASSERT_TRUE(d) << d.error().describe(Lang::en);
    auto created = (*d)->accounts().create(
        {"sato", "test"},
        {.user_id = id, .display_name = "テスト", .role = role, .qualification = qualification});
    ASSERT_TRUE(created) << created.error().describe(Lang::en);
  }

  fs::path data_;
};

TEST_F(QualityCli, EveryInjectedAnomalyIsFoundAndNoCleanRecordIsFlagged) {
  for (int batch = 1; batch <= 3; ++batch) {
    const nlohmann::json c =
        json("check " + std::to_string(batch) + at() + " --extracted 2025-12-31", 1);
    EXPECT_GT(c["open_blocking"].get<int>(), 0);
    EXPECT_TRUE(fs::exists(c["report_html"].get<std::string>()));
  }
  const nlohmann::json e =
      json("findings evaluate --truth '" + (data_ / "truth").string() + "'" + at());
  ASSERT_TRUE(e.is_object());
  EXPECT_TRUE(e["every_anomaly_found"].get<bool>());
  EXPECT_LT(e["clean_flagged_rate"].get<double>(), 0.001);
  int rules_with_anomalies = 0;
  for (const auto& r : e["rules"]) {
    EXPECT_DOUBLE_EQ(r["recall"].get<double>(), 1.0) << r.dump();
    EXPECT_DOUBLE_EQ(r["precision"].get<double>(), 1.0) << r.dump();
    rules_with_anomalies += r["expected"].get<int>() > 0;
  }
  EXPECT_EQ(rules_with_anomalies, 12);  // every rule had something to find

  // A second check of the same batch makes no finding twice.
  const nlohmann::json again = json("check 1" + at() + " --extracted 2025-12-31", 1);
  EXPECT_EQ(again["new_findings"].get<int>(), 0);

  // The report page names the rules in Japanese and English.
  const std::string html = read_file(dir_ / "reports/quality-batch-1.html");
  EXPECT_THAT(html, HasSubstr("date.before_birth"));
  EXPECT_THAT(html, HasSubstr("生年月日より前"));
  EXPECT_THAT(html, HasSubstr("an event dated before the patient's birth"));
}

TEST_F(QualityCli, AcquisitionWaitsForQualifiedDecisionsAndDeletesWhatWasExcluded) {
  // Not checked yet: refused.
  CommandResult r = tokumei("--lang en acquire 1" + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("has not been checked"));
  json("check 1" + at() + " --extracted 2025-12-31", 1);

  // Open blocking findings: refused, naming them.
  const nlohmann::json open = json("findings --batch 1 --open --limit 100000" + at());
  std::vector<std::int64_t> blocking;
  for (const auto& f : open["findings"]) {
    if (f["blocking"].get<bool>()) blocking.push_back(f["finding"].get<std::int64_t>());
  }
  ASSERT_GT(blocking.size(), 2u);
  r = tokumei("--lang en acquire 1" + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("open blocking findings"));
  EXPECT_THAT(r.output, HasSubstr(std::to_string(blocking.front())));

  // Only a quality reviewer with a recorded qualification decides.
  create_account("suzuki", security::Role::processing_staff, "");
  create_account("ito", security::Role::quality_reviewer, "医師");
  r = tokumei("--lang en findings decide " + std::to_string(blocking[0]) + " confirm" +
              as("suzuki") + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("may not decide findings"));
  r = tokumei("findings decide " + std::to_string(blocking[0]) + " override" + as("ito") + at());
  EXPECT_EQ(r.exit_code, 1);  // override needs a reason

  // Decide them all: the first overridden, then confirmed (the override stays, superseded); the
  // second excluded; the rest confirmed.
  json("findings decide " + std::to_string(blocking[0]) + " override" + as("ito") +
       " --reason '婚姻による改姓 (戸籍で確認)'" + at());
  json("findings decide " + std::to_string(blocking[0]) + " confirm" + as("ito") + at());
  json("findings decide " + std::to_string(blocking[1]) + " exclude" + as("ito") +
       " --reason '身元不明'" + at());
  for (std::size_t i = 2; i < blocking.size(); ++i) {
    json("findings decide " + std::to_string(blocking[i]) + " confirm" + as("ito") + at());
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM quality_decisions WHERE finding_id = " +
                  std::to_string(blocking[0])),
            2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quality_decisions WHERE finding_id = " +
                  std::to_string(blocking[0]) + " AND supersedes IS NOT NULL"),
            1);

  const std::int64_t before = count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 1");
  const nlohmann::json acquired = json("acquire 1" + at());
  EXPECT_GT(acquired["events_excluded"].get<int>(), 0);
  EXPECT_GT(acquired["persons_not_notified"].get<int>(), 0);  // held out without a decision
  EXPECT_EQ(acquired["events_acquired"].get<std::int64_t>() +
                acquired["events_excluded"].get<std::int64_t>(),
            before);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ingest_batches WHERE id = 1 AND state = 'acquired'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quality_exclusions WHERE batch_id = 1"),
            acquired["events_excluded"].get<std::int64_t>());
  EXPECT_EQ(count("SELECT COUNT(*) FROM ingest_events WHERE id IN (SELECT event_id FROM "
                  "quality_exclusions)"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM deletion_records WHERE object = 'batch:1 events' AND "
                  "approver = 'ito,system:consent.not_notified' AND count = " +
                  std::to_string(acquired["events_excluded"].get<std::int64_t>())),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'batch.acquire'"), 1);

  // Acquired is final: no second acquisition, no more decisions, no edits.
  EXPECT_EQ(tokumei("acquire 1" + at()).exit_code, 1);
  EXPECT_EQ(tokumei("findings decide " + std::to_string(blocking[2]) + " override" + as("ito") +
                    " --reason x" + at())
                .exit_code,
            1);
  const nlohmann::json metrics = json("findings metrics" + at());
  std::int64_t confirmed = 0, false_alarms = 0;
  for (const auto& m : metrics["rules"]) {
    confirmed += m["confirmed"].get<std::int64_t>();
    false_alarms += m["false_alarms"].get<std::int64_t>();
  }
  EXPECT_EQ(confirmed, static_cast<std::int64_t>(blocking.size()));
  EXPECT_EQ(false_alarms, 0);
}

TEST_F(QualityCli, TheReportPageEscapesWhatTheFilesSay) {
  // A lab code that is markup: flagged as invalid, and shown as text, never as markup.
  const std::string fhir = fmt_institution(2);
  const fs::path file = tmp_ / "markup/bundle.json";
  write_file(
      file,
      R"({"resourceType":"Bundle","type":"collection","entry":[)"
      R"({"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1",)"
      R"("identifier":[{"system":"urn:oid:1.2.392.100495.20.3.51.1)" +
          fhir +
          R"(","value":"9900001"}],"gender":"female","birthDate":"1980-01-01"}},)"
          R"({"resource":{"resourceType":"Observation","id":"o1","status":"final",)"
          R"("subject":{"reference":"urn:uuid:p1"},"code":{"coding":[{"system":)"
          R"("urn:oid:1.2.392.200119.4.504","code":"<b>x</b>"}]},)"
          R"("effectiveDateTime":"2024-05-01","valueQuantity":{"value":1,"unit":"mg/dL"}}}]})");
  const nlohmann::json in =
      json("ingest '" + (tmp_ / "markup").string() + "'" + at() + " --institution " + fhir);
  const std::string batch = std::to_string(in["batch"].get<int>());
  json("check " + batch + at() + " --extracted 2025-12-31");
  const std::string html = read_file(dir_ / ("reports/quality-batch-" + batch + ".html"));
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;x&lt;/b&gt;"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<b>x</b>")));
}

TEST_F(QualityCli, RecordsOfAPatientNoFileDescribesAreOrphans) {
  // An Observation whose subject is in none of the files: the vault knows the patient by ID only.
  const std::string fhir = fmt_institution(2);
  write_file(tmp_ / "orphan/result.json",
             R"({"resourceType":"Observation","id":"o9","status":"final",)"
             R"("subject":{"reference":"Patient/nobody-here"},"code":{"coding":[{"system":)"
             R"("urn:oid:1.2.392.200119.4.504","code":"3D010000001926101"}]},)"
             R"("effectiveDateTime":"2024-05-01","valueQuantity":{"value":99,"unit":"mg/dL"}})");
  const nlohmann::json in =
      json("ingest '" + (tmp_ / "orphan").string() + "'" + at() + " --institution " + fhir);
  const std::string batch = std::to_string(in["batch"].get<int>());
  json("check " + batch + at() + " --extracted 2025-12-31");
  const nlohmann::json found =
      json("findings --batch " + batch + " --rule identity.orphan_id" + at());
  ASSERT_EQ(found["findings"].size(), 1u);
  EXPECT_EQ(found["findings"][0]["detail"]["kind"], "no_patient_record");
}

TEST_F(QualityCli, QueriesToTheInstitutionAreTrackedUntilClosed) {
  json("check 1" + at() + " --extracted 2025-12-31", 1);
  const nlohmann::json list = json("findings --batch 1 --rule date.before_birth" + at());
  ASSERT_FALSE(list["findings"].empty());
  const nlohmann::json& f = list["findings"][0];
  const nlohmann::json q = json("findings query " + std::to_string(f["finding"].get<int>()) +
                                " --note '生年月日の確認をお願いします'" + at());
  const std::string letter = q["letter"].get<std::string>();
  EXPECT_THAT(letter, HasSubstr("患者ID: "));
  EXPECT_THAT(letter, HasSubstr(f["events"][0]["file_sha256"].get<std::string>()));
  EXPECT_THAT(letter, HasSubstr("生年月日の確認をお願いします"));
  const std::string id = std::to_string(q["query"].get<int>());
  EXPECT_EQ(json("findings queries --open" + at())["queries"].size(), 1u);
  json("findings answer " + id + " --note '入力誤り。再送します'" + at());
  json("findings close " + id + " --note '再送を確認'" + at());
  EXPECT_EQ(json("findings queries --open" + at())["queries"].size(), 0u);
  const nlohmann::json all = json("findings queries" + at());
  ASSERT_EQ(all["queries"].size(), 1u);
  EXPECT_EQ(all["queries"][0]["status"], "closed");
  EXPECT_EQ(all["queries"][0]["steps"].size(), 3u);
  EXPECT_EQ(tokumei("findings answer " + id + " --note x" + at()).exit_code, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'quality.query.letter'"), 1);
}

}  // namespace
}  // namespace tokumei::testing
