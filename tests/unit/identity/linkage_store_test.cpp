// Linkage kept in the store: runs merge what matches and queue what needs a person; decisions,
// splits and undos are events that are only ever added, respected by later runs, and audited.

#include "tokumei/identity/linkage_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "support/test_support.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::identity {
namespace {

const TimePoint kStart = from_unix_ms(1'775'001'600'000);  // 2026-04-01T00:00:00Z

model::PersonIdentity person(const std::string& institution, const std::string& id,
                             const std::string& kanji, const std::string& kana,
                             const std::string& birth, model::Sex sex, const std::string& postal) {
  model::PersonIdentity p;
  p.institution = institution;
  p.patient_id = id;
  p.name_kanji = kanji;
  p.name_kana = kana;
  p.birth_date = birth;
  p.sex = sex;
  p.postal_code = postal;
  return p;
}

class LinkageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::SqliteDatabase::open(dir_ / "core.db", {.create = true});
    ASSERT_TRUE(db) << db.error().describe(Lang::en);
    db_ = std::move(*db);
    for (const auto& module : {store::DatabaseKeyRingStorage::schema(), audit::AuditLog::schema(),
                               IdentityVault::schema(), LinkageStore::schema()}) {
      auto applied = store::migrate(*db_, module, clock_);
      ASSERT_TRUE(applied) << applied.error().describe(Lang::en);
    }
    key_storage_ = std::make_unique<store::DatabaseKeyRingStorage>(*db_);
    auto ring = crypto::KeyRing::create(
        *key_storage_,
        crypto::PassphraseSource{"test passphrase for linkage", crypto::Argon2Params::for_tests()},
        clock_, random_);
    ASSERT_TRUE(ring) << ring.error().describe(Lang::en);
    keys_.emplace(std::move(*ring));
    audit_.emplace(*db_, clock_);
    vault_.emplace(*db_, *keys_, clock_, random_);
    ASSERT_TRUE(vault_->prepare());
    store_.emplace(*db_, *vault_, *keys_, *audit_, clock_);

    // 花子 at three hospitals (one in half-width kana, one with an old kanji and a mistyped
    // birth date), 一郎 at two, and 次郎, born the same day as 一郎 with his family name and in
    // his postal area (a twin? a person must look).
    hanako_ = {admit("1310000001", "A1", "渡辺　花子", "ワタナベ　ハナコ", "1975-03-01",
                     model::Sex::female, "150-0001"),
               admit("1310000002", "B1", "渡辺　花子", "ﾜﾀﾅﾍﾞ ﾊﾅｺ", "1975-03-01",
                     model::Sex::female, "150-0001"),
               admit("1310000003", "C1", "渡邊　花子", "ワタナベ　ハナコ", "1975-03-07",
                     model::Sex::female, "150-0001")};
    ichiro_ = {admit("1310000001", "A2", "佐藤　一郎", "サトウ　イチロウ", "1960-10-10",
                     model::Sex::male, "980-0001"),
               admit("1310000002", "B2", "佐藤　一郎", "サトウ　イチロー", "1960-10-10",
                     model::Sex::male, "980-0001")};
    jiro_ = admit("1310000003", "C2", "佐藤　次郎", "サトウ　ジロウ", "1960-10-10",
                  model::Sex::male, "980-0002");
  }

  std::string admit(const std::string& institution, const std::string& id, const std::string& kanji,
                    const std::string& kana, const std::string& birth, model::Sex sex,
                    const std::string& postal) {
    auto key = vault_->admit(person(institution, id, kanji, kana, birth, sex, postal), 1);
    EXPECT_TRUE(key) << key.error().describe(Lang::en);
    return key ? *key : "";
  }

  std::string linked(const std::string& person_key) {
    auto k = store_->linked_key(person_key);
    EXPECT_TRUE(k) << k.error().describe(Lang::en);
    return k ? *k : "";
  }

  // The waiting pairs that involve `person_key`.
  std::vector<LinkReview> waiting_with(const std::string& person_key) {
    auto all = store_->waiting();
    EXPECT_TRUE(all) << all.error().describe(Lang::en);
    std::vector<LinkReview> out;
    for (const auto& w : all ? *all : std::vector<LinkReview>{}) {
      if (w.person_a == person_key || w.person_b == person_key) out.push_back(w);
    }
    return out;
  }

  std::int64_t count(const char* sql) {
    auto row = db_->query_one(sql);
    EXPECT_TRUE(row) << row.error().describe(Lang::en);
    return row ? row->integer(0) : -1;
  }

  // A model whose thresholds put 花子's mistyped birth date between them (review), so the queue
  // can be tested without a large population.
  static LinkageModel strict() {
    LinkageModel m = LinkageModel::defaults();
    m.match_threshold = 45;
    m.review_threshold = 14;
    return m;
  }

  tokumei::testing::TempDir dir_;
  FakeClock clock_{kStart};
  SeededRandom random_{11};
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::DatabaseKeyRingStorage> key_storage_;
  std::optional<crypto::KeyRing> keys_;
  std::optional<audit::AuditLog> audit_;
  std::optional<IdentityVault> vault_;
  std::optional<LinkageStore> store_;
  const audit::Actor staff_{"suzuki", "term-01"};
  std::vector<std::string> hanako_, ichiro_;
  std::string jiro_;
};

