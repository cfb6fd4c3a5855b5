// Taking the public samples into the store: counts, idempotence (the same files twice change
// nothing), the vault's one person per (institution, patient ID), and no identifier in clear in
// the database file (STORE-01).

#include "tokumei/ingest/batch.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "support/test_support.h"
#include "tokumei/ingest/event_record.h"
#include "tokumei/ingest/fhir/bundle_parts.h"
#include "tokumei/ingest/fhir/reader.h"
#include "tokumei/ingest/ingest.h"
#include "tokumei/ingest/receipt/dpc_ef.h"
#include "tokumei/ingest/receipt/uke.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::ingest {
namespace {

namespace fs = std::filesystem;
const TimePoint kStart = from_unix_ms(1'775'001'600'000);  // 2026-04-01T00:00:00Z

// A glucose Observation as one JSON object (no line end), for the large-file tests: `id` and the
// subject reference are left out when empty; `note` pads it.
std::string glucose_observation(const std::string& id, const std::string& subject, int value,
                                const std::string& note) {
  std::string o = R"({"resourceType":"Observation",)";
  if (!id.empty()) o += R"("id":")" + id + "\",";
  if (!subject.empty()) o += R"("subject":{"reference":")" + subject + "\"},";
  o += R"("code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},)"
       R"("effectiveDateTime":"2024-01-02","valueQuantity":{"value":)" +
       std::to_string(value) + R"(,"unit":"mg/dL"},"note":[{"text":")" + note + "\"}]}";
  return o;
}

class BatchStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    store_.reset();
    keys_.reset();
    key_storage_.reset();
    db_.reset();
    auto db = store::SqliteDatabase::open(dir_ / "core.db", {.create = true});
    ASSERT_TRUE(db) << db.error().describe(Lang::en);
    db_ = std::move(*db);
    store::SchemaModule ingest = BatchStore::schema();
    if (ingest_versions_ > 0) ingest.migrations.resize(ingest_versions_);
    for (const auto& module :
         {store::DatabaseKeyRingStorage::schema(), identity::IdentityVault::schema(), ingest}) {
      auto applied = store::migrate(*db_, module, clock_);
      ASSERT_TRUE(applied) << applied.error().describe(Lang::en);
    }
    key_storage_ = std::make_unique<store::DatabaseKeyRingStorage>(*db_);
    const crypto::PassphraseSource pass{"test passphrase for ingest",
                                        crypto::Argon2Params::for_tests()};
    auto ring = created_ ? crypto::KeyRing::unlock(*key_storage_, pass, clock_, random_)
                         : crypto::KeyRing::create(*key_storage_, pass, clock_, random_);
    ASSERT_TRUE(ring) << ring.error().describe(Lang::en);
    created_ = true;
    keys_.emplace(std::move(*ring));
    store_.emplace(*db_, *keys_, clock_, random_);
  }

  std::int64_t count(const char* table) {
    auto row = db_->query_one(std::string("SELECT COUNT(*) FROM ") + table);
    EXPECT_TRUE(row);
    return row ? row->integer(0) : -1;
  }

  tokumei::testing::TempDir dir_;
  FakeClock clock_{kStart};
  SeededRandom random_{7};
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::DatabaseKeyRingStorage> key_storage_;
  std::optional<crypto::KeyRing> keys_;
  std::optional<BatchStore> store_;
  bool created_ = false;
  std::size_t ingest_versions_ = 0;  // the ingest schema's first migrations only; 0: all
};

fs::path shared(const char* relative) { return tokumei::testing::shared_data_dir() / relative; }

