#pragma once
// Periodic review of the audit log (AUDIT-06, AUDIT-08): a reviewer signs off a period with their
// findings. The review covers every person who acted in the period except the reviewer — nobody
// reviews the log of their own actions — so the reviewer's own entries, their reading of the log
// included, wait for someone else's review. A month without a review is overdue.

#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"

namespace tokumei::audit {

struct Review {
  std::int64_t id = 0;
  TimePoint from, to;  // the period, [from, to)
  std::string reviewer;
  std::vector<std::string> covered;  // persons whose actions this review covers
  std::int64_t entries = 0;          // entries of those persons in the period
  std::string findings;
  TimePoint at;
};

class Reviews {
 public:
  Reviews(store::Database& db, AuditLog& log, const Clock& clock)
      : db_(&db), log_(&log), clock_(&clock) {}

  static store::SchemaModule schema();

  // Signs off [from, to). Errc::invalid_input without findings or for an empty or future period.
  Result<Review> sign_off(const Actor& reviewer, TimePoint from, TimePoint to,
                          std::string_view findings);
  Result<std::vector<Review>> list();
  // Persons who acted in [from, to) and whose actions no review by someone else covers yet.
  Result<std::vector<std::string>> unreviewed(TimePoint from, TimePoint to);
  // The start of the earliest stretch since the first entry that no review covers (none when the
  // reviews cover everything up to now). Overdue when that is more than 31 days ago (AUDIT-08).
  Result<std::optional<TimePoint>> unreviewed_since();
  Result<bool> overdue();

 private:
  store::Database* db_;
  AuditLog* log_;
  const Clock* clock_;
};

}  // namespace tokumei::audit
