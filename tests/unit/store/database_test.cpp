#include "tokumei/store/database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::store {
namespace {

using tokumei::testing::TempDir;

std::unique_ptr<SqliteDatabase> open_db(const std::filesystem::path& path,
                                        int busy_timeout_ms = 5000) {
  auto db =
      SqliteDatabase::open(path, SqliteOptions{.create = true, .busy_timeout_ms = busy_timeout_ms});
  EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().describe(Lang::en));
  return db ? std::move(*db) : nullptr;
}

std::int64_t count_rows(Database& db, const std::string& table) {
  auto row = db.query_one("SELECT COUNT(*) FROM " + table);
  EXPECT_TRUE(row.has_value()) << (row ? "" : row.error().describe(Lang::en));
  return row ? row->integer(0) : -1;
}

// The integer value of `PRAGMA name`, or -1 (with a failure) when it cannot be read.
std::int64_t pragma(Database& db, const std::string& name) {
  auto row = db.query_one("PRAGMA " + name);
  EXPECT_TRUE(row.has_value()) << (row ? "" : row.error().describe(Lang::en));
  return row ? row->integer(0) : -1;
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_db(dir_ / "test.db");
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(
        db_->execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE);"
                            "CREATE TABLE v (x);"));
  }

  TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

// ---- opening --------------------------------------------------------------------------------

TEST(SqliteOpen, MissingFileWithoutCreateIsNotFound) {
  TempDir dir;
  auto db = SqliteDatabase::open(dir / "missing.db", SqliteOptions{.create = false});
  ASSERT_FALSE(db.has_value());
  EXPECT_EQ(db.error().code(), Errc::not_found);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
  EXPECT_EQ(db.error().where().file, (dir / "missing.db").string());
}

TEST(SqliteOpen, CreateMakesTheFileAndReopenWorksWithoutCreate) {
  TempDir dir;
  {
    auto db = open_db(dir / "a.db");
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->backend(), "sqlite");
    EXPECT_EQ(db->path(), dir / "a.db");
    ASSERT_TRUE(db->execute_script("CREATE TABLE k (x INTEGER); INSERT INTO k VALUES (42);"));
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "a.db"));
  auto db = SqliteDatabase::open(dir / "a.db", SqliteOptions{.create = false});
  ASSERT_TRUE(db.has_value()) << db.error().describe(Lang::en);
  auto row = (*db)->query_one("SELECT x FROM k");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->integer(0), 42);
}

TEST(SqliteOpen, PragmasInForceOnAFileDatabase) {
  TempDir dir;
  auto db = open_db(dir / "p.db");
  ASSERT_NE(db, nullptr);
  auto mode = db->journal_mode();
  ASSERT_TRUE(mode.has_value());
  EXPECT_EQ(*mode, "wal");
  EXPECT_EQ(pragma(*db, "foreign_keys"), 1);
  EXPECT_EQ(pragma(*db, "secure_delete"), 1);
  EXPECT_EQ(pragma(*db, "synchronous"), 2);  // FULL
  EXPECT_EQ(pragma(*db, "page_size"), 16384);
  EXPECT_EQ(pragma(*db, "wal_autocheckpoint"), 8192);
}

TEST(SqliteOpen, CommitsWaitForTheDiskUnlessToldOtherwiseOutsideTransactions) {
  TempDir dir;
  auto db = open_db(dir / "s.db");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(pragma(*db, "synchronous"), 2);  // FULL
  ASSERT_TRUE(db->set_commit_waits_for_disk(false));
  EXPECT_EQ(pragma(*db, "synchronous"), 1);  // NORMAL
  {
    auto tx = db->begin();
    ASSERT_TRUE(tx);
    auto refused = db->set_commit_waits_for_disk(true);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::internal);
  }
  ASSERT_TRUE(db->set_commit_waits_for_disk(true));
  EXPECT_EQ(pragma(*db, "synchronous"), 2);
}

TEST(SqliteOpen, InMemoryDatabaseWorks) {
  auto db = SqliteDatabase::open(":memory:", SqliteOptions{.create = true});
  ASSERT_TRUE(db.has_value()) << db.error().describe(Lang::en);
  auto mode = (*db)->journal_mode();
  ASSERT_TRUE(mode.has_value());
  EXPECT_EQ(*mode, "memory");  // WAL does not apply to a private in-memory database
  ASSERT_TRUE((*db)->execute_script("CREATE TABLE k (x);"));
  auto n = (*db)->execute("INSERT INTO k VALUES (?)", {std::int64_t{1}});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 1);
}