TEST_F(BatchStoreTest, SamplesAreTakenInOnceAndNothingIdentifyingIsInClear) {
  const fs::path ssmix2 = shared("ssmix2/nhoHQ_SSMIX2DataTestingTool/sampleData");
  const fs::path uke =
      shared("receipt/yokenzan_receiptisan/spec/resource/input/RECEIPTC_GAIRAI_SAMPLE.UKE");
  const fs::path jpcore = shared("jpcore/jp-core.r4-1.1.2_package_examples");
  if (!fs::exists(ssmix2) || !fs::exists(uke) || !fs::exists(jpcore)) GTEST_SKIP() << "no samples";

  auto first = ingest_paths(*store_, {ssmix2, jpcore}, "1311234567");
  ASSERT_TRUE(first) << first.error().describe(Lang::en);
  EXPECT_EQ(first->files, 22u + 49u);
  EXPECT_EQ(first->files_read, 7u + 13u);
  EXPECT_EQ(first->files_quarantined, 3u);
  EXPECT_EQ(first->persons(), 2u);  // distinct: 9999013 in seven files, 00000010 in thirteen
  EXPECT_EQ(first->files_not_read, 12u + 36u);
  EXPECT_EQ(first->events["prescription"], 3u + 2u);  // SS-MIX2 OMP-01, JP Core oral
  EXPECT_EQ(first->events["injection"], 6u + 3u);     // SS-MIX2 OMP-02, JP Core contained
  EXPECT_EQ(first->quarantined_by_reason["invalid_input"], 3u);
  auto state = store_->state(first->batch_id);
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, BatchState::pending);

  auto claims = ingest_paths(*store_, {uke}, "1210000000");
  ASSERT_TRUE(claims) << claims.error().describe(Lang::en);
  EXPECT_NE(claims->batch_id, first->batch_id);
  EXPECT_EQ(claims->events["claim_visit"], 75u);

  // Persons: SS-MIX2 9999013 and JP Core 00000010 at one institution, 75 claims patients at the
  // other.
  auto persons = store_->vault().count();
  ASSERT_TRUE(persons);
  EXPECT_EQ(*persons, 2 + 75);
  const std::int64_t events = count("ingest_events"), versions = count("identity_versions");
  const std::int64_t quarantine = count("ingest_quarantine");
  // SS-MIX2 2 + 1 + 9 + 6, JP Core 1 + 1 + 5 + 8 + 1, claims 75 + 9 + 32 + 320.
  EXPECT_EQ(events, (2 + 1 + 9 + 6) + (1 + 1 + 5 + 8 + 1) + (75 + 9 + 32 + 320));

  // The same files again: nothing new.
  auto again = ingest_paths(*store_, {ssmix2, jpcore}, "1311234567");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->files_already_taken, 22u + 49u);
  EXPECT_EQ(again->files, 0u);
  EXPECT_EQ(again->batch_id, 0);  // no empty batch
  EXPECT_EQ(count("ingest_batches"), 2);
  EXPECT_EQ(count("ingest_events"), events);
  EXPECT_EQ(count("identity_versions"), versions);
  EXPECT_EQ(count("ingest_quarantine"), quarantine);
  EXPECT_EQ(*store_->vault().count(), *persons);

  // The vault gives back what the hospital sent, and looks people up by ID.
  auto key = store_->vault().find("1311234567", "9999013");
  ASSERT_TRUE(key && key->has_value());
  auto kept = store_->vault().versions(**key);
  ASSERT_TRUE(kept) << kept.error().describe(Lang::en);
  ASSERT_FALSE(kept->empty());
  bool adt00 = false;
  for (const auto& p : *kept) adt00 = adt00 || p.birth_date == "1948-04-05";
  EXPECT_TRUE(adt00);
  EXPECT_EQ(kept->front().name_kanji, "患者\u3000太郎");

  // No name, birth date, patient ID or phone in the raw database files.
  store_.reset();
  keys_.reset();
  key_storage_.reset();
  db_.reset();
  std::string raw;
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    raw += tokumei::testing::read_file(e.path());
  }
  ASSERT_GT(raw.size(), 10000u);
  for (const char* sentinel : {"患者", "カンジャ", "山田", "ヤマダ", "テストハンヨウ", "1948-04-05",
                               "19480405", "1970-01-01", "9999013", "00000010", "00697",
                               "054-000-0000", "0312345678", "422-8033", "静岡県静岡市"}) {
    EXPECT_EQ(raw.find(sentinel), std::string::npos) << sentinel << " is in the database file";
  }
}

TEST_F(BatchStoreTest, AnInterruptedBatchIsContinuedNotDoubled) {
  const fs::path jpcore = shared("jpcore/jp-core.r4-1.1.2_package_examples");
  if (!fs::exists(jpcore)) GTEST_SKIP() << "no samples";
  // A run that took in only some files before it stopped: its batch stays received.
  auto batch = store_->open_batch("1311234567");
  ASSERT_TRUE(batch);
  IngestSummary partial;
  const fs::path patient = jpcore / "Patient-jp-patient-example-1.json";
  const std::string bytes = tokumei::testing::read_file(patient);
  fhir::Reader reader("1311234567");
  auto recorded = store_->record(*batch, "1311234567", crypto::sha256(as_bytes(bytes)),
                                 reader.read("Patient-jp-patient-example-1.json", bytes), partial);
  ASSERT_TRUE(recorded && *recorded);

  open();  // as after a crash
  auto run = ingest_paths(*store_, {jpcore}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->batch_id, *batch);         // the unfinished batch, continued
  EXPECT_EQ(run->files_already_taken, 1u);  // the file taken in before the stop
  // Groups were committed without waiting for the disk; the connection waits again afterwards.
  EXPECT_EQ(db_->query_one("PRAGMA synchronous").value().integer(0), 2);
  EXPECT_EQ(run->files, 48u);
  EXPECT_EQ(count("ingest_batches"), 1);
  EXPECT_EQ(count("ingest_events"), 1 + 1 + 5 + 8 + 1);
}

// The walk follows links to files and folders (as a path would be), skips links to nothing and
// links back to a folder it is in (a loop), and goes in name order.
TEST_F(BatchStoreTest, TheWalkFollowsLinksAndSkipsDanglingOnesAndLoops) {
  const fs::path root = dir_ / "in";
  fs::create_directories(root / "a");
  std::ofstream(root / "a" / "x.txt") << "not a format Tokumei reads";
  fs::create_directory_symlink(root / "a", root / "link_to_a");
  fs::create_symlink(root / "a" / "x.txt", root / "file_link");
  fs::create_symlink(root / "nowhere", root / "dangling");
  fs::create_directory_symlink(root, root / "a" / "back_to_the_root");
  auto run = ingest_paths(*store_, {root}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files, 1u);  // a/x.txt, not read
  EXPECT_EQ(run->files_not_read, 1u);
  EXPECT_EQ(run->files_already_taken, 2u);  // the same content through both links
  // The file recorded is the first in name order, under its own folder.
  auto rows = db_->query("SELECT content_hash, path_sealed FROM ingest_files");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  auto path = keys_->open(clinical_key("1311234567"), (*rows)[0].blob(0), (*rows)[0].blob(1));
  ASSERT_TRUE(path) << path.error().describe(Lang::en);
  EXPECT_EQ(to_string(*path), "a/x.txt");
}

