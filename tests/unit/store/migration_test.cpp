#include "tokumei/store/migration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "support/test_support.h"
#include "tokumei/base/clock.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::store {
namespace {

using namespace std::chrono_literals;
using tokumei::testing::TempDir;

// 2026-04-01T00:00:00Z, whole milliseconds so applied_at compares exactly.
const TimePoint kStart = from_unix_ms(1'775'001'600'000);

bool table_exists(Database& db, const std::string& name) {
  auto rows = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", {name});
  EXPECT_TRUE(rows.has_value());
  return rows && rows->size() == 1;
}

SchemaModule clinic_module() {
  return {
      "clinic",
      {{1, "patients", "CREATE TABLE patients (id INTEGER PRIMARY KEY, code TEXT NOT NULL);"},
       {2, "visits",
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, patient INTEGER REFERENCES patients (id));"
        "CREATE INDEX visits_patient ON visits (patient);"},
       {3, "patient sex", "ALTER TABLE patients ADD COLUMN sex TEXT;"}}};
}

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::open(dir_ / "m.db", SqliteOptions{.create = true});
    ASSERT_TRUE(db.has_value()) << db.error().describe(Lang::en);
    db_ = std::move(*db);
  }

  int version(const std::string& module) {
    auto v = schema_version(*db_, module);
    EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().describe(Lang::en));
    return v ? *v : -1;
  }

  TempDir dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(MigrationTest, FreshDatabaseIsVersionZero) {
  EXPECT_EQ(version("clinic"), 0);
  EXPECT_EQ(version("anything"), 0);
}

TEST_F(MigrationTest, LatestIsTheLastVersion) {
  EXPECT_EQ(clinic_module().latest(), 3);
  EXPECT_EQ((SchemaModule{"empty", {}}).latest(), 0);
}

TEST_F(MigrationTest, AppliesAllInOrderOnceAndRecordsThem) {
  auto n = migrate(*db_, clinic_module(), clock_);
  ASSERT_TRUE(n.has_value()) << n.error().describe(Lang::en);
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(version("clinic"), 3);
  EXPECT_TRUE(table_exists(*db_, "patients"));
  EXPECT_TRUE(table_exists(*db_, "visits"));
  // Migration 3 ran after 1: the column it adds exists.
  EXPECT_TRUE(db_->execute("INSERT INTO patients (id, code, sex) VALUES (1, 'P1', 'F')"));

  auto rows = db_->query(
      "SELECT version, name, applied_at, length(checksum) FROM tokumei_schema WHERE module = ? "
      "ORDER BY version",
      {"clinic"});
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].integer(0), 1);
  EXPECT_EQ((*rows)[0].text(1), "patients");
  EXPECT_EQ((*rows)[1].integer(0), 2);
  EXPECT_EQ((*rows)[1].text(1), "visits");
  EXPECT_EQ((*rows)[2].integer(0), 3);
  EXPECT_EQ((*rows)[2].text(1), "patient sex");
  for (const auto& r : *rows) {
    EXPECT_EQ(r.integer(2), to_unix_ms(kStart));
    EXPECT_EQ(r.integer(3), 64);  // hex SHA-256
  }

  auto again = migrate(*db_, clinic_module(), clock_);
  ASSERT_TRUE(again.has_value()) << again.error().describe(Lang::en);
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(version("clinic"), 3);
  auto count = db_->query_one("SELECT COUNT(*) FROM tokumei_schema");
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(count->integer(0), 3);
}

TEST_F(MigrationTest, UpToDateAfterReopen) {
  ASSERT_TRUE(migrate(*db_, clinic_module(), clock_));
  db_.reset();
  auto db = SqliteDatabase::open(dir_ / "m.db", SqliteOptions{});
  ASSERT_TRUE(db.has_value());
  auto v = schema_version(**db, "clinic");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 3);
  auto n = migrate(**db, clinic_module(), clock_);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0);
}

