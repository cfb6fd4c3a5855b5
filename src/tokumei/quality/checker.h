#pragma once
// Quality checks on a batch before it is acquired (QUALITY-01..03, 06..08, INTAKE-09).
//
// - check() runs every rule of rules.h over a pending batch: its events (dates against the
//   patient's birth and death, the day of the check and the extraction date; admissions and
//   discharges; codes; duplicates) and its patients' identity versions from every batch of the
//   institution (several names after Japanese normalization, different sexes or birth dates,
//   patient IDs found only in claims). Each finding points at the exact records: event IDs,
//   and for each the file's SHA-256, line, byte offset and element. Findings already made for
//   the batch are not made again. The batch's report (JSON) is stored with the batch.
// - A quality reviewer — an account whose medical qualification is recorded — decides each
//   finding: confirm (a true problem: the records concerned are excluded at acquisition),
//   override (a false alarm, or a change with evidence such as a marriage; the records stay;
//   a reason is required) or exclude (all of that patient's records of the batch are excluded).
//   Decisions are never edited: a later decision supersedes the earlier one, which stays.
// - Patients not covered by a notification (rule consent.not_notified: no notification on record
//   although claims or clinical data show they were seen, or records dated before it) are held
//   out at acquisition unless a reviewer overrides the finding (QUALITY-04/05).
// - acquire() moves the batch from pending to acquired only when the institution has a
//   notification document in effect and no blocking finding is open; it erases patients who
//   asked to stop (consent registry), deletes the excluded records (row delete with SQLite's
//   secure_delete; the exclusion log lists each with its finding and rule, and a deletion record
//   is written), and is audited.
//
// No name, birth date or patient ID is stored with a finding; showing a finding's records to a
// reviewer decrypts them and is written to the audit log.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/consent/consent.h"
#include "tokumei/identity/vault.h"
#include "tokumei/ingest/event_record.h"
#include "tokumei/quality/rules.h"
#include "tokumei/security/accounts.h"

namespace tokumei::quality {

struct CheckOptions {
  // The day the institution extracted the data (YYYY-MM-DD); the day the batch was received
  // when not given. Dates are Japanese (UTC+9) days.
  std::optional<std::string> extraction_date{};
};

enum class Decision { confirm, override_alarm, exclude };
std::string_view decision_name(Decision d);  // confirm, override, exclude
Result<Decision> parse_decision(std::string_view name);

// Where a finding's event came from (nothing identifying: the file by its content hash).
struct EventLocation {
  std::int64_t event_id = 0;
  std::string type{}, date{}, code_system{}, code{};
  std::string file_sha256{};
  int line = 0;
  std::int64_t offset = -1;
  std::string element{};
};

struct Finding {
  std::int64_t id = 0;
  std::int64_t batch_id = 0;
  std::int64_t check_id = 0;
  std::string rule_id;
  int rule_version = 0;
  Severity severity = Severity::error;
  bool blocking = true;
  std::string person_key;
  std::vector<EventLocation> events;  // empty for findings on a patient's identity
  std::string detail;                 // JSON: what differs (field names, counts), never values
  TimePoint found_at{};
  std::string status = "open";  // open, confirm, override, exclude (the latest decision)
};

struct CheckSummary {
  std::int64_t check_id = 0;
  std::int64_t batch_id = 0;
  std::size_t persons = 0;
  std::size_t events = 0;
  std::size_t new_findings = 0;
  std::map<std::string, std::size_t> by_rule{};  // every finding of the batch, per rule
  std::size_t open_blocking = 0;
  std::string extraction_date;
};

struct RuleMetrics {
  std::string rule_id;
  int rule_version = 0;
  std::size_t findings = 0, confirmed = 0, false_alarms = 0, open = 0;
};

struct AcquireSummary {
  std::int64_t batch_id = 0;
  std::size_t events_acquired = 0;
  std::size_t events_excluded = 0;
  std::size_t persons_excluded = 0;      // whose every record of the batch was excluded
  std::size_t persons_opted_out = 0;     // erased: they had asked to stop
  std::size_t persons_not_notified = 0;  // held out: not covered by a notification
  std::int64_t deletion_record = 0;      // 0 when nothing was deleted
};

// A question to the institution about a finding (INTAKE-10): it goes out by a channel other than
// the intake server (which cannot send), on paper or through the operator's office system, and is
// tracked until it is closed.
struct QueryStep {
  std::string status;  // open, answered, closed
  std::string note;
  std::string by;
  TimePoint at{};
};
struct InstitutionQuery {
  std::int64_t id = 0;
  std::int64_t finding_id = 0;
  std::string institution;
  std::string status;  // the latest step's
  std::vector<QueryStep> steps{};
};

// What a reviewer sees of a finding.
struct FindingView {
  Finding finding;
  std::vector<model::PersonIdentity> identities;  // every version of the patient, oldest first
  std::vector<ingest::Event> events;              // the finding's events, decrypted
};

class QualityStore {
 public:
  QualityStore(store::Database& db, crypto::KeyRing& keys, identity::IdentityVault& vault,
               security::AccountStore& accounts, consent::ConsentStore& consent,
               audit::AuditLog& audit, const Clock& clock)
      : db_(db),
        keys_(keys),
        vault_(vault),
        accounts_(accounts),
        consent_(consent),
        audit_(audit),
        clock_(clock) {}
  static store::SchemaModule schema();

