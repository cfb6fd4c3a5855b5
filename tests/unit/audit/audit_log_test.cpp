#include "tokumei/audit/audit_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokumei/base/clock.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::audit {
namespace {

using namespace std::chrono_literals;
using store::SqliteDatabase;
using store::SqliteOptions;
using tokumei::testing::TempDir;

const TimePoint kStart = from_unix_ms(1'775'001'600'000);  // 2026-04-01T00:00:00Z

Entry sample_entry(const std::string& action = "account.create") {
  Entry e;
  e.actor = {"admin01", "term-07"};
  e.action = action;
  e.object = "user:tanaka";
  e.outcome = Outcome::success;
  e.detail = R"({"role":"analyst","理由":"新規採用"})";
  e.subjects = {"a1b2c3", "d4e5f6"};
  return e;
}

std::unique_ptr<SqliteDatabase> open_db(const std::filesystem::path& path) {
  auto db = SqliteDatabase::open(path, SqliteOptions{.create = true});
  EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().describe(Lang::en));
  return db ? std::move(*db) : nullptr;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_db(dir_ / "audit.db");
    ASSERT_NE(db_, nullptr);
    auto n = store::migrate(*db_, AuditLog::schema(), clock_);
    ASSERT_TRUE(n.has_value()) << n.error().describe(Lang::en);
    ASSERT_EQ(*n, AuditLog::schema().latest());
    log_ = std::make_unique<AuditLog>(*db_, clock_);
  }

  std::int64_t entry_count() {
    auto row = db_->query_one("SELECT COUNT(*) FROM audit_entries");
    EXPECT_TRUE(row.has_value());
    return row ? row->integer(0) : -1;
  }

  void record_n(int n) {
    for (int i = 1; i <= n; ++i) {
      auto seq = log_->record(sample_entry("test.event" + std::to_string(i)));
      ASSERT_TRUE(seq.has_value()) << seq.error().describe(Lang::en);
      ASSERT_EQ(*seq, i);
      clock_.advance(1s);
    }
  }

  void drop_triggers() {
    ASSERT_TRUE(db_->execute_script(
        "DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete;"));
  }

  VerifyReport verify() {
    auto r = log_->verify();
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().describe(Lang::en));
    return r ? *r : VerifyReport{};
  }

  TempDir dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<AuditLog> log_;
};

TEST(AuditOutcome, Names) {
  EXPECT_EQ(outcome_name(Outcome::success), "success");
  EXPECT_EQ(outcome_name(Outcome::failure), "failure");
  EXPECT_EQ(outcome_name(Outcome::denied), "denied");
}

TEST_F(AuditLogTest, AppendInsideTransactionNumbersFromOne) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  for (std::int64_t expected = 1; expected <= 3; ++expected) {
    auto seq = log_->append(*tx, sample_entry());
    ASSERT_TRUE(seq.has_value()) << seq.error().describe(Lang::en);
    EXPECT_EQ(*seq, expected);
  }
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(entry_count(), 3);
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.problem.en;
  EXPECT_EQ(report.entries, 3);
}

TEST_F(AuditLogTest, RolledBackAppendLeavesNoEntryAndSeqIsReused) {
  ASSERT_TRUE(log_->record(sample_entry("first")));
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE(db_->execute_script("CREATE TABLE IF NOT EXISTS changes (x);"));
    auto seq = log_->append(*tx, sample_entry("rolled.back"));
    ASSERT_TRUE(seq.has_value());
    EXPECT_EQ(*seq, 2);
    // No commit: the change and its entry go together.
  }
  EXPECT_EQ(entry_count(), 1);
  auto none = db_->query("SELECT seq FROM audit_entries WHERE action = 'rolled.back'");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());

  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE(log_->append(*tx, sample_entry("also.rolled.back")));
    ASSERT_TRUE(tx->rollback());
  }
  auto seq = log_->record(sample_entry("second"));
  ASSERT_TRUE(seq.has_value());
  EXPECT_EQ(*seq, 2);
  auto entries = log_->read(1, 10);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].seq, 2);
  EXPECT_EQ((*entries)[1].entry.action, "second");
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.problem.en;
  EXPECT_EQ(report.entries, 2);
}

