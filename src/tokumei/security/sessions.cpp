#include "tokumei/security/sessions.h"

#include <nlohmann/json.hpp>

#include "tokumei/crypto/hash.h"

namespace tokumei::security {
namespace {

std::string token_key(std::string_view token) {
  return hex_encode(crypto::sha256(as_bytes(token)));
}

std::unexpected<Error> not_logged_in() {
  return fail(Errc::authentication_failed,
              {"ログインしていません。tokumei login でログインしてください",
               "not logged in; log in with tokumei login"});
}

}  // namespace

Sessions::Sessions(store::Database& db, AccountStore& accounts, audit::AuditLog& audit,
                   const Clock& clock, Random& random, SessionPolicy policy,
                   PasswordPolicy password_policy)
    : db_(&db),
      accounts_(&accounts),
      audit_(&audit),
      clock_(&clock),
      random_(&random),
      policy_(policy),
      password_policy_(password_policy) {}

store::SchemaModule Sessions::schema() {
  return {"sessions", {{1, "registered terminals and login sessions (AUTHN-02/15, AUDIT-02)", R"sql(
CREATE TABLE terminals (
  id            TEXT PRIMARY KEY,
  description   TEXT NOT NULL,
  active        INTEGER NOT NULL DEFAULT 1,
  registered_by TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  session_id  TEXT NOT NULL UNIQUE,
  user_id     TEXT NOT NULL,
  terminal    TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  absolute_at INTEGER NOT NULL,
  ended_at    INTEGER,
  end_reason  TEXT
);
CREATE INDEX sessions_live ON sessions (user_id) WHERE ended_at IS NULL;
)sql"}}};
}

Status Sessions::register_terminal(const audit::Actor& by, std::string_view id,
                                   std::string_view description) {
  if (id.empty() || id.size() > 64) {
    return fail(Errc::invalid_input,
                {"端末IDは 1〜64 文字にしてください", "a terminal ID has 1 to 64 characters"},
                Location{.field = "terminal"});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(db_->execute(
      "INSERT INTO terminals (id, description, registered_by, registered_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET description = excluded.description, active = 1",
      {std::string(id), std::string(description), by.user, to_unix_ms(clock_->now())}));
  TKM_RETURN_IF_ERROR(audit_->append(
      tx,
      {by, "terminal.register", "terminal:" + std::string(id), audit::Outcome::success, "{}", {}}));
  return tx.commit();
}

Status Sessions::retire_terminal(const audit::Actor& by, std::string_view id) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(std::int64_t n, db_->execute("UPDATE terminals SET active = 0 WHERE id = ?",
                                                    {std::string(id)}));
  if (n == 0) {
    return fail(Errc::not_found, {"端末「" + std::string(id) + "」は登録されていません",
                                  "terminal '" + std::string(id) + "' is not registered"});
  }
  TKM_ASSIGN_OR_RETURN(store::Rows live,
                       db_->query("SELECT session_id FROM sessions WHERE terminal = ? AND "
                                  "ended_at IS NULL",
                                  {std::string(id)}));
  for (const auto& r : live) TKM_RETURN_IF_ERROR(end(tx, r.text(0), by, "terminal_retired"));
  TKM_RETURN_IF_ERROR(audit_->append(
      tx,
      {by, "terminal.retire", "terminal:" + std::string(id), audit::Outcome::success, "{}", {}}));
  return tx.commit();
}

Result<std::vector<Terminal>> Sessions::terminals() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT id, description, active, registered_by, registered_at "
                                  "FROM terminals ORDER BY id"));
  std::vector<Terminal> out;
  for (const auto& r : rows) {
    out.push_back({r.text(0), r.text(1), r.integer(2) != 0, r.text(3), from_unix_ms(r.integer(4))});
  }
  return out;
}

