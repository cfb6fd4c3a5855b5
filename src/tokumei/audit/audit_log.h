#pragma once
// The audit log (AUDIT-01/02/05): every module records who did what, from which terminal, when, to
// what, and with what result, by calling AuditLog::append inside the same database transaction as
// the change it records — so a change is never committed without its entry, nor an entry without
// its change.
//
// Entries are chained: chain_hash(n) = SHA-256(chain_hash(n-1) || leaf_hash(n)), with
// leaf_hash = SHA-256(0x00 || canonical entry) as in RFC 6962, and the same leaf hashes form an
// RFC 6962 Merkle tree (merkle.h) whose complete subtrees are stored as they complete, so an
// inclusion or consistency proof reads O(log n) rows. Signed checkpoints (Ed25519 over tree size,
// root and time) are made on demand and by the monitor cycle, kept in the database and exported to
// a file an outside witness keeps; a log cut short or rolled back to an older copy no longer
// matches them. Every table refuses UPDATE and DELETE through triggers, and verify() recomputes
// everything and names the first bad entry, node or checkpoint.
// Personal data never enters an entry: patients appear only as HMAC references (`subjects`), so
// erasing a person changes no entry and every proof stays valid.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokumei/audit/merkle.h"
#include "tokumei/base/clock.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/crypto/signature.h"
#include "tokumei/store/database.h"
#include "tokumei/store/migration.h"

namespace tokumei::audit {

enum class Outcome { success, failure, denied };

// The form a person takes in an entry's `subjects`: an HMAC reference, 6–128 lower-case hex.
bool is_subject_reference(std::string_view s);
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

// A signed statement that the log held `tree_size` entries with Merkle root `root` at `at`.
struct Checkpoint {
  std::int64_t id = 0;  // 1, 2, 3, … in the database; 0 for one read from an export
  std::uint64_t tree_size = 0;
  crypto::Digest root{};
  TimePoint at;
  Bytes public_key;  // Ed25519, 32 bytes
  Bytes signature;   // Ed25519 over signed_text()

  // What is signed: "tokumei-audit-checkpoint/1\nsize N\nroot HEX\ntime MS\n".
  std::string signed_text() const;
  // True when the signature is valid and made by one of `trusted_keys` (by its own key when none
  // is given).
  bool verify_signature(std::span<const Bytes> trusted_keys) const;
  // One line of JSON for the export file, and back; a malformed line is Errc::invalid_input.
  std::string to_json() const;
  static Result<Checkpoint> from_json(std::string_view line);
};

// Checkpoints exported to a file (one JSON object per line), with the line of a malformed one.
Result<std::vector<Checkpoint>> read_checkpoint_file(const std::filesystem::path& path);

struct VerifyReport {
  std::int64_t entries = 0;               // how many were checked
  std::int64_t nodes = 0;                 // stored tree nodes checked
  std::int64_t checkpoints = 0;           // checkpoints (stored and given) checked
  std::optional<Checkpoint> latest;       // the newest valid checkpoint, if any
  std::optional<std::int64_t> first_bad;  // seq of the first entry that does not verify
  Text problem;                           // what is wrong, when first_bad is set
  bool ok() const { return !first_bad; }
  // Entries after the newest checkpoint: not yet protected against being cut off the end.
  std::int64_t uncovered() const {
    return entries - (latest ? static_cast<std::int64_t>(latest->tree_size) : 0);
  }
};

struct InclusionProof {
  std::int64_t seq = 0;
  std::uint64_t tree_size = 0;
  crypto::Digest leaf{};
  crypto::Digest root{};
  std::vector<crypto::Digest> path;
  bool verify() const {
    return merkle::verify_inclusion(leaf, static_cast<std::uint64_t>(seq - 1), tree_size, path,
                                    root);
  }
};

struct ConsistencyProof {
  std::uint64_t first = 0, second = 0;
  crypto::Digest first_root{}, second_root{};
  std::vector<crypto::Digest> path;
  bool verify() const {
    return merkle::verify_consistency(first, second, first_root, second_root, path);
  }
};

class AuditLog {
 public:
  // `db` and `clock` must outlive the log. The database must be migrated with schema().
  AuditLog(store::Database& db, const Clock& clock) : db_(&db), clock_(&clock) {}

