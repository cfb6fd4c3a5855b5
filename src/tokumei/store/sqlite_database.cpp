#include "tokumei/store/sqlite_database.h"

#include <sqlite3.h>

namespace tokumei::store {
namespace {

// Resets a cached statement when a call is done with it, whatever path it leaves by.
struct StatementReset {
  sqlite3_stmt* stmt;
  ~StatementReset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

std::string shorten(std::string_view sql) {
  std::string s(sql.substr(0, 120));
  return sql.size() > 120 ? s + "…" : s;
}

}  // namespace

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::filesystem::path& path,
                                                             const SqliteOptions& options) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    Errc code = (rc & 0xff) == SQLITE_CANTOPEN ? Errc::not_found : Errc::database;
    return fail(code, {"データベースを開けません: " + reason, "cannot open database: " + reason},
                Location{.file = path.string()});
  }
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(raw, path));
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;";
  // For writers (not on read-only connections, where these would read the schema and a damaged
  // file would fail to open instead of failing its integrity check):
  // - a new database gets 16 KiB pages (the page size is fixed when the first table is made):
  //   bulk ingest writes a fourth as many WAL frames and its B-trees are shallower (synthetic
  //   SS-MIX2 ingest 6.1 → 5.7 s);
  // - 32 MiB of page cache (the default is 2 MiB): bulk ingest updates indexes all over a large
  //   database;
  // - the WAL is copied back into the database every 8 192 pages (128 MiB) instead of 1 000, so
  //   an index page changed by many transactions is copied once (8.1 → 7.6 s with 4 KiB pages,
  //   5.7 → 5.3 s with 16 KiB pages).
  if (!options.read_only) {
    pragmas +=
        "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
        "PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 8192;";
  }
  TKM_RETURN_IF_ERROR(db->execute_script(pragmas));
  return db;
}

SqliteDatabase::~SqliteDatabase() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

std::unexpected<Error> SqliteDatabase::db_error(std::string_view sql) const {
  std::string reason = sqlite3_errmsg(db_);
  int rc = sqlite3_extended_errcode(db_);
  Errc code = Errc::database;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    code = Errc::already_exists;
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) code = Errc::integrity;
  return fail(code,
              {"データベースエラー: " + reason + "（SQL: " + shorten(sql) + "）",
               "database error: " + reason + " (SQL: " + shorten(sql) + ")"},
              Location{.file = path_.string()});
}

Result<sqlite3_stmt*> SqliteDatabase::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, &tail) != SQLITE_OK) {
    return db_error(sql);
  }
  if (stmt == nullptr) {
    return fail(Errc::internal, {"空の SQL 文です", "empty SQL statement"});
  }
  cache_.emplace(std::move(key), stmt);
  return stmt;
}

// Text and blobs are bound without a copy (SQLITE_STATIC): `params` outlives every step, and the
// statement is reset and its bindings cleared (StatementReset) before the call returns.
Status SqliteDatabase::bind(sqlite3_stmt* stmt, const std::vector<Value>& params,
                            std::string_view sql) {
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
    return fail(Errc::internal, {"SQL のパラメータ数が一致しません: " + shorten(sql),
                                 "SQL parameter count mismatch: " + shorten(sql)});
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i) + 1;
    int rc = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return sqlite3_bind_null(stmt, idx);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            return sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
          } else if (v.empty()) {
            return sqlite3_bind_zeroblob(stmt, idx, 0);  // a null data pointer would bind NULL
          } else {
            return sqlite3_bind_blob64(stmt, idx, v.data(), v.size(), SQLITE_STATIC);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) return db_error(sql);
  }
  return ok();
}

Result<std::int64_t> SqliteDatabase::execute(std::string_view sql,
                                             const std::vector<Value>& params) {
  TKM_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, prepare(sql));
  StatementReset reset{stmt};
  TKM_RETURN_IF_ERROR(bind(stmt, params, sql));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return db_error(sql);
  return sqlite3_changes64(db_);
}

Result<std::optional<std::int64_t>> SqliteDatabase::insert(std::string_view sql,
                                                           const std::vector<Value>& params) {
  TKM_ASSIGN_OR_RETURN(std::int64_t changed, execute(sql, params));
  if (changed == 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

Result<Rows> SqliteDatabase::query(std::string_view sql, const std::vector<Value>& params) {
  TKM_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, prepare(sql));
  StatementReset reset{stmt};
  TKM_RETURN_IF_ERROR(bind(stmt, params, sql));
  Rows rows;
  int columns = sqlite3_column_count(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          values.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_TEXT:
          values.emplace_back(
              std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
          break;
        case SQLITE_BLOB: {
          auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, c));
          values.emplace_back(Bytes(p, p + sqlite3_column_bytes(stmt, c)));
          break;
        }
        default:
          values.emplace_back(nullptr);
      }
    }
    rows.emplace_back(std::move(values));
  }
  if (rc != SQLITE_DONE) return db_error(sql);
  return rows;
}

Status SqliteDatabase::execute_script(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string reason = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return fail(Errc::database,
                {"SQL スクリプトが失敗しました: " + reason, "SQL script failed: " + reason},
                Location{.file = path_.string()});
  }
  return ok();
}

Status SqliteDatabase::scrub() {
  if (depth_ > 0) {
    return fail(Errc::internal,
                {"トランザクション中は消去を確定できません", "cannot scrub inside a transaction"});
  }
  return execute_script("PRAGMA wal_checkpoint(TRUNCATE)");
}

Status SqliteDatabase::set_commit_waits_for_disk(bool wait) {
  if (depth_ > 0) {
    return fail(Errc::internal, {"トランザクション中は同期の設定を変えられません",
                                 "cannot change commit syncing inside a transaction"});
  }
  // WAL mode: FULL syncs the WAL at every commit; NORMAL only at checkpoints (which also sync the
  // database file), and a later FULL commit syncs every frame before it.
  return execute_script(wait ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

Status SqliteDatabase::begin_outer() { return status_of(execute("BEGIN IMMEDIATE")); }
Status SqliteDatabase::commit_outer() { return status_of(execute("COMMIT")); }
Status SqliteDatabase::rollback_outer() {
  if (sqlite3_get_autocommit(db_))
    return ok();  // SQLite already rolled back (e.g. after I/O error)
  return status_of(execute("ROLLBACK"));
}

Status SqliteDatabase::check_integrity() {
  TKM_ASSIGN_OR_RETURN(Rows rows, query("PRAGMA integrity_check"));
  if (rows.size() == 1 && rows[0].text(0) == "ok") return ok();
  std::string findings;
  for (const auto& r : rows) findings += r.text(0) + "; ";
  return fail(Errc::integrity,
              {"データベースファイルが破損しています: " + findings,
               "database file is damaged: " + findings},
              Location{.file = path_.string()});
}

Result<std::string> SqliteDatabase::journal_mode() {
  TKM_ASSIGN_OR_RETURN(Row row, query_one("PRAGMA journal_mode"));
  return row.text(0);
}

}  // namespace tokumei::store
