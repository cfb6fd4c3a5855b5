// Notification and opt-out the way an operator handles them: no acquisition without a
// notification document on record; a patient who asks to stop is erased (reading them says
// "erased"), a deletion record is kept, and a later batch that brings them again is acquired
// without them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tokumei/identity/vault.h"
#include "tokumei/store/sqlite_database.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ConsentCli : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = tokumei_binary();
    ASSERT_TRUE(fs::exists(binary_)) << binary_;
  }
  std::string at() const { return " --dir '" + dir_.string() + "'"; }
  CommandResult tokumei(const std::string& args) {
    return run_command("TOKUMEI_LANG= " + binary_ + " " + args);
  }
  nlohmann::json json(const std::string& args, int expected_exit = 0) {
    const CommandResult r = tokumei("--json " + args);
    EXPECT_EQ(r.exit_code, expected_exit) << args << "\n" << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }
  std::int64_t count(const std::string& sql, const std::vector<store::Value>& params = {}) {
    auto db = store::SqliteDatabase::open(dir_ / "data/tokumei.db", {});
    EXPECT_TRUE(db);
    auto row = (*db)->query_one(sql, params);
    EXPECT_TRUE(row) << row.error().describe(Lang::en);
    return row ? row->integer(0) : -1;
  }

  TempDir tmp_;
  std::string binary_;
  fs::path dir_ = tmp_ / "core";
};

TEST_F(ConsentCli, AnOptedOutPatientIsErasedAndALaterBatchIsAcquiredWithoutThem) {
  const fs::path data = tmp_ / "hospitals";
  const std::string fhir = "1310001002";  // institution 2 writes FHIR, one bundle per patient
  ASSERT_EQ(
      tokumei("synth --no-anomalies --out '" + data.string() + "' --patients 120 --institutions 2")
          .exit_code,
      0);
  ASSERT_EQ(tokumei("init --dir '" + dir_.string() + "' --officer sato").exit_code, 0);
  ASSERT_EQ(tokumei("ingest '" + (data / fhir).string() + "'" + at() + " --institution " + fhir)
                .exit_code,
            0);
  json("check 1" + at() + " --extracted 2025-12-31");  // nobody notified yet: held out

  // No notification document: acquisition refused.
  CommandResult r = tokumei("--lang en acquire 1 --user sato" + at());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("no notification document"));
  write_file(tmp_ / "notice.pdf", "院内掲示 2023年度版");
  json("notification --institution " + fhir + at() +
       " document --version 2023 --method posting --effective 2023-04-01 --file '" +
       (tmp_ / "notice.pdf").string() + "' --user sato");
  const nlohmann::json imported =
      json("notification --institution " + fhir + at() + " import '" +
           (data / fhir / "notifications.csv").string() + "' --user sato");
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
  const nlohmann::json opted =
      json("optout" + at() + " add --institution " + fhir + " --patient-id " + patient +
           " --received-on 2026-05-01 --via consultation_center "
           "--user sato");
  EXPECT_GT(opted["records_deleted"].get<int>(), 0);
  EXPECT_GT(opted["deletion_record"].get<int>(), 0);
  EXPECT_TRUE(opted["datasets_provided"].empty());

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

  // Batch 1 is acquired: the notifications recorded since the check cover everyone listed; the
  // patients the list misses are held out.
  const nlohmann::json first = json("acquire 1 --user sato" + at());
  EXPECT_GT(first["events_acquired"].get<int>(), 0);
  EXPECT_EQ(first["persons_not_notified"].get<int>(), 0);

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
  const nlohmann::json acquired = json("acquire 2 --user sato" + at());
  EXPECT_EQ(acquired["persons_opted_out"].get<int>(), 1);
  EXPECT_EQ(acquired["events_acquired"].get<int>(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM ingest_events WHERE batch_id = 2"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM identity_versions WHERE batch_id = 2"), 0);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM deletion_records WHERE object = 'batch:2 opted-out persons'"), 1);
}

}  // namespace
}  // namespace tokumei::testing
