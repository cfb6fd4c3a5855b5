// Notification and opt-out the way an operator handles them: no acquisition without a
// notification document on record; a patient who asks to stop is erased (reading them says
// "erased"), a deletion record is kept, and a later batch that brings them again is acquired
// without them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli_fixture.h"
#include "tokumei/identity/vault.h"
#include "tokumei/store/sqlite_database.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ConsentCli : public DeploymentCliTest {};

TEST_F(ConsentCli, AnOptedOutPatientIsErasedAndALaterBatchIsAcquiredWithoutThem) {
  const fs::path data = tmp_ / "hospitals";
  const std::string fhir = "1310001002";  // institution 2 writes FHIR, one bundle per patient
  ASSERT_EQ(
      tokumei("synth --no-anomalies --out '" + data.string() + "' --patients 120 --institutions 2")
          .exit_code,
      0);
  ASSERT_EQ(tokumei("init --dir '" + dir_.string() + "' --officer sato").exit_code, 0);
  operate_as("kato");
  ASSERT_EQ(tokumei("ingest '" + (data / fhir).string() + "'" + at() + " --institution " + fhir)
                .exit_code,
            0);
  json("check 1" + at() + " --extracted 2025-12-31");  // nobody notified yet: held out

  // No notification document: acquisition refused.
  CommandResult r = tokumei("--lang en acquire 1" + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("no notification document"));
  write_file(tmp_ / "notice.pdf", "院内掲示 2023年度版");
  json("notification --institution " + fhir + at() +
       " document --version 2023 --method posting --effective 2023-04-01 --file '" +
       (tmp_ / "notice.pdf").string() + "'");
  // The list as the hospital sends it, except that one patient was notified only in 2025, after
  // care had begun.
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(data / fhir / "fhir")) {
    ids.push_back(entry.path().stem().string());
  }
  std::sort(ids.begin(), ids.end());
  ASSERT_GE(ids.size(), 2u);
  const std::string late = ids[1];
  std::string list = "patient_id,notified_on\n";
  for (const auto& id : ids) list += id + (id == late ? ",2025-01-01\n" : ",\n");
  write_file(tmp_ / "notified.csv", list);
  const nlohmann::json imported = json("notification --institution " + fhir + at() + " import '" +
                                       (tmp_ / "notified.csv").string() + "'");
  EXPECT_GT(imported["recorded"].get<int>(), 50);

  // The first patient of the FHIR hospital asks to stop, through the consultation center.
  std::string patient;
  for (const auto& entry : fs::directory_iterator(data / fhir / "fhir")) {
    patient = entry.path().stem().string();
    break;
  }
  ASSERT_FALSE(patient.empty());
  std::string person_key;
  {
    SystemClock clock;
    SystemRandom random;
    auto d = zones::Deployment::open(dir_, {}, clock, random);
    ASSERT_TRUE(d);
    identity::IdentityVault vault((*d)->db(), (*d)->keys(), clock, random);
    auto key = vault.find(fhir, patient);
    ASSERT_TRUE(key && key->has_value());
    person_key = **key;
  }
  ASSERT_GT(count("SELECT COUNT(*) FROM ingest_events WHERE person_key = ?", {person_key}), 0);
  const std::string auditor = as("kudo", security::Role::auditor);
  const nlohmann::json before_erasure = json("audit checkpoint" + auditor + at());
  const nlohmann::json opted =
      json("optout" + at() + " add --institution " + fhir + " --patient-id " + patient +
           " --received-on 2026-05-01 --via consultation_center");
  EXPECT_GT(opted["records_deleted"].get<int>(), 0);
  // The log never held the person, only references: after the erasure the checkpoint signed
  // before it still matches and the log verifies whole.
  const nlohmann::json verified = json("audit verify" + auditor + at());
  EXPECT_TRUE(verified["ok"].get<bool>());
  EXPECT_EQ(verified["latest_checkpoint"]["root"], before_erasure["root"]);
  EXPECT_GT(opted["deletion_record"].get<int>(), 0);
  EXPECT_EQ(opted["datasets_provided"], nlohmann::json::array());  // nothing was provided

  // Nothing readable is left; reading the person says erased; the deletion record is kept.
  EXPECT_EQ(count("SELECT COUNT(*) FROM ingest_events WHERE person_key = ?", {person_key}), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM identity_versions WHERE person_key = ?", {person_key}), 0);
  {
    SystemClock clock;
    SystemRandom random;
    auto d = zones::Deployment::open(dir_, {}, clock, random);
    ASSERT_TRUE(d);
    identity::IdentityVault vault((*d)->db(), (*d)->keys(), clock, random);
    auto read = vault.versions(person_key);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code(), Errc::key_destroyed);
    EXPECT_THAT(read.error().message(Lang::en), HasSubstr("erased"));
    auto found = vault.find(fhir, patient);
    ASSERT_TRUE(found);
    EXPECT_FALSE(found->has_value());
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM deletion_records WHERE reason LIKE 'optout%'"), 1);
  EXPECT_EQ(json("optout list" + at())["opt_outs"].size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'consent.optout'"), 1);

  // Batch 1 is checked again and acquired: the notifications recorded since the first check
  // cover everyone; of the patient notified late, only the records before 2025 are held out.
  json("check 1" + at() + " --extracted 2025-12-31");
  const std::string late_person =
      "person_key IN (SELECT person_key FROM quality_findings WHERE detail LIKE "
      "'%before_notification%')";
  const std::int64_t late_before =
      count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 1 AND date < '2025-01-01' AND " +
            late_person);
  const std::int64_t late_after =
      count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 1 AND date >= '2025-01-01' AND " +
            late_person);
  ASSERT_GT(late_before, 0);
  ASSERT_GT(late_after, 0);
  const nlohmann::json first = json("acquire 1" + at());
  EXPECT_GT(first["events_acquired"].get<int>(), 0);
  EXPECT_EQ(first["persons_not_notified"].get<int>(), 1);
  EXPECT_EQ(first["events_excluded"].get<std::int64_t>(), late_before);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 1 AND " + late_person),
            late_after);

  // The hospital sends the patient's bundle again (written anew, so a new file): the new batch is
  // acquired without them.
  const fs::path again = tmp_ / "again";
  fs::create_directories(again);
  {
    std::string bundle = read_file(data / fhir / "fhir" / (patient + ".json"));
    write_file(again / (patient + ".json"), bundle + "\n");
  }
  const nlohmann::json second_batch =
      json("ingest '" + again.string() + "'" + at() + " --institution " + fhir);
  const std::int64_t batch = second_batch["batch"].get<std::int64_t>();
  ASSERT_EQ(batch, 2);
  EXPECT_GT(count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 2"), 0);
  json("check 2" + at() + " --extracted 2025-12-31");
  const nlohmann::json acquired = json("acquire 2" + at());
  EXPECT_EQ(acquired["persons_opted_out"].get<int>(), 1);
  EXPECT_EQ(acquired["events_acquired"].get<int>(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 2"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM identity_versions WHERE batch_id = 2"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM deletion_records WHERE object LIKE 'batch:2 opted-out "
                  "persons%'"),
            1);

  // Two more batches bring the patient again before either is acquired: acquiring the first
  // erases the patient everywhere, and the second can still be checked and is acquired without
  // them (it used to fail the check, the patient's key being erased).
  for (const char* copy : {"a", "b"}) {
    const fs::path folder = tmp_ / copy;
    fs::create_directories(folder);
    write_file(folder / (patient + ".json"),
               read_file(data / fhir / "fhir" / (patient + ".json")) +
                   std::string(copy == std::string("a") ? "\n\n\n" : "\n\n\n\n"));
  }
  json("ingest '" + (tmp_ / "a").string() + "'" + at() + " --institution " + fhir);
  json("ingest '" + (tmp_ / "b").string() + "'" + at() + " --institution " + fhir);
  EXPECT_GT(count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 4"), 0);
  json("check 3" + at() + " --extracted 2025-12-31");
  json("check 4" + at() + " --extracted 2025-12-31");
  EXPECT_EQ(json("acquire 3" + at())["persons_opted_out"].get<int>(), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 4"), 0);
  json("check 4" + at() + " --extracted 2025-12-31");
  EXPECT_EQ(json("acquire 4" + at())["events_acquired"].get<int>(), 0);
}

TEST_F(ConsentCli, TheConsultationCenterTracksEachTicketToItsClose) {
  ASSERT_EQ(tokumei("init --dir '" + dir_.string() + "' --officer sato").exit_code, 0);
  operate_as("kato");
  const std::string desk = "inquiry" + at() + " ";
  const int id = json(desk +
                      "receive --from patient --channel phone --kind complaint --summary "
                      "'通知を見ていないとの苦情'")["inquiry"]
                     .get<int>();
  json(desk + "route " + std::to_string(id) + " --note '個人情報保護管理者へ'");
  EXPECT_EQ(tokumei(desk + "close " + std::to_string(id) + " --note x").exit_code, 1);
  json(desk + "answer " + std::to_string(id) + " --note '掲示場所を説明'");
  json(desk + "close " + std::to_string(id) + " --note '了承'");
  const nlohmann::json list = json(desk + "list");
  ASSERT_EQ(list["inquiries"].size(), 1u);
  EXPECT_EQ(list["inquiries"][0]["state"], "closed");
  EXPECT_EQ(list["inquiries"][0]["steps"].size(), 4u);
  const nlohmann::json report = json(desk + "report --from 2000-01-01 --to 2100-01-01");
  EXPECT_EQ(report["received"], 1);
  EXPECT_EQ(report["closed"], 1);
  EXPECT_EQ(report["open"], 0);
  EXPECT_TRUE(report["closed_items"][0]["steps"][0]["note"].get<std::string>().empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action LIKE 'consent.inquiry.%'"), 6);
}

}  // namespace
}  // namespace tokumei::testing
