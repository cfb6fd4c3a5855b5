#pragma once
// Versioned schema migrations. Each module owns its tables and lists its migrations (1, 2, 3, …);
// `migrate` applies the missing ones once, in order, each inside its own transaction together with
// the row that records it, so a crash leaves either the old or the new version, never half.

#include <string>
#include <string_view>
#include <vector>

#include "tokumei/base/clock.h"
#include "tokumei/store/database.h"

namespace tokumei::store {

struct Migration {
  int version;       // 1, 2, 3, … without gaps
  std::string name;  // short description, recorded with the version
  std::string sql;   // portable DDL; may hold several statements
};

struct SchemaModule {
  std::string name;  // "audit", "security", …
  std::vector<Migration> migrations;
  int latest() const { return migrations.empty() ? 0 : migrations.back().version; }
};

// Applies pending migrations. Returns how many were applied (0 when up to date).
// Fails with Errc::integrity if an applied migration's text changed since it ran (checksum), and
// with Errc::invalid_input if the database is newer than this program knows.
Result<int> migrate(Database& db, const SchemaModule& module, const Clock& clock);

// The version recorded for `module` (0 if it never ran).
Result<int> schema_version(Database& db, std::string_view module);

}  // namespace tokumei::store
