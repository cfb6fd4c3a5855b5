#pragma once
// Deletion records (DELETE-02): every deletion of protected information leaves a record of what
// was deleted (object and how many), why, how, by whom, approved by whom, and when. The table is
// append-only (triggers refuse UPDATE and DELETE), and a record is written in the same transaction
// as the deletion it describes, so no deletion path skips it.

#include <cstdint>
#include <string>
#include <vector>

#include "tokumei/base/clock.h"
#include "tokumei/store/database.h"
#include "tokumei/store/migration.h"

namespace tokumei::ops {

struct DeletionRecord {
  std::string object;      // "batch:12 events", "person:<audit reference>"
  std::int64_t count = 0;  // rows, files or keys deleted
  std::string reason{};    // a reason code ("quality.excluded", "optout"), a colon, words
  std::string method{};    // "row delete, secure_delete on" / "crypto-erase of data key …"
  std::string executor{};  // user ID or system:<process>
  std::string approver{};  // who decided it (a reviewer, an officer); may equal the executor
};

struct StoredDeletionRecord {
  std::int64_t id = 0;
  TimePoint at{};
  DeletionRecord record;
};

class DeletionRecords {
 public:
  DeletionRecords(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  static store::SchemaModule schema();

  // Writes a record inside the caller's transaction (the one that deletes). Returns its ID.
  Result<std::int64_t> add(store::Transaction& tx, const DeletionRecord& record);

  // The records whose object starts with `prefix`, oldest first.
  Result<std::vector<StoredDeletionRecord>> list(const std::string& prefix = "");

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace tokumei::ops