TEST(SqliteOpen, CheckIntegrityOkOnAFreshDatabase) {
  TempDir dir;
  auto db = open_db(dir / "i.db");
  ASSERT_NE(db, nullptr);
  auto s = db->check_integrity();
  EXPECT_TRUE(s.has_value()) << s.error().describe(Lang::en);
}

// ---- values ---------------------------------------------------------------------------------

TEST_F(DatabaseTest, EveryValueTypeRoundTrips) {
  const std::string japanese = "東京都千代田区 患者番号１２３ 🏥";
  const Bytes blob{0x00, 0x01, 0x00, 0xff, 0x00};
  const std::vector<Value> values = {
      Value(nullptr),
      Value(std::int64_t{0}),
      Value(std::numeric_limits<std::int64_t>::min()),
      Value(std::numeric_limits<std::int64_t>::max()),
      Value(-1.5),
      Value(3.141592653589793),
      Value(2.0),
      Value(1e308),
      Value(std::string("")),
      Value(japanese),
      Value(std::string("a\0b", 3)),
      Value(blob),
  };
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto n = db_->execute("INSERT INTO v (x) VALUES (?)", {values[i]});
    ASSERT_TRUE(n.has_value()) << "value " << i << ": " << n.error().describe(Lang::en);
    EXPECT_EQ(*n, 1);
  }
  auto rows = db_->query("SELECT x FROM v ORDER BY rowid");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ((*rows)[i].size(), 1u);
    EXPECT_EQ((*rows)[i][0], values[i]) << "value " << i << " changed type or content";
  }
  const Row& r = (*rows)[0];
  EXPECT_TRUE(r.is_null(0));
  EXPECT_EQ(r.optional_integer(0), std::nullopt);
  EXPECT_EQ((*rows)[2].integer(0), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ((*rows)[3].integer(0), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ((*rows)[3].optional_integer(0), std::numeric_limits<std::int64_t>::max());
  EXPECT_DOUBLE_EQ((*rows)[5].real(0), 3.141592653589793);
  EXPECT_EQ((*rows)[9].text(0), japanese);
  EXPECT_EQ((*rows)[10].text(0).size(), 3u);
  EXPECT_EQ((*rows)[11].blob(0), blob);
  EXPECT_FALSE((*rows)[11].is_null(0));
}

TEST_F(DatabaseTest, ValuesRoundTripThroughWhereClauses) {
  const std::string name = "山田　太郎";
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (?, ?)",
                           {std::numeric_limits<std::int64_t>::min(), name}));
  auto row = db_->query_one("SELECT id, name FROM t WHERE name = ?", {name});
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->integer(0), std::numeric_limits<std::int64_t>::min());
  auto by_id =
      db_->query_one("SELECT name FROM t WHERE id = ?", {std::numeric_limits<std::int64_t>::min()});
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->text(0), name);
}

TEST_F(DatabaseTest, IntAndStringLiteralsBindAsIntegerAndText) {
  ASSERT_TRUE(db_->execute("INSERT INTO v (x) VALUES (?)", {7}));
  ASSERT_TRUE(db_->execute("INSERT INTO v (x) VALUES (?)", {"七"}));
  auto rows = db_->query("SELECT typeof(x), x FROM v ORDER BY rowid");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].text(0), "integer");
  EXPECT_EQ((*rows)[0].integer(1), 7);
  EXPECT_EQ((*rows)[1].text(0), "text");
  EXPECT_EQ((*rows)[1].text(1), "七");
}

TEST_F(DatabaseTest, ExecuteReturnsChangedRowCount) {
  ASSERT_TRUE(db_->execute_script(
      "INSERT INTO v VALUES (1); INSERT INTO v VALUES (2); INSERT INTO v VALUES (3);"));
  auto n = db_->execute("UPDATE v SET x = x + 10 WHERE x >= ?", {std::int64_t{2}});
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 2);
  auto none = db_->execute("DELETE FROM v WHERE x = ?", {std::int64_t{99}});
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(*none, 0);
}