  Result<CheckSummary> check(const audit::Actor& by, std::int64_t batch_id,
                             const CheckOptions& options = {});

  struct Filter {
    std::optional<std::int64_t> batch{};
    bool open_only = false;
    std::string rule{};
    std::size_t limit = 1000;
  };
  Result<std::vector<Finding>> findings(const Filter& filter);
  Result<Finding> finding(std::int64_t id);
  Result<FindingView> show(const audit::Actor& by, std::int64_t id);

  // `reviewer` must be an active quality reviewer with a recorded qualification; a reason is
  // required to override or exclude. Returns the decision's ID.
  Result<std::int64_t> decide(const std::string& reviewer, const std::string& terminal,
                              std::int64_t finding_id, Decision decision,
                              const std::string& reason);

  // The batch's latest report (JSON text), and the same as a page people read.
  Result<std::string> report_json(std::int64_t batch_id);
  Result<std::string> report_html(std::int64_t batch_id, Lang lang);

  // Per rule and version: findings made in [from, to), how the latest decisions went.
  Result<std::vector<RuleMetrics>> metrics(TimePoint from, TimePoint to);

  // The open blocking findings of a batch (what keeps it pending).
  Result<std::vector<Finding>> open_blocking(std::int64_t batch_id);

  Result<AcquireSummary> acquire(const audit::Actor& by, std::int64_t batch_id);

  // INTAKE-10: opens a query about a finding, records the institution's answer, closes it.
  // Steps are only added (open → answered → closed; answered again after more questions).
  Result<std::int64_t> open_query(const audit::Actor& by, std::int64_t finding_id,
                                  const std::string& note);
  Status add_query_step(const audit::Actor& by, std::int64_t query_id, const std::string& status,
                        const std::string& note);
  Result<std::vector<InstitutionQuery>> queries(bool open_only);
  // The letter to the institution: the finding in their terms — their patient ID, the rule, and
  // each record by file hash, line and element. Writing it out is logged.
  Result<std::string> query_letter(const audit::Actor& by, std::int64_t query_id, Lang lang);

 private:
  Result<std::vector<EventLocation>> locate(const std::string& institution,
                                            const std::string& person_key,
                                            const std::vector<std::int64_t>& event_ids);
  Result<std::string> make_report(std::int64_t batch_id, std::int64_t check_id,
                                  const CheckSummary& summary);
  Status register_rules();
  Result<store::Rows> persons_of(std::int64_t batch_id);  // the batch's patients, by key

  store::Database& db_;
  crypto::KeyRing& keys_;
  identity::IdentityVault& vault_;
  security::AccountStore& accounts_;
  consent::ConsentStore& consent_;
  audit::AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace tokumei::quality