// Version 3 of the schema makes the file, event and quarantine tables anew (their checks without
// a temporary index): what was taken in under version 2 is all there afterwards, still linked,
// and the checks still refuse what they refused.
TEST_F(BatchStoreTest, SchemaVersionThreeKeepsWhatWasTakenInBefore) {
  const fs::path jpcore = shared("jpcore/jp-core.r4-1.1.2_package_examples");
  if (!fs::exists(jpcore)) GTEST_SKIP() << "no samples";
  // What a run takes in, and a refused file.
  auto run = ingest_paths(*store_, {jpcore}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  auto batch = store_->open_batch("1311234567");
  ASSERT_TRUE(batch);
  FileOutcome refused{.path = "refused.json", .kind = FileOutcome::Kind::quarantined};
  refused.problems.emplace_back(Errc::invalid_argument, Text{"拒否", "refused"},
                                Location{.file = "refused.json", .line = 3});
  IngestSummary summary;
  ASSERT_TRUE(
      store_->record(*batch, "1311234567", crypto::sha256(as_bytes("refused")), refused, summary));
  // The columns version 2 had.
  const std::string event_columns =
      "id, batch_id, file_id, person_key, type, code_system, code, date, value, unit, withdrawn, "
      "sealed";
  auto dump = [&](const std::string& table, const std::string& columns = "*") {
    auto rows = db_->query("SELECT " + columns + " FROM " + table + " ORDER BY id");
    EXPECT_TRUE(rows) << rows.error().describe(Lang::en);
    std::vector<std::vector<store::Value>> values;
    for (const auto& row : rows.value_or(store::Rows{})) {
      std::vector<store::Value> v;
      for (std::size_t i = 0; i < row.size(); ++i) v.push_back(row[i]);
      values.push_back(std::move(v));
    }
    return values;
  };
  const std::string file_columns =
      "id, batch_id, institution, content_hash, outcome, record_type, path_sealed, events, "
      "created_ms";
  const auto files = dump("ingest_files", file_columns),
             events = dump("ingest_events", event_columns), quarantine = dump("ingest_quarantine");
  ASSERT_EQ(files.size(), 49u + 1);  // the samples, and the refused file
  ASSERT_EQ(events.size(), 16u);
  ASSERT_EQ(quarantine.size(), 1u + 1);  // the samples' one, and the refused file

  // The same rows in a database made by a program that knew only versions 1 and 2.
  store_.reset();
  keys_.reset();
  key_storage_.reset();
  db_.reset();
  fs::rename(dir_ / "core.db", dir_ / "filled.db");
  for (const char* file : {"core.db-wal", "core.db-shm"}) fs::remove(dir_ / file);
  created_ = false;
  ingest_versions_ = 2;
  open();
  ASSERT_TRUE(db_->execute("ATTACH DATABASE '" + (dir_ / "filled.db").string() + "' AS filled"));
  ASSERT_TRUE(db_->execute("INSERT INTO ingest_batches SELECT * FROM filled.ingest_batches"));
  ASSERT_TRUE(db_->execute("INSERT INTO ingest_files SELECT " + file_columns +
                           " FROM filled.ingest_files"));
  ASSERT_TRUE(db_->execute("INSERT INTO ingest_quarantine SELECT * FROM filled.ingest_quarantine"));
  ASSERT_TRUE(db_->execute("INSERT INTO ingest_events SELECT " + event_columns +
                           " FROM filled.ingest_events"));
  ASSERT_TRUE(db_->execute("DETACH DATABASE filled"));
  EXPECT_EQ(dump("ingest_events"), events);

  ingest_versions_ = 0;
  open();
  EXPECT_EQ(dump("ingest_files", file_columns), files);
  EXPECT_EQ(dump("ingest_events", event_columns), events);
  EXPECT_EQ(dump("ingest_quarantine"), quarantine);
  auto orphans = db_->query("PRAGMA foreign_key_check");
  ASSERT_TRUE(orphans);
  EXPECT_TRUE(orphans->empty());
  EXPECT_TRUE(db_->check_integrity());
  auto bad = db_->execute("UPDATE ingest_files SET outcome = 'lost' WHERE id = 1");
  ASSERT_FALSE(bad);
  auto orphan = db_->execute("UPDATE ingest_events SET file_id = 9999 WHERE id = 1");
  ASSERT_FALSE(orphan);
  // And taking in goes on: the same files are known, by content.
  auto again = ingest_paths(*store_, {jpcore}, "1311234567");
  ASSERT_TRUE(again) << again.error().describe(Lang::en);
  EXPECT_EQ(again->files_already_taken, 49u);
}

// QUALITY-10: what was taken in is never edited in place (a correction is a new version).
// QUALITY-09: each file keeps the mapping version it was read with.
TEST_F(BatchStoreTest, FilesRecordTheMappingVersionTheyWereReadWith) {
  const fs::path jpcore = shared("jpcore/jp-core.r4-1.1.2_package_examples");
  if (!fs::exists(jpcore)) GTEST_SKIP() << "no samples";
  ASSERT_TRUE(ingest_paths(*store_, {jpcore}, "1311234567"));
  auto rows = db_->query("SELECT DISTINCT mapping_version FROM ingest_files");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].integer(0), kMappingVersion);
}

TEST_F(BatchStoreTest, SourceRecordsAreNotEditedInPlace) {
  const fs::path jpcore = shared("jpcore/jp-core.r4-1.1.2_package_examples");
  if (!fs::exists(jpcore)) GTEST_SKIP() << "no samples";
  ASSERT_TRUE(ingest_paths(*store_, {jpcore}, "1311234567"));
  ASSERT_GT(count("ingest_events"), 0);
  auto edit = db_->execute("UPDATE ingest_events SET value = '0'");
  ASSERT_FALSE(edit);
  EXPECT_NE(edit.error().message(Lang::en).find("not edited in place"), std::string::npos)
      << edit.error().message(Lang::en);
  auto rename = db_->execute("UPDATE identity_versions SET batch_id = 99");
  ASSERT_FALSE(rename);
  EXPECT_NE(rename.error().message(Lang::en).find("not edited in place"), std::string::npos);
}

