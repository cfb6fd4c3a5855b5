// Corrections of source records (QUALITY-10): a new version, entered by one person and in effect
// only once another confirms it; the original stays readable.

#include "tokumei/ingest/corrections.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "support/test_support.h"
#include "tokumei/ingest/ingest.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::ingest {
namespace {

using namespace std::chrono_literals;

TEST(Corrections, ANewVersionInEffectOnceAnotherPersonConfirmsIt) {
  tokumei::testing::TempDir dir;
  FakeClock clock(from_unix_ms(1'775'001'600'000));
  SeededRandom random(12);
  auto opened = store::SqliteDatabase::open(dir / "core.db", {.create = true});
  ASSERT_TRUE(opened);
  auto& db = **opened;
  for (const auto& m :
       {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
        identity::IdentityVault::schema(), BatchStore::schema(), Corrections::schema()}) {
    ASSERT_TRUE(store::migrate(db, m, clock));
  }
  store::DatabaseKeyRingStorage storage(db);
  auto keys = crypto::KeyRing::create(
      storage,
      crypto::PassphraseSource{"corrections passphrase", crypto::Argon2Params::for_tests()}, clock,
      random);
  ASSERT_TRUE(keys);
  audit::AuditLog audit(db, clock);
  BatchStore batches(db, *keys, clock, random);
  tokumei::testing::write_file(
      dir / "in/result.json",
      R"({"resourceType":"Bundle","type":"collection","entry":[)"
      R"({"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1",)"
      R"("identifier":[{"system":"urn:oid:1.2.392.100495.20.3.51.11311234567","value":"77"}],)"
      R"("birthDate":"1970-01-01"}},)"
      R"({"resource":{"resourceType":"Observation","id":"o1","status":"final",)"
      R"("subject":{"reference":"urn:uuid:p1"},"code":{"coding":[{"system":)"
      R"("urn:oid:1.2.392.200119.4.504","code":"3D010000001926101"}]},)"
      R"("effectiveDateTime":"2024-05-01","valueQuantity":{"value":99,"unit":"mg/dL"}}}]})");
  ASSERT_TRUE(ingest_paths(batches, {dir / "in"}, "1311234567"));
  auto row = db.query_one("SELECT id FROM ingest_events WHERE type = 'lab_result'");
  ASSERT_TRUE(row);
  const std::int64_t event = row->integer(0);

  Corrections corrections(db, batches.vault(), audit, clock);
  EXPECT_EQ(corrections.enter({"sato", "t"}, event, {.value = "100"}, "").error().code(),
            Errc::invalid_argument);  // a reason is required
  clock.set(clock.now() + 1h);
  auto id = corrections.enter({"sato", "t"}, event, {.value = "100", .unit = "mg/dL"},
                              "転記の誤り (検査システムで確認)");
  ASSERT_TRUE(id) << id.error().describe(Lang::en);

  // Not in effect until confirmed, and not by the one who entered it.
  auto before = corrections.effective(event);
  ASSERT_TRUE(before);
  EXPECT_EQ(std::get<model::LabResult>(before->event).value, "99");
  auto self = corrections.confirm({"sato", "t"}, *id);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code(), Errc::policy_violation);
  clock.set(clock.now() + 1h);
  ASSERT_TRUE(corrections.confirm({"ito", "t"}, *id));
  EXPECT_EQ(corrections.confirm({"kato", "t"}, *id).error().code(), Errc::already_exists);

  auto after = corrections.effective(event);
  ASSERT_TRUE(after);
  EXPECT_EQ(std::get<model::LabResult>(after->event).value, "100");
  EXPECT_EQ(std::get<model::LabResult>(after->event).numeric, 100.0);
  auto history = corrections.history(event);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(std::get<model::LabResult>((*history)[0].event).value, "99");  // the original stays
  EXPECT_EQ((*history)[1].entered_by, "sato");
  EXPECT_EQ((*history)[1].confirmed_by, "ito");
  EXPECT_EQ((*history)[1].confirmed_at, (*history)[1].entered_at + 1h);
  // The source row itself is untouched.
  auto clear = db.query_one("SELECT value FROM ingest_events WHERE id = ?", {event});
  ASSERT_TRUE(clear);
  EXPECT_EQ(clear->text(0), "99");
  EXPECT_FALSE(db.execute("DELETE FROM ingest_corrections"));
}

}  // namespace
}  // namespace tokumei::ingest
