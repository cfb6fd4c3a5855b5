#include "tokumei/ops/deletion_records.h"

namespace tokumei::ops {

store::SchemaModule DeletionRecords::schema() {
  return {"ops_deletions", {{1, "deletion records (DELETE-02), append-only", R"sql(
CREATE TABLE deletion_records (
  id        INTEGER PRIMARY KEY,
  at_ms     INTEGER NOT NULL,
  object    TEXT NOT NULL,
  count     INTEGER NOT NULL,
  reason    TEXT NOT NULL,
  method    TEXT NOT NULL,
  executor  TEXT NOT NULL,
  approver  TEXT NOT NULL
);
CREATE TRIGGER deletion_records_no_update BEFORE UPDATE ON deletion_records
  BEGIN SELECT RAISE(ABORT, 'deletion_records is append-only'); END;
CREATE TRIGGER deletion_records_no_delete BEFORE DELETE ON deletion_records
  BEGIN SELECT RAISE(ABORT, 'deletion_records is append-only'); END;
)sql"}}};
}

Result<std::int64_t> DeletionRecords::add(store::Transaction&, const DeletionRecord& r) {
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_.insert("INSERT INTO deletion_records (at_ms, object, count, reason, method, executor, "
                 "approver) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                 {to_unix_ms(clock_.now()), r.object, r.count, r.reason, r.method, r.executor,
                  r.approver}));
  return *id;
}

Result<std::vector<StoredDeletionRecord>> DeletionRecords::list(const std::string& prefix) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT id, at_ms, object, count, reason, method, executor, approver FROM "
                "deletion_records WHERE substr(object, 1, length(?)) = ? ORDER BY id",
                {prefix, prefix}));
  std::vector<StoredDeletionRecord> out;
  for (const auto& r : rows) {
    out.push_back({.id = r.integer(0),
                   .at = from_unix_ms(r.integer(1)),
                   .record = {.object = r.text(2),
                              .count = r.integer(3),
                              .reason = r.text(4),
                              .method = r.text(5),
                              .executor = r.text(6),
                              .approver = r.text(7)}});
  }
  return out;
}

}  // namespace tokumei::ops
