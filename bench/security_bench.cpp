// How long a failed login takes, for an ID that exists and for one that does not (no user
// enumeration, AUTHN-07): both should cost one Argon2id computation at the deployment's default
// parameters (64 MiB, 3 passes), so their medians should be close.

#include <benchmark/benchmark.h>

#include <memory>
#include <optional>

#include "tokumei/security/sessions.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace {

using namespace tokumei;

struct LoginBench {
  SystemClock clock;
  SystemRandom random;
  std::unique_ptr<store::SqliteDatabase> db;
  std::unique_ptr<store::DatabaseKeyRingStorage> storage;
  std::optional<crypto::KeyRing> keys;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<security::AccountStore> accounts;
  std::unique_ptr<security::Sessions> sessions;

  LoginBench() {
    db = std::move(*store::SqliteDatabase::open(":memory:", {.create = true}));
    for (const auto& m : {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
                          security::AccountStore::schema(), security::Sessions::schema()}) {
      (void)store::migrate(*db, m, clock);
    }
    storage = std::make_unique<store::DatabaseKeyRingStorage>(*db);
    keys.emplace(std::move(*crypto::KeyRing::create(
        *storage, crypto::PassphraseSource{"bench pass", crypto::Argon2Params::for_tests()}, clock,
        random)));
    audit = std::make_unique<audit::AuditLog>(*db, clock);
    security::PasswordPolicy policy;  // the deployment's default Argon2id parameters
    policy.lockout_threshold = 1'000'000'000;
    accounts = std::make_unique<security::AccountStore>(*db, *keys, *audit, clock, random, policy);
    sessions = std::make_unique<security::Sessions>(*db, *accounts, *audit, clock, random,
                                                    security::SessionPolicy{}, policy);
    const audit::Actor officer{"sec.officer", "t1"};
    (void)sessions->register_terminal(officer, "t1", "bench");
    auto otp = accounts->create(officer, {"sato.k", "佐藤", security::Role::processing_staff});
    (void)accounts->change_password("t1", "sato.k", otp->password, "Hinoki#2024x");
  }
};

void BM_LoginWrongPasswordKnownUser(benchmark::State& state) {
  LoginBench b;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.sessions->login("t1", "sato.k", "Wrong#pass1", "000000"));
  }
}
BENCHMARK(BM_LoginWrongPasswordKnownUser)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LoginUnknownUser(benchmark::State& state) {
  LoginBench b;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.sessions->login("t1", "nobody.x", "Wrong#pass1", "000000"));
  }
}
BENCHMARK(BM_LoginUnknownUser)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
