#pragma once
// Monitors that read the audit stream and act (MONITOR-02, 03, 11; AUTHN-07; EMERG-03).
//
// Each cycle reads the entries written since the last one (the cursor is stored), runs every rule
// over them with sliding windows warmed from the entries just before, and for each rule that fires
// opens an incident linking the entries that triggered it. Once the incidents and the cursor are
// committed, it carries out each incident's action through Controls: end the user's sessions,
// lock the account, or freeze the exit queue. One (rule, user) pair opens at most one incident per
// cycle (later entries join it), and entries already linked to an incident of a rule never count
// for that rule again.
//
// Rules: failed_logins, off_hours, bulk_persons, export_volume, unregistered_terminal,
// privilege_change, break_glass, account_lock. Thresholds and actions come from configuration;
// break_glass only alerts (the request itself already opened its incident, so the rule catches an
// opening without one), since ending the session of someone handling an emergency helps nobody.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/base/clock.h"
#include "tokumei/store/database.h"
#include "tokumei/store/migration.h"

namespace tokumei::audit {

enum class Action { alert, end_session, lock_account, freeze_exit };
std::string_view action_name(Action a);
Result<Action> parse_action(std::string_view name);

struct MonitorConfig {
  int failed_logins = 5;  // failures by one user or at one terminal within the window
  std::chrono::minutes failed_logins_window{15};
  int bulk_persons = 100;  // distinct persons one user touches within the window
  std::chrono::minutes bulk_window{10};
  long long export_rows = 10000;         // rows in one export, or in all of one user's within a day
  int working_hours_start = 8;           // JST, inclusive
  int working_hours_end = 20;            // JST, exclusive; Saturdays and Sundays are outside
  std::int64_t checkpoint_every = 1000;  // entries between automatic checkpoints
  Action on_failed_logins = Action::alert;
  Action on_off_hours = Action::alert;
  Action on_bulk_persons = Action::lock_account;
  Action on_export_volume = Action::freeze_exit;
  Action on_unregistered_terminal = Action::alert;
  Action on_privilege_change = Action::alert;
  Action on_account_lock = Action::alert;
};

// What a monitor can do to the rest of the system; the security module implements it.
class Controls {
 public:
  virtual ~Controls() = default;
  virtual Status end_sessions(const std::string& user, const std::string& reason) = 0;
  virtual Status lock_account(const std::string& user, const std::string& reason) = 0;
  virtual Status freeze_exit(const std::string& reason) = 0;
};

struct Incident {
  std::int64_t id = 0;
  TimePoint opened;
  std::string rule;
  std::string user;      // whose actions triggered it ("" when none, e.g. a terminal)
  std::string severity;  // "high" | "medium"
  Action action = Action::alert;
  std::string summary_ja, summary_en;
  std::string status;  // open | acknowledged | closed (MONITOR-11 triage)
  std::string assignee;
  std::vector<std::int64_t> entries;  // the audit entries that triggered it
};

struct CycleReport {
  std::int64_t from = 0, to = 0;  // entries read: (from, to]
  std::vector<Incident> incidents;
  bool checkpoint_due = false;  // checkpoint_every entries have gathered since the last one
};

class Monitor {
 public:
  Monitor(store::Database& db, AuditLog& log, const Clock& clock, MonitorConfig config)
      : db_(&db), log_(&log), clock_(&clock), config_(config) {}

  static store::SchemaModule schema();

  // One evaluation cycle; it also says whether a periodic checkpoint is due.
  Result<CycleReport> run_cycle(Controls& controls, const Actor& by);

  Result<std::vector<Incident>> incidents(bool open_only);
  // MONITOR-11 triage: acknowledge with an assignee, or close with a note.
  Status acknowledge(const Actor& by, std::int64_t id, std::string_view assignee);
  Status close(const Actor& by, std::int64_t id, std::string_view note);
  // Opens an incident by hand or from another module (an unreviewed break-glass, EMERG-03).
  Result<std::int64_t> open_incident(store::Transaction& tx, const Actor& by, Incident incident);

  // Whether the exit queue is frozen, and why; released only by a person.
  Result<std::optional<std::string>> exit_frozen();
  Status freeze_exit(const Actor& by, std::string_view reason);
  Status release_exit(const Actor& by, std::string_view reason);

 private:
  store::Database* db_;
  AuditLog* log_;
  const Clock* clock_;
  MonitorConfig config_;
};

}  // namespace tokumei::audit
