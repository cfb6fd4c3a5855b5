#pragma once
// SQLite backend of store::Database: WAL journal, foreign keys on, busy timeout, synchronous=FULL
// (nothing acknowledged is lost on power failure), secure_delete (deleted rows are overwritten in
// the main file; scrub() also clears them from the WAL).

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "tokumei/store/database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tokumei::store {

struct SqliteOptions {
  bool create = false;         // create the file if missing (otherwise Errc::not_found)
  int busy_timeout_ms = 5000;  // how long a writer waits for another one
  bool read_only = false;
};

class SqliteDatabase final : public Database {
 public:
  // Opens (or creates) the database file at `path`. ":memory:" gives a private in-memory database.
  static Result<std::unique_ptr<SqliteDatabase>> open(const std::filesystem::path& path,
                                                      const SqliteOptions& options);
  ~SqliteDatabase() override;

  std::string_view backend() const override { return "sqlite"; }
  Result<std::int64_t> execute(std::string_view sql,
                               const std::vector<Value>& params = {}) override;
  Result<std::optional<std::int64_t>> insert(std::string_view sql,
                                             const std::vector<Value>& params) override;
  Result<Rows> query(std::string_view sql, const std::vector<Value>& params = {}) override;
  Status execute_script(std::string_view sql) override;
  Status set_commit_waits_for_disk(bool wait) override;
  Status scrub() override;

  // PRAGMA integrity_check; Errc::integrity with SQLite's findings when the file is damaged.
  Status check_integrity();
  // The journal mode in force ("wal" expected).
  Result<std::string> journal_mode();
  const std::filesystem::path& path() const { return path_; }

 protected:
  Status begin_outer() override;
  Status commit_outer() override;
  Status rollback_outer() override;

 private:
  SqliteDatabase(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  Result<sqlite3_stmt*> prepare(std::string_view sql);
  Status bind(sqlite3_stmt* stmt, const std::vector<Value>& params, std::string_view sql);
  std::unexpected<Error> db_error(std::string_view sql) const;

  sqlite3* db_;
  std::filesystem::path path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace tokumei::store