TEST_F(AuditLogTest, AppendInsideNestedTransactionRolledBackWithTheSavepoint) {
  auto outer = db_->begin();
  ASSERT_TRUE(outer.has_value());
  ASSERT_TRUE(log_->append(*outer, sample_entry("outer")));
  {
    auto inner = db_->begin();
    ASSERT_TRUE(inner.has_value());
    auto seq = log_->append(*inner, sample_entry("inner"));
    ASSERT_TRUE(seq.has_value());
    EXPECT_EQ(*seq, 2);
  }
  auto seq = log_->append(*outer, sample_entry("outer.again"));
  ASSERT_TRUE(seq.has_value());
  EXPECT_EQ(*seq, 2);
  ASSERT_TRUE(outer->commit());
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.problem.en;
  EXPECT_EQ(report.entries, 2);
}

TEST_F(AuditLogTest, EntriesReadBackWithAllFields) {
  Entry e = sample_entry();
  e.outcome = Outcome::denied;
  clock_.set(kStart + 5min + 123ms);
  auto seq = log_->record(e);
  ASSERT_TRUE(seq.has_value()) << seq.error().describe(Lang::en);
  EXPECT_EQ(*seq, 1);

  Entry second;
  second.actor = {"system:nightly", "srv-01"};
  second.action = "keyring.destroy";
  second.object = "data_key:clinical:tokyo-1";
  second.outcome = Outcome::failure;
  second.detail = R"({"reason":"期限"})";
  clock_.advance(1h);
  ASSERT_TRUE(log_->record(second));

  auto entries = log_->read(1, 10);
  ASSERT_TRUE(entries.has_value()) << entries.error().describe(Lang::en);
  ASSERT_EQ(entries->size(), 2u);
  const StoredEntry& s = (*entries)[0];
  EXPECT_EQ(s.seq, 1);
  EXPECT_EQ(s.at, kStart + 5min + 123ms);
  EXPECT_EQ(s.entry.actor.user, "admin01");
  EXPECT_EQ(s.entry.actor.terminal, "term-07");
  EXPECT_EQ(s.entry.action, "account.create");
  EXPECT_EQ(s.entry.object, "user:tanaka");
  EXPECT_EQ(s.entry.outcome, Outcome::denied);
  EXPECT_EQ(s.entry.detail, e.detail);
  EXPECT_EQ(s.entry.subjects, (std::vector<std::string>{"a1b2c3", "d4e5f6"}));
  EXPECT_EQ(s.leaf_hash, AuditLog::leaf_hash(1, kStart + 5min + 123ms, e));
  EXPECT_NE(s.chain_hash, crypto::Digest{});

  const StoredEntry& t = (*entries)[1];
  EXPECT_EQ(t.seq, 2);
  EXPECT_EQ(t.at, kStart + 5min + 123ms + 1h);
  EXPECT_EQ(t.entry.actor.user, "system:nightly");
  EXPECT_EQ(t.entry.actor.terminal, "srv-01");
  EXPECT_EQ(t.entry.action, "keyring.destroy");
  EXPECT_EQ(t.entry.object, "data_key:clinical:tokyo-1");
  EXPECT_EQ(t.entry.outcome, Outcome::failure);
  EXPECT_EQ(t.entry.detail, R"({"reason":"期限"})");
  EXPECT_TRUE(t.entry.subjects.empty());
  // chain(n) = SHA-256(chain(n-1) || leaf(n)).
  EXPECT_EQ(t.chain_hash, crypto::sha256({ByteView(s.chain_hash), ByteView(t.leaf_hash)}));
  EXPECT_EQ(s.chain_hash, crypto::sha256({ByteView(crypto::Digest{}), ByteView(s.leaf_hash)}));

  // The stored time column is the FakeClock's, in Unix milliseconds.
  auto at = db_->query_one("SELECT at, outcome FROM audit_entries WHERE seq = 1");
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(at->integer(0), to_unix_ms(kStart + 5min + 123ms));
  EXPECT_EQ(at->text(1), "denied");
}

TEST_F(AuditLogTest, ReadPagesThroughTheLog) {
  record_n(5);
  auto page = log_->read(2, 2);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[1].seq, 3);
  EXPECT_EQ((*page)[0].entry.action, "test.event2");
  auto tail = log_->read(5, 10);
  ASSERT_TRUE(tail.has_value());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].seq, 5);
  auto beyond = log_->read(6, 10);
  ASSERT_TRUE(beyond.has_value());
  EXPECT_TRUE(beyond->empty());
}