// A run killed after its last file was recorded but before the batch was finished: the next
// run finds nothing new, and must still finish the batch (or it stays received for ever).
TEST_F(BatchStoreTest, ARunWithNothingNewFinishesTheUnfinishedBatch) {
  const fs::path jpcore = shared("jpcore/jp-core.r4-1.1.2_package_examples");
  if (!fs::exists(jpcore)) GTEST_SKIP() << "no samples";
  const fs::path patient = jpcore / "Patient-jp-patient-example-1.json";
  auto batch = store_->open_batch("1311234567");
  ASSERT_TRUE(batch);
  IngestSummary partial;
  const std::string bytes = tokumei::testing::read_file(patient);
  fhir::Reader reader("1311234567");
  ASSERT_TRUE(store_->record(*batch, "1311234567", crypto::sha256(as_bytes(bytes)),
                             reader.read("Patient-jp-patient-example-1.json", bytes), partial));

  open();  // as after a crash
  auto run = ingest_paths(*store_, {patient}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files_already_taken, 1u);
  EXPECT_EQ(run->batch_id, *batch);
  auto state = store_->state(*batch);
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, BatchState::pending);
  EXPECT_EQ(count("ingest_batches"), 1);

  // With no unfinished batch, a run with nothing new opens none.
  auto again = ingest_paths(*store_, {patient}, "1311234567");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->batch_id, 0);
  EXPECT_EQ(count("ingest_batches"), 1);
}

// What the store keeps can be opened again: every sealed event record, opened with the
// institution's key and its person key, decodes to exactly the event the reader extracted.
TEST_F(BatchStoreTest, SealedEventsOpenToTheEventsTheReaderExtracted) {
  const fs::path jpcore = shared("jpcore/jp-core.r4-1.1.2_package_examples");
  if (!fs::exists(jpcore)) GTEST_SKIP() << "no samples";
  auto run = ingest_paths(*store_, {jpcore}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(jpcore)) files.push_back(entry.path());
  fhir::Reader reader("1311234567");
  for (const auto& f : files) reader.learn_patients(tokumei::testing::read_file(f));
  std::vector<Event> extracted;
  auto add = [&](const auto& events) {
    for (auto e : events) {
      e.patient_id.clear();
      extracted.emplace_back(std::move(e));
    }
  };
  for (const auto& f : files) {
    const model::Extract x =
        reader.read(f.filename().string(), tokumei::testing::read_file(f)).extract;
    add(x.encounters);
    add(x.diagnoses);
    add(x.medications);
    add(x.lab_results);
    add(x.procedures);
    add(x.claim_visits);
  }

  auto rows = db_->query("SELECT type, person_key, sealed FROM ingest_events");
  ASSERT_TRUE(rows);
  std::vector<Event> stored;
  for (const auto& row : *rows) {
    const Bytes& sealed = row.blob(2);
    auto text = store_->vault().open_for(row.text(1), clinical_key("1311234567"), sealed);
    ASSERT_TRUE(text) << text.error().describe(Lang::en);
    auto event = decode_event(
        row.text(0), std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
    ASSERT_TRUE(event) << event.error().describe(Lang::en);
    EXPECT_EQ(event_type(*event), row.text(0));
    stored.push_back(std::move(*event));
  }
  auto order = [](const Event& a, const Event& b) {
    std::string ta, tb;
    std::visit([&](const auto& e) { encode_event(e, ta); }, a);
    std::visit([&](const auto& e) { encode_event(e, tb); }, b);
    return std::pair(a.index(), ta) < std::pair(b.index(), tb);
  };
  std::ranges::sort(extracted, order);
  std::ranges::sort(stored, order);
  EXPECT_EQ(stored.size(), 1u + 1 + 5 + 8 + 1);
  EXPECT_TRUE(stored == extracted);
}

// The vault remembers recent identities to spare look-ups; what it remembers must never outlive
// a rollback that undid it.
TEST_F(BatchStoreTest, TheVaultForgetsPersonsARollbackUndid) {
  ASSERT_TRUE(store_->vault().prepare());
  identity::IdentityVault& vault = store_->vault();
  const model::PersonIdentity hanako{
      .institution = "1311234567", .patient_id = "P-1", .name_kanji = "試験 花子"};
  std::string undone;
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx);
    auto key = vault.admit(hanako, 1);
    ASSERT_TRUE(key);
    undone = *key;
  }  // rolled back: the person was never stored
  EXPECT_EQ(count("identity_persons"), 0);

  auto key = vault.admit(hanako, 1);
  ASSERT_TRUE(key);
  EXPECT_NE(*key, undone);
  EXPECT_EQ(count("identity_persons"), 1);
  EXPECT_EQ(count("identity_versions"), 1);

  // The same identity again is the same person and version; a changed one, a new version.
  EXPECT_EQ(vault.admit(hanako, 2).value_or(""), *key);
  model::PersonIdentity renamed = hanako;
  renamed.name_kanji = "試験 華子";
  EXPECT_EQ(vault.admit(renamed, 2).value_or(""), *key);
  EXPECT_EQ(vault.admit(hanako, 3).value_or(""), *key);
  EXPECT_EQ(count("identity_persons"), 1);
  EXPECT_EQ(count("identity_versions"), 2);
  auto found = vault.find("1311234567", "P-1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, *key);
}

