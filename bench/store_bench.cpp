// How fast the foundation records things: audit entries (each in its own transaction, as a
// failed login is) and key-ring encryption of a typical vault field and a clinical payload.

#include <benchmark/benchmark.h>

#include <filesystem>

#include "tokumei/audit/audit_log.h"
#include "tokumei/crypto/key_ring.h"
#include "tokumei/store/sqlite_database.h"

namespace {

using namespace tokumei;

void BM_AuditRecordOwnTransaction(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / "tokumei-bench-audit";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SystemClock clock;
  auto db = std::move(*store::SqliteDatabase::open(dir / "audit.db", {.create = true}));
  (void)store::migrate(*db, audit::AuditLog::schema(), clock);
  audit::AuditLog log(*db, clock);
  audit::Entry e{{"tanaka", "term-01"},
                 "auth.password",
                 "user:tanaka",
                 audit::Outcome::failure,
                 R"({"reason":"wrong_password"})",
                 {}};
  for (auto _ : state) benchmark::DoNotOptimize(log.record(e));
  state.SetItemsProcessed(state.iterations());
  db.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AuditRecordOwnTransaction)->Unit(benchmark::kMicrosecond);

void BM_AuditAppendBatchOf1000(benchmark::State& state) {
  SystemClock clock;
  auto db = std::move(*store::SqliteDatabase::open(":memory:", {.create = true}));
  (void)store::migrate(*db, audit::AuditLog::schema(), clock);
  audit::AuditLog log(*db, clock);
  audit::Entry e{{"system:ingest", "core"}, "record.read", "batch:01",
                 audit::Outcome::success,   "{}",          {"3f2a9c", "77b1e0"}};
  for (auto _ : state) {
    auto tx = db->begin();
    for (int i = 0; i < 1000; ++i) benchmark::DoNotOptimize(log.append(*tx, e));
    (void)tx->commit();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_AuditAppendBatchOf1000)->Unit(benchmark::kMillisecond);

void BM_KeyRingSealOpen(benchmark::State& state) {
  SystemClock clock;
  SystemRandom random;
  crypto::MemoryKeyRingStorage storage;
  auto ring = crypto::KeyRing::create(
      storage, crypto::PassphraseSource{"bench", crypto::Argon2Params::for_tests()}, clock, random);
  Bytes plaintext(static_cast<std::size_t>(state.range(0)), 0x5a);
  for (auto _ : state) {
    auto sealed = ring->seal("vault", as_bytes("person-key"), plaintext);
    benchmark::DoNotOptimize(ring->open("vault", as_bytes("person-key"), *sealed));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KeyRingSealOpen)->Arg(32)->Arg(4096);

}  // namespace