TEST_F(AuditLogTest, RecordWorksOnItsOwn) {
  auto seq = log_->record(sample_entry("login.failed"));
  ASSERT_TRUE(seq.has_value()) << seq.error().describe(Lang::en);
  EXPECT_EQ(*seq, 1);
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(entry_count(), 1);
  // Committed: another connection sees it.
  auto other = open_db(dir_ / "audit.db");
  ASSERT_NE(other, nullptr);
  auto row = other->query_one("SELECT action FROM audit_entries WHERE seq = 1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->text(0), "login.failed");
}

TEST_F(AuditLogTest, RecordInsideAnOpenTransactionJoinsIt) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.has_value());
    auto seq = log_->record(sample_entry());
    ASSERT_TRUE(seq.has_value()) << seq.error().describe(Lang::en);
    EXPECT_EQ(*seq, 1);
    EXPECT_EQ(db_->transaction_depth(), 1);
  }
  EXPECT_EQ(entry_count(), 0);
}

TEST_F(AuditLogTest, TransactionFromAnotherDatabaseIsRefused) {
  auto other = open_db(dir_ / "other.db");
  ASSERT_NE(other, nullptr);
  auto tx = other->begin();
  ASSERT_TRUE(tx.has_value());
  auto seq = log_->append(*tx, sample_entry());
  ASSERT_FALSE(seq.has_value());
  EXPECT_EQ(seq.error().code(), Errc::internal);
  EXPECT_EQ(entry_count(), 0);

  // Even another connection to the same file is another Database.
  auto same_file = open_db(dir_ / "audit.db");
  ASSERT_NE(same_file, nullptr);
  ASSERT_TRUE(tx->rollback());
  auto tx2 = same_file->begin();
  ASSERT_TRUE(tx2.has_value());
  auto seq2 = log_->append(*tx2, sample_entry());
  ASSERT_FALSE(seq2.has_value());
  EXPECT_EQ(seq2.error().code(), Errc::internal);
}

TEST_F(AuditLogTest, EmptyActorOrActionIsInvalidArgument) {
  Entry no_actor = sample_entry();
  no_actor.actor.user = "";
  auto a = log_->record(no_actor);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), Errc::invalid_argument);

  Entry no_action = sample_entry();
  no_action.action = "";
  auto b = log_->record(no_action);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), Errc::invalid_argument);

  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  auto c = log_->append(*tx, no_action);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), Errc::invalid_argument);
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(entry_count(), 0);
  EXPECT_EQ(db_->transaction_depth(), 0);
}

TEST_F(AuditLogTest, NonJsonDetailIsRefused) {
  for (const char* bad : {"not json", "{\"a\":", "{'a': 1}", "{\"a\":1} trailing"}) {
    Entry e = sample_entry();
    e.detail = bad;
    auto seq = log_->record(e);
    ASSERT_FALSE(seq.has_value()) << bad;
    EXPECT_EQ(seq.error().code(), Errc::invalid_argument) << bad;
  }
  EXPECT_EQ(entry_count(), 0);
  EXPECT_EQ(db_->transaction_depth(), 0);
}

TEST_F(AuditLogTest, VerifyOnEmptyLogIsOk) {
  auto report = verify();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.entries, 0);
  EXPECT_FALSE(report.first_bad.has_value());
}

TEST_F(AuditLogTest, VerifyOkOnCleanLogWithTheRightCount) {
  record_n(7);
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.problem.en;
  EXPECT_EQ(report.entries, 7);
  EXPECT_FALSE(report.first_bad.has_value());
}

TEST_F(AuditLogTest, VerifyOkAcrossMoreThanOneReadBatch) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  for (int i = 0; i < 1005; ++i) {
    auto seq = log_->append(*tx, sample_entry());
    ASSERT_TRUE(seq.has_value());
  }
  ASSERT_TRUE(tx->commit());
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.problem.en;
  EXPECT_EQ(report.entries, 1005);
}