// A bulk export larger than one part (2 MiB) is read part by part: the same events as a whole
// read, lines located in the file (not the part), one record per file, and an Individual Number
// in a late part still keeps the whole file out.
TEST_F(BatchStoreTest, ABulkNdjsonFileIsReadPartByPartLikeWhole) {
  const fs::path in = dir_.path() / "bulk";
  fs::create_directories(in);
  std::string patients;
  for (int p = 0; p < 3; ++p) {
    patients += R"({"resourceType":"Patient","id":"p)" + std::to_string(p) +
                R"(","identifier":[{"value":"H)" + std::to_string(p) + R"("}]})" + "\n";
  }
  tokumei::testing::write_file(in / "Patient.ndjson", patients);
  const std::string padding(400, 'x');
  auto observation = [&](int i) {
    return glucose_observation("o" + std::to_string(i), "Patient/p" + std::to_string(i % 3),
                               i % 200, padding) +
           "\n";
  };
  constexpr int kLines = 12'000, kBroken = 9'000;  // the broken line is in the third part
  std::string bulk;
  for (int i = 1; i <= kLines; ++i) {
    bulk +=
        i == kBroken ? std::string("{\"resourceType\": \"Observation\", broken\n") : observation(i);
  }
  ASSERT_GT(bulk.size(), 6u << 20);
  tokumei::testing::write_file(in / "Observation.ndjson", bulk);

  auto run = ingest_paths(*store_, {in}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files, 2u);
  EXPECT_EQ(run->files_read, 2u);
  EXPECT_EQ(run->events["lab_result"], static_cast<std::size_t>(kLines - 1));
  EXPECT_EQ(run->records_refused, 1u);
  EXPECT_EQ(run->persons(), 3u);
  // The Observations name patients known from Patient.ndjson: no identity versions of bare IDs.
  EXPECT_EQ(count("identity_persons"), 3);
  EXPECT_EQ(count("identity_versions"), 3);
  auto refused = db_->query("SELECT scope, line FROM ingest_quarantine");
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->size(), 1u);
  EXPECT_EQ((*refused)[0].text(0), "record");
  EXPECT_EQ((*refused)[0].integer(1), kBroken);
  auto file = db_->query_one(
      "SELECT record_type, events FROM ingest_files WHERE record_type LIKE 'Observation%'");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->text(0), "Observation " + std::to_string(kLines - 1));
  EXPECT_EQ(file->integer(1), kLines - 1);

  // The same as one whole read.
  fhir::Reader whole("1311234567");
  whole.learn_patients(patients);
  const FileOutcome o = whole.read("Observation.ndjson", bulk);
  EXPECT_EQ(o.extract.lab_results.size(), static_cast<std::size_t>(kLines - 1));
  ASSERT_EQ(o.problems.size(), 1u);
  EXPECT_EQ(o.problems[0].where().line, kBroken);

  auto again = ingest_paths(*store_, {in}, "1311234567");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->files_already_taken, 2u);

  // An Individual Number in the third part, after earlier parts' events were written: nothing
  // from the file is kept.
  const fs::path second = dir_.path() / "bulk2";
  fs::create_directories(second);
  const std::size_t cut = bulk.find('\n', 5u << 20) + 1;
  std::string numbered = bulk.substr(0, cut);
  const int lines = static_cast<int>(std::count(numbered.begin(), numbered.end(), '\n'));
  numbered += R"({"resourceType":"Observation","note":[{"text":"123456789018"}]})"
              "\n";
  numbered += bulk.substr(cut);
  tokumei::testing::write_file(second / "Observation.ndjson", numbered);
  const std::int64_t events_before = count("ingest_events");
  auto refused_run = ingest_paths(*store_, {second}, "1311234567");
  ASSERT_TRUE(refused_run) << refused_run.error().describe(Lang::en);
  EXPECT_EQ(refused_run->files_quarantined, 1u);
  EXPECT_TRUE(refused_run->events.empty());
  EXPECT_EQ(count("ingest_events"), events_before);
  auto where = db_->query_one("SELECT line, reason FROM ingest_quarantine WHERE scope = 'file'");
  ASSERT_TRUE(where);
  EXPECT_EQ(where->integer(0), lines + 1);
  EXPECT_EQ(where->text(1), "policy_violation");
}

// A Bundle of `observations` Observation entries after its Patient (the Synthea shape), one
// entry a line (`pretty`) or all on one line; entry `broken` has no subject (refused alone).
std::string large_bundle(int observations, int broken, bool pretty) {
  const std::string nl = pretty ? "\n" : "";
  std::string b = R"({"resourceType":"Bundle","type":"collection","entry":[)" + nl;
  b += R"({"fullUrl":"urn:uuid:pat-1","resource":{"resourceType":"Patient","id":"pat-1",)"
       R"("identifier":[{"value":"H-1"}],"name":[{"family":"試験","given":["花子"]}]}})";
  const std::string padding(300, 'x');
  for (int i = 1; i <= observations; ++i) {
    b += "," + nl;
    b += R"({"fullUrl":"urn:uuid:obs-)" + std::to_string(i) + R"(","resource":)" +
         glucose_observation("o" + std::to_string(i), i == broken ? "" : "urn:uuid:pat-1", i % 200,
                             padding + R"(\"quoted\" [x] {y}, z)") +
         "}";
  }
  b += nl + R"(],"signature":{"data":"abc"}})" + nl;
  return b;
}

