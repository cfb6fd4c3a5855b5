// The consultation center's tickets: each state timed and signed, notes sealed, answers due within
// the answer time, and the periodic report.

#include "tokumei/consent/inquiries.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "support/test_support.h"
#include "tokumei/identity/vault.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::consent {
namespace {

using namespace std::chrono_literals;

class InquiriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::SqliteDatabase::open(dir_ / "core.db", {.create = true});
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    for (const auto& m : {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
                          InquiryStore::schema()}) {
      ASSERT_TRUE(store::migrate(*db_, m, clock_));
    }
    storage_ = std::make_unique<store::DatabaseKeyRingStorage>(*db_);
    auto ring = crypto::KeyRing::create(
        *storage_,
        crypto::PassphraseSource{"inquiries test passphrase", crypto::Argon2Params::for_tests()},
        clock_, random_);
    ASSERT_TRUE(ring);
    keys_.emplace(std::move(*ring));
    audit_.emplace(*db_, clock_);
    store_.emplace(*db_, *keys_, *audit_, clock_, std::chrono::days(14));
  }

  tokumei::testing::TempDir dir_;
  FakeClock clock_{from_unix_ms(1'775'001'600'000)};  // 2026-04-01
  SeededRandom random_{8};
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::DatabaseKeyRingStorage> storage_;
  std::optional<crypto::KeyRing> keys_;
  std::optional<audit::AuditLog> audit_;
  std::optional<InquiryStore> store_;
  const audit::Actor desk_{"kato", "desk-1"};
};

TEST_F(InquiriesTest, EachStepIsTimedAndAnswersAreDueWithinTheAnswerTime) {
  const TimePoint start = clock_.now();
  auto first = store_->receive(desk_, "patient", "phone", "opt_out_request",
                               "山田花子さんから、データ提供の停止を希望する電話");
  ASSERT_TRUE(first) << first.error().describe(Lang::en);
  clock_.set(start + 24h);
  auto second = store_->receive(desk_, "institution", "email", "inquiry", "通知書面の改訂について");
  ASSERT_TRUE(second);
  EXPECT_EQ(store_->receive(desk_, "press", "phone", "inquiry", "x").error().where().field, "from");

  clock_.set(start + 48h);
  ASSERT_TRUE(store_->step(desk_, *first, "routed", "個人情報保護管理者へ"));
  // Closing before an answer is refused.
  EXPECT_FALSE(store_->step(desk_, *first, "closed", "終了"));
  clock_.set(start + 72h);
  ASSERT_TRUE(store_->step(desk_, *first, "answered", "停止の手続きを案内"));
  clock_.set(start + 96h);
  ASSERT_TRUE(store_->step(desk_, *first, "closed", "停止を登録済み"));
  EXPECT_FALSE(store_->step(desk_, *first, "answered", "再回答"));  // closed: no more steps

  // Twenty days on, the second has not been answered: overdue.
  clock_.set(start + 20 * 24h);
  auto all = store_->list(desk_, false);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  const Inquiry& a = (*all)[0];
  EXPECT_EQ(a.state, "closed");
  ASSERT_EQ(a.steps.size(), 4u);
  EXPECT_EQ(a.steps[0].at, start);
  EXPECT_EQ(a.steps[2].at, start + 72h);
  EXPECT_EQ(a.steps[2].by, "kato");
  EXPECT_EQ(a.steps[0].note, "山田花子さんから、データ提供の停止を希望する電話");
  EXPECT_FALSE(a.overdue);
  EXPECT_TRUE((*all)[1].overdue);
  EXPECT_EQ(store_->list(desk_, true)->size(), 1u);

  // Notes are sealed: the name is nowhere in clear.
  auto rows =
      db_->query("SELECT COUNT(*) FROM consent_inquiry_steps WHERE CAST(note AS TEXT) LIKE ?",
                 {std::string("%山田%")});
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)[0].integer(0), 0);

  // The report for the first week: two received, one answered and closed, one open (not yet
  // overdue on its last day), without the notes.
  auto week = store_->report(desk_, start, start + 7 * 24h);
  ASSERT_TRUE(week);
  EXPECT_EQ(week->received, 2u);
  EXPECT_EQ(week->answered, 1u);
  EXPECT_EQ(week->closed, 1u);
  EXPECT_EQ(week->open, 1u);
  EXPECT_EQ(week->overdue, 0u);
  ASSERT_EQ(week->closed_items.size(), 1u);
  EXPECT_TRUE(week->closed_items[0].steps[0].note.empty());
  // The report for the third week finds the open one overdue.
  auto third = store_->report(desk_, start + 14 * 24h, start + 21 * 24h);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->received, 0u);
  EXPECT_EQ(third->open, 1u);
  EXPECT_EQ(third->overdue, 1u);
  EXPECT_TRUE(third->closed_items.empty());
}

}  // namespace
}  // namespace tokumei::consent