TEST_F(AuditLogTest, TriggersRefuseUpdateAndDelete) {
  record_n(3);
  auto update = db_->execute("UPDATE audit_entries SET actor = 'intruder' WHERE seq = 2");
  ASSERT_FALSE(update.has_value());
  EXPECT_EQ(update.error().code(), Errc::database);
  EXPECT_NE(update.error().message(Lang::en).find("append-only"), std::string::npos)
      << update.error().message(Lang::en);
  auto remove = db_->execute("DELETE FROM audit_entries WHERE seq = 2");
  ASSERT_FALSE(remove.has_value());
  EXPECT_EQ(remove.error().code(), Errc::database);
  auto remove_all = db_->execute("DELETE FROM audit_entries");
  ASSERT_FALSE(remove_all.has_value());
  EXPECT_EQ(entry_count(), 3);
  auto row = db_->query_one("SELECT actor FROM audit_entries WHERE seq = 2");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->text(0), "admin01");
  auto report = verify();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.entries, 3);
}

TEST_F(AuditLogTest, ChangedFieldIsDetectedAtThatEntry) {
  // Each column a person could alter, with a new value of the right type.
  const std::vector<std::pair<std::string, std::string>> changes = {
      {"at", "at + 1"},
      {"actor", "'intruder'"},
      {"terminal", "'term-99'"},
      {"action", "'account.delete'"},
      {"object", "'user:suzuki'"},
      {"outcome", "'failure'"},
      {"detail", "'{\"role\":\"admin\"}'"},
      {"subjects", "'[\"a1b2c3\"]'"},
      {"leaf_hash", "zeroblob(32)"},
  };
  for (const auto& [column, value] : changes) {
    SCOPED_TRACE(column);
    TempDir dir;
    auto db = open_db(dir / "a.db");
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(store::migrate(*db, AuditLog::schema(), clock_));
    AuditLog log(*db, clock_);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.record(sample_entry()));
    ASSERT_TRUE(db->execute_script("DROP TRIGGER audit_entries_no_update;"));
    auto n = db->execute("UPDATE audit_entries SET " + column + " = " + value + " WHERE seq = 2");
    ASSERT_TRUE(n.has_value()) << n.error().describe(Lang::en);
    ASSERT_EQ(*n, 1);  // one row changed
    auto report = log.verify();
    ASSERT_TRUE(report.has_value()) << report.error().describe(Lang::en);
    EXPECT_FALSE(report->ok());
    ASSERT_TRUE(report->first_bad.has_value());
    EXPECT_EQ(*report->first_bad, 2);
    EXPECT_EQ(report->entries, 1);
    EXPECT_FALSE(report->problem.en.empty());
    EXPECT_FALSE(report->problem.ja.empty());
  }
}

TEST_F(AuditLogTest, DeletedMiddleEntryIsDetected) {
  record_n(3);
  drop_triggers();
  auto n = db_->execute("DELETE FROM audit_entries WHERE seq = 2");
  ASSERT_TRUE(n.has_value());
  ASSERT_EQ(*n, 1);
  auto report = verify();
  EXPECT_FALSE(report.ok());
  ASSERT_TRUE(report.first_bad.has_value());
  EXPECT_EQ(*report.first_bad, 2);
  EXPECT_NE(report.problem.en.find("missing"), std::string::npos) << report.problem.en;
}

TEST_F(AuditLogTest, DeletedFirstEntryIsDetected) {
  record_n(3);
  drop_triggers();
  ASSERT_TRUE(db_->execute("DELETE FROM audit_entries WHERE seq = 1"));
  auto report = verify();
  ASSERT_TRUE(report.first_bad.has_value());
  EXPECT_EQ(*report.first_bad, 1);
}

TEST_F(AuditLogTest, RenumberedEntriesAfterDeletionAreDetected) {
  // Deleting entry 2 and moving 3 down to close the gap still breaks the hashes.
  record_n(3);
  drop_triggers();
  ASSERT_TRUE(db_->execute("DELETE FROM audit_entries WHERE seq = 2"));
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET seq = 2 WHERE seq = 3"));
  auto report = verify();
  ASSERT_TRUE(report.first_bad.has_value());
  EXPECT_EQ(*report.first_bad, 2);
}

TEST_F(AuditLogTest, ChangedChainHashIsDetected) {
  record_n(3);
  drop_triggers();
  auto row = db_->query_one("SELECT chain_hash FROM audit_entries WHERE seq = 2");
  ASSERT_TRUE(row.has_value());
  Bytes chain = row->blob(0);
  ASSERT_EQ(chain.size(), 32u);
  chain[0] ^= 0x01;
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET chain_hash = ? WHERE seq = 2", {chain}));
  auto report = verify();
  EXPECT_FALSE(report.ok());
  ASSERT_TRUE(report.first_bad.has_value());
  EXPECT_EQ(*report.first_bad, 2);
  EXPECT_EQ(report.entries, 1);
}