// fhir::BundleParts given a Bundle in pieces cut after any of \n , { } [ ] reads what one whole
// read does: the same events and refusals, numbered and located as in the file.
TEST_F(BatchStoreTest, ABundleInPiecesReadsAsAWholeRead) {
  for (bool pretty : {true, false}) {
    const std::string bundle = large_bundle(3000, 2500, pretty);
    fhir::Reader whole_reader("1311234567");
    const FileOutcome whole = whole_reader.read("b.json", bundle);
    ASSERT_EQ(whole.extract.lab_results.size(), 2999u);
    ASSERT_EQ(whole.problems.size(), 1u);

    fhir::Reader reader("1311234567");
    fhir::BundleParts learner(reader, "b.json");
    fhir::BundleParts parts(reader, "b.json");
    model::Extract got;
    std::vector<Error> problems;
    std::size_t at = 0, pieces = 0;
    auto feed = [&](bool learn) {
      at = 0;
      while (true) {
        // Pieces of about 100 KB, cut after the last cut character before that.
        std::size_t end = std::min(bundle.size(), at + 100'000);
        if (end < bundle.size()) end = bundle.find_last_of("\n,{}[]", end - 1) + 1;
        const std::string_view piece = std::string_view(bundle).substr(at, end - at);
        const bool last = end == bundle.size();
        if (learn) {
          learner.learn(piece, last);
        } else {
          FileOutcome o = parts.read(piece, 0, static_cast<std::int64_t>(at), last);
          ASSERT_NE(o.kind, FileOutcome::Kind::quarantined) << o.problems[0].describe(Lang::en);
          for (auto& p : o.extract.persons) got.persons.push_back(std::move(p));
          for (auto& l : o.extract.lab_results) got.lab_results.push_back(std::move(l));
          for (auto& e : o.problems) problems.push_back(std::move(e));
          ++pieces;
        }
        at = end;
        if (last) break;
      }
    };
    feed(true);
    feed(false);
    EXPECT_GT(pieces, 10u);
    EXPECT_TRUE(got.persons == whole.extract.persons);
    EXPECT_TRUE(got.lab_results == whole.extract.lab_results) << pretty;
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].where().field, whole.problems[0].where().field);
    EXPECT_THAT(problems[0].where().field, ::testing::HasSubstr("Bundle.entry[2500]"));
  }
}

// Read in two pieces cut at every place a file is cut (after \n , { } [ ]): what the pieces give.
std::vector<FileOutcome::Kind> kinds_in_two_pieces(const std::string& json) {
  std::vector<FileOutcome::Kind> kinds;
  for (std::size_t cut = json.find_first_of("\n,{}[]"); cut != std::string::npos;
       cut = json.find_first_of("\n,{}[]", cut + 1)) {
    fhir::Reader reader("1311234567");
    fhir::BundleParts parts(reader, "b.json");
    const auto a = parts.read(std::string_view(json).substr(0, cut + 1), 0, 0, false);
    const auto b = parts.read(std::string_view(json).substr(cut + 1), 0,
                              static_cast<std::int64_t>(cut + 1), true);
    const bool refused =
        a.kind == FileOutcome::Kind::quarantined || b.kind == FileOutcome::Kind::quarantined;
    kinds.push_back(refused ? FileOutcome::Kind::quarantined : FileOutcome::Kind::read);
  }
  return kinds;
}

// What a whole read refuses, the pieces refuse, wherever the file is cut; what it takes, they
// take (a byte order mark before the document too).
TEST(BundlePieces, RefuseWhatAWholeReadRefusesWhereverTheFileIsCut) {
  const std::string entry =
      R"({"resource":{"resourceType":"Observation","subject":{"reference":"Patient/p1"},)"
      R"("code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},)"
      R"("effectiveDateTime":"2024-01-02","valueQuantity":{"value":1,"unit":"mg/dL"}}})";
  const std::string head = R"({"resourceType":"Bundle","type":"collection","entry":[)";
  for (const auto& [entries, valid] :
       std::vector<std::pair<std::string, bool>>{{entry + "," + entry, true},
                                                 {"", true},
                                                 {entry + ",", false},
                                                 {"," + entry, false},
                                                 {entry + ",," + entry, false},
                                                 {entry + entry, false},
                                                 {entry + ", 1 2", false},
                                                 {entry + ", 1, \"x\"", true}}) {
    for (const std::string& bom : {std::string(), std::string("\xEF\xBB\xBF")}) {
      const std::string json = bom + head + entries + "]}";
      fhir::Reader reader("1311234567");
      const auto whole = reader.read("b.json", json);
      ASSERT_EQ(whole.kind != FileOutcome::Kind::quarantined, valid) << json;
      for (const auto kind : kinds_in_two_pieces(json)) {
        EXPECT_EQ(kind != FileOutcome::Kind::quarantined, valid) << json;
      }
    }
  }
}

