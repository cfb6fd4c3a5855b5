// Notification documents and status, and the opt-out registry, on a store of their own.

#include "tokumei/consent/consent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "support/test_support.h"
#include "tokumei/identity/linkage_store.h"
#include "tokumei/ingest/batch.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::consent {
namespace {

using ::testing::HasSubstr;

class ConsentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::SqliteDatabase::open(dir_ / "core.db", {.create = true});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    for (const auto& m :
         {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
          identity::IdentityVault::schema(), identity::LinkageStore::schema(),
          ingest::BatchStore::schema(), ops::DeletionRecords::schema(), ConsentStore::schema()}) {
      auto applied = store::migrate(*db_, m, clock_);
      ASSERT_TRUE(applied) << applied.error().describe(Lang::en);
    }
    storage_ = std::make_unique<store::DatabaseKeyRingStorage>(*db_);
    auto ring = crypto::KeyRing::create(
        *storage_,
        crypto::PassphraseSource{"consent test passphrase", crypto::Argon2Params::for_tests()},
        clock_, random_);
    ASSERT_TRUE(ring);
    keys_.emplace(std::move(*ring));
    audit_.emplace(*db_, clock_);
    vault_.emplace(*db_, *keys_, clock_, random_);
    ASSERT_TRUE(vault_->prepare());
    store_.emplace(*db_, *keys_, *vault_, *audit_, clock_);
  }
  std::string admit(const std::string& institution, const std::string& id) {
    model::PersonIdentity p{.institution = institution,
                            .patient_id = id,
                            .name_kanji = "山田　花子",
                            .birth_date = "1970-01-01",
                            .sex = model::Sex::female};
    auto key = vault_->admit(p, 1);
    EXPECT_TRUE(key);
    return key ? *key : "";
  }

  tokumei::testing::TempDir dir_;
  FakeClock clock_{from_unix_ms(1'775'001'600'000)};
  SeededRandom random_{4};
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::DatabaseKeyRingStorage> storage_;
  std::optional<crypto::KeyRing> keys_;
  std::optional<audit::AuditLog> audit_;
  std::optional<identity::IdentityVault> vault_;
  std::optional<ConsentStore> store_;
  const audit::Actor staff_{"sato", "t1"};
};

TEST_F(ConsentTest, DocumentsAreVersionedAndTheOneInEffectIsFound) {
  ASSERT_TRUE(store_->add_document(staff_, {.institution = "1310000001",
                                            .version = "2023",
                                            .method = "posting",
                                            .effective_from = "令和5年4月1日",
                                            .content_sha256 = "aa"}));
  ASSERT_TRUE(store_->add_document(staff_, {.institution = "1310000001",
                                            .version = "2024",
                                            .method = "letter",
                                            .effective_from = "2024-04-01",
                                            .content_sha256 = "bb"}));
  auto again = store_->add_document(staff_, {.institution = "1310000001",
                                             .version = "2024",
                                             .method = "letter",
                                             .effective_from = "2024-04-01",
                                             .content_sha256 = "bb"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Errc::already_exists);
  EXPECT_EQ(store_->documents("1310000001")->front().effective_from, "2023-04-01");
  EXPECT_FALSE(store_->document_in_effect("1310000001", "2023-03-31")->has_value());
  EXPECT_EQ(store_->document_in_effect("1310000001", "2024-03-31")->value().version, "2023");
  EXPECT_EQ(store_->document_in_effect("1310000001", "2025-01-01")->value().version, "2024");
  EXPECT_FALSE(store_->document_in_effect("1310000002", "2025-01-01")->has_value());
  EXPECT_FALSE(db_->execute("UPDATE consent_documents SET method = 'x'"));
}

TEST_F(ConsentTest, ImportRecordsEachRowAndRefusesBadOnesWithTheirLine) {
  auto s = store_->import_notifications(
      staff_, "1310000001",
      "patient_id,notified_on,method\r\n0001,2024-04-01,letter\r\n0002,,\r\n,2024-01-01,x\r\n"
      "0003,2024-02-30,letter\r\n0004,R6.5.1,posting\r\n",
      "list.csv");
  ASSERT_TRUE(s) << s.error().describe(Lang::en);
  EXPECT_EQ(s->rows, 5u);
  EXPECT_EQ(s->recorded, 3u);
  ASSERT_EQ(s->refused.size(), 2u);
  EXPECT_EQ(s->refused[0].where().line, 4);
  EXPECT_EQ(s->refused[0].where().field, "patient_id");
  EXPECT_EQ(s->refused[1].where().line, 5);
  EXPECT_EQ(s->refused[1].where().field, "notified_on");
  EXPECT_EQ(s->refused[1].where().file, "list.csv");
  auto history = store_->notifications("1310000001", "0004");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].notified_on, "2024-05-01");
  EXPECT_EQ((*history)[0].source, "institution_list");
  EXPECT_TRUE(store_->notifications("1310000001", "0003")->empty());
  EXPECT_TRUE(store_->notifications("1310000002", "0001")->empty());  // another institution's
  auto missing = store_->import_notifications(staff_, "1310000001", "id\n1\n", "bad.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().where().field, "patient_id");
  // Nothing identifying in clear: the patient ID is not stored.
  auto rows = db_->query(
      "SELECT COUNT(*) FROM consent_notifications WHERE "
      "CAST(patient_index AS TEXT) LIKE '%0004%'");
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)[0].integer(0), 0);
}