TEST_F(LinkageStoreTest, ARunMergesMatchesAndQueuesTheRest) {
  auto run = store_->run(staff_, strict());
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_EQ(run->persons, 6u);
  // 花子 A1–B1 and 一郎 match; 花子 C1 (old kanji, birth date one digit off) waits twice.
  EXPECT_EQ(linked(hanako_[1]), linked(hanako_[0]));
  EXPECT_EQ(linked(ichiro_[1]), linked(ichiro_[0]));
  EXPECT_NE(linked(hanako_[2]), linked(hanako_[0]));
  EXPECT_NE(linked(jiro_), linked(ichiro_[0]));
  EXPECT_EQ(run->merges, 2u);
  EXPECT_EQ(run->linked_persons, 2u);
  // 花子 C1 (old kanji, birth date one digit off) waits with both of her other records; 次郎
  // with both of 一郎's.
  auto waiting = store_->waiting();
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->size(), 4u);
  ASSERT_EQ(waiting_with(hanako_[2]).size(), 2u);
  EXPECT_EQ(waiting_with(jiro_).size(), 2u);
  for (const auto& w : waiting_with(hanako_[2])) {
    EXPECT_EQ(w.comparison[Field::birth_date], 1);
    EXPECT_GE(w.score, 14);
  }
  // Both audited: the run (counts only).
  auto entries = audit_->read(1, 100);
  ASSERT_TRUE(entries);
  ASSERT_FALSE(entries->empty());
  EXPECT_EQ(entries->back().entry.action, "identity.link.run");
  EXPECT_NE(entries->back().entry.detail.find("\"merges\":2"), std::string::npos);

  // The same run again changes nothing.
  auto again = store_->run(staff_, strict());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->merges, 0u);
  EXPECT_EQ(again->waiting_for_review, 4u);
}