TEST_F(AuditLogTest, ChangedLastChainHashIsDetected) {
  record_n(3);
  drop_triggers();
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET chain_hash = zeroblob(32) WHERE seq = 3"));
  auto report = verify();
  ASSERT_TRUE(report.first_bad.has_value());
  EXPECT_EQ(*report.first_bad, 3);
  EXPECT_EQ(report.entries, 2);
}

TEST_F(AuditLogTest, EntryRewrittenWithRecomputedLeafBreaksTheChain) {
  // An intruder who recomputes the leaf hash of the altered entry is still caught by the chain.
  record_n(3);
  drop_triggers();
  auto entries = log_->read(2, 1);
  ASSERT_TRUE(entries.has_value());
  ASSERT_EQ(entries->size(), 1u);
  Entry altered = (*entries)[0].entry;
  altered.actor.user = "intruder";
  crypto::Digest leaf = AuditLog::leaf_hash(2, (*entries)[0].at, altered);
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET actor = ?, leaf_hash = ? WHERE seq = 2",
                           {altered.actor.user, Bytes(leaf.begin(), leaf.end())}));
  auto report = verify();
  ASSERT_TRUE(report.first_bad.has_value());
  EXPECT_EQ(*report.first_bad, 2);
}

TEST_F(AuditLogTest, LeafHashIsDeterministic) {
  const Entry e = sample_entry();
  EXPECT_EQ(AuditLog::leaf_hash(4, kStart, e), AuditLog::leaf_hash(4, kStart, e));
  Entry copy = e;
  EXPECT_EQ(AuditLog::leaf_hash(4, kStart, e), AuditLog::leaf_hash(4, kStart, copy));
  EXPECT_NE(AuditLog::leaf_hash(4, kStart, e), crypto::Digest{});
}

TEST_F(AuditLogTest, LeafHashDiffersWhenAnySingleFieldDiffers) {
  const Entry base = sample_entry();
  const crypto::Digest reference = AuditLog::leaf_hash(4, kStart, base);

  struct Variant {
    const char* name;
    std::int64_t seq;
    TimePoint at;
    std::function<void(Entry&)> change;
  };
  auto same = [](Entry&) {};
  const std::vector<Variant> variants = {
      {"seq", 5, kStart, same},
      {"at", 4, kStart + 1ms, same},
      {"actor.user", 4, kStart, [](Entry& e) { e.actor.user = "admin02"; }},
      {"actor.terminal", 4, kStart, [](Entry& e) { e.actor.terminal = "term-08"; }},
      {"action", 4, kStart, [](Entry& e) { e.action = "account.delete"; }},
      {"object", 4, kStart, [](Entry& e) { e.object = "user:suzuki"; }},
      {"outcome", 4, kStart, [](Entry& e) { e.outcome = Outcome::failure; }},
      {"detail", 4, kStart, [](Entry& e) { e.detail = R"({"role":"admin"})"; }},
      {"subjects (one removed)", 4, kStart, [](Entry& e) { e.subjects.pop_back(); }},
      {"subjects (one changed)", 4, kStart, [](Entry& e) { e.subjects[1] = "d4e5f7"; }},
      {"subjects (reordered)", 4, kStart,
       [](Entry& e) { std::swap(e.subjects[0], e.subjects[1]); }},
      // Field boundaries are length-prefixed: moving a character from one field to the next
      // must not give the same canonical bytes.
      {"actor/terminal boundary", 4, kStart,
       [](Entry& e) {
         e.actor.user = "admin01t";
         e.actor.terminal = "erm-07";
       }},
      {"subjects boundary", 4, kStart, [](Entry& e) { e.subjects = {"a1b2c3d4e5f6"}; }},
  };
  std::vector<crypto::Digest> seen{reference};
  for (const auto& v : variants) {
    Entry e = base;
    v.change(e);
    crypto::Digest h = AuditLog::leaf_hash(v.seq, v.at, e);
    EXPECT_NE(h, reference) << v.name;
    for (const auto& other : seen)
      EXPECT_NE(h, other) << v.name << " collides with an earlier variant";
    seen.push_back(h);
  }
}