Result<Login> Sessions::login(std::string_view terminal, std::string_view user_id,
                              std::string_view password, std::string_view totp_code) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows known,
      db_->query("SELECT 1 FROM terminals WHERE id = ? AND active = 1", {std::string(terminal)}));
  if (known.empty()) {  // AUTHN-17, MONITOR-02: logins come only from registered terminals
    TKM_RETURN_IF_ERROR(
        status_of(audit_->record({{"system:auth", std::string(terminal)},
                                  "auth.login",
                                  "terminal:" + std::string(terminal),
                                  audit::Outcome::denied,
                                  nlohmann::json{{"reason", "unregistered_terminal"}}.dump(),
                                  {}})));
    return fail(Errc::permission_denied,
                {"端末「" + std::string(terminal) +
                     "」は登録されていません。システム管理者に登録を依頼してください",
                 "terminal '" + std::string(terminal) +
                     "' is not registered; ask the system administrator to register it"},
                Location{.field = "terminal"});
  }
  TKM_ASSIGN_OR_RETURN(PasswordState state,
                       accounts_->verify_password(terminal, user_id, password));
  if (state != PasswordState::valid) {  // AUTHN-06, AUTHN-09: nothing else before the change
    return fail(Errc::policy_violation,
                {state == PasswordState::must_change
                     ? "初期（再発行）パスワードです。先にパスワードを変更してください"
                     : "パスワードの有効期限が切れています。先にパスワードを変更してください",
                 state == PasswordState::must_change
                     ? "this is a one-time password: change the password first"
                     : "the password has expired: change it first"},
                Location{.field = "password"});
  }
  // AUTHN-02. A wrong or missing code gets the same answer as a wrong password, which would
  // otherwise tell that the password was right.
  if (Status code = accounts_->verify_totp(terminal, user_id, totp_code); !code) {
    if (code.error().code() == Errc::authentication_failed ||
        code.error().code() == Errc::not_found) {
      return login_refused();
    }
    return std::unexpected(code.error());
  }
  TKM_ASSIGN_OR_RETURN(Account account, accounts_->find(user_id));
  TimePoint now = clock_->now();
  Login out;
  out.token = hex_encode(random_->bytes(32));
  out.session_id = hex_encode(random_->bytes(8));
  out.idle_deadline = now + policy_.idle;
  out.absolute_deadline = now + policy_.absolute;
  TimePoint expires = account.password_set_at + password_policy_.max_age;
  if (expires - now <= password_policy_.warn_before) {
    out.password_days_left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::days>(expires - now + std::chrono::hours(23))
            .count());
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(db_->execute(
      "INSERT INTO sessions (token_hash, session_id, user_id, terminal, started_at, last_seen, "
      "absolute_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {token_key(out.token), out.session_id, std::string(user_id), std::string(terminal),
       to_unix_ms(now), to_unix_ms(now), to_unix_ms(out.absolute_deadline)}));
  nlohmann::json detail{{"session", out.session_id}, {"role", role_name(account.role)}};
  if (out.password_days_left) detail["password_days_left"] = *out.password_days_left;
  TKM_RETURN_IF_ERROR(audit_->append(tx, {{std::string(user_id), std::string(terminal)},
                                          "auth.login",
                                          "session:" + out.session_id,
                                          audit::Outcome::success,
                                          detail.dump(),
                                          {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return out;
}

Status Sessions::end(store::Transaction& tx, const std::string& id, const audit::Actor& by,
                     std::string_view reason) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE "
                                  "session_id = ? AND ended_at IS NULL RETURNING user_id",
                                  {to_unix_ms(clock_->now()), std::string(reason), id}));
  if (rows.empty()) return ok();  // ended already
  const store::Row& row = rows[0];
  return status_of(
      audit_->append(tx, {by,
                          "auth.session.end",
                          "session:" + id,
                          audit::Outcome::success,
                          nlohmann::json{{"reason", reason}, {"user", row.text(0)}}.dump(),
                          {}}));
}