TEST_F(LinkageStoreTest, ADecisionMergesOrKeepsApartAndLaterRunsRespectIt) {
  ASSERT_TRUE(store_->run(staff_, strict()));
  auto waiting = waiting_with(hanako_[2]);
  ASSERT_EQ(waiting.size(), 2u);
  // Reading the pair to decide is logged, with the persons as references only.
  auto shown = store_->identities(staff_, waiting[0].pair_id);
  ASSERT_TRUE(shown) << shown.error().describe(Lang::en);
  EXPECT_EQ(shown->first.name_kanji.substr(0, 3), "渡");
  auto entries = audit_->read(1, 100);
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->back().entry.action, "identity.link.read");
  ASSERT_EQ(entries->back().entry.subjects.size(), 2u);
  EXPECT_EQ(entries->back().entry.subjects[0].size(), 32u);
  EXPECT_EQ(entries->back().entry.detail.find("渡"), std::string::npos);

  // A reason is required.
  EXPECT_EQ(store_->decide(staff_, waiting[0].pair_id, true, "").error().code(),
            Errc::invalid_argument);
  auto merged = store_->decide(staff_, waiting[0].pair_id, true, "住所と電話で本人確認");
  ASSERT_TRUE(merged) << merged.error().describe(Lang::en);
  EXPECT_GT(*merged, 0);
  EXPECT_EQ(linked(hanako_[2]), linked(hanako_[0]));
  // The other pair is of the same person now: it no longer waits.
  EXPECT_TRUE(waiting_with(hanako_[2]).empty());
  // 次郎 is another person: kept apart, no longer waiting.
  for (const auto& w : waiting_with(jiro_)) {
    auto apart = store_->decide(staff_, w.pair_id, false, "双子の兄弟");
    ASSERT_TRUE(apart) << apart.error().describe(Lang::en);
    EXPECT_EQ(*apart, 0);
  }
  EXPECT_TRUE(waiting_with(jiro_).empty());
  EXPECT_NE(linked(jiro_), linked(ichiro_[0]));

  // 一郎 is split off by a person; the next run does not link him again.
  auto split = store_->split(staff_, ichiro_[1], "別人と確認");
  ASSERT_TRUE(split) << split.error().describe(Lang::en);
  EXPECT_NE(linked(ichiro_[1]), linked(ichiro_[0]));
  auto run = store_->run(staff_, strict());
  ASSERT_TRUE(run);
  EXPECT_EQ(run->kept_apart, 1u);
  EXPECT_NE(linked(ichiro_[1]), linked(ichiro_[0]));
  // Splitting a record that is alone says so.
  EXPECT_EQ(store_->split(staff_, jiro_, "x").error().code(), Errc::invalid_argument);
}

TEST_F(LinkageStoreTest, UndoRestoresWhatAnEventMovedAndRefusesWhenSomethingMovedSince) {
  ASSERT_TRUE(store_->run(staff_, strict()));
  auto events = store_->events(10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);  // the two merges of the run
  std::int64_t hanako_merge = 0;
  for (const auto& e : *events) {
    EXPECT_EQ(e.action, "merge");
    EXPECT_TRUE(e.run_id.has_value());
  }
  // Find 花子's merge: the one that moved B1 (or A1) into the other.
  for (const auto& e : *events) {
    auto moved = db_->query("SELECT person_key FROM link_moves WHERE event_id = ?", {e.id});
    ASSERT_TRUE(moved);
    for (const auto& r : *moved) {
      if (r.text(0) == hanako_[1] || r.text(0) == hanako_[0]) hanako_merge = e.id;
    }
  }
  ASSERT_GT(hanako_merge, 0);

  // A later merge touches the same records: undo refuses, naming it.
  auto waiting = waiting_with(hanako_[2]);
  ASSERT_FALSE(waiting.empty());
  auto later = store_->decide(staff_, waiting[0].pair_id, true, "本人確認済み");
  ASSERT_TRUE(later);
  auto refused = store_->undo(staff_, hanako_merge, "誤り");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::conflict);
  EXPECT_NE(refused.error().message(Lang::en).find(std::to_string(*later)), std::string::npos)
      << refused.error().message(Lang::en);

  // Undo the later one first, then the run's merge: 花子's records are apart again, and the next
  // run keeps them apart (undoing a run's merge says the pair is two persons).
  auto undone = store_->undo(staff_, *later, "誤り");
  ASSERT_TRUE(undone) << undone.error().describe(Lang::en);
  EXPECT_NE(linked(hanako_[2]), linked(hanako_[0]));
  ASSERT_TRUE(store_->undo(staff_, hanako_merge, "誤り"));
  EXPECT_NE(linked(hanako_[1]), linked(hanako_[0]));
  EXPECT_EQ(store_->undo(staff_, hanako_merge, "誤り").error().code(), Errc::already_exists);
  auto run = store_->run(staff_, strict());
  ASSERT_TRUE(run);
  EXPECT_EQ(run->kept_apart, 1u);
  EXPECT_NE(linked(hanako_[1]), linked(hanako_[0]));

  // Nothing was edited: events, moves and verdicts only grew; the tables refuse changes.
  EXPECT_EQ(count("SELECT COUNT(*) FROM link_events WHERE action = 'undo'"), 2);
  EXPECT_FALSE(db_->execute("UPDATE link_events SET reason = 'x'"));
  EXPECT_FALSE(db_->execute("DELETE FROM link_verdicts"));
  EXPECT_FALSE(db_->execute("DELETE FROM link_moves"));
  auto entries = audit_->read(1, 100);
  ASSERT_TRUE(entries);
  int undos = 0;
  for (const auto& e : *entries) undos += e.entry.action == "identity.link.undo";
  EXPECT_EQ(undos, 2);
}

