#include "tokumei/store/migration.h"

#include "tokumei/crypto/hash.h"

namespace tokumei::store {
namespace {

constexpr std::string_view kSchemaTable = R"sql(
CREATE TABLE IF NOT EXISTS tokumei_schema (
  module     TEXT NOT NULL,
  version    INTEGER NOT NULL,
  name       TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (module, version)
))sql";

std::string checksum(const Migration& m) { return hex_encode(crypto::sha256(as_bytes(m.sql))); }

}  // namespace

Result<int> schema_version(Database& db, std::string_view module) {
  TKM_RETURN_IF_ERROR(db.execute_script(kSchemaTable));
  TKM_ASSIGN_OR_RETURN(
      Row row, db.query_one("SELECT COALESCE(MAX(version), 0) FROM tokumei_schema WHERE module = ?",
                            {std::string(module)}));
  return static_cast<int>(row.integer(0));
}

Result<int> migrate(Database& db, const SchemaModule& module, const Clock& clock) {
  for (std::size_t i = 0; i < module.migrations.size(); ++i) {
    if (module.migrations[i].version != static_cast<int>(i) + 1) {
      return fail(Errc::internal, {module.name + " のマイグレーション番号が連続していません",
                                   module.name + " migrations are not numbered 1, 2, 3, …"});
    }
  }
  TKM_ASSIGN_OR_RETURN(int current, schema_version(db, module.name));
  if (current > module.latest()) {
    return fail(
        Errc::invalid_input,
        {"データベースの " + module.name + " スキーマ（版 " + std::to_string(current) +
             "）はこのプログラム（版 " + std::to_string(module.latest()) + "）より新しいです",
         "the database's " + module.name + " schema (version " + std::to_string(current) +
             ") is newer than this program knows (version " + std::to_string(module.latest()) +
             ")"});
  }
  // Applied migrations must be exactly the ones this program would have run.
  TKM_ASSIGN_OR_RETURN(
      Rows applied,
      db.query("SELECT version, checksum FROM tokumei_schema WHERE module = ? ORDER BY version",
               {module.name}));
  for (const auto& row : applied) {
    const auto& m = module.migrations.at(static_cast<std::size_t>(row.integer(0) - 1));
    if (row.text(1) != checksum(m)) {
      return fail(Errc::integrity,
                  {module.name + " のマイグレーション " + std::to_string(m.version) + "（" +
                       m.name + "）は適用後に内容が変わっています",
                   module.name + " migration " + std::to_string(m.version) + " (" + m.name +
                       ") changed after it was applied"});
    }
  }
  int applied_now = 0;
  for (const auto& m : module.migrations) {
    if (m.version <= current) continue;
    TKM_ASSIGN_OR_RETURN(Transaction tx, db.begin());
    // Another process may have applied it since `current` was read; the write lock is held now.
    TKM_ASSIGN_OR_RETURN(current, schema_version(db, module.name));
    if (m.version <= current) continue;
    Status s = db.execute_script(m.sql);
    if (s) {
      s = status_of(db.execute(
          "INSERT INTO tokumei_schema (module, version, name, checksum, applied_at) VALUES (?, ?, "
          "?, ?, ?)",
          {module.name, std::int64_t{m.version}, m.name, checksum(m), to_unix_ms(clock.now())}));
    }
    if (!s) {
      s.error().within(
          {module.name + " のマイグレーション " + std::to_string(m.version) + " の適用",
           "applying " + module.name + " migration " + std::to_string(m.version)});
      return std::unexpected(s.error());
    }
    TKM_RETURN_IF_ERROR(tx.commit());
    ++applied_now;
  }
  return applied_now;
}

}  // namespace tokumei::store
