#pragma once
// Record linkage kept (名寄せの記録): which of the vault's persons (one per institution and patient
// ID) are one person across hospitals, how each link came to be, and the pairs people must decide.
//
// - A run links every person the vault holds (their latest identity version), with u fitted to
//   them, and merges the pairs that match, best first, unless a person decided the pair is two
//   persons or the merge would give one person two records of one institution. Pairs between the
//   thresholds that are not linked yet and not decided wait for review.
// - A reviewer decides a waiting pair: one person (merged) or two (kept apart, and no later run
//   merges them). Splitting takes a record out of its linked person (and records that it is not
//   the others). Every merge and split is an event that lists what it moved, and can be undone
//   by a later event while nothing moved since; undoing a run's merge records that the pair is
//   two persons. Nothing is edited: decisions and events are only added (triggers refuse UPDATE
//   and DELETE).
// - Every run, decision, split and undo is written to the audit log in its own transaction, with
//   the persons as HMAC references; reading two identities for review is logged too.
//
// Linked persons are named by a linked key: the person key of one of their records. Persons no
// run or person has linked are alone (their linked key is their own person key).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/identity/linkage.h"
#include "tokumei/identity/vault.h"

namespace tokumei::identity {

struct LinkRunSummary {
  std::int64_t run_id = 0;
  std::size_t persons = 0;  // identities linked
  std::uint64_t compared = 0;
  std::size_t merges = 0;              // merge events made by this run
  std::size_t kept_apart = 0;          // matching pairs a person had decided are two persons
  std::size_t waiting_for_review = 0;  // pairs of this run now waiting
  std::size_t linked_persons = 0;      // persons with more than one record, after the run
  std::uint64_t blocks_too_large = 0;
};

// A pair waiting for a person's decision, with everything that explains its score.
struct LinkReview {
  std::int64_t pair_id = 0;
  std::int64_t run_id = 0;
  std::string person_a, person_b;
  double score = 0;
  Comparison comparison{};
  Reason reason = Reason::between_thresholds;
};

struct LinkEvent {
  std::int64_t id = 0;
  TimePoint at{};
  std::string actor;
  std::string action;  // merge, split, undo
  std::optional<std::int64_t> run_id, pair_id, undoes;
  std::string reason;
  std::size_t moved = 0;  // records moved
};

class LinkageStore {
 public:
  // `db` migrated with schema() (and the vault's and the audit log's); all must outlive this.
  LinkageStore(store::Database& db, IdentityVault& vault, crypto::KeyRing& keys,
               audit::AuditLog& audit, const Clock& clock)
      : db_(db), vault_(vault), keys_(keys), audit_(audit), clock_(clock) {}
  static store::SchemaModule schema();

  // Links everything the vault holds (see above). `model` defaults to LinkageModel::defaults()
  // with u fitted to the persons.
  Result<LinkRunSummary> run(const audit::Actor& by,
                             const std::optional<LinkageModel>& model = std::nullopt,
                             const LinkOptions& options = {});

  // The pairs waiting for review, best score first.
  Result<std::vector<LinkReview>> waiting();

  // The two identities of a waiting pair, side by side (the reviewer's read is logged).
  Result<std::pair<model::PersonIdentity, model::PersonIdentity>> identities(const audit::Actor& by,
                                                                             std::int64_t pair_id);

  // Decides a pair (waiting or not): one person merges them (unless that would give a person two
  // records of one institution: Errc::conflict), two persons keeps them apart from now on.
  // `reason` is required. Returns the merge event, or 0 when nothing moved.
  Result<std::int64_t> decide(const audit::Actor& by, std::int64_t pair_id, bool same_person,
                              const std::string& reason);

  // Takes `person_key` out of its linked person. Returns the split event.
  Result<std::int64_t> split(const audit::Actor& by, const std::string& person_key,
                             const std::string& reason);

  // Undoes a merge or split event. Errc::conflict, naming the later event to undo first, when
  // a record it moved has moved since; Errc::already_exists when it was undone already.
  Result<std::int64_t> undo(const audit::Actor& by, std::int64_t event_id,
                            const std::string& reason);

  // The linked key of a person (its own key when alone), and the records of a linked person.
  Result<std::string> linked_key(const std::string& person_key);
  Result<std::vector<std::string>> members(const std::string& linked_key);

  // Events, newest first.
  Result<std::vector<LinkEvent>> events(std::size_t limit);

 private:
  struct Move {
    std::string person, from, to;
  };
  Result<std::int64_t> record_event(const audit::Actor& by, std::string_view action,
                                    const std::vector<Move>& moves, std::optional<std::int64_t> run,
                                    std::optional<std::int64_t> pair,
                                    std::optional<std::int64_t> undoes, const std::string& reason);
  Status apply(const std::vector<Move>& moves);
  Result<std::vector<Move>> merge_moves(const std::string& a, const std::string& b);
  Status add_verdict(const std::string& a, const std::string& b, std::string_view verdict,
                     std::int64_t event, const audit::Actor& by, const std::string& reason);
  Result<std::optional<std::string>> verdict(const std::string& a, const std::string& b);
  Result<std::string> institution_of(const std::string& person_key);
  Result<std::pair<std::string, std::string>> pair_persons(std::int64_t pair_id);
  Result<std::string> subject(const std::string& person_key);
  Status audit_entry(const audit::Actor& by, std::string_view action, std::string object,
                     const std::string& detail, std::vector<std::string> subjects);

  store::Database& db_;
  IdentityVault& vault_;
  crypto::KeyRing& keys_;
  audit::AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace tokumei::identity
