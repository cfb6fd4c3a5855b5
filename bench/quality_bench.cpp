// Quality checks over a batch of 10 million events (500 000 patients × 20 lab results, every
// patient notified), every rule run. Target: under 30 s. The store is filled directly (identities
// through the vault, events as rows), once; a few events are dated before birth so that findings
// are made and located (decrypted).

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "tokumei/audit/audit_log.h"
#include "tokumei/ingest/batch.h"
#include "tokumei/ops/deletion_records.h"
#include "tokumei/quality/checker.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace {

using namespace tokumei;
namespace fs = std::filesystem;

constexpr std::int64_t kPersons = 500'000;
constexpr int kEventsPerPerson = 20;
const std::string kInstitution = "1310000001";

struct World {
  fs::path dir = fs::temp_directory_path() / "tokumei-bench-quality";
  SystemClock clock;
  SeededRandom random{5};
  std::unique_ptr<store::SqliteDatabase> db;
  std::unique_ptr<store::DatabaseKeyRingStorage> storage;
  std::optional<crypto::KeyRing> keys;
  std::optional<audit::AuditLog> audit;
  std::optional<security::AccountStore> accounts;
  std::optional<identity::IdentityVault> vault;
  std::optional<consent::ConsentStore> consent;
  std::optional<quality::QualityStore> quality;
  std::int64_t batch = 0;
  std::string error;

  bool build() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto opened = store::SqliteDatabase::open(dir / "core.db", {.create = true});
    if (!opened) return fail(opened.error());
    db = std::move(*opened);
    for (const auto& m : {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
                          security::AccountStore::schema(), identity::IdentityVault::schema(),
                          ingest::BatchStore::schema(), ops::DeletionRecords::schema(),
                          consent::ConsentStore::schema(), quality::QualityStore::schema()}) {
      if (auto s = store::migrate(*db, m, clock); !s) return fail(s.error());
    }
    storage = std::make_unique<store::DatabaseKeyRingStorage>(*db);
    auto ring = crypto::KeyRing::create(
        *storage,
        crypto::PassphraseSource{"bench passphrase quality", crypto::Argon2Params::for_tests()},
        clock, random);
    if (!ring) return fail(ring.error());
    keys.emplace(std::move(*ring));
    audit.emplace(*db, clock);
    accounts.emplace(*db, *keys, *audit, clock, random, security::PasswordPolicy{});
    vault.emplace(*db, *keys, clock, random);
    consent.emplace(*db, *keys, *vault, *audit, clock);
    quality.emplace(*db, *keys, *vault, *accounts, *consent, *audit, clock);
    if (auto s = vault->prepare(); !s) return fail(s.error());
    if (auto s = keys->ensure_key(ingest::clinical_key(kInstitution)); !s) return fail(s.error());
    if (auto s = db->execute("INSERT INTO ingest_batches (institution, state, created_ms, "
                             "finished_ms) VALUES (?, 'pending', 0, 0)",
                             {kInstitution});
        !s) {
      return fail(s.error());
    }
    batch = 1;
    if (auto s = db->execute("INSERT INTO ingest_files (batch_id, institution, content_hash, "
                             "outcome, record_type, path_sealed, events, created_ms) VALUES "
                             "(1, ?, x'00', 'read', 'FHIR', x'00', 0, 0)",
                             {kInstitution});
        !s) {
      return fail(s.error());
    }
    std::string record;
    for (std::int64_t p = 0; p < kPersons; p += 10'000) {
      auto tx = db->begin();
      if (!tx) return fail(tx.error());
      for (std::int64_t i = p; i < p + 10'000; ++i) {
        model::PersonIdentity id{.institution = kInstitution,
                                 .patient_id = fmt::format("{:08}", i),
                                 .name_kanji = "山田　太郎",
                                 .name_kana = "ヤマダ　タロウ",
                                 .birth_date = fmt::format("{}-03-01", 1940 + i % 60),
                                 .sex = i % 2 ? model::Sex::male : model::Sex::female};
        auto key = vault->admit(id, batch);
        if (!key) return fail(key.error());
        // Everyone notified (the list gives no day).
        if (auto s = consent->record_notification({"system:bench", "bench"}, kInstitution,
                                                  id.patient_id, {.notified_on = ""});
            !s) {
          return fail(s.error());
        }
        for (int e = 0; e < kEventsPerPerson; ++e) {
          // One patient in 10 000 has a result dated before birth, properly sealed.
          const bool early = i % 10'000 == 7 && e == 0;
          const std::string date =
              early ? "1930-01-01T09:00"
                    : fmt::format("2024-{:02}-{:02}T09:00", 1 + e % 12, 1 + (i + e) % 28);
          Bytes sealed{0};
          if (early) {
            model::LabResult lab{.patient_id = "",
                                 .test = {.system = "JLAC10", .code = "3D010000001926101"},
                                 .value = "100",
                                 .observed = date,
                                 .source = {.file = "bench", .line = 1}};
            ingest::encode_event(lab, record);
            auto s = vault->seal_for(*key, as_bytes(record));
            if (!s) return fail(s.error());
            sealed = std::move(*s);
          }
          auto s = db->execute(
              "INSERT INTO ingest_events (batch_id, file_id, person_key, type, code_system, "
              "code, date, value, unit, withdrawn, sealed) VALUES (1, 1, ?, 'lab_result', "
              "'JLAC10', '3D010000001926101', ?, ?, 'mg/dL', 0, ?)",
              {*key, date, std::to_string(70 + e), sealed});
          if (!s) return fail(s.error());
        }
      }
      if (auto s = tx->commit(); !s) return fail(s.error());
    }
    return true;
  }
  bool fail(const Error& e) {
    error = e.describe(Lang::en);
    return false;
  }
  ~World() {
    quality.reset();
    consent.reset();
    vault.reset();
    accounts.reset();
    audit.reset();
    keys.reset();
    storage.reset();
    db.reset();
    fs::remove_all(dir);
  }
};

void BM_QualityCheck10MEvents(benchmark::State& state) {
  static World* world = [] {
    auto* w = new World;
    if (!w->build()) std::fprintf(stderr, "quality bench setup failed: %s\n", w->error.c_str());
    return w;
  }();
  if (!world->error.empty()) {
    state.SkipWithError(world->error.c_str());
    return;
  }
  quality::CheckSummary summary;
  for (auto _ : state) {
    auto checked = world->quality->check({"system:bench", "bench"}, world->batch,
                                         {.extraction_date = "2025-12-31"});
    if (!checked) {
      state.SkipWithError(checked.error().describe(Lang::en).c_str());
      return;
    }
    summary = *checked;
  }
  state.counters["events"] = static_cast<double>(summary.events);
  state.counters["persons"] = static_cast<double>(summary.persons);
  state.counters["rules_with_findings"] = static_cast<double>(summary.by_rule.size());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(summary.events));
}
BENCHMARK(BM_QualityCheck10MEvents)
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->UseRealTime();

}  // namespace