TEST_F(DatabaseTest, InsertGivesTheNewRowIdOrNoneWhenNothingWasInserted) {
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (41, 'first')"));
  const char* sql = "INSERT INTO t (name) VALUES (?) ON CONFLICT (name) DO NOTHING";
  auto id = db_->insert(sql, {std::string("second")});
  ASSERT_TRUE(id) << id.error().describe(Lang::en);
  EXPECT_EQ(*id, std::optional<std::int64_t>(42));
  // A conflict inserts nothing, and says so even right after a statement that did insert.
  auto again = db_->insert(sql, {std::string("first")});
  ASSERT_TRUE(again) << again.error().describe(Lang::en);
  EXPECT_EQ(*again, std::nullopt);
  EXPECT_EQ(count_rows(*db_, "t"), 2);
  auto refused = db_->insert("INSERT INTO t (name) VALUES (?)", {std::string("first")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::already_exists);
}

TEST_F(DatabaseTest, ParameterCountMismatchIsAnError) {
  auto too_few = db_->execute("INSERT INTO t (id, name) VALUES (?, ?)", {std::int64_t{1}});
  ASSERT_FALSE(too_few.has_value());
  EXPECT_EQ(too_few.error().code(), Errc::internal);
  auto too_many = db_->query("SELECT * FROM t WHERE id = ?", {std::int64_t{1}, std::int64_t{2}});
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().code(), Errc::internal);
  auto none_expected = db_->query("SELECT 1", {std::int64_t{1}});
  ASSERT_FALSE(none_expected.has_value());
  EXPECT_EQ(count_rows(*db_, "t"), 0);
  // The cached statement is still usable with the right parameters afterwards.
  EXPECT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (?, ?)", {std::int64_t{1}, "a"}));
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

TEST_F(DatabaseTest, BadSqlIsADatabaseErrorNamingTheStatement) {
  auto r = db_->execute("INSERT INTO no_such_table VALUES (1)");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::database);
  EXPECT_NE(r.error().message(Lang::en).find("no_such_table"), std::string::npos);
  auto s = db_->execute_script("CREATE TABLE ok1 (x); THIS IS NOT SQL;");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), Errc::database);
}

