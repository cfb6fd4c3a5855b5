// Building and packaging a dataset (PROVISION, ANON; issue target): a k = 5 anonymized dataset of
// 100,000 persons and about 10,000,000 events, built from acquired data and packaged for its
// recipient, in under 60 s.
//
// The store is seeded once (not timed) with synthetic persons through the same tables ingestion
// and acquisition fill: five prefectures, ages 20 to 90, and codes with a long tail (about a
// third of diagnoses from some 3,000 ICD-10-like codes, a third of prescriptions from some 800
// drug codes, a quarter of lab results from some 300 tests), so that rare codes and k^m do real
// work. The first repetition also makes the signing key and the build keys. Each iteration runs
// Builds::build (selection, k-anonymity, rare codes, k^m, pseudonyms, date shifts, sealed outputs)
// and Packages::create (the release gate, the identifier scan, tar, CMS signing and AES-256-GCM
// encryption to the recipient).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "support/release_seed.h"
#include "tokumei/crypto/x509.h"
#include "tokumei/identity/linkage_store.h"
#include "tokumei/identity/vault.h"
#include "tokumei/ingest/batch.h"
#include "tokumei/release/build.h"
#include "tokumei/release/committee.h"
#include "tokumei/release/contracts.h"
#include "tokumei/release/package.h"
#include "tokumei/release/schema.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace {

using namespace tokumei;

struct Store {
  std::filesystem::path dir;
  SystemClock clock;
  SeededRandom random{5};
  std::unique_ptr<store::SqliteDatabase> db;
  std::unique_ptr<store::DatabaseKeyRingStorage> storage;
  std::optional<crypto::KeyRing> keys;
  std::optional<audit::AuditLog> audit;
  std::int64_t request = 0;
  std::size_t events = 0;

  release::Context ctx() { return {*db, *keys, *audit, clock}; }

  ~Store() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

void must(const Status& s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "%s: %s\n", what, s.error().describe(Lang::en).c_str());
    std::abort();
  }
}

