#pragma once
// Logins, sessions and terminals (AUTHN-02, 06, 07, 15; AUTHZ-01/02; AUDIT-02).
//
// A login needs a registered terminal, the password and a TOTP code: a password alone never
// opens a session. A session is a random token of which only the SHA-256 is stored; it is bound to
// the terminal it was opened from, ends after `idle` without use (5 minutes) and after `absolute`
// in any case, and ends at once when the account is locked or disabled. Every call goes through
// authorize(), which re-reads the account, so a change of role or a lock takes effect at the next
// call, and records the terminal on every audit entry the caller writes with ctx.actor().

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/security/accounts.h"
#include "tokumei/security/authorization.h"
#include "tokumei/store/database.h"
#include "tokumei/store/migration.h"

namespace tokumei::security {

struct SessionPolicy {
  std::chrono::minutes idle{5};        // AUTHN-15: at most 5 minutes
  std::chrono::minutes absolute{480};  // a working day
};

// What an authorized call knows about who makes it.
struct AuthContext {
  Account account;
  std::string session_id;  // public identifier of the session (not the token)
  std::string terminal;
  audit::Actor actor() const { return {account.user_id, terminal}; }
};

struct Login {
  std::string token;  // shown to the caller once; never stored
  std::string session_id;
  TimePoint idle_deadline, absolute_deadline;
  // Days until the password expires, when within the warning period (AUTHN-06).
  std::optional<int> password_days_left;
};

struct Terminal {
  std::string id;
  std::string description;
  bool active = true;
  std::string registered_by;
  TimePoint registered_at;
};

struct SessionInfo {
  std::string session_id, user_id, terminal;
  TimePoint started, last_seen;
  std::optional<TimePoint> ended;
  std::string end_reason;
};

class Sessions {
 public:
  // All references must outlive the sessions. The database must be migrated with schema().
  Sessions(store::Database& db, AccountStore& accounts, audit::AuditLog& audit, const Clock& clock,
           Random& random, SessionPolicy policy, PasswordPolicy password_policy);

  static store::SchemaModule schema();

  // Registers a terminal ID (refused for an unknown or retired one at login).
  Status register_terminal(const audit::Actor& by, std::string_view id,
                           std::string_view description);
  Status retire_terminal(const audit::Actor& by, std::string_view id);
  Result<std::vector<Terminal>> terminals();

  // Opens a session. Errc::authentication_failed for any wrong factor (same words, AUTHN-07);
  // Errc::permission_denied for an unregistered terminal; Errc::policy_violation when the
  // password must be changed first (one-time or expired, AUTHN-06/09): change it, then log in.
  Result<Login> login(std::string_view terminal, std::string_view user_id,
                      std::string_view password, std::string_view totp_code);

  // Checks a call: a live session for `token` opened from `terminal`, an active unlocked account,
  // and a role that may perform `op`. Refusals are audited. Touches the session (idle timer).
  Result<AuthContext> authorize(std::string_view token, std::string_view terminal, Operation op);

  Status logout(std::string_view token, std::string_view terminal);
  // Ends every live session of `user_id` (the monitors' control, MONITOR-03). Returns how many.
  Result<int> end_sessions(const audit::Actor& by, std::string_view user_id,
                           std::string_view reason);
  Result<std::vector<SessionInfo>> sessions(bool live_only);

 private:
  Status end(store::Transaction& tx, const std::string& id, const audit::Actor& by,
             std::string_view reason);

  store::Database* db_;
  AccountStore* accounts_;
  audit::AuditLog* audit_;
  const Clock* clock_;
  Random* random_;
  SessionPolicy policy_;
  PasswordPolicy password_policy_;
};

}  // namespace tokumei::security
