#pragma once
// Emergency and maintenance access to stored records (break-glass; EMERG-01..03, AUTHZ-10).
//
// Whoever asks states a reason, a scope (which persons, as HMAC references, or which datasets) and
// a time limit. Outside emergencies the access opens only once a system administrator approves it
// (EMERG-02). In an emergency it opens at once, and a system administrator confirms it afterwards
// (EMERG-03); left unconfirmed, or rejected, it becomes an incident. Either way the security
// officer is alerted the moment access is asked for (an incident of rule "break_glass"), every
// use inside the scope is recorded, a use outside it is refused, access ends by itself at the
// limit, and the security officer reviews what was done. Every step is an audit event.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/monitor.h"
#include "tokumei/security/sessions.h"

namespace tokumei::security {

struct BreakGlassPolicy {
  std::chrono::minutes max_duration{240};  // the longest window anyone may ask for
  std::chrono::hours confirm_within{24};   // after the window, for an emergency's confirmation
};

struct BreakGlassRequest {
  std::string reason;
  std::vector<std::string> persons;   // HMAC references of the persons concerned
  std::vector<std::string> datasets;  // dataset IDs
  std::chrono::minutes duration{60};
  bool emergency = false;  // open now, confirm afterwards
};

struct BreakGlassGrant {
  std::int64_t id = 0;
  std::string requester, terminal, reason;
  std::vector<std::string> persons, datasets;
  bool emergency = false;
  std::chrono::minutes duration{0};
  TimePoint requested_at;
  std::optional<TimePoint> starts_at, ends_at;
  std::string decided_by;  // the administrator who approved, confirmed or rejected
  std::string decision;    // "" | approved | confirmed | rejected
  std::string reviewed_by, review_note;
  int uses = 0;
  // requested | active | ended | rejected
  std::string state(TimePoint now) const;
};

class BreakGlass {
 public:
  BreakGlass(store::Database& db, audit::AuditLog& audit, audit::Monitor& monitor,
             const Clock& clock, BreakGlassPolicy policy = {})
      : db_(&db), audit_(&audit), monitor_(&monitor), clock_(&clock), policy_(policy) {}

  static store::SchemaModule schema();

  Result<BreakGlassGrant> open(const AuthContext& who, const BreakGlassRequest& request);
  // Prior approval (EMERG-02), or confirmation after an emergency (EMERG-03). Never by the person
  // who asked.
  Status approve(const AuthContext& admin, std::int64_t id, std::string_view note);
  // Refuses a request, or rejects an emergency afterwards, which opens an incident.
  Status reject(const AuthContext& admin, std::int64_t id, std::string_view note);
  // Allows one use for `who` of a person reference or dataset ID under grant `id`: only inside the
  // scope, the window and for the person it was granted to. Each use and refusal is audited.
  Status use(const AuthContext& who, std::int64_t id, std::string_view target);
  // The security officer's review after the window (EMERG-03), by someone who neither asked nor
  // decided.
  Status review(const AuthContext& officer, std::int64_t id, std::string_view findings);
  // Emergencies still unconfirmed `confirm_within` after their window: each opens an incident
  // once. Returns how many.
  Result<int> escalate_unconfirmed(const audit::Actor& by);

  Result<std::vector<BreakGlassGrant>> list();
  Result<BreakGlassGrant> find(std::int64_t id);

 private:
  store::Database* db_;
  audit::AuditLog* audit_;
  audit::Monitor* monitor_;
  const Clock* clock_;
  BreakGlassPolicy policy_;
};

}  // namespace tokumei::security