// The seeded store, made on first use: `persons` synthetic persons with ~`events` events each,
// an approved request, an active contract and a registered recipient.
Store& seeded(std::size_t persons, int events) {
  static std::map<std::pair<std::size_t, int>, std::unique_ptr<Store>> stores;
  auto& slot = stores[{persons, events}];
  if (slot) return *slot;
  slot = std::make_unique<Store>();
  Store& s = *slot;
  s.dir = std::filesystem::temp_directory_path() /
          ("tokumei-bench-release-" + std::to_string(::getpid()) + "-" + std::to_string(persons));
  std::filesystem::remove_all(s.dir);
  std::filesystem::create_directories(s.dir);
  auto db = store::SqliteDatabase::open(s.dir / "core.db", {.create = true});
  must(db ? Status{} : Status(std::unexpected(db.error())), "open");
  s.db = std::move(*db);
  for (const auto& m : {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
                        identity::IdentityVault::schema(), identity::LinkageStore::schema(),
                        ingest::BatchStore::schema(), release::schema()}) {
    auto applied = store::migrate(*s.db, m, s.clock);
    must(applied ? Status{} : Status(std::unexpected(applied.error())), "migrate");
  }
  s.storage = std::make_unique<store::DatabaseKeyRingStorage>(*s.db);
  auto ring = crypto::KeyRing::create(
      *s.storage,
      crypto::PassphraseSource{"bench passphrase 1234", crypto::Argon2Params::for_tests()}, s.clock,
      s.random);
  must(ring ? Status{} : Status(std::unexpected(ring.error())), "key ring");
  s.keys.emplace(std::move(*ring));
  s.audit.emplace(*s.db, s.clock);
  must(s.db->set_commit_waits_for_disk(false), "bulk");
  std::size_t i = 0;
  auto keys = testing::seed_batch(*s.db, *s.keys, s.clock, s.random, "1310000001",
                                  [&](testing::SeedPerson& p) {
                                    if (i == persons) return false;
                                    testing::synthetic_person(i++, events, 42, p);
                                    s.events += p.events.size();
                                    return true;
                                  });
  must(keys ? Status{} : Status(std::unexpected(keys.error())), "seed");
  must(s.db->set_commit_waits_for_disk(true), "durable");

  const audit::Actor by{"bench", "local"};
  release::Committee committee(s.ctx());
  must(committee.add_rules(by, {"1", "2025-04-01", std::string(64, 'a'), {}, 0}), "rules");
  auto roster = committee.save_roster(
      by, "2025-04-01",
      {{"山田", "yamada", "male", {"natural_science"}, false, "2025-04-01", "2035-03-31", false},
       {"佐藤", "", "female", {"humanities"}, true, "2025-04-01", "2035-03-31", false},
       {"鈴木", "", "male", {"general"}, true, "2025-04-01", "2035-03-31", false},
       {"高橋", "", "female", {"natural_science"}, false, "2025-04-01", "2035-03-31", false},
       {"田中", "", "male", {"general"}, false, "2025-04-01", "2035-03-31", false}});
  must(roster ? Status{} : Status(std::unexpected(roster.error())), "roster");
  auto cert = crypto::self_signed_certificate("univ", "大学", 3650, s.clock);
  release::Registry registry(s.ctx());
  must(registry.put_recipient(by,
                              {.id = "univ", .name = "大学", .certificate = cert->certificate_pem}),
       "recipient");
  release::Request q{
      .recipient = "univ",
      .application_type = "new",
      .title = "t",
      .purpose = "p",
      .research_content = "r",
      .publication_plan = "p",
      .benefits = "b",
      .data_requested = "d",
      .safety_measures = "s",
      .spec = {.kind = release::DatasetKind::anonymized,
               .period_from = "2020-01-01",
               .period_to = "2024-12-31",
               .fields = {"age", "diagnosis", "lab", "medication", "prefecture", "sex"}}};
  auto submitted = committee.submit(by, q);
  must(submitted ? Status{} : Status(std::unexpected(submitted.error())), "request");
  s.request = submitted->id;
  auto meeting = committee.record_meeting(by, {.held_on = japanese_day(s.clock.now()),
                                               .attendees = {"山田", "佐藤", "鈴木"},
                                               .summary = "s"});
  must(meeting ? Status{} : Status(std::unexpected(meeting.error())), "meeting");
  std::array<std::optional<release::Judgment>, 4> ok{};
  for (auto& j : ok) j = release::Judgment{true, ""};
  auto decided = committee.decide({"yamada", "local"}, {.request_id = s.request,
                                                        .meeting_id = meeting->id,
                                                        .outcome = release::Outcome::approved,
                                                        .judgments = ok,
                                                        .valid_until = "2035-03-31",
                                                        .summary = "s"});
  must(decided ? Status{} : Status(std::unexpected(decided.error())), "decide");
  release::Contracts contracts(s.ctx());
  auto c = contracts.create(by, {.kind = release::ContractKind::outbound,
                                 .party = "univ",
                                 .request_id = s.request,
                                 .title = "c",
                                 .signed_on = "2025-04-01",
                                 .valid_until = "2035-03-31",
                                 .document_sha256 = std::string(64, 'c')});
  must(c ? Status{} : Status(std::unexpected(c.error())), "contract");
  for (const auto& clause : release::clauses(release::ContractKind::outbound)) {
    must(contracts.tick(by, c->id, clause.id, "1"), "tick");
  }
  must(contracts.activate(by, c->id), "activate");
  return s;
}

void BM_BuildAndPackageAnonymized(benchmark::State& state) {
  const auto persons = static_cast<std::size_t>(state.range(0));
  const int events = static_cast<int>(state.range(1));
  Store& s = seeded(persons, events);
  std::size_t released = 0, released_events = 0;
  for (auto _ : state) {
    release::Builds builds(s.ctx(), s.random, s.dir / "builds");
    release::Packages packages(s.ctx(), s.random, builds, s.dir / "packages");
    auto built = builds.build({"bench", "local"}, s.request, {.k = 5, .m = 2});
    must(built ? Status{} : Status(std::unexpected(built.error())), "build");
    auto pkg = packages.create({"bench2", "local"}, built->id);
    must(pkg ? Status{} : Status(std::unexpected(pkg.error())), "package");
    released = built->persons;
    released_events = built->events;
    state.PauseTiming();
    std::filesystem::remove_all(s.dir / "builds");
    std::filesystem::remove_all(s.dir / "packages");
    state.ResumeTiming();
  }
  state.counters["persons_in"] = static_cast<double>(persons);
  state.counters["events_in"] = static_cast<double>(s.events);
  state.counters["persons_out"] = static_cast<double>(released);
  state.counters["events_out"] = static_cast<double>(released_events);
}
BENCHMARK(BM_BuildAndPackageAnonymized)
    ->Args({10000, 100})
    ->Args({100000, 100})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