TEST_F(LinkageStoreTest, AMergeNeverGivesAPersonTwoRecordsOfOneInstitution) {
  ASSERT_TRUE(store_->run(staff_, strict()));
  // 次郎 (C2) and 花子 C1 are both of institution 3; 花子 A1–B1 can take one of them only.
  auto waiting = waiting_with(hanako_[2]);
  ASSERT_FALSE(waiting.empty());
  ASSERT_TRUE(store_->decide(staff_, waiting[0].pair_id, true, "確認"));
  auto pair = db_->query_one(
      "INSERT INTO link_pairs (run_id, person_a, person_b, score, levels, decision, reason) "
      "VALUES (1, ?, ?, 0, '0,0,0,0,0,0', 'review', 'between_thresholds') RETURNING id",
      {jiro_, hanako_[0]});
  ASSERT_TRUE(pair) << pair.error().describe(Lang::en);
  auto refused = store_->decide(staff_, pair->integer(0), true, "確認");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::conflict);
}

TEST_F(LinkageStoreTest, TwoPersonsStayApartWhenAThirdRecordMatchesBoth) {
  // 一郎 at a third hospital matches both of his records; a person had decided those two are
  // different persons. The third record may join one of them, never both.
  const std::string third = admit("1310000003", "C9", "佐藤　一郎", "サトウ　イチロウ",
                                  "1960-10-10", model::Sex::male, "980-0001");
  LinkageModel review_all = LinkageModel::defaults();
  review_all.match_threshold = 1000;
  review_all.review_threshold = 1;
  ASSERT_TRUE(store_->run(staff_, review_all));
  std::int64_t between = 0;
  auto waiting = store_->waiting();
  ASSERT_TRUE(waiting);
  for (const auto& w : *waiting) {
    if ((w.person_a == ichiro_[0] && w.person_b == ichiro_[1]) ||
        (w.person_a == ichiro_[1] && w.person_b == ichiro_[0])) {
      between = w.pair_id;
    }
  }
  ASSERT_GT(between, 0);
  ASSERT_TRUE(store_->decide(staff_, between, false, "別人と確認"));
  auto run = store_->run(staff_, LinkageModel::defaults());
  ASSERT_TRUE(run) << run.error().describe(Lang::en);
  EXPECT_NE(linked(ichiro_[0]), linked(ichiro_[1]));
  EXPECT_TRUE(linked(third) == linked(ichiro_[0]) || linked(third) == linked(ichiro_[1]));
  EXPECT_GE(run->kept_apart, 1u);
}

}  // namespace
}  // namespace tokumei::identity