TEST_F(ConsentTest, ImportReadsSpreadsheetExports) {
  // A byte order mark, quotes and spaces, as spreadsheets write them: the patient is the same.
  auto s = store_->import_notifications(
      staff_, "1310000001", "\xEF\xBB\xBFpatient_id,notified_on\r\n\"0007\" , 2024-04-01\r\n",
      "export.csv");
  ASSERT_TRUE(s) << s.error().describe(Lang::en);
  EXPECT_EQ(s->recorded, 1u);
  auto history = store_->notifications("1310000001", "0007");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].notified_on, "2024-04-01");
}

TEST_F(ConsentTest, AnOptOutErasesThePatientAndEveryLinkedRecord) {
  const std::string here = admit("1310000001", "A1");
  const std::string there = admit("1310000002", "B7");
  const std::string other = admit("1310000001", "A2");
  identity::LinkageStore links(*db_, *vault_, *keys_, *audit_, clock_);
  // Link the two records of the same patient by a run with thresholds low enough for them.
  identity::LinkageModel model = identity::LinkageModel::defaults();
  model.match_threshold = 1;
  model.review_threshold = 0.5;
  ASSERT_TRUE(links.run(staff_, model));
  ASSERT_EQ(*links.linked_key(here), *links.linked_key(there));
  ASSERT_TRUE(db_->execute(
      "INSERT INTO ingest_batches (institution, state, created_ms) VALUES ('1310000001', "
      "'pending', 0)"));
  ASSERT_TRUE(db_->execute(
      "INSERT INTO ingest_files (batch_id, institution, content_hash, outcome, record_type, "
      "path_sealed, events, created_ms) VALUES (1, '1310000001', x'01', 'read', 'x', x'00', 1, "
      "0)"));
  for (const auto& key : {here, there, other}) {
    ASSERT_TRUE(db_->execute(
        "INSERT INTO ingest_events (batch_id, file_id, person_key, type, code_system, code, date, "
        "value, unit, withdrawn, sealed) VALUES (1, 1, ?, 'diagnosis', 'ICD10', 'I10', "
        "'2024-01-01', '', '', 0, x'00')",
        {key}));
  }

  // CONSENT-02: the notification history by internal patient key, with its source.
  ASSERT_TRUE(store_->record_notification(staff_, "1310000001", "A1",
                                          {.notified_on = "2024-04-01", .source = "correction"}));
  auto by_key = store_->notifications_of(here);
  ASSERT_TRUE(by_key) << by_key.error().describe(Lang::en);
  ASSERT_EQ(by_key->size(), 1u);
  EXPECT_EQ((*by_key)[0].source, "correction");

  // A copy of one of the patient's sealed records, kept elsewhere (a backup, an export).
  auto copy = vault_->seal_for(here, as_bytes(std::string("{\"code\":\"I10\"}")));
  ASSERT_TRUE(copy);
  ASSERT_TRUE(vault_->open_for(here, "clinical:1310000001", *copy));
  // Records sealed before persons had keys still open, under the institution's key.
  ASSERT_TRUE(keys_->ensure_key("clinical:1310000001"));
  auto earlier = keys_->seal("clinical:1310000001", as_bytes(other), as_bytes(std::string("{}")));
  ASSERT_TRUE(earlier);
  EXPECT_TRUE(vault_->open_for(other, "clinical:1310000001", *earlier));

  auto bad = store_->opt_out(staff_, "1310000001", "A1", "2026-05-01", "phone");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where().field, "via");
  auto report = store_->opt_out(staff_, "1310000001", "A1", "2026-05-01", "institution");
  ASSERT_TRUE(report) << report.error().describe(Lang::en);
  EXPECT_EQ(report->person_keys.size(), 2u);
  EXPECT_EQ(report->opt_out.records_deleted, 2u);
  EXPECT_EQ(report->opt_out.identities_deleted, 2u);
  for (const auto& key : {here, there}) {
    auto read = vault_->versions(key);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code(), Errc::key_destroyed);
  }
  EXPECT_TRUE(vault_->versions(other));  // another patient of the same hospital stays
  // The copy can no longer be opened: the patient's key is gone (crypto-erase).
  auto opened = vault_->open_for(here, "clinical:1310000001", *copy);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::key_destroyed);
  EXPECT_THAT(opened.error().message(Lang::en), HasSubstr("erased"));
  auto rows = db_->query("SELECT COUNT(*) FROM identity_person_keys WHERE person_key = ?", {here});
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)[0].integer(0), 0);
  EXPECT_TRUE(*store_->opted_out("1310000001", "A1"));
  EXPECT_TRUE(*store_->opted_out("1310000002", "B7"));  // the linked record too
  EXPECT_FALSE(*store_->opted_out("1310000001", "A2"));
  auto records = ops::DeletionRecords(*db_, clock_).list("person:");
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().record.count, 4);
  EXPECT_THAT(records->front().record.reason, HasSubstr("optout"));
  auto entries = audit_->read(1, 100);
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->back().entry.action, "consent.optout");
  EXPECT_EQ(entries->back().entry.subjects.size(), 2u);
}

}  // namespace
}  // namespace tokumei::consent