TEST_F(MigrationTest, MigrationAppendedLaterIsAppliedAloneWithItsOwnTime) {
  SchemaModule module = clinic_module();
  module.migrations.pop_back();
  auto first = migrate(*db_, module, clock_);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 2);
  EXPECT_EQ(version("clinic"), 2);

  clock_.advance(48h);
  auto second = migrate(*db_, clinic_module(), clock_);
  ASSERT_TRUE(second.has_value()) << second.error().describe(Lang::en);
  EXPECT_EQ(*second, 1);
  EXPECT_EQ(version("clinic"), 3);

  auto rows = db_->query(
      "SELECT version, applied_at FROM tokumei_schema WHERE module = 'clinic' ORDER BY version");
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].integer(1), to_unix_ms(kStart));
  EXPECT_EQ((*rows)[1].integer(1), to_unix_ms(kStart));
  EXPECT_EQ((*rows)[2].integer(1), to_unix_ms(kStart + 48h));
}

TEST_F(MigrationTest, FailingMigrationLeavesThePreviousVersionAndNothingOfItself) {
  SchemaModule module{"broken",
                      {{1, "first", "CREATE TABLE first_table (x INTEGER);"},
                       {2, "second",
                        "CREATE TABLE second_table (y INTEGER);"
                        "INSERT INTO first_table VALUES (1);"
                        "CREATE TABLE oops (;"},
                       {3, "third", "CREATE TABLE third_table (z INTEGER);"}}};
  auto n = migrate(*db_, module, clock_);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), Errc::database);
  // The message says which migration failed.
  EXPECT_NE(n.error().message(Lang::en).find("broken migration 2"), std::string::npos)
      << n.error().message(Lang::en);
  EXPECT_EQ(db_->transaction_depth(), 0);
  EXPECT_EQ(version("broken"), 1);
  EXPECT_TRUE(table_exists(*db_, "first_table"));
  EXPECT_FALSE(table_exists(*db_, "second_table"));
  EXPECT_FALSE(table_exists(*db_, "third_table"));
  auto rows = db_->query_one("SELECT COUNT(*) FROM first_table");
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(rows->integer(0), 0);
  auto recorded = db_->query_one("SELECT COUNT(*) FROM tokumei_schema WHERE module = 'broken'");
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->integer(0), 1);

  // Fixing the migration (it never got recorded, so its text may change) lets it run.
  module.migrations[1].sql = "CREATE TABLE second_table (y INTEGER);";
  auto fixed = migrate(*db_, module, clock_);
  ASSERT_TRUE(fixed.has_value()) << fixed.error().describe(Lang::en);
  EXPECT_EQ(*fixed, 2);
  EXPECT_EQ(version("broken"), 3);
  EXPECT_TRUE(table_exists(*db_, "second_table"));
}

TEST_F(MigrationTest, ChangedAppliedMigrationIsIntegrityError) {
  ASSERT_TRUE(migrate(*db_, clinic_module(), clock_));
  SchemaModule changed = clinic_module();
  changed.migrations[1].sql += " ";  // even whitespace counts
  auto n = migrate(*db_, changed, clock_);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), Errc::integrity);
  EXPECT_NE(n.error().message(Lang::en).find("migration 2"), std::string::npos)
      << n.error().message(Lang::en);
  EXPECT_EQ(version("clinic"), 3);
}

TEST_F(MigrationTest, ChangedAppliedMigrationIsRefusedBeforeApplyingNewOnes) {
  SchemaModule two = clinic_module();
  two.migrations.pop_back();
  ASSERT_TRUE(migrate(*db_, two, clock_));
  SchemaModule changed = clinic_module();
  changed.migrations[0].sql = "CREATE TABLE patients (id INTEGER PRIMARY KEY, code TEXT);";
  auto n = migrate(*db_, changed, clock_);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), Errc::integrity);
  EXPECT_EQ(version("clinic"), 2);  // migration 3 was not applied
}