TEST_F(DatabaseTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (?, ?)", {std::int64_t{1}, "tanaka"}));
  auto dup_name =
      db_->execute("INSERT INTO t (id, name) VALUES (?, ?)", {std::int64_t{2}, "tanaka"});
  ASSERT_FALSE(dup_name.has_value());
  EXPECT_EQ(dup_name.error().code(), Errc::already_exists);
  auto dup_key =
      db_->execute("INSERT INTO t (id, name) VALUES (?, ?)", {std::int64_t{1}, "suzuki"});
  ASSERT_FALSE(dup_key.has_value());
  EXPECT_EQ(dup_key.error().code(), Errc::already_exists);
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

TEST_F(DatabaseTest, ForeignKeyViolationIsRefused) {
  ASSERT_TRUE(db_->execute_script(
      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES t (id));"));
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'p')"));
  EXPECT_TRUE(db_->execute("INSERT INTO child (id, parent) VALUES (1, 1)"));
  auto orphan = db_->execute("INSERT INTO child (id, parent) VALUES (2, 99)");
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code(), Errc::database);
  auto remove_parent = db_->execute("DELETE FROM t WHERE id = 1");
  ASSERT_FALSE(remove_parent.has_value());
  EXPECT_EQ(count_rows(*db_, "child"), 1);
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

TEST_F(DatabaseTest, QueryOneOnNoRowsIsNotFound) {
  auto r = db_->query_one("SELECT id FROM t WHERE id = ?", {std::int64_t{5}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::not_found);
  auto empty = db_->query("SELECT id FROM t");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST_F(DatabaseTest, QueryOneReturnsTheFirstRow) {
  ASSERT_TRUE(db_->execute_script("INSERT INTO t VALUES (1, 'a'); INSERT INTO t VALUES (2, 'b');"));
  auto r = db_->query_one("SELECT id, name FROM t ORDER BY id DESC");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->integer(0), 2);
  EXPECT_EQ(r->text(1), "b");
}

TEST(Row, AccessorsThrowLogicErrorOnWrongType) {
  Row r({Value(nullptr), Value(std::int64_t{5}), Value(2.5), Value(std::string("x")),
         Value(Bytes{1, 2})});
  EXPECT_EQ(r.size(), 5u);
  EXPECT_THROW((void)r.integer(0), std::logic_error);
  EXPECT_THROW((void)r.text(0), std::logic_error);
  EXPECT_THROW((void)r.blob(0), std::logic_error);
  EXPECT_THROW((void)r.real(0), std::logic_error);
  EXPECT_THROW((void)r.text(1), std::logic_error);
  EXPECT_THROW((void)r.blob(1), std::logic_error);
  EXPECT_THROW((void)r.integer(2), std::logic_error);
  EXPECT_THROW((void)r.text(2), std::logic_error);
  EXPECT_THROW((void)r.integer(3), std::logic_error);
  EXPECT_THROW((void)r.real(3), std::logic_error);
  EXPECT_THROW((void)r.blob(3), std::logic_error);
  EXPECT_THROW((void)r.optional_integer(3), std::logic_error);
  EXPECT_THROW((void)r.integer(4), std::logic_error);
  EXPECT_THROW((void)r.text(4), std::logic_error);
  // Right types work; an integer widens to a real.
  EXPECT_EQ(r.integer(1), 5);
  EXPECT_DOUBLE_EQ(r.real(1), 5.0);
  EXPECT_DOUBLE_EQ(r.real(2), 2.5);
  EXPECT_EQ(r.text(3), "x");
  EXPECT_EQ(r.blob(4), (Bytes{1, 2}));
  EXPECT_EQ(r.optional_integer(1), 5);
  // Out of range is also a bug, not a value.
  EXPECT_THROW((void)r.integer(5), std::out_of_range);
}

TEST_F(DatabaseTest, RowFromQueryThrowsOnWrongType) {
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'n')"));
  auto row = db_->query_one("SELECT id, name FROM t");
  ASSERT_TRUE(row.has_value());
  EXPECT_THROW((void)row->text(0), std::logic_error);
  EXPECT_THROW((void)row->integer(1), std::logic_error);
}

// ---- transactions ---------------------------------------------------------------------------

TEST_F(DatabaseTest, CommitPersistsAcrossReopen) {
  EXPECT_EQ(db_->transaction_depth(), 0);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.has_value()) << tx.error().describe(Lang::en);
    EXPECT_EQ(db_->transaction_depth(), 1);
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'kept')"));
    auto c = tx->commit();
    ASSERT_TRUE(c.has_value()) << c.error().describe(Lang::en);
    EXPECT_EQ(db_->transaction_depth(), 0);
    // A second commit is refused rather than silently ignored.
    auto again = tx->commit();
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code(), Errc::internal);
  }
  EXPECT_EQ(db_->transaction_depth(), 0);
  db_.reset();
  auto db = open_db(dir_ / "test.db");
  ASSERT_NE(db, nullptr);
  auto row = db->query_one("SELECT name FROM t WHERE id = 1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->text(0), "kept");
}

TEST_F(DatabaseTest, DestructorWithoutCommitRollsBack) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'lost')"));
    EXPECT_EQ(count_rows(*db_, "t"), 1);
  }
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(count_rows(*db_, "t"), 0);
}

TEST_F(DatabaseTest, ExplicitRollback) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'lost')"));
  ASSERT_TRUE(tx->rollback());
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(count_rows(*db_, "t"), 0);
  auto c = tx->commit();
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), Errc::internal);
  EXPECT_TRUE(tx->rollback());  // a second rollback is harmless
  EXPECT_EQ(count_rows(*db_, "t"), 0);
}

TEST_F(DatabaseTest, RollbacksAreCountedCommitsAreNot) {
  EXPECT_EQ(db_->rollbacks(), 0u);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(db_->rollbacks(), 0u);
  {
    auto tx = db_->begin();  // rolled back when dropped
    ASSERT_TRUE(tx);
  }
  EXPECT_EQ(db_->rollbacks(), 1u);
  auto outer = db_->begin();
  ASSERT_TRUE(outer);
  {
    auto inner = db_->begin();
    ASSERT_TRUE(inner);
    ASSERT_TRUE(inner->rollback());
    EXPECT_TRUE(inner->rollback());  // once only
  }
  EXPECT_EQ(db_->rollbacks(), 2u);
  ASSERT_TRUE(outer->commit());
  EXPECT_EQ(db_->rollbacks(), 2u);
}

