#include "tokumei/audit/group_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "support/test_support.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::audit {
namespace {

TEST(GroupWriterTest, EntriesFromManyThreadsLandOnceEachInOneVerifiableLog) {
  tokumei::testing::TempDir dir;
  auto db = store::SqliteDatabase::open(dir.path() / "a.db", {.create = true});
  ASSERT_TRUE(db.has_value());
  FakeClock clock(from_unix_ms(1'775'001'600'000));
  ASSERT_TRUE(store::migrate(**db, AuditLog::schema(), clock).has_value());
  AuditLog log(**db, clock);
  std::vector<std::future<Result<std::int64_t>>> futures[4];
  {
    GroupWriter writer(log, 64);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 250; ++i) {
          Entry e{{"user" + std::to_string(t), "term-01"}, "data.read", "x", Outcome::success,
                  i == 100 && t == 2 ? "not json" : "{}",  {}};
          futures[t].push_back(writer.submit(std::move(e)));
        }
      });
    }
    for (auto& th : threads) th.join();
  }  // the writer drains its queue before it stops
  std::set<std::int64_t> seqs;
  int refused = 0;
  for (auto& per_thread : futures) {
    for (auto& f : per_thread) {
      auto r = f.get();
      if (r) {
        seqs.insert(*r);
      } else {
        EXPECT_EQ(r.error().code(), Errc::invalid_argument);
        ++refused;
      }
    }
  }
  EXPECT_EQ(refused, 1);  // the malformed entry fails alone; its batch is written
  ASSERT_EQ(seqs.size(), 999u);
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), 999);
  auto report = log.verify();
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok()) << report->problem.in(Lang::en);
  EXPECT_EQ(report->entries, 999);
}

}  // namespace
}  // namespace tokumei::audit
