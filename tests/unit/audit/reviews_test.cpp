#include "tokumei/audit/reviews.h"

#include <gtest/gtest.h>

#include "tokumei/store/sqlite_database.h"

namespace tokumei::audit {
namespace {

using namespace std::chrono_literals;

TEST(ReviewsTest, NobodyReviewsTheLogOfTheirOwnActions) {  // AUDIT-06, AUDIT-08
  auto db = std::move(*store::SqliteDatabase::open(":memory:", {.create = true}));
  FakeClock clock(std::chrono::sys_days{std::chrono::year{2026} / 4 / 1});
  ASSERT_TRUE(store::migrate(*db, AuditLog::schema(), clock).has_value());
  ASSERT_TRUE(store::migrate(*db, Reviews::schema(), clock).has_value());
  AuditLog log(*db, clock);
  Reviews reviews(*db, log, clock);
  TimePoint from = clock.now();
  ASSERT_TRUE(log.record({{"sato.k", "t1"}, "link.run", "run:1", Outcome::success, "{}", {}}));
  ASSERT_TRUE(
      log.record({{"system:monitor", "core"}, "monitor.cycle", "x", Outcome::success, "{}", {}}));
  clock.advance(1h);
  ASSERT_TRUE(log.read_as({"kato.a", "t2"}, 1, 10).has_value());  // reading is logged
  clock.advance(1h);
  TimePoint to = clock.now();
  EXPECT_FALSE(reviews.sign_off({"kato.a", "t2"}, from, to, "").has_value());
  EXPECT_FALSE(reviews.sign_off({"kato.a", "t2"}, from, to + 1h, "future").has_value());

  auto first = reviews.sign_off({"kato.a", "t2"}, from, to, "異常なし");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->covered, std::vector<std::string>{"sato.k"});  // not kato.a's own reading
  EXPECT_EQ(*reviews.unreviewed(from, to), std::vector<std::string>{"kato.a"});
  auto second = reviews.sign_off({"mori.b", "t3"}, from, to, "閲覧は業務上の確認");
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(reviews.unreviewed(from, to)->empty());

  EXPECT_FALSE(*reviews.overdue());
  clock.advance(std::chrono::days(32));
  EXPECT_TRUE(*reviews.overdue());
}

}  // namespace
}  // namespace tokumei::audit

namespace tokumei::audit {
namespace {

// Found in review: reviewing only the newest days hid the months before them.
TEST(ReviewsTest, AGapBeforeTheNewestReviewIsStillOverdue) {
  auto db = std::move(*store::SqliteDatabase::open(":memory:", {.create = true}));
  FakeClock clock(std::chrono::sys_days{std::chrono::year{2026} / 4 / 1});
  ASSERT_TRUE(store::migrate(*db, AuditLog::schema(), clock).has_value());
  ASSERT_TRUE(store::migrate(*db, Reviews::schema(), clock).has_value());
  AuditLog log(*db, clock);
  Reviews reviews(*db, log, clock);
  TimePoint start = clock.now();
  ASSERT_TRUE(log.record({{"sato.k", "t1"}, "link.run", "run:1", Outcome::success, "{}", {}}));
  clock.advance(std::chrono::days(90));
  ASSERT_TRUE(log.record({{"sato.k", "t1"}, "link.run", "run:2", Outcome::success, "{}", {}}));
  clock.advance(std::chrono::hours(1));
  // Only the last day is reviewed; the three months before it are not.
  ASSERT_TRUE(reviews.sign_off({"kato.a", "t2"}, clock.now() - std::chrono::days(1), clock.now(),
                               "異常なし"));
  EXPECT_TRUE(*reviews.overdue());
  auto since = reviews.unreviewed_since();
  ASSERT_TRUE(since.has_value());
  ASSERT_TRUE(since->has_value());
  EXPECT_EQ(**since, start);
  // Covering the rest closes the gap.
  ASSERT_TRUE(
      reviews.sign_off({"kato.a", "t2"}, start, clock.now() - std::chrono::days(1), "異常なし"));
  EXPECT_FALSE(*reviews.overdue());
}

}  // namespace
}  // namespace tokumei::audit
