#pragma once
// Taking files into the store as batches (取り込み単位). A batch is what one run takes in from
// one institution; it moves received → pending → acquired | excluded (INTAKE-09): this module
// takes it to pending, the quality and notification checks move it on.
//
// Every file is recorded in one transaction together with what came out of it — identities into
// the vault, events, quarantine entries — keyed by the SHA-256 of its content, so a file already
// taken in from the institution is skipped, and a crash (even SIGKILL) loses or doubles nothing:
// a file is either wholly in or not at all, and running again continues the unfinished batch.
//
// Nothing identifying is stored in clear (STORE-01): file paths (SS-MIX2 paths hold patient
// IDs), quarantine reasons and each event's full record are sealed under the institution's
// "clinical:<code>" data key; events keep in clear only what queries need (type, code system,
// code, date, value, unit) and refer to the person by the vault's person key.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/crypto/hash.h"
#include "tokumei/identity/vault.h"
#include "tokumei/ingest/digest_table.h"
#include "tokumei/ingest/outcome.h"

namespace tokumei::ingest {

enum class BatchState { received, pending, acquired, excluded };
std::string_view batch_state_name(BatchState state);

// What a run took in, for the summary people read and --json.
struct IngestSummary {
  std::int64_t batch_id = 0;    // 0 when nothing new was taken in
  std::size_t batch_files = 0;  // files the batch holds (more than `files` when earlier, stopped
                                // runs took some in)
  std::size_t files = 0;
  std::size_t files_read = 0;
  std::size_t files_not_read = 0;
  std::size_t files_quarantined = 0;
  std::size_t files_already_taken = 0;  // same content as a file taken in before: skipped
  KeyCounter person_keys{};  // the vault keys of the persons the files spoke of (not shown)
  std::map<std::string, std::size_t> events{};  // per type: encounter, diagnosis, ...
  std::size_t records_refused = 0;              // single records refused inside read files
  std::size_t warnings = 0;
  std::map<std::string, std::size_t> quarantined_by_reason{};  // errc name → files

  // Distinct persons the files spoke of.
  std::size_t persons() const { return person_keys.size(); }
};

class BatchStore {
 public:
  // `db` migrated with schema() and identity::IdentityVault::schema(); all must outlive this.
  BatchStore(store::Database& db, crypto::KeyRing& keys, const Clock& clock, Random& random)
      : db_(db), keys_(keys), clock_(clock), vault_(db, keys, clock, random) {}
  static store::SchemaModule schema();

  // The institution's unfinished batch (state received), or a new one. Creates the data keys it
  // needs; call outside any transaction.
  Result<std::int64_t> open_batch(const std::string& institution);

  // The institution's unfinished batch (state received), if any: a run stopped before it could
  // finish one.
  Result<std::optional<std::int64_t>> unfinished_batch(const std::string& institution);

  // Whether a file with this content was already taken in from the institution.
  Result<bool> already_taken(const std::string& institution, const crypto::Digest& content);

  // Records one file's outcome in one transaction; false (and nothing written) when the same
  // content was taken in before. Adds what it recorded to `summary`.
  Result<bool> record(std::int64_t batch_id, const std::string& institution,
                      const crypto::Digest& content, const FileOutcome& outcome,
                      IngestSummary& summary);

  // Records a file too large to hold whole, part by part, in one transaction: `next` gives the
  // next part's outcome, or nullptr after the last (each part may reuse the last one's storage).
  // A part that comes back quarantined (an Individual Number) quarantines the whole file: what
  // earlier parts wrote is undone.
  Result<bool> record_parts(std::int64_t batch_id, const std::string& institution,
                            const crypto::Digest& content, const std::string& path,
                            const std::function<Result<const FileOutcome*>()>& next,
                            IngestSummary& summary);

  // A transaction several record() calls can share (each file is still all-or-nothing inside
  // it): committing small files in groups instead of one by one saves a disk sync per file.
  Result<store::Transaction> begin_group() { return db_.begin(); }

  // Whether group commits wait for the disk (store::Database::set_commit_waits_for_disk).
  Status set_commit_waits_for_disk(bool wait) { return db_.set_commit_waits_for_disk(wait); }

  // received → pending: everything of the run is in. Returns how many files the batch holds.
  Result<std::size_t> finish_batch(std::int64_t batch_id);

  Result<BatchState> state(std::int64_t batch_id);
  identity::IdentityVault& vault() { return vault_; }

 private:
  store::Database& db_;
  crypto::KeyRing& keys_;
  const Clock& clock_;
  identity::IdentityVault vault_;
};

// The version of what the readers map (code-system short names, record layouts, era tables),
// raised whenever a mapping changes (QUALITY-09). Every file records the version it was read
// with; records are stored as mapped, never mapped again, so a later change leaves them as they
// were and the version says how they were read.
inline constexpr int kMappingVersion = 1;

// The data key an institution's clinical records are sealed under.
std::string clinical_key(const std::string& institution);

}  // namespace tokumei::ingest