TEST_F(DatabaseTest, MovedTransactionOwnsTheWork) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'moved')"));
  Transaction moved(std::move(*tx));
  EXPECT_EQ(&moved.db(), db_.get());
  ASSERT_TRUE(moved.commit());
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

TEST_F(DatabaseTest, NestedRollbackKeepsOuterChangesOnly) {
  auto outer = db_->begin();
  ASSERT_TRUE(outer.has_value());
  EXPECT_EQ(db_->transaction_depth(), 1);
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'outer')"));
  {
    auto inner = db_->begin();
    ASSERT_TRUE(inner.has_value()) << inner.error().describe(Lang::en);
    EXPECT_EQ(db_->transaction_depth(), 2);
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (2, 'inner')"));
    EXPECT_EQ(count_rows(*db_, "t"), 2);
    ASSERT_TRUE(inner->rollback());
    EXPECT_EQ(db_->transaction_depth(), 1);
  }
  EXPECT_EQ(db_->transaction_depth(), 1);
  ASSERT_TRUE(outer->commit());
  EXPECT_EQ(db_->transaction_depth(), 0);
  auto rows = db_->query("SELECT id, name FROM t ORDER BY id");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(1), "outer");
}

TEST_F(DatabaseTest, NestedDestructorRollsBackTheSavepointOnly) {
  auto outer = db_->begin();
  ASSERT_TRUE(outer.has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'outer')"));
  {
    auto inner = db_->begin();
    ASSERT_TRUE(inner.has_value());
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (2, 'inner')"));
  }
  EXPECT_EQ(db_->transaction_depth(), 1);
  ASSERT_TRUE(outer->commit());
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

TEST_F(DatabaseTest, NestedCommitThenOuterCommitKeepsBoth) {
  auto outer = db_->begin();
  ASSERT_TRUE(outer.has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'outer')"));
  {
    auto inner = db_->begin();
    ASSERT_TRUE(inner.has_value());
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (2, 'inner')"));
    {
      auto third = db_->begin();
      ASSERT_TRUE(third.has_value());
      EXPECT_EQ(db_->transaction_depth(), 3);
      ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (3, 'third')"));
      ASSERT_TRUE(third->commit());
      EXPECT_EQ(db_->transaction_depth(), 2);
    }
    ASSERT_TRUE(inner->commit());
    EXPECT_EQ(db_->transaction_depth(), 1);
  }
  ASSERT_TRUE(outer->commit());
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(count_rows(*db_, "t"), 3);
}

TEST_F(DatabaseTest, NestedCommitIsUndoneByOuterRollback) {
  {
    auto outer = db_->begin();
    ASSERT_TRUE(outer.has_value());
    auto inner = db_->begin();
    ASSERT_TRUE(inner.has_value());
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (2, 'inner')"));
    ASSERT_TRUE(inner->commit());
  }
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(count_rows(*db_, "t"), 0);
}

TEST_F(DatabaseTest, CommittingOuterWhileInnerIsOpenFails) {
  {
    auto outer = db_->begin();
    ASSERT_TRUE(outer.has_value());
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'outer')"));
    auto inner = db_->begin();
    ASSERT_TRUE(inner.has_value());
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (2, 'inner')"));
    auto c = outer->commit();
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().code(), Errc::internal);
    EXPECT_EQ(db_->transaction_depth(), 2);
    // The refused commit changed nothing: finishing in order still works.
    ASSERT_TRUE(inner->commit());
    ASSERT_TRUE(outer->commit());
  }
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(count_rows(*db_, "t"), 2);
}

TEST_F(DatabaseTest, RefusedOuterCommitThenScopeExitRollsBackEverything) {
  {
    auto outer = db_->begin();
    ASSERT_TRUE(outer.has_value());
    ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'outer')"));
    auto inner = db_->begin();
    ASSERT_TRUE(inner.has_value());
    EXPECT_FALSE(outer->commit().has_value());
  }
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(count_rows(*db_, "t"), 0);
  // The connection is usable for a new transaction afterwards.
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  EXPECT_EQ(db_->transaction_depth(), 1);
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (3, 'later')"));
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