// Regression: an entry recorded without detail was hashed over "" but stored as "{}".
TEST_F(AuditLogTest, EntryWithEmptyDetailVerifies) {
  Entry e = sample_entry("auth.password");
  e.detail.clear();
  ASSERT_TRUE(log_->record(e).has_value());
  VerifyReport report = verify();
  EXPECT_TRUE(report.ok()) << report.problem.en;
  EXPECT_EQ(report.entries, 1);
}

// Regression: a forged row numbered 0 (below the first entry) passed verification.
TEST_F(AuditLogTest, ForgedEntryWithSeqZeroIsDetected) {
  record_n(1);
  // The insert trigger refuses this; someone with raw write access can drop it first.
  ASSERT_TRUE(db_->execute_script("DROP TRIGGER audit_entries_next_seq;").has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO audit_entries (seq, at, actor, terminal, action, object, "
                           "outcome, detail, "
                           "subjects, leaf_hash, chain_hash) VALUES (0, 0, 'forged', '', 'x', '', "
                           "'success', '{}', "
                           "'[]', zeroblob(32), zeroblob(32))")
                  .has_value());
  VerifyReport report = verify();
  EXPECT_FALSE(report.ok());
}

TEST_F(AuditLogTest, DetailMustBeAJsonObject) {
  for (const char* detail : {"42", "[1]", "null", "\"text\""}) {
    Entry e = sample_entry();
    e.detail = detail;
    auto r = log_->record(e);
    ASSERT_FALSE(r.has_value()) << detail;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument) << detail;
  }
}

// Regression: appending through a finished transaction wrote outside any transaction.
TEST_F(AuditLogTest, AppendRefusesAFinishedTransaction) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  ASSERT_TRUE(tx->commit().has_value());
  auto r = log_->append(*tx, sample_entry());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::internal);
  EXPECT_EQ(entry_count(), 0);
}

// Review finding: INSERT OR REPLACE overwrote an entry without firing the DELETE trigger.
TEST_F(AuditLogTest, ReplacingAnEntryIsRefused) {
  record_n(3);
  auto r = db_->execute(
      "INSERT OR REPLACE INTO audit_entries (seq, at, actor, terminal, action, object, outcome, "
      "detail, subjects, leaf_hash, chain_hash) VALUES (1, 0, 'forged', '', 'x', '', 'success', "
      "'{}', '[]', zeroblob(32), zeroblob(32))");
  EXPECT_FALSE(r.has_value());
  EXPECT_TRUE(verify().ok());
}

TEST_F(AuditLogTest, OnlyTheNextSequenceNumberCanBeInserted) {
  record_n(2);
  for (int seq : {0, 2, 5}) {
    auto r = db_->execute(
        "INSERT INTO audit_entries (seq, at, actor, terminal, action, object, outcome, detail, "
        "subjects, leaf_hash, chain_hash) VALUES (?, 0, 'forged', '', 'x', '', 'success', '{}', "
        "'[]', zeroblob(32), zeroblob(32))",
        {std::int64_t{seq}});
    EXPECT_FALSE(r.has_value()) << seq;
  }
}

// Review finding: the hash covered the parsed subjects, so junk stored in the column verified.
TEST_F(AuditLogTest, AlteredSubjectsTextIsDetected) {
  record_n(2);
  drop_triggers();
  ASSERT_TRUE(
      db_->execute("UPDATE audit_entries SET subjects = '[\"a1b2c3\",\"d4e5f6\",7]' WHERE seq = 2")
          .has_value());
  VerifyReport report = verify();
  EXPECT_EQ(report.first_bad, std::optional<std::int64_t>(2));
}

// Review finding: a column of the wrong type made verify() throw (and `tokumei doctor` abort).
TEST_F(AuditLogTest, WrongColumnTypeIsReportedNotThrown) {
  record_n(3);
  drop_triggers();
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET at = 'yesterday' WHERE seq = 2").has_value());
  VerifyReport report = verify();
  EXPECT_EQ(report.first_bad, std::optional<std::int64_t>(2));
}

TEST_F(AuditLogTest, SubjectsMustBeHexReferences) {
  Entry e = sample_entry();
  e.subjects = {"山田太郎"};
  auto r = log_->record(e);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace tokumei::audit