// Taken in whole through the store: one file, its events, the refused entry located; an
// Individual Number in a late part, or a syntax error there, keeps the whole file out; a large
// JSON document that is not a Bundle is read whole.
TEST_F(BatchStoreTest, ALargeBundleIsTakenInPartByPart) {
  const fs::path in = dir_.path() / "bundles";
  fs::create_directories(in);
  const std::string bundle = large_bundle(12'000, 9'000, false);  // one line
  ASSERT_GT(bundle.size(), 4u << 20);
  tokumei::testing::write_file(in / "patient.json", bundle);
  auto run = ingest_paths(*store_, {in}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files_read, 1u);
  EXPECT_EQ(run->events["lab_result"], 11'999u);
  EXPECT_EQ(run->records_refused, 1u);
  EXPECT_EQ(run->persons(), 1u);
  auto refused = db_->query_one("SELECT field FROM ingest_quarantine");
  ASSERT_TRUE(refused);
  EXPECT_THAT(refused->text(0), ::testing::HasSubstr("Bundle.entry[9000]"));
  auto file = db_->query_one("SELECT record_type, events FROM ingest_files");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->text(0), "Observation 12000, Patient 1");  // the refused one too
  EXPECT_EQ(file->integer(1), 11'999);

  const std::int64_t events_before = count("ingest_events");
  const std::size_t late = bundle.size() * 3 / 4;
  const fs::path numbered = dir_.path() / "numbered";
  fs::create_directories(numbered);
  std::string with_number = bundle;
  with_number.replace(with_number.find("xxxxx", late), 14, " 123456789018 ");
  tokumei::testing::write_file(numbered / "patient.json", with_number);
  const fs::path broken = dir_.path() / "broken";
  fs::create_directories(broken);
  std::string with_error = bundle;
  const std::size_t bad = with_error.find("\"unit\"", late);
  with_error.replace(bad, 6, "\"unit\"\"");  // "unit"": not JSON
  tokumei::testing::write_file(broken / "patient.json", with_error);
  for (const auto& [folder, reason] :
       {std::pair(numbered, "policy_violation"), std::pair(broken, "invalid_input")}) {
    auto refused_run = ingest_paths(*store_, {folder}, "1311234567");
    ASSERT_TRUE(refused_run) << refused_run.error().describe(Lang::en);
    EXPECT_EQ(refused_run->files_quarantined, 1u) << reason;
    EXPECT_TRUE(refused_run->events.empty());
    EXPECT_EQ(count("ingest_events"), events_before);
    auto where =
        db_->query_one("SELECT offset FROM ingest_quarantine WHERE scope = 'file' AND reason = ?",
                       {std::string(reason)});
    ASSERT_TRUE(where) << reason;
    EXPECT_GT(where->integer(0), static_cast<std::int64_t>(late)) << reason;
  }

  const fs::path other = dir_.path() / "other";
  fs::create_directories(other);
  std::string list = R"({"resourceType":"List","status":"current","entry":[)";
  for (int i = 0; i < 60'000; ++i) {
    list += std::string(i ? "," : "") + R"({"item":{"reference":"Patient/p)" + std::to_string(i) +
            R"("}})";
  }
  list += "]}";
  ASSERT_GT(list.size(), 2u << 20);
  tokumei::testing::write_file(other / "list.json", list);
  auto listed = ingest_paths(*store_, {other}, "1311234567");
  ASSERT_TRUE(listed) << listed.error().describe(Lang::en);
  EXPECT_EQ(listed->files_not_read, 1u);  // read whole: a List is not taken in
}

// A bulk NDJSON file whose first line is longer than anything looked at to tell its kind (a
// Patient with a large photo) is still read as NDJSON, line by line.
TEST_F(BatchStoreTest, ABulkFileWithAVeryLongFirstLineIsStillNdjson) {
  const fs::path in = dir_.path() / "longline";
  fs::create_directories(in);
  std::string bulk = R"({"resourceType":"Patient","id":"p0","identifier":[{"value":"H0"}],)"
                     R"("photo":[{"data":")" +
                     std::string(300'000, 'A') + R"("}]})" + "\n";
  for (int i = 1; i <= 12'000; ++i) {
    bulk += glucose_observation("", "Patient/p0", i % 200, std::string(200, 'x')) + "\n";
  }
  ASSERT_GT(bulk.size(), 3u << 20);
  tokumei::testing::write_file(in / "Export.ndjson", bulk);
  auto run = ingest_paths(*store_, {in}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files_read, 1u);
  EXPECT_EQ(run->files_quarantined, 0u);
  EXPECT_EQ(run->events["lab_result"], 12'000u);
  EXPECT_EQ(run->persons(), 1u);
}

// A claims file larger than one part is read part by part, a claim that spans two parts given
// whole: the same events as a whole read, one record per file, and an Individual Number in a
// late part keeps the whole file out.
TEST_F(BatchStoreTest, ALargeClaimsFileIsReadPartByPartLikeWhole) {
  const fs::path sample =
      shared("receipt/yokenzan_receiptisan/spec/resource/input/RECEIPTC_GAIRAI_SAMPLE.UKE");
  if (!fs::exists(sample)) GTEST_SKIP() << "no samples";
  std::string bytes = tokumei::testing::read_file(sample);
  while (!bytes.empty() && bytes.back() == '\x1a') bytes.pop_back();
  // The IR line, then the claims (RE up to GO) again and again, then GO and the EOF byte.
  const std::size_t claims_start = bytes.find("\r\nRE,") + 2;
  const std::size_t go = bytes.rfind("GO,");
  ASSERT_NE(go, std::string::npos);
  const std::string claims = bytes.substr(claims_start, go - claims_start);
  std::string large = bytes.substr(0, claims_start);
  int copies = 0;
  while (large.size() < (5u << 20)) {
    large += claims;
    ++copies;
  }
  large += bytes.substr(go);
  large += '\x1a';
  const fs::path in = dir_.path() / "claims";
  fs::create_directories(in);
  tokumei::testing::write_file(in / "RECEIPTC.UKE", large);

  const FileOutcome whole = receipt::read_uke("RECEIPTC.UKE", large, "1311234567");
  ASSERT_EQ(whole.kind, FileOutcome::Kind::read);
  auto run = ingest_paths(*store_, {in}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files_read, 1u);
  EXPECT_GT(copies, 100);
  EXPECT_EQ(run->events["claim_visit"], whole.extract.claim_visits.size());
  EXPECT_EQ(run->events["diagnosis"], whole.extract.diagnoses.size());
  EXPECT_EQ(run->events["procedure"], whole.extract.procedures.size());
  EXPECT_EQ(run->events["prescription"] + run->events["injection"],
            whole.extract.medications.size());
  EXPECT_EQ(run->warnings, whole.warnings.size());
  EXPECT_EQ(run->records_refused, whole.problems.size());
  auto file = db_->query_one("SELECT record_type, events FROM ingest_files");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->text(0), "UKE");
  EXPECT_EQ(static_cast<std::size_t>(file->integer(1)), whole.extract.events());

  // The same claims with an Individual Number in a late claim's record: nothing is kept.
  std::string numbered = large;
  const std::size_t late = numbered.find("\r\nRE,", 4u << 20) + 2;
  numbered.insert(late, "CO,123456789018\r\n");
  const fs::path second = dir_.path() / "claims2";
  fs::create_directories(second);
  tokumei::testing::write_file(second / "RECEIPTC.UKE", numbered);
  const std::int64_t events_before = count("ingest_events");
  auto refused = ingest_paths(*store_, {second}, "1311234567");
  ASSERT_TRUE(refused) << refused.error().describe(Lang::en);
  EXPECT_EQ(refused->files_quarantined, 1u);
  EXPECT_EQ(count("ingest_events"), events_before);
  auto where = db_->query_one("SELECT line FROM ingest_quarantine WHERE scope = 'file'");
  ASSERT_TRUE(where);
  EXPECT_EQ(where->integer(0),
            1 + static_cast<std::int64_t>(std::count(
                    numbered.begin(), numbered.begin() + static_cast<long>(late), '\n')));
}