TEST_F(DatabaseTest, FailedStatementInsideTransactionLeavesItOpen) {
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'a')"));
  auto dup = db_->execute("INSERT INTO t (id, name) VALUES (1, 'b')");
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code(), Errc::already_exists);
  EXPECT_EQ(db_->transaction_depth(), 1);
  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

// ---- two connections ------------------------------------------------------------------------

TEST_F(DatabaseTest, SecondConnectionSeesCommittedButNotUncommittedData) {
  auto other = open_db(dir_ / "test.db");
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'committed')"));
  EXPECT_EQ(count_rows(*other, "t"), 1);

  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (2, 'pending')"));
  EXPECT_EQ(count_rows(*db_, "t"), 2);
  // WAL: a reader is not blocked by the open write transaction and sees the last commit only.
  auto rows = other->query("SELECT name FROM t ORDER BY id");
  ASSERT_TRUE(rows.has_value()) << rows.error().describe(Lang::en);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "committed");

  ASSERT_TRUE(tx->commit());
  EXPECT_EQ(count_rows(*other, "t"), 2);
}

TEST_F(DatabaseTest, SecondWriterTimesOutWhileFirstHoldsTheWriteLock) {
  auto other = open_db(dir_ / "test.db", /*busy_timeout_ms=*/100);
  ASSERT_NE(other, nullptr);
  auto tx = db_->begin();
  ASSERT_TRUE(tx.has_value());
  ASSERT_TRUE(db_->execute("INSERT INTO t (id, name) VALUES (1, 'first')"));

  auto start = std::chrono::steady_clock::now();
  auto blocked = other->begin();
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code(), Errc::database);
  EXPECT_EQ(other->transaction_depth(), 0);
  // It waited for the busy timeout rather than failing at once (loose bounds: timing is noisy).
  EXPECT_GE(waited, std::chrono::milliseconds(50));
  EXPECT_LT(waited, std::chrono::seconds(4));

  // Once the first writer commits, the second can write.
  ASSERT_TRUE(tx->commit());
  auto later = other->begin();
  ASSERT_TRUE(later.has_value()) << later.error().describe(Lang::en);
  EXPECT_EQ(other->transaction_depth(), 1);
  ASSERT_TRUE(other->execute("INSERT INTO t (id, name) VALUES (2, 'second')"));
  ASSERT_TRUE(later->commit());
  EXPECT_EQ(count_rows(*db_, "t"), 2);
}

// Regression: rolling back an outer transaction while an inner one was open left the depth wrong,
// so later begin() calls opened savepoints outside any transaction.
TEST(TransactionRegression, RollingBackOuterWhileInnerOpenKeepsDepthRight) {
  auto db = std::move(*SqliteDatabase::open(":memory:", {.create = true}));
  {
    auto outer = db->begin();
    ASSERT_TRUE(outer.has_value());
    auto inner = db->begin();
    ASSERT_TRUE(inner.has_value());
    ASSERT_TRUE(outer->rollback().has_value());
    EXPECT_FALSE(inner->commit().has_value());  // its transaction is gone
  }
  EXPECT_EQ(db->transaction_depth(), 0);
  auto tx = db->begin();
  ASSERT_TRUE(tx.has_value());
  EXPECT_EQ(db->transaction_depth(), 1);
  EXPECT_TRUE(tx->commit().has_value());
}

// Regression: an empty Bytes value was stored as NULL.
TEST(SqliteRegression, EmptyBlobRoundTripsAsEmptyBlob) {
  auto db = std::move(*SqliteDatabase::open(":memory:", {.create = true}));
  ASSERT_TRUE(db->execute_script("CREATE TABLE v (x BLOB NOT NULL);").has_value());
  ASSERT_TRUE(db->execute("INSERT INTO v (x) VALUES (?)", {Bytes{}}).has_value());
  auto row = db->query_one("SELECT typeof(x), x FROM v");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->text(0), "blob");
  EXPECT_EQ((*row)[1], Value(Bytes{}));
}

}  // namespace
}  // namespace tokumei::store