  static store::SchemaModule schema();

  store::Database& database() { return *db_; }

  // Appends `entry` inside `tx`, the caller's open transaction. Returns its sequence number.
  Result<std::int64_t> append(store::Transaction& tx, const Entry& entry);

  // Appends several entries inside `tx` with few statements. Each entry gets its sequence number
  // or, when refused as append() would refuse it, its own error; a database error fails them all.
  Result<std::vector<Result<std::int64_t>>> append_all(store::Transaction& tx,
                                                       std::span<const Entry> entries);

  // Appends in a transaction of its own, for events that change nothing else (a failed login).
  Result<std::int64_t> record(const Entry& entry);

  // Appends several entries in one transaction of its own: one disk write for all. Returns the
  // first one's sequence number; if any entry is refused, none is written.
  Result<std::int64_t> record_all(std::span<const Entry> entries);

  // Entries with seq in [from, from + limit), oldest first.
  Result<std::vector<StoredEntry>> read(std::int64_t from, std::int64_t limit);

  // Entries read by a person (AUDIT-06): the reading is recorded first, so it is itself in the log.
  Result<std::vector<StoredEntry>> read_as(const Actor& reader, std::int64_t from,
                                           std::int64_t limit);

  // How many entries the log holds.
  Result<std::int64_t> size();

  // Recomputes every leaf, chain hash and tree node, checks that sequence numbers have no gaps,
  // and checks every stored checkpoint and every one of `witnessed` (exported earlier and kept
  // elsewhere): signed by one of `trusted_keys` (every version of the signing key), and matching
  // the root of the log at its size. A log that is shorter than a checkpoint was cut short or
  // rolled back, and says so.
  Result<VerifyReport> verify(std::span<const Bytes> trusted_keys = {},
                              std::span<const Checkpoint> witnessed = {});
  Result<VerifyReport> verify(const Bytes& trusted_key,
                              std::span<const Checkpoint> witnessed = {}) {
    return verify(std::span(&trusted_key, 1), witnessed);
  }

  // Signs and stores a checkpoint of the whole log with `key`, after recording who asked for it
  // (`by`) as the log's last entry, so the checkpoint covers its own request.
  Result<Checkpoint> checkpoint(const Actor& by, const crypto::Ed25519PrivateKey& key);
  // Stored checkpoints, oldest first.
  Result<std::vector<Checkpoint>> checkpoints();

  // The Merkle root of the first `tree_size` entries.
  Result<crypto::Digest> root(std::uint64_t tree_size);
  // Proof that entry `seq` is in the tree of `tree_size` entries (the whole log when 0).
  Result<InclusionProof> prove(std::int64_t seq, std::uint64_t tree_size = 0);
  // Proof that the tree of `second` entries extends the one of `first` (the whole log when 0).
  Result<ConsistencyProof> consistency(std::uint64_t first, std::uint64_t second = 0);

  // RFC 6962 leaf hash of an entry as stored (seq and time included).
  static crypto::Digest leaf_hash(std::int64_t seq, TimePoint at, const Entry& entry);

 private:
  merkle::NodeSource stored_nodes();
  // The frontier of the stored tree after entry `seq` with chain hash `chain`: cached between
  // appends, reloaded when another writer (or a rollback) moved the log.
  Result<merkle::Frontier*> frontier(std::int64_t seq, const crypto::Digest& chain);

  store::Database* db_;
  const Clock* clock_;
  struct Cached {
    std::int64_t seq = -1;
    crypto::Digest chain{};
    merkle::Frontier frontier;
  };
  std::optional<Cached> cache_;
};

}  // namespace tokumei::audit
