#pragma once
// The audit log (AUDIT-01/02/05): every module records who did what, from which terminal, when, to
// what, and with what result, by calling AuditLog::append inside the same database transaction as
// the change it records — so a change is never committed without its entry, nor an entry without
// its change.
//
// Entries are chained: chain_hash(n) = SHA-256(chain_hash(n-1) || leaf_hash(n)), with
// leaf_hash = SHA-256(0x00 || canonical entry) as in RFC 6962, so the same leaf hashes can later
// feed the Merkle tree and signed checkpoints (ARCHITECTURE §5). The table refuses UPDATE and
// DELETE through triggers, and verify() recomputes everything and names the first bad entry.
// Personal data never enters an entry: patients appear only as HMAC references (`subjects`).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/base/clock.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/store/database.h"
#include "tokumei/store/migration.h"

namespace tokumei::audit {

enum class Outcome { success, failure, denied };
std::string_view outcome_name(Outcome o);

// Who acts: a user ID (or "system:<process>") and the terminal or host they act from.
struct Actor {
  std::string user;
  std::string terminal;
};

struct Entry {
  Actor actor;
  std::string action;  // dotted verb: "account.create", "keyring.destroy", …
  std::string object;  // what was acted on: "user:tanaka", "data_key:vault"
  Outcome outcome = Outcome::success;
  std::string detail;                 // JSON object text; no personal data, no secrets
  std::vector<std::string> subjects;  // patients touched, as hex HMAC references
};

struct StoredEntry {
  std::int64_t seq = 0;  // 1, 2, 3, … without gaps
  TimePoint at;
  Entry entry;
  crypto::Digest leaf_hash{};
  crypto::Digest chain_hash{};
};

struct VerifyReport {
  std::int64_t entries = 0;               // how many were checked
  std::optional<std::int64_t> first_bad;  // seq of the first entry that does not verify
  Text problem;                           // what is wrong with it, when first_bad is set
  bool ok() const { return !first_bad; }
};

class AuditLog {
 public:
  // `db` and `clock` must outlive the log. The database must be migrated with schema().
  AuditLog(store::Database& db, const Clock& clock) : db_(&db), clock_(&clock) {}

  static store::SchemaModule schema();

  // Appends `entry` inside `tx`, the caller's open transaction. Returns its sequence number.
  Result<std::int64_t> append(store::Transaction& tx, const Entry& entry);

  // Appends in a transaction of its own, for events that change nothing else (a failed login).
  Result<std::int64_t> record(const Entry& entry);

  // Entries with seq in [from, from + limit), oldest first.
  Result<std::vector<StoredEntry>> read(std::int64_t from, std::int64_t limit);

  // Recomputes every leaf and chain hash and checks that sequence numbers have no gaps.
  Result<VerifyReport> verify();

  // RFC 6962 leaf hash of an entry as stored (seq and time included).
  static crypto::Digest leaf_hash(std::int64_t seq, TimePoint at, const Entry& entry);

 private:
  store::Database* db_;
  const Clock* clock_;
};

}  // namespace tokumei::audit
