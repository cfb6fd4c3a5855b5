#pragma once
// Corrections of source records (QUALITY-10): what was taken in is never edited in place (the
// tables refuse UPDATE); a correction is a new version of one event — its date, value, unit or
// code — entered by one person with a reason, and in effect only once another person confirms
// it. The original stays, and every version can be read back, each with who entered and who
// confirmed it and when (the deployment's clock). Corrections are sealed under the patient's
// data key like the event itself, and audited.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/identity/vault.h"
#include "tokumei/ingest/event_record.h"

namespace tokumei::ingest {

// What a correction changes; fields left empty stay as they were.
struct CorrectionChange {
  std::string date{};   // the event's main date (start, onset, observed, performed)
  std::string value{};  // a result's value
  std::string unit{};   // a result's or a prescription's unit
  std::string code{};   // the code of the event's main coding
};

struct EventVersion {
  std::int64_t correction_id = 0;  // 0: the original
  Event event;
  std::string reason{};
  std::string entered_by{}, confirmed_by{};
  TimePoint entered_at{};
  std::optional<TimePoint> confirmed_at{};
};

class Corrections {
 public:
  Corrections(store::Database& db, identity::IdentityVault& vault, audit::AuditLog& audit,
              const Clock& clock)
      : db_(db), vault_(vault), audit_(audit), clock_(clock) {}
  static store::SchemaModule schema();

  // Enters a correction of `event_id`; a reason is required. Returns its ID.
  Result<std::int64_t> enter(const audit::Actor& by, std::int64_t event_id,
                             const CorrectionChange& change, const std::string& reason);
  // Confirms it; the confirmer must not be the one who entered it (Errc::policy_violation).
  Status confirm(const audit::Actor& by, std::int64_t correction_id);
  // The original and every correction, oldest first.
  Result<std::vector<EventVersion>> history(std::int64_t event_id);
  // The version in effect: the latest confirmed correction, or the original.
  Result<EventVersion> effective(std::int64_t event_id);

 private:
  Result<EventVersion> original(std::int64_t event_id, std::string* person, std::string* type);

  store::Database& db_;
  identity::IdentityVault& vault_;
  audit::AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace tokumei::ingest
