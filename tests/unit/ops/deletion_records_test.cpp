#include "tokumei/ops/deletion_records.h"

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::ops {
namespace {

TEST(DeletionRecords, AreWrittenWithTheDeletionAndNeverChanged) {
  tokumei::testing::TempDir dir;
  FakeClock clock(from_unix_ms(1'775'001'600'000));
  auto db = store::SqliteDatabase::open(dir / "t.db", {.create = true});
  ASSERT_TRUE(db);
  ASSERT_TRUE(store::migrate(**db, DeletionRecords::schema(), clock));
  DeletionRecords records(**db, clock);
  {
    auto tx = (*db)->begin();
    ASSERT_TRUE(tx);
    auto id = records.add(*tx, {.object = "batch:3 events",
                                .count = 12,
                                .reason = "quality.excluded",
                                .method = "row delete",
                                .executor = "sato",
                                .approver = "ito"});
    ASSERT_TRUE(id) << id.error().describe(Lang::en);
    ASSERT_TRUE(tx->commit());
  }
  {  // A deletion rolled back takes its record with it.
    auto tx = (*db)->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(records.add(*tx, {.object = "batch:4 events", .count = 1}));
    ASSERT_TRUE(tx->rollback());
  }
  auto all = records.list("batch:");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].record.count, 12);
  EXPECT_EQ((*all)[0].record.approver, "ito");
  EXPECT_EQ((*all)[0].at, clock.now());
  EXPECT_TRUE(records.list("person:")->empty());
  EXPECT_FALSE((*db)->execute("UPDATE deletion_records SET count = 0"));
  EXPECT_FALSE((*db)->execute("DELETE FROM deletion_records"));
}

}  // namespace
}  // namespace tokumei::ops
