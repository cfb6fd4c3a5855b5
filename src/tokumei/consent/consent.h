#pragma once
// Notification and the right to stop (通知と停止の求め; CONSENT-01..04, QUALITY-04/05).
//
// - Each institution's notification documents (通知書面) and method, versioned, with the day each
//   takes effect and who confirmed it. Acquisition from an institution with none is refused.
// - Each patient's notification status per institution, as a history with its source (the
//   institution's list, a correction): who was notified, when and how. Patients are held by a
//   keyed blind index of (institution, patient ID), never in clear.
// - The opt-out registry (停止の求め): registering one deletes what is stored for the person — at
//   that institution and every record linked to them at others — with a deletion record, marks
//   their person keys erased (reading them then fails with Errc::key_destroyed, "erased"),
//   excludes them from every later acquisition, and reports the datasets already provided that
//   contained them.
//
// The quality check uses the notification status to flag patients whose data are not covered
// (rule consent.not_notified): no notification on record although claims or clinical data show
// they were seen, or data dated before their notification.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/identity/vault.h"
#include "tokumei/ops/deletion_records.h"

namespace tokumei::consent {

struct NotificationDocument {
  std::string institution;
  std::string version;         // the institution's own version name ("2024年度版")
  std::string method;          // posting, letter, in_person, website, ...
  std::string effective_from;  // YYYY-MM-DD
  std::string content_sha256;  // of the document file; the file itself stays with the operator
  std::string confirmed_by{};
  TimePoint recorded_at{};
};

struct Notification {
  std::string notified_on;  // YYYY-MM-DD; empty when the list gave no day
  std::string method{};
  std::string document_version{};
  std::string source{};  // institution_list, correction
  std::string recorded_by{};
  TimePoint recorded_at{};
};

struct ImportSummary {
  std::size_t rows = 0;
  std::size_t recorded = 0;
  std::vector<Error> refused{};  // each with its file, line and field
};

struct OptOut {
  std::int64_t id = 0;
  std::string institution;
  std::string received_on;
  std::string via;  // institution, consultation_center
  std::string recorded_by;
  TimePoint recorded_at{};
  std::size_t records_deleted = 0;
  std::size_t identities_deleted = 0;
  std::int64_t deletion_record = 0;
};

// What registering an opt-out did.
struct OptOutReport {
  OptOut opt_out;
  std::vector<std::string> person_keys{};  // erased (the patient and linked records)
  // The datasets provided that contained them. The consent module does not know provisions: it
  // leaves this nullopt ("not known"), and the caller fills it from release::datasets_holding.
  std::optional<std::vector<std::string>> datasets_provided{};
};

// A record of the vault with the patient it is.
struct PatientRecord {
  std::string person_key;
  std::string institution{};
  std::string patient_id{};
};

class ConsentStore {
 public:
  ConsentStore(store::Database& db, crypto::KeyRing& keys, identity::IdentityVault& vault,
               audit::AuditLog& audit, const Clock& clock)
      : db_(db), keys_(keys), vault_(vault), audit_(audit), clock_(clock) {}
  static store::SchemaModule schema();

  // CONSENT-01.
  Status add_document(const audit::Actor& by, const NotificationDocument& document);
  Result<std::vector<NotificationDocument>> documents(const std::string& institution);
  // The document in effect on `day` (the latest effective_from not after it), if any.
  Result<std::optional<NotificationDocument>> document_in_effect(const std::string& institution,
                                                                 const std::string& day);

  // CONSENT-02: the institution's list of notified patients, CSV with a header: patient_id and
  // optionally notified_on (a date in any form identity::normalize_date reads) and method. A row
  // that cannot be read is refused with its line; the others are recorded.
  Result<ImportSummary> import_notifications(const audit::Actor& by, const std::string& institution,
                                             const std::string& csv_text,
                                             const std::string& file_name);
  Status record_notification(const audit::Actor& by, const std::string& institution,
                             const std::string& patient_id, const Notification& n);
  // The patient's notification history, oldest first.
  Result<std::vector<Notification>> notifications(const std::string& institution,
                                                  const std::string& patient_id);
  // Every notification of an institution, held in memory for checking a whole batch: what
  // `notifications` says of a patient, without a query each.
  class Index {
   public:
    // The earliest notification day of the patient ("" when a notification gives no day), or
    // nullopt when none is on record.
    Result<std::optional<std::string>> earliest(const std::string& patient_id);

   private:
    friend class ConsentStore;
    ConsentStore* store_ = nullptr;
    std::string institution_;
    std::map<Bytes, std::string> earliest_;
  };
  Result<Index> notification_index(const std::string& institution);

  // The history of a person by key (their identity gives institution and patient ID).
  Result<std::vector<Notification>> notifications_of(const std::string& person_key);

  // CONSENT-03/04. `received_on` is the day the request reached the operator.
  Result<OptOutReport> opt_out(const audit::Actor& by, const std::string& institution,
                               const std::string& patient_id, const std::string& received_on,
                               const std::string& via);
  Result<std::vector<OptOut>> opt_outs();
  Result<bool> opted_out(const std::string& institution, const std::string& patient_id);

  // A record and every record linked to it at other hospitals, erased ones left out.
  Result<std::vector<PatientRecord>> linked_records(const std::string& person_key);

  // Erases `records` (events of every batch, identity versions, patient index; linkage
  // membership; keys marked erased) and registers an opt-out for each of their patients, and for
  // `requested` when given, that is not registered yet; writes one deletion record. Joins the
  // caller's transaction; writes no audit entry (the caller does).
  Result<OptOutReport> erase_and_register(const audit::Actor& by,
                                          const std::vector<PatientRecord>& records,
                                          const std::optional<PatientRecord>& requested,
                                          const std::string& received_on, const std::string& via,
                                          const std::string& object);

 private:
  Result<Bytes> patient_index(const std::string& institution, const std::string& patient_id);

  store::Database& db_;
  crypto::KeyRing& keys_;
  identity::IdentityVault& vault_;
  audit::AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace tokumei::consent
