#include "tokumei/security/accounts.h"

#include <array>
#include <nlohmann/json.hpp>

#include "tokumei/crypto/password_hash.h"
#include "tokumei/crypto/totp.h"

namespace tokumei::security {
namespace {

constexpr const char* kTotpPurpose = "totp";
constexpr const char* kSimilarityPurpose = "password-similarity";
constexpr const char* kAuditRefPurpose = "audit-reference";
constexpr const char* kIssuer = "Tokumei";

struct RoleInfo {
  Role role;
  std::string_view name;
  Text label;
};
const std::array<RoleInfo, kRoleCount>& roles() {
  static const std::array<RoleInfo, kRoleCount> table = {{
      {Role::security_officer, "security_officer", {"情報セキュリティ責任者", "security officer"}},
      {Role::senior_security_manager,
       "senior_security_manager",
       {"情報セキュリティ統括責任者", "senior security manager"}},
      {Role::system_administrator,
       "system_administrator",
       {"システム管理者", "system administrator"}},
      {Role::processing_staff, "processing_staff", {"加工担当者", "processing operator"}},
      {Role::quality_reviewer, "quality_reviewer", {"品質確認担当者", "quality reviewer"}},
      {Role::committee_member, "committee_member", {"審査委員", "committee member"}},
      {Role::provision_approver, "provision_approver", {"提供承認者", "provision approver"}},
      {Role::provision_coordinator,
       "provision_coordinator",
       {"提供事務担当者", "provision coordinator"}},
      {Role::auditor, "auditor", {"監査担当者", "auditor"}},
      {Role::institution_submitter,
       "institution_submitter",
       {"医療機関の提出担当者", "institution submitter"}},
      {Role::recipient, "recipient", {"加工情報の利用者", "recipient"}},
  }};
  return table;
}

std::unexpected<Error> no_such_account(std::string_view user_id) {
  return fail(Errc::not_found, {"アカウント「" + std::string(user_id) + "」はありません",
                                "no account '" + std::string(user_id) + "'"});
}

std::string detail(const nlohmann::json& j) { return j.dump(); }

constexpr const char* kColumns =
    "user_id, display_name, role, status, one_time, one_time_expires_at, password_set_at, "
    "totp_secret IS NOT NULL, "
    "totp_confirmed_at IS NOT NULL, created_at, created_by, password_hash, qualification, "
    "contractor, failed_logins, locked_at IS NOT NULL";

Result<Account> account_from(const store::Row& r) {
  Account a;
  a.user_id = r.text(0);
  a.display_name = r.text(1);
  TKM_ASSIGN_OR_RETURN(a.role, parse_role(r.text(2)));
  a.active = r.text(3) == "active";
  a.one_time_password = r.integer(4) != 0;
  if (auto ms = r.optional_integer(5)) a.one_time_expires = from_unix_ms(*ms);
  a.password_set_at = from_unix_ms(r.integer(6));
  a.totp_enrolled = r.integer(7) != 0;
  a.totp_confirmed = r.integer(8) != 0;
  a.created_at = from_unix_ms(r.integer(9));
  a.created_by = r.text(10);
  a.qualification = r.text(12);
  a.contractor = r.integer(13) != 0;
  a.failed_logins = static_cast<int>(r.integer(14));
  a.locked = r.integer(15) != 0;
  return a;
}

}  // namespace

std::unexpected<Error> login_refused() {
  // The same words whether the ID is unknown, the password or the code wrong or the account
  // locked, so the answer tells an outsider nothing about which IDs exist or which factor was
  // right (AUTHN-07; no user enumeration).
  return fail(Errc::authentication_failed,
              {"ユーザID・パスワード・確認コードのいずれかが正しくないか、アカウントがロックされて"
               "います",
               "the user ID, password or code is not correct, or the account is locked"});
}

std::span<const Role> all_roles() {
  static const std::array<Role, kRoleCount> list = [] {
    std::array<Role, kRoleCount> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = roles()[i].role;
    return out;
  }();
  return list;
}

bool is_approval_role(Role role) {
  return role == Role::provision_approver || role == Role::committee_member ||
         role == Role::provision_coordinator || role == Role::senior_security_manager;
}

bool is_outside_party(Role role) {
  return role == Role::institution_submitter || role == Role::recipient;
}

std::string_view role_name(Role role) {
  for (const auto& r : roles()) {
    if (r.role == role) return r.name;
  }
  return "unknown";
}

Result<Role> parse_role(std::string_view name) {
  for (const auto& r : roles()) {
    if (r.name == name) return r.role;
  }
  std::string known;
  for (const auto& r : roles()) known += (known.empty() ? "" : ", ") + std::string(r.name);
  return fail(Errc::invalid_input,
              {"役割「" + std::string(name) + "」はありません（" + known + "）",
               "unknown role '" + std::string(name) + "' (" + known + ")"},
              Location{.field = "role"});
}

const Text& role_label(Role role) {
  for (const auto& r : roles()) {
    if (r.role == role) return r.label;
  }
  return roles()[0].label;
}

AccountStore::AccountStore(store::Database& db, crypto::KeyRing& keys, audit::AuditLog& audit,
                           const Clock& clock, Random& random, PasswordPolicy policy)
    : db_(&db), keys_(&keys), audit_(&audit), clock_(&clock), random_(&random), policy_(policy) {}

store::SchemaModule AccountStore::schema() {
  return {"security",
          {{1, "accounts and password history", R"sql(
CREATE TABLE accounts (
  user_id             TEXT PRIMARY KEY,
  display_name        TEXT NOT NULL,
  role                TEXT NOT NULL,
  status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  password_hash       TEXT NOT NULL,
  password_set_at     INTEGER NOT NULL,
  one_time            INTEGER NOT NULL CHECK (one_time IN (0, 1)),
  one_time_expires_at INTEGER,
  totp_secret         BLOB,
  totp_confirmed_at   INTEGER,
  totp_last_step      INTEGER,
  created_at          INTEGER NOT NULL,
  created_by          TEXT NOT NULL
);
CREATE TABLE password_history (
  user_id         TEXT NOT NULL REFERENCES accounts (user_id),
  seq             INTEGER NOT NULL,
  password_hash   TEXT NOT NULL,
  similarity      TEXT,
  set_at          INTEGER NOT NULL,
  PRIMARY KEY (user_id, seq)
);
)sql"},
           {2, "a quality reviewer's medical qualification (QUALITY-06)", R"sql(
ALTER TABLE accounts ADD COLUMN qualification TEXT NOT NULL DEFAULT '';
)sql"},
           {3, "contractors, lockout and the identity-check ledger (AUTHN-07, AUTHN-10, AUTHZ-08)",
            R"sql(
ALTER TABLE accounts ADD COLUMN contractor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_at INTEGER;
ALTER TABLE accounts ADD COLUMN lock_reason TEXT;
ALTER TABLE accounts ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
CREATE TABLE identity_checks (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  user_id  TEXT NOT NULL,
  by_user  TEXT NOT NULL,
  action   TEXT NOT NULL,
  method   TEXT NOT NULL,
  evidence TEXT NOT NULL
);
CREATE TRIGGER identity_checks_no_update BEFORE UPDATE ON identity_checks
BEGIN SELECT RAISE(ABORT, 'the identity-check ledger is append-only'); END;
CREATE TRIGGER identity_checks_no_delete BEFORE DELETE ON identity_checks
BEGIN SELECT RAISE(ABORT, 'the identity-check ledger is append-only'); END;
)sql"}}};
}

Status AccountStore::validate_user_id(std::string_view id) {
  auto bad = [&](Text why) {
    return fail(Errc::invalid_input, std::move(why), Location{.field = "user_id"});
  };
  if (id.size() < 3 || id.size() > 32) {
    return bad({"ユーザIDは 3〜32 文字にしてください", "user ID must be 3 to 32 characters"});
  }
  if (id[0] < 'a' || id[0] > 'z') {
    return bad(
        {"ユーザIDは英小文字で始めてください", "user ID must start with a lower-case letter"});
  }
  for (char c : id) {
    bool okc = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!okc) {
      return bad({"ユーザIDに使えるのは英小文字・数字・. _ - だけです",
                  "user ID may hold only a-z, 0-9, '.', '_' and '-'"});
    }
  }
  // AUTHN-01: personal IDs only; default and shared names are refused.
  for (std::string_view reserved :
       {"admin", "administrator", "root", "system", "guest", "test", "user", "operator", "shared",
        "everyone", "sa", "postgres", "tokumei"}) {
    if (id == reserved) {
      return bad({"「" + std::string(id) +
                      "」は既定・共用の名前なので使えません。個人ごとのIDにしてください",
                  "'" + std::string(id) + "' is a default or shared name; use a personal ID"});
    }
  }
  return ok();
}

Result<OneTimePassword> AccountStore::issue_one_time(std::string_view user_id) {
  TimePoint now = clock_->now();
  OneTimePassword otp{generate_one_time_password(*random_), now + policy_.one_time_ttl};
  TKM_ASSIGN_OR_RETURN(std::string hash,
                       crypto::argon2id_hash_password(otp.password, policy_.hashing, *random_));
  TKM_RETURN_IF_ERROR(
      db_->execute("UPDATE accounts SET password_hash = ?, password_set_at = ?, one_time = 1, "
                   "one_time_expires_at = ? "
                   "WHERE user_id = ?",
                   {hash, to_unix_ms(now), to_unix_ms(otp.expires_at), std::string(user_id)}));
  // Not added to the history: AUTHN-05 counts the passwords the user chose, and a one-time password
  // can never be kept anyway (change_password refuses next == current).
  return otp;
}

Result<OneTimePassword> AccountStore::create(const audit::Actor& by, const NewAccount& a) {
  TKM_RETURN_IF_ERROR(validate_user_id(a.user_id));
  if (a.display_name.empty()) {
    return fail(Errc::invalid_input, {"氏名を入力してください", "display name is required"},
                Location{.field = "display_name"});
  }
  std::int64_t now_ms = to_unix_ms(clock_->now());
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(check_role(a.user_id, a.role, a.contractor, a.qualification));
  auto inserted = db_->execute(
      "INSERT INTO accounts (user_id, display_name, role, qualification, contractor, "
      "password_hash, password_set_at, one_time, created_at, created_by) "
      "VALUES (?, ?, ?, ?, ?, '!', ?, 1, ?, ?)",
      {a.user_id, a.display_name, std::string(role_name(a.role)), a.qualification,
       std::int64_t{a.contractor}, now_ms, now_ms, by.user});
  if (!inserted) {
    if (inserted.error().code() == Errc::already_exists) {
      return fail(Errc::already_exists,
                  {"ユーザID「" + a.user_id + "」は既に使われています",
                   "user ID '" + a.user_id + "' is already taken"},
                  Location{.field = "user_id"});
    }
    return std::unexpected(inserted.error());
  }
  TKM_ASSIGN_OR_RETURN(OneTimePassword otp, issue_one_time(a.user_id));
  TKM_RETURN_IF_ERROR(audit_->append(tx, {by,
                                          "account.create",
                                          "user:" + a.user_id,
                                          audit::Outcome::success,
                                          detail({{"role", role_name(a.role)},
                                                  {"qualification", a.qualification},
                                                  {"contractor", a.contractor}}),
                                          {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return otp;
}

Result<OneTimePassword> AccountStore::reset_password(const audit::Actor& by,
                                                     std::string_view user_id,
                                                     const IdentityCheck& check,
                                                     bool new_authenticator) {
  if (by.user == user_id) {
    return fail(Errc::permission_denied,
                {"自分のパスワードは再発行できません", "nobody resets their own password"});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(store::Rows rows, db_->query("SELECT 1 FROM accounts WHERE user_id = ?",
                                                    {std::string(user_id)}));
  if (rows.empty()) return no_such_account(user_id);
  TKM_RETURN_IF_ERROR(record_identity_check(
      user_id, by, new_authenticator ? "password.reset+authenticator" : "password.reset", check));
  TKM_ASSIGN_OR_RETURN(OneTimePassword otp, issue_one_time(user_id));
  if (new_authenticator) {  // a lost or broken device: the old secret stops working now
    TKM_RETURN_IF_ERROR(db_->execute(
        "UPDATE accounts SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL "
        "WHERE user_id = ?",
        {std::string(user_id)}));
  }
  TKM_RETURN_IF_ERROR(audit_->append(tx, {by,
                                          "account.password.reset",
                                          "user:" + std::string(user_id),
                                          audit::Outcome::success,
                                          detail({{"new_authenticator", new_authenticator}}),
                                          {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return otp;
}

Status AccountStore::check_role(std::string_view user_id, Role role, bool contractor,
                                std::string_view qualification) {
  auto refuse = [](Errc code, Text why) {
    return fail(code, std::move(why), Location{.field = "role"});
  };
  if (role == Role::quality_reviewer && qualification.empty()) {
    return fail(
        Errc::invalid_input,
        {"品質確認担当者には医療分野の資格 (医師、看護師、診療情報管理士など) の記録が必要です",
         "a quality reviewer needs a recorded medical qualification (physician, nurse, "
         "health information manager, ...)"},
        Location{.field = "qualification"});
  }
  if (is_outside_party(role)) {  // AUTHZ-09
    return refuse(Errc::policy_violation,
                  {"医療機関や利用者のアカウントは管理サーバには作れません（受信・出口サーバのみ）",
                   "institutions and recipients get no account on the core server (intake and "
                   "exit servers only)"});
  }
  if (contractor && is_approval_role(role)) {  // AUTHZ-08, REVIEW-09
    return refuse(Errc::policy_violation,
                  {"委託先の職員は承認の役割（" + role_label(role).ja + "）を持てません",
                   "contractor staff cannot hold an approval role (" + role_label(role).en + ")"});
  }
  if (role == Role::system_administrator) {  // AUTHZ-03
    TKM_ASSIGN_OR_RETURN(store::Row n,
                         db_->query_one("SELECT COUNT(*) FROM accounts WHERE role = ? AND status = "
                                        "'active' AND user_id <> ?",
                                        {std::string(role_name(role)), std::string(user_id)}));
    if (n.integer(0) >= policy_.max_administrators) {
      std::string max = std::to_string(policy_.max_administrators);
      return refuse(Errc::policy_violation,
                    {"システム管理者は " + max + " 人までです。誰かの役割を先に外してください",
                     "there may be at most " + max +
                         " system administrators; take the role from someone first"});
    }
  }
  return ok();
}

Status AccountStore::change_role(const audit::Actor& by, std::string_view user_id, Role role,
                                 std::string_view qualification) {
  if (by.user == user_id) {
    return fail(Errc::permission_denied,
                {"自分の役割は変更できません", "nobody can change their own role"});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(Account a, find(user_id));
  std::string q = qualification.empty() ? a.qualification : std::string(qualification);
  TKM_RETURN_IF_ERROR(check_role(user_id, role, a.contractor, q));
  TKM_RETURN_IF_ERROR(
      db_->execute("UPDATE accounts SET role = ?, qualification = ? WHERE user_id = ?",
                   {std::string(role_name(role)), q, std::string(user_id)}));
  TKM_RETURN_IF_ERROR(audit_->append(
      tx, {by,
           "account.role.change",
           "user:" + std::string(user_id),
           audit::Outcome::success,
           detail({{"from", role_name(a.role)}, {"to", role_name(role)}, {"qualification", q}}),
           {}}));
  return tx.commit();
}

Status AccountStore::set_active(const audit::Actor& by, std::string_view user_id, bool active,
                                std::string_view reason) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(Account a, find(user_id));
  if (active) TKM_RETURN_IF_ERROR(check_role(user_id, a.role, a.contractor, a.qualification));
  // The reason is the officer's words: kept with the account, not in the log.
  TKM_RETURN_IF_ERROR(db_->execute(
      "UPDATE accounts SET status = ?, status_reason = ? WHERE user_id = ?",
      {std::string(active ? "active" : "disabled"), std::string(reason), std::string(user_id)}));
  TKM_RETURN_IF_ERROR(audit_->append(tx, {by,
                                          active ? "account.enable" : "account.disable",
                                          "user:" + std::string(user_id),
                                          audit::Outcome::success,
                                          "{}",
                                          {}}));
  return tx.commit();
}

Status AccountStore::lock(const audit::Actor& by, std::string_view user_id,
                          std::string_view reason) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(
      std::int64_t n,
      db_->execute("UPDATE accounts SET locked_at = COALESCE(locked_at, ?), lock_reason = "
                   "COALESCE(lock_reason, ?) WHERE user_id = ?",
                   {to_unix_ms(clock_->now()), std::string(reason), std::string(user_id)}));
  if (n == 0) return no_such_account(user_id);
  TKM_RETURN_IF_ERROR(audit_->append(tx, {by,
                                          "account.lock",
                                          "user:" + std::string(user_id),
                                          audit::Outcome::success,
                                          detail({{"reason", reason}}),
                                          {}}));
  return tx.commit();
}

Status AccountStore::unlock(const audit::Actor& by, std::string_view user_id,
                            const IdentityCheck& check) {
  if (by.user == user_id) {
    return fail(Errc::permission_denied, {"自分のアカウントのロックは解除できません",
                                          "nobody can unlock their own account"});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(Account a, find(user_id));
  TKM_RETURN_IF_ERROR(record_identity_check(user_id, by, "unlock", check));
  TKM_RETURN_IF_ERROR(db_->execute(
      "UPDATE accounts SET locked_at = NULL, lock_reason = NULL, failed_logins = 0 WHERE "
      "user_id = ?",
      {std::string(user_id)}));
  TKM_RETURN_IF_ERROR(audit_->append(tx, {by,
                                          "account.unlock",
                                          "user:" + std::string(user_id),
                                          audit::Outcome::success,
                                          detail({{"was_locked", a.locked}}),
                                          {}}));
  return tx.commit();
}

Status AccountStore::record_identity_check(std::string_view user_id, const audit::Actor& by,
                                           std::string_view action, const IdentityCheck& check) {
  if (check.method.empty() || check.evidence.empty()) {  // AUTHN-10
    return fail(Errc::invalid_input,
                {"本人確認の方法と証跡（記録の保管先）を記録してください",
                 "record how the person's identity was checked and where the evidence is kept"},
                Location{.field = check.method.empty() ? "method" : "evidence"});
  }
  return status_of(db_->execute(
      "INSERT INTO identity_checks (at, user_id, by_user, action, method, evidence) VALUES (?, ?, "
      "?, ?, ?, ?)",
      {to_unix_ms(clock_->now()), std::string(user_id), by.user, std::string(action), check.method,
       check.evidence}));
}

Result<std::vector<AccountStore::IdentityCheckRecord>> AccountStore::identity_checks() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT at, user_id, by_user, action, method, evidence FROM "
                                  "identity_checks ORDER BY id"));
  std::vector<IdentityCheckRecord> out;
  for (const auto& r : rows) {
    out.push_back(
        {from_unix_ms(r.integer(0)), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)});
  }
  return out;
}

Status AccountStore::count_failure(store::Transaction& tx, const audit::Actor& who) {
  TKM_ASSIGN_OR_RETURN(
      store::Row row,
      db_->query_one("UPDATE accounts SET failed_logins = failed_logins + 1 WHERE user_id = ? "
                     "RETURNING failed_logins, locked_at IS NOT NULL",
                     {who.user}));
  std::int64_t failures = row.integer(0);
  if (row.integer(1) != 0 || failures < policy_.lockout_threshold) return ok();
  TKM_RETURN_IF_ERROR(db_->execute(
      "UPDATE accounts SET locked_at = ?, lock_reason = 'failed_logins' WHERE user_id = ?",
      {to_unix_ms(clock_->now()), who.user}));
  return status_of(
      audit_->append(tx, {{"system:auth", who.terminal},
                          "account.lock",
                          "user:" + who.user,
                          audit::Outcome::success,
                          detail({{"reason", "failed_logins"}, {"failures", failures}}),
                          {}}));
}

void AccountStore::burn_time() {
  // Exactly one Argon2id computation, like checking a real account: the first time it is the
  // making of the dummy hash itself, afterwards a verification against it.
  if (dummy_hash_.empty()) {
    dummy_hash_ =
        crypto::argon2id_hash_password("tokumei-dummy-password", policy_.hashing, *random_)
            .value_or("-");
  } else {
    (void)crypto::argon2id_verify_password("wrong", dummy_hash_);
  }
}

// Keys are created outside transactions (the key ring refuses otherwise), so make sure the ones
// this store uses exist before it opens one.
Status AccountStore::ensure_keys() {
  for (const char* purpose : {kTotpPurpose, kSimilarityPurpose, kAuditRefPurpose}) {
    TKM_RETURN_IF_ERROR(keys_->ensure_key(purpose));
  }
  return ok();
}

Result<PasswordState> AccountStore::verify_password(std::string_view terminal,
                                                    std::string_view user_id,
                                                    std::string_view password) {
  audit::Actor who{std::string(user_id), std::string(terminal)};
  auto record = [&](audit::Outcome outcome, std::string_view reason) -> Status {
    return status_of(audit_->record({who,
                                     "auth.password",
                                     "user:" + std::string(user_id),
                                     outcome,
                                     detail({{"reason", reason}}),
                                     {}}));
  };
  TKM_ASSIGN_OR_RETURN(store::Rows rows, db_->query(std::string("SELECT ") + kColumns +
                                                        " FROM accounts WHERE user_id = ?",
                                                    {std::string(user_id)}));
  if (rows.empty()) {
    burn_time();
    // What was typed as an ID may be a password typed into the wrong field: the log keeps only a
    // keyed reference to it, enough to see the same unknown ID tried again and again.
    TKM_RETURN_IF_ERROR(ensure_keys());
    TKM_ASSIGN_OR_RETURN(crypto::Digest ref,
                         keys_->blind_index(kAuditRefPurpose, as_bytes(user_id)));
    std::string ref_hex = hex_encode(ByteView(ref).first(12));
    TKM_RETURN_IF_ERROR(status_of(
        audit_->record({{"unknown:" + ref_hex, std::string(terminal)},
                        "auth.password",
                        "user-ref:" + ref_hex,
                        audit::Outcome::failure,
                        detail({{"reason", "unknown_user"},
                                {"id_well_formed", validate_user_id(user_id).has_value()}}),
                        {}})));
    return login_refused();
  }
  TKM_ASSIGN_OR_RETURN(Account a, account_from(rows[0]));
  bool right = crypto::argon2id_verify_password(password, rows[0].text(11));
  if (a.locked) {  // refused even with the right password, in the same words (AUTHN-07)
    TKM_RETURN_IF_ERROR(record(audit::Outcome::denied, right ? "locked" : "locked_wrong_password"));
    return login_refused();
  }
  if (!right) {
    TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
    TKM_RETURN_IF_ERROR(audit_->append(tx, {who,
                                            "auth.password",
                                            "user:" + std::string(user_id),
                                            audit::Outcome::failure,
                                            detail({{"reason", "wrong_password"}}),
                                            {}}));
    TKM_RETURN_IF_ERROR(count_failure(tx, who));
    TKM_RETURN_IF_ERROR(tx.commit());
    return login_refused();
  }
  if (!a.active) {
    TKM_RETURN_IF_ERROR(record(audit::Outcome::denied, "disabled"));
    return fail(Errc::permission_denied,
                {"このアカウントは無効化されています", "this account is disabled"});
  }
  TimePoint now = clock_->now();
  if (a.one_time_password) {
    if (a.one_time_expires && now >= *a.one_time_expires) {  // AUTHN-09
      TKM_RETURN_IF_ERROR(record(audit::Outcome::denied, "one_time_expired"));
      return fail(Errc::expired,
                  {"初期（再発行）パスワードの有効期限 " + format_jst(*a.one_time_expires) +
                       " を過ぎています。セキュリティ責任者に再発行を依頼してください",
                   "the one-time password expired at " + format_jst(*a.one_time_expires) +
                       "; ask the security officer for a new one"});
    }
    TKM_RETURN_IF_ERROR(record(audit::Outcome::success, "must_change"));
    return PasswordState::must_change;
  }
  TKM_RETURN_IF_ERROR(record(audit::Outcome::success, "ok"));
  if (now >= a.password_set_at + policy_.max_age) return PasswordState::expired;  // AUTHN-06
  return PasswordState::valid;
}

Result<std::string> AccountStore::similarity_index(std::string_view user_id,
                                                   std::string_view password) {
  // Keyed (HMAC via the key ring), so the stored values cannot be attacked offline without the
  // ring. One index per similarity key, comma-separated.
  std::string out;
  for (const auto& key : similarity_keys(password)) {
    std::string message = std::string(user_id) + '\0' + key;
    TKM_ASSIGN_OR_RETURN(crypto::Digest d,
                         keys_->blind_index(kSimilarityPurpose, as_bytes(message)));
    out += (out.empty() ? "" : ",") + hex_encode(d);
  }
  return out;
}

Status AccountStore::add_history(std::string_view user_id, const std::string& hash,
                                 const std::string& similarity, TimePoint at) {
  std::string uid(user_id);
  TKM_RETURN_IF_ERROR(db_->execute(
      "INSERT INTO password_history (user_id, seq, password_hash, similarity, set_at) VALUES "
      "(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM password_history WHERE user_id = ?), ?, ?, ?)",
      {uid, uid, hash, similarity.empty() ? store::Value(nullptr) : store::Value(similarity),
       to_unix_ms(at)}));
  // Keep only what the policy compares against.
  return status_of(
      db_->execute("DELETE FROM password_history WHERE user_id = ? AND seq <= "
                   "(SELECT MAX(seq) FROM password_history WHERE user_id = ?) - ?",
                   {uid, uid, static_cast<std::int64_t>(policy_.history)}));
}

Status AccountStore::check_history(std::string_view user_id, std::string_view password,
                                   const std::string& similarity) {
  auto shares_a_key = [&](const std::string& stored) {
    std::string_view rest = similarity;
    while (!rest.empty()) {
      std::string_view index = rest.substr(0, rest.find(','));
      if ((',' + stored + ',').find(',' + std::string(index) + ',') != std::string::npos)
        return true;
      rest.remove_prefix(std::min(rest.size(), index.size() + 1));
    }
    return false;
  };
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query("SELECT password_hash, similarity FROM password_history WHERE user_id = ? "
                 "ORDER BY seq DESC LIMIT ?",
                 {std::string(user_id), static_cast<std::int64_t>(policy_.history)}));
  std::string n = std::to_string(policy_.history);
  for (const auto& r : rows) {  // AUTHN-05
    if (crypto::argon2id_verify_password(password, r.text(0))) {
      return fail(Errc::policy_violation,
                  {"過去 " + n + " 回以内に使ったパスワードは使えません",
                   "password was one of the last " + n + " used"},
                  Location{.field = "password"});
    }
    if (!r.is_null(1) && shares_a_key(r.text(1))) {
      return fail(
          Errc::policy_violation,
          {"過去 " + n +
               " 回以内のパスワードとほとんど同じです（大文字・小文字、数字、記号を変えただけ）",
           "password is a trivial variant of one of the last " + n +
               " (only case, digits or symbols changed)"},
          Location{.field = "password"});
    }
  }
  return ok();
}

Status AccountStore::change_password(std::string_view terminal, std::string_view user_id,
                                     std::string_view current, std::string_view next) {
  TKM_RETURN_IF_ERROR(verify_password(terminal, user_id, current));
  audit::Actor who{std::string(user_id), std::string(terminal)};
  TKM_ASSIGN_OR_RETURN(std::string similarity, similarity_index(user_id, next));
  Status rules = check_password_rules(user_id, next, policy_);
  if (rules) rules = check_history(user_id, next, similarity);
  if (rules && next == current) {  // a one-time password is not in the history, and may not be kept
    rules = fail(Errc::policy_violation,
                 {"新しいパスワードは現在のパスワードと違うものにしてください",
                  "the new password must differ from the current one"},
                 Location{.field = "password"});
  }
  if (!rules) {
    TKM_RETURN_IF_ERROR(audit_->record({who,
                                        "account.password.change",
                                        "user:" + std::string(user_id),
                                        audit::Outcome::denied,
                                        detail({{"reason", rules.error().message(Lang::en)}}),
                                        {}}));
    return rules;
  }
  TKM_ASSIGN_OR_RETURN(std::string hash,
                       crypto::argon2id_hash_password(next, policy_.hashing, *random_));
  TimePoint now = clock_->now();
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(
      db_->execute("UPDATE accounts SET password_hash = ?, password_set_at = ?, one_time = 0, "
                   "one_time_expires_at = NULL "
                   "WHERE user_id = ?",
                   {hash, to_unix_ms(now), std::string(user_id)}));
  TKM_RETURN_IF_ERROR(add_history(user_id, hash, similarity, now));
  TKM_RETURN_IF_ERROR(audit_->append(tx, {who,
                                          "account.password.change",
                                          "user:" + std::string(user_id),
                                          audit::Outcome::success,
                                          "{}",
                                          {}}));
  return tx.commit();
}

Result<TotpEnrollment> AccountStore::enroll_totp(const audit::Actor& by, std::string_view user_id) {
  TKM_RETURN_IF_ERROR(ensure_keys());
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  Bytes secret = random_->bytes(20);  // 160 bits, RFC 4226 recommendation
  TKM_ASSIGN_OR_RETURN(Bytes sealed, keys_->seal(kTotpPurpose, as_bytes(user_id), secret));
  TKM_ASSIGN_OR_RETURN(
      std::int64_t n, db_->execute("UPDATE accounts SET totp_secret = ?, totp_confirmed_at = NULL, "
                                   "totp_last_step = NULL WHERE user_id = ?",
                                   {sealed, std::string(user_id)}));
  if (n == 0) return no_such_account(user_id);
  TotpEnrollment out{crypto::otpauth_uri(kIssuer, user_id, secret, {}), base32_encode(secret)};
  secure_wipe(secret.data(), secret.size());
  TKM_RETURN_IF_ERROR(audit_->append(tx, {by,
                                          "account.totp.enroll",
                                          "user:" + std::string(user_id),
                                          audit::Outcome::success,
                                          "{}",
                                          {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return out;
}

Status AccountStore::verify_totp(std::string_view terminal, std::string_view user_id,
                                 std::string_view code) {
  audit::Actor who{std::string(user_id), std::string(terminal)};
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT totp_secret, totp_last_step, totp_confirmed_at "
                                  "FROM accounts WHERE user_id = ?",
                                  {std::string(user_id)}));
  if (rows.empty() || rows[0].is_null(0)) {
    return fail(Errc::not_found, {"ワンタイムパスワード（TOTP）が登録されていません",
                                  "no TOTP authenticator is enrolled"});
  }
  TKM_ASSIGN_OR_RETURN(Bytes secret, keys_->open(kTotpPurpose, as_bytes(user_id), rows[0].blob(0)));
  auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->now().time_since_epoch()).count();
  auto step = crypto::totp_match(secret, code, now_s, {});
  secure_wipe(secret.data(), secret.size());
  auto last = rows[0].optional_integer(1);
  if (!step || (last && *step <= *last)) {
    std::string reason = step ? "replayed_code" : "wrong_code";
    TKM_RETURN_IF_ERROR(audit_->append(tx, {who,
                                            "auth.totp",
                                            "user:" + std::string(user_id),
                                            audit::Outcome::failure,
                                            detail({{"reason", reason}}),
                                            {}}));
    TKM_RETURN_IF_ERROR(count_failure(tx, who));
    TKM_RETURN_IF_ERROR(tx.commit());
    return fail(Errc::authentication_failed, {"確認コードが正しくないか、既に使われています",
                                              "the code is wrong or was already used"});
  }
  TKM_RETURN_IF_ERROR(
      db_->execute("UPDATE accounts SET totp_last_step = ?, failed_logins = 0, totp_confirmed_at = "
                   "COALESCE(totp_confirmed_at, ?) WHERE user_id = ?",
                   {*step, to_unix_ms(clock_->now()), std::string(user_id)}));
  TKM_RETURN_IF_ERROR(audit_->append(
      tx, {who, "auth.totp", "user:" + std::string(user_id), audit::Outcome::success, "{}", {}}));
  return tx.commit();
}

Result<Account> AccountStore::find(std::string_view user_id) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows, db_->query(std::string("SELECT ") + kColumns +
                                                        " FROM accounts WHERE user_id = ?",
                                                    {std::string(user_id)}));
  if (rows.empty()) return no_such_account(user_id);
  return account_from(rows[0]);
}

Result<std::vector<Account>> AccountStore::list() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows, db_->query(std::string("SELECT ") + kColumns +
                                                    " FROM accounts ORDER BY user_id"));
  std::vector<Account> out;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(Account a, account_from(r));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace tokumei::security
