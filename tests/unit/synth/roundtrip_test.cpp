// Round trip: what `tokumei synth` writes, taken in by ingestion, gives exactly the persons and
// events its ground truth lists — for SS-MIX2, FHIR and claims, with the anomalies injected.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support/test_support.h"
#include "tokumei/ingest/ingest.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"
#include "tokumei/synth/generator.h"

namespace tokumei::synth {
namespace {

namespace fs = std::filesystem;

std::vector<nlohmann::json> read_ndjson(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(SynthRoundTrip, IngestionFindsExactlyThePersonsAndEventsTheGeneratorWrote) {
  tokumei::testing::TempDir dir;
  SynthOptions options{
      .out = dir / "data", .patients = 120, .institutions = 3, .years = 2, .seed = 42};
  auto report = generate(options);
  ASSERT_TRUE(report) << report.error().describe(Lang::en);
  EXPECT_GT(report->anomalies.size(), 3u);

  // The same seed writes the same files.
  auto again =
      generate({.out = dir / "again", .patients = 120, .institutions = 3, .years = 2, .seed = 42});
  ASSERT_TRUE(again);
  EXPECT_EQ(tokumei::testing::read_file(dir / "data/truth/events.ndjson"),
            tokumei::testing::read_file(dir / "again/truth/events.ndjson"));

  FakeClock clock(from_unix_ms(1'775'001'600'000));
  SeededRandom random(3);
  auto db = store::SqliteDatabase::open(dir / "core.db", {.create = true});
  ASSERT_TRUE(db);
  for (const auto& m : {store::DatabaseKeyRingStorage::schema(), identity::IdentityVault::schema(),
                        ingest::BatchStore::schema()}) {
    ASSERT_TRUE(store::migrate(**db, m, clock));
  }
  store::DatabaseKeyRingStorage storage(**db);
  auto keys = crypto::KeyRing::create(
      storage, crypto::PassphraseSource{"round trip passphrase", crypto::Argon2Params::for_tests()},
      clock, random);
  ASSERT_TRUE(keys);
  ingest::BatchStore store(**db, *keys, clock, random);
  for (int i = 1; i <= options.institutions; ++i) {
    auto summary =
        ingest::ingest_paths(store, {options.out / institution_code(i)}, institution_code(i));
    ASSERT_TRUE(summary) << summary.error().describe(Lang::en);
    EXPECT_EQ(summary->files_quarantined, 0u);
    EXPECT_EQ(summary->records_refused, 0u);
    EXPECT_EQ(summary->files_not_read, 1u);  // notifications.csv
  }

  // Persons: the vault's (institution, patient ID) pairs.
  std::map<std::string, std::pair<std::string, std::string>> who;  // person key → pair
  auto persons = (*db)->query("SELECT person_key FROM identity_persons");
  ASSERT_TRUE(persons);
  for (const auto& row : *persons) {
    auto versions = store.vault().versions(row.text(0));
    ASSERT_TRUE(versions && !versions->empty());
    who[row.text(0)] = {versions->front().institution, versions->front().patient_id};
  }
  std::set<std::pair<std::string, std::string>> stored_persons, truth_persons;
  for (const auto& [key, p] : who) stored_persons.insert(p);
  for (const auto& p : read_ndjson(options.out / "truth/persons.ndjson")) {
    truth_persons.insert({p["institution"].get<std::string>(), p["patient_id"].get<std::string>()});
  }
  EXPECT_EQ(stored_persons, truth_persons);
  EXPECT_EQ(truth_persons.size(), report->persons);

  // Events: every clear column, per person.
  std::multiset<std::string> stored_events, truth_events;
  auto events = (*db)->query(
      "SELECT person_key, type, code_system, code, date, value, unit FROM ingest_events");
  ASSERT_TRUE(events);
  for (const auto& row : *events) {
    const auto& [inst, pid] = who[row.text(0)];
    stored_events.insert(inst + "|" + pid + "|" + row.text(1) + "|" + row.text(2) + "|" +
                         row.text(3) + "|" + row.text(4) + "|" + row.text(5) + "|" + row.text(6));
  }
  for (const auto& e : read_ndjson(options.out / "truth/events.ndjson")) {
    truth_events.insert(e["institution"].get<std::string>() + "|" +
                        e["patient_id"].get<std::string>() + "|" + e["type"].get<std::string>() +
                        "|" + e["code_system"].get<std::string>() + "|" +
                        e["code"].get<std::string>() + "|" + e["date"].get<std::string>() + "|" +
                        e["value"].get<std::string>() + "|" + e["unit"].get<std::string>());
  }
  ASSERT_EQ(stored_events.size(), truth_events.size());
  std::vector<std::string> missing, extra;
  std::set_difference(truth_events.begin(), truth_events.end(), stored_events.begin(),
                      stored_events.end(), std::back_inserter(missing));
  std::set_difference(stored_events.begin(), stored_events.end(), truth_events.begin(),
                      truth_events.end(), std::back_inserter(extra));
  EXPECT_THAT(missing, ::testing::IsEmpty());
  EXPECT_THAT(extra, ::testing::IsEmpty());

  // Anomalies that show in the vault: one ID with two names, an address change.
  for (const auto& a : read_ndjson(options.out / "truth/anomalies.ndjson")) {
    if (a["kind"] != "one_id_two_names" && a["kind"] != "address_change") continue;
    auto key =
        store.vault().find(a["institution"].get<std::string>(), a["patient_id"].get<std::string>());
    ASSERT_TRUE(key && key->has_value());
    auto versions = store.vault().versions(**key);
    ASSERT_TRUE(versions);
    std::set<std::string> names, addresses;
    for (const auto& v : *versions) {
      names.insert(v.name_kanji);
      if (!v.address.empty()) addresses.insert(v.address);  // claims carry no address
    }
    if (a["kind"] == "one_id_two_names") {
      EXPECT_EQ(names.size(), 2u) << a.dump();
    } else {
      EXPECT_EQ(addresses.size(), 2u) << a.dump();
    }
  }
}

TEST(Synth, RefusesAFolderThatIsNotEmpty) {
  tokumei::testing::TempDir dir;
  tokumei::testing::write_file(dir / "data/x", "x");
  auto report = generate({.out = dir / "data", .patients = 1});
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code(), Errc::already_exists);
}

}  // namespace
}  // namespace tokumei::synth