TEST_F(MigrationTest, RenamedAppliedMigrationIsStillAccepted) {
  // Only the SQL is checksummed; the name is a description.
  ASSERT_TRUE(migrate(*db_, clinic_module(), clock_));
  SchemaModule renamed = clinic_module();
  renamed.migrations[0].name = "patients table";
  auto n = migrate(*db_, renamed, clock_);
  ASSERT_TRUE(n.has_value()) << n.error().describe(Lang::en);
  EXPECT_EQ(*n, 0);
}

TEST_F(MigrationTest, DatabaseNewerThanProgramIsInvalidInput) {
  ASSERT_TRUE(migrate(*db_, clinic_module(), clock_));
  SchemaModule older = clinic_module();
  older.migrations.pop_back();
  auto n = migrate(*db_, older, clock_);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), Errc::invalid_input);
  EXPECT_NE(n.error().message(Lang::en).find("version 3"), std::string::npos)
      << n.error().message(Lang::en);
  EXPECT_NE(n.error().message(Lang::en).find("version 2"), std::string::npos)
      << n.error().message(Lang::en);
  EXPECT_EQ(version("clinic"), 3);
}

TEST_F(MigrationTest, NonContiguousNumberingIsInternal) {
  SchemaModule gap{"gap", {{1, "a", "CREATE TABLE ga (x);"}, {3, "c", "CREATE TABLE gc (x);"}}};
  auto n = migrate(*db_, gap, clock_);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), Errc::internal);
  EXPECT_FALSE(table_exists(*db_, "ga"));  // checked before anything runs
  EXPECT_EQ(version("gap"), 0);

  SchemaModule from_zero{"zero", {{0, "a", "CREATE TABLE za (x);"}}};
  auto z = migrate(*db_, from_zero, clock_);
  ASSERT_FALSE(z.has_value());
  EXPECT_EQ(z.error().code(), Errc::internal);

  SchemaModule out_of_order{"order",
                            {{2, "b", "CREATE TABLE ob (x);"}, {1, "a", "CREATE TABLE oa (x);"}}};
  auto o = migrate(*db_, out_of_order, clock_);
  ASSERT_FALSE(o.has_value());
  EXPECT_EQ(o.error().code(), Errc::internal);
  EXPECT_FALSE(table_exists(*db_, "oa"));
  EXPECT_FALSE(table_exists(*db_, "ob"));
}

TEST_F(MigrationTest, ModulesAreIndependent) {
  SchemaModule audit{"audit", {{1, "entries", "CREATE TABLE entries (seq INTEGER PRIMARY KEY);"}}};
  ASSERT_TRUE(migrate(*db_, clinic_module(), clock_));
  EXPECT_EQ(version("audit"), 0);
  clock_.advance(1s);
  auto n = migrate(*db_, audit, clock_);
  ASSERT_TRUE(n.has_value()) << n.error().describe(Lang::en);
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(version("audit"), 1);
  EXPECT_EQ(version("clinic"), 3);

  // The same version number in two modules does not collide, and a newer program for one module
  // does not affect the other.
  SchemaModule audit2 = audit;
  audit2.migrations.push_back({2, "index", "CREATE INDEX entries_seq ON entries (seq);"});
  auto m = migrate(*db_, audit2, clock_);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, 1);
  EXPECT_EQ(version("audit"), 2);
  EXPECT_EQ(version("clinic"), 3);
  auto c = migrate(*db_, clinic_module(), clock_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, 0);

  auto at = db_->query_one(
      "SELECT applied_at FROM tokumei_schema WHERE module = 'audit' AND version = 1");
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(at->integer(0), to_unix_ms(kStart + 1s));
}

TEST_F(MigrationTest, EmptyModuleAppliesNothing) {
  auto n = migrate(*db_, SchemaModule{"nothing", {}}, clock_);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(version("nothing"), 0);
}

}  // namespace
}  // namespace tokumei::store