Result<AuthContext> Sessions::authorize(std::string_view token, std::string_view terminal,
                                        Operation op) {
  const OperationInfo& info = operation_info(op);
  auto refuse = [&](const std::string& user, std::string_view reason) -> Status {
    return status_of(audit_->record({{user, std::string(terminal)},
                                     "authz.check",
                                     "operation:" + std::string(info.name),
                                     audit::Outcome::denied,
                                     nlohmann::json{{"reason", reason}}.dump(),
                                     {}}));
  };
  if (token.empty()) {
    TKM_RETURN_IF_ERROR(refuse("anonymous", "no_session"));
    return not_logged_in();
  }
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT session_id, user_id, terminal, last_seen, absolute_at, "
                                  "ended_at, end_reason FROM sessions WHERE token_hash = ?",
                                  {token_key(token)}));
  if (rows.empty()) {
    TKM_RETURN_IF_ERROR(refuse("anonymous", "unknown_session"));
    return not_logged_in();
  }
  const store::Row& s = rows[0];
  std::string id = s.text(0);
  std::string user = s.text(1);
  if (!s.is_null(5)) {
    TKM_RETURN_IF_ERROR(refuse(user, "session_ended"));
    return fail(Errc::expired, {"このセッションは終了しています（" + s.text(6) +
                                    "）。もう一度ログインしてください",
                                "this session has ended (" + s.text(6) + "); log in again"});
  }
  if (s.text(2) != terminal) {  // a session is bound to its terminal
    TKM_RETURN_IF_ERROR(refuse(user, "terminal_mismatch"));
    return fail(
        Errc::permission_denied,
        {"このセッションは別の端末で開かれたものです", "this session belongs to another terminal"},
        Location{.field = "terminal"});
  }
  TimePoint now = clock_->now();
  auto close = [&](std::string_view reason) -> Status {
    TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
    TKM_RETURN_IF_ERROR(end(tx, id, {"system:auth", std::string(terminal)}, reason));
    return tx.commit();
  };
  if (now - from_unix_ms(s.integer(3)) > policy_.idle) {  // AUTHN-15
    TKM_RETURN_IF_ERROR(close("idle_timeout"));
    return fail(Errc::expired,
                {"操作のない時間が " + std::to_string(policy_.idle.count()) +
                     " 分を超えたのでセッションを終了しました。もう一度ログインしてください",
                 "the session ended after " + std::to_string(policy_.idle.count()) +
                     " minutes without use; log in again"});
  }
  if (now >= from_unix_ms(s.integer(4))) {
    TKM_RETURN_IF_ERROR(close("absolute_timeout"));
    return fail(Errc::expired, {"セッションの最長時間を過ぎました。もう一度ログインしてください",
                                "the session reached its maximum length; log in again"});
  }
  TKM_ASSIGN_OR_RETURN(Account account, accounts_->find(user));
  if (!account.active || account.locked) {
    TKM_RETURN_IF_ERROR(close(account.locked ? "account_locked" : "account_disabled"));
    return fail(Errc::permission_denied, {"アカウントが無効化またはロックされています",
                                          "the account is disabled or locked"});
  }
  if (!permitted(account.role, op)) {  // AUTHZ-02
    TKM_RETURN_IF_ERROR(refuse(user, "role:" + std::string(role_name(account.role))));
    return fail(Errc::permission_denied,
                {role_label(account.role).ja + "には「" + info.label.ja + "」の権限がありません",
                 "a " + role_label(account.role).en + " may not " + info.label.en});
  }
  TKM_RETURN_IF_ERROR(db_->execute("UPDATE sessions SET last_seen = ? WHERE session_id = ?",
                                   {to_unix_ms(now), id}));
  return AuthContext{std::move(account), id, std::string(terminal)};
}

Status Sessions::logout(std::string_view token, std::string_view terminal) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT session_id, user_id FROM sessions WHERE token_hash = ? "
                                  "AND ended_at IS NULL",
                                  {token_key(token)}));
  if (rows.empty()) return not_logged_in();
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(end(tx, rows[0].text(0), {rows[0].text(1), std::string(terminal)}, "logout"));
  return tx.commit();
}

Result<int> Sessions::end_sessions(const audit::Actor& by, std::string_view user_id,
                                   std::string_view reason) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT session_id FROM sessions WHERE user_id = ? AND "
                                  "ended_at IS NULL",
                                  {std::string(user_id)}));
  for (const auto& r : rows) TKM_RETURN_IF_ERROR(end(tx, r.text(0), by, reason));
  TKM_RETURN_IF_ERROR(tx.commit());
  return static_cast<int>(rows.size());
}

Result<std::vector<SessionInfo>> Sessions::sessions(bool live_only) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query(std::string("SELECT session_id, user_id, terminal, started_at, last_seen, "
                             "ended_at, COALESCE(end_reason, '') FROM sessions") +
                 (live_only ? " WHERE ended_at IS NULL" : "") + " ORDER BY started_at"));
  std::vector<SessionInfo> out;
  for (const auto& r : rows) {
    SessionInfo s{
        r.text(0),    r.text(1), r.text(2), from_unix_ms(r.integer(3)), from_unix_ms(r.integer(4)),
        std::nullopt, r.text(6)};
    if (!r.is_null(5)) s.ended = from_unix_ms(r.integer(5));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace tokumei::security