// A DPC EF file larger than one part goes through the EF reader part by part too.
TEST_F(BatchStoreTest, ALargeEfFileIsReadPartByPartLikeWhole) {
  std::string ef =
      "施設コード\tデータ識別番号\t退院年月日\t入院年月日\tデータ区分\t順序番号\t行為明細番号\t"
      "病院点数マスタコード\tレセプト電算コード\t解釈番号\t診療明細名称\t使用量\t基準単位\t"
      "明細点数・金額\t円点区分\t出来高実績点数\t行為明細区分情報\t行為点数\t行為薬剤料\t"
      "行為材料料\t行為回数\t保険者番号\tレセプト種別コード\t実施年月日\tレセプト科区分\t"
      "診療科区分\t医師コード\t病棟コード\t病棟区分\t入外区分\t施設タイプ\r\n";
  for (int i = 0; ef.size() < (5u << 20); ++i) {
    const std::string patient = "P" + std::to_string(i / 40);  // 40 lines a patient
    const std::string detail = i % 40 == 0 ? "000" : fmt::format("{:03}", i % 40);
    const std::string code = i % 2 ? "160098110" : "620006625";
    ef += "131234567\t" + patient + "\t00000000\t20240704\t33\t0001\t" + detail + "\t1\t" + code +
          "\t\t名称\t0000002.500\t000\t0\t0\t0\t\t0\t0\t0\t001\t\t1119\t20240705\t20\t310\t1\t31"
          "\t0\t0\t\r\n";
  }
  const fs::path in = dir_.path() / "ef";
  fs::create_directories(in);
  tokumei::testing::write_file(in / "EFn_131234567_2407.txt", ef);
  const FileOutcome whole = receipt::read_dpc_ef("EFn_131234567_2407.txt", ef, "1311234567");
  ASSERT_EQ(whole.kind, FileOutcome::Kind::read);
  auto run = ingest_paths(*store_, {in}, "1311234567");
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files_read, 1u);
  EXPECT_EQ(run->events["encounter"], whole.extract.encounters.size());
  EXPECT_EQ(run->events["procedure"], whole.extract.procedures.size());
  EXPECT_EQ(run->events["injection"], whole.extract.medications.size());
  EXPECT_EQ(run->records_refused, 0u);
  auto file = db_->query_one("SELECT record_type, events FROM ingest_files");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->text(0), "DPC EF");
  EXPECT_EQ(static_cast<std::size_t>(file->integer(1)), whole.extract.events());
}

// Review finding: a record type with a count too large for a number (a crafted resourceType)
// threw out of the merging of a file's parts.
TEST_F(BatchStoreTest, PartsWithAbsurdCountsAreMergedWithoutThrowing) {
  ASSERT_TRUE(store_->open_batch("1311234567"));
  FileOutcome part{.path = "x.ndjson", .record_type = "X 99999999999999999999999, Y 1"};
  int given = 0;
  IngestSummary summary;
  auto recorded = store_->record_parts(
      1, "1311234567", crypto::sha256(as_bytes("absurd")), "x.ndjson",
      [&]() -> Result<const FileOutcome*> { return given++ < 2 ? &part : nullptr; }, summary);
  ASSERT_TRUE(recorded) << recorded.error().describe(Lang::en);
  auto row = db_->query_one("SELECT record_type FROM ingest_files");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0), "X 99999999999999999999999, Y 2");  // kept as a name
}

// Review finding: a large file that could not be read when its turn came (removed after the
// walk found it) failed the whole run; like a small one, it is quarantined and the run goes on.
TEST_F(BatchStoreTest, ALargeFileGoneBeforeItsTurnIsQuarantined) {
  const fs::path sample =
      shared("receipt/yokenzan_receiptisan/spec/resource/input/RECEIPTC_GAIRAI_SAMPLE.UKE");
  if (!fs::exists(sample)) GTEST_SKIP() << "no samples";
  const fs::path in = dir_.path() / "claims";
  fs::create_directories(in);
  const std::string bytes = tokumei::testing::read_file(sample);
  tokumei::testing::write_file(in / "a.UKE", bytes);
  tokumei::testing::write_file(in / "b.UKE", std::string(3u << 20, '\n'));  // large
  auto run = ingest_paths(*store_, {in}, "1311234567", [&](const IngestProgress& p) {
    if (p.files_done == 1) fs::remove(in / "b.UKE");  // after a.UKE, before b.UKE
  });
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->files_read, 1u);
  EXPECT_EQ(run->files_quarantined, 1u);
  EXPECT_EQ(run->quarantined_by_reason["not_found"], 1u);
}

}  // namespace
}  // namespace tokumei::ingest
