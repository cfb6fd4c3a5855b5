#include "tokumei/security/break_glass.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tokumei::security {
namespace {

std::string object_of(std::int64_t id) { return "break_glass:" + std::to_string(id); }

std::unexpected<Error> refuse(Errc code, std::string ja, std::string en) {
  return fail(code, {std::move(ja), std::move(en)});
}

// A high-severity incident about `user`, linking the entry `seq`.
audit::Incident high_incident(std::string rule, std::string user, std::string ja, std::string en,
                              std::int64_t seq, TimePoint now) {
  audit::Incident inc;
  inc.opened = now;
  inc.rule = std::move(rule);
  inc.user = std::move(user);
  inc.severity = "high";
  inc.summary_ja = std::move(ja);
  inc.summary_en = std::move(en);
  inc.entries = {seq};
  return inc;
}

std::unexpected<Error> decided_already(std::int64_t id) {
  return refuse(Errc::conflict, "緊急アクセス #" + std::to_string(id) + " は判断済みです",
                "emergency access #" + std::to_string(id) + " was already decided");
}

constexpr const char* kColumns =
    "id, requester, terminal, reason, persons, datasets, emergency, duration_min, requested_at, "
    "starts_at, ends_at, decided_by, decision, reviewed_by, review_note, "
    "(SELECT COUNT(*) FROM break_glass_uses u WHERE u.grant_id = g.id AND u.allowed = 1)";

// A stored JSON list of strings; anything else reads as empty (never throws).
std::vector<std::string> string_list(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

BreakGlassGrant grant_from(const store::Row& r) {
  BreakGlassGrant g;
  g.id = r.integer(0);
  g.requester = r.text(1);
  g.terminal = r.text(2);
  g.reason = r.text(3);
  g.persons = string_list(r.text(4));
  g.datasets = string_list(r.text(5));
  g.emergency = r.integer(6) != 0;
  g.duration = std::chrono::minutes(r.integer(7));
  g.requested_at = from_unix_ms(r.integer(8));
  if (!r.is_null(9)) g.starts_at = from_unix_ms(r.integer(9));
  if (!r.is_null(10)) g.ends_at = from_unix_ms(r.integer(10));
  g.decided_by = r.text(11);
  g.decision = r.text(12);
  g.reviewed_by = r.text(13);
  g.review_note = r.text(14);
  g.uses = static_cast<int>(r.integer(15));
  return g;
}

}  // namespace

std::string BreakGlassGrant::state(TimePoint now) const {
  if (decision == "rejected") return "rejected";
  if (!starts_at) return "requested";
  return now < *ends_at ? "active" : "ended";
}

store::SchemaModule BreakGlass::schema() {
  return {"break_glass", {{1, "emergency and maintenance access with its uses (EMERG-02/03)", R"sql(
CREATE TABLE break_glass (
  id           INTEGER PRIMARY KEY,
  requester    TEXT NOT NULL,
  terminal     TEXT NOT NULL,
  reason       TEXT NOT NULL,
  persons      TEXT NOT NULL,
  datasets     TEXT NOT NULL,
  emergency    INTEGER NOT NULL,
  duration_min INTEGER NOT NULL,
  requested_at INTEGER NOT NULL,
  starts_at    INTEGER,
  ends_at      INTEGER,
  decided_by   TEXT NOT NULL DEFAULT '',
  decision     TEXT NOT NULL DEFAULT '',
  decided_at   INTEGER,
  decision_note TEXT NOT NULL DEFAULT '',
  reviewed_by  TEXT NOT NULL DEFAULT '',
  review_note  TEXT NOT NULL DEFAULT '',
  escalated    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE break_glass_uses (
  grant_id INTEGER NOT NULL REFERENCES break_glass (id),
  at       INTEGER NOT NULL,
  user_id  TEXT NOT NULL,
  target   TEXT NOT NULL,
  allowed  INTEGER NOT NULL
);
CREATE TRIGGER break_glass_uses_no_update BEFORE UPDATE ON break_glass_uses
BEGIN SELECT RAISE(ABORT, 'break-glass uses are append-only'); END;
CREATE TRIGGER break_glass_uses_no_delete BEFORE DELETE ON break_glass_uses
BEGIN SELECT RAISE(ABORT, 'break-glass uses are append-only'); END;
)sql"}}};
}

Result<BreakGlassGrant> BreakGlass::open(const AuthContext& who, const BreakGlassRequest& request) {
  auto invalid = [](std::string field, std::string ja, std::string en) {
    return fail(Errc::invalid_input, {std::move(ja), std::move(en)},
                Location{.field = std::move(field)});
  };
  if (request.reason.empty()) {
    return invalid("reason", "緊急アクセスの理由を書いてください", "state the reason for access");
  }
  if (request.persons.empty() && request.datasets.empty()) {
    return invalid("scope", "対象（患者の参照またはデータセット）を指定してください",
                   "name the scope: person references or datasets");
  }
  for (const auto& p : request.persons) {
    if (!audit::is_subject_reference(p)) {
      return invalid("persons", "患者は HMAC 参照（16進）で指定してください: " + p,
                     "persons are given as HMAC references (hex): " + p);
    }
  }
  if (request.duration <= std::chrono::minutes(0) || request.duration > policy_.max_duration) {
    std::string max = std::to_string(policy_.max_duration.count());
    return invalid("duration", "時間は 1〜" + max + " 分にしてください",
                   "the time limit is 1 to " + max + " minutes");
  }
  TimePoint now = clock_->now();
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  std::optional<std::int64_t> starts, ends;
  if (request.emergency) {
    starts = to_unix_ms(now);
    ends = to_unix_ms(now + request.duration);
  }
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_->insert("INSERT INTO break_glass (requester, terminal, reason, persons, datasets, "
                  "emergency, duration_min, requested_at, starts_at, ends_at) VALUES (?, ?, ?, ?, "
                  "?, ?, ?, ?, ?, ?)",
                  {who.account.user_id, who.terminal, request.reason,
                   nlohmann::json(request.persons).dump(), nlohmann::json(request.datasets).dump(),
                   std::int64_t{request.emergency}, std::int64_t{request.duration.count()},
                   to_unix_ms(now), starts ? store::Value(*starts) : store::Value(nullptr),
                   ends ? store::Value(*ends) : store::Value(nullptr)}));
  // The reason is the requester's words and may name a patient: it stays in the table, not the log.
  TKM_ASSIGN_OR_RETURN(
      std::int64_t seq,
      audit_->append(tx, {who.actor(), "break_glass.open", object_of(*id), audit::Outcome::success,
                          nlohmann::json{{"emergency", request.emergency},
                                         {"datasets", request.datasets},
                                         {"minutes", request.duration.count()}}
                              .dump(),
                          request.persons}));
  // The security officer hears of it now, not at the next monitor cycle (EMERG-03).
  TKM_RETURN_IF_ERROR(monitor_->open_incident(
      tx, {"system:break-glass", who.terminal},
      high_incident("break_glass", who.account.user_id,
                    who.account.user_id + " が緊急アクセス #" + std::to_string(*id) + " を" +
                        (request.emergency ? "開始しました（事後承認が必要）" : "申請しました"),
                    who.account.user_id + (request.emergency ? " opened" : " asked for") +
                        " emergency access #" + std::to_string(*id),
                    seq, now)));
  TKM_RETURN_IF_ERROR(tx.commit());
  return find(*id);
}

Status BreakGlass::approve(const AuthContext& admin, std::int64_t id, std::string_view note) {
  TKM_ASSIGN_OR_RETURN(BreakGlassGrant g, find(id));
  if (admin.account.user_id == g.requester) {
    return refuse(Errc::permission_denied, "自分の緊急アクセスは承認できません",
                  "nobody approves their own emergency access");
  }
  TimePoint now = clock_->now();
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  // An emergency's window is already open; a request's opens with the approval. Only an undecided
  // grant changes, so two administrators cannot both decide.
  TKM_ASSIGN_OR_RETURN(
      std::int64_t changed,
      db_->execute(
          "UPDATE break_glass SET decided_by = ?, decision = ?, decided_at = ?, "
          "decision_note = ?, starts_at = COALESCE(starts_at, ?), "
          "ends_at = COALESCE(ends_at, ?) WHERE id = ? AND decision = ''",
          {admin.account.user_id, std::string(g.emergency ? "confirmed" : "approved"),
           to_unix_ms(now), std::string(note), to_unix_ms(now), to_unix_ms(now + g.duration), id}));
  if (changed == 0) return decided_already(id);
  // The note is the administrator's words and may name a patient: it stays in the table.
  TKM_RETURN_IF_ERROR(
      audit_->append(tx, {admin.actor(),
                          g.emergency ? "break_glass.confirm" : "break_glass.approve",
                          object_of(id),
                          audit::Outcome::success,
                          nlohmann::json{{"uses", g.uses}}.dump(),
                          {}}));
  return tx.commit();
}

Status BreakGlass::reject(const AuthContext& admin, std::int64_t id, std::string_view note) {
  TKM_ASSIGN_OR_RETURN(BreakGlassGrant g, find(id));
  if (admin.account.user_id == g.requester) {
    return refuse(Errc::permission_denied, "自分の緊急アクセスは判断できません",
                  "nobody decides on their own emergency access");
  }
  TimePoint now = clock_->now();
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  // A rejected emergency ends at once.
  TKM_ASSIGN_OR_RETURN(
      std::int64_t changed,
      db_->execute(
          "UPDATE break_glass SET decided_by = ?, decision = 'rejected', decided_at = ?, "
          "decision_note = ?, ends_at = CASE WHEN ends_at IS NOT NULL AND ends_at > ? THEN ? ELSE "
          "ends_at END WHERE id = ? AND decision = ''",
          {admin.account.user_id, to_unix_ms(now), std::string(note), to_unix_ms(now),
           to_unix_ms(now), id}));
  if (changed == 0) return decided_already(id);
  TKM_ASSIGN_OR_RETURN(
      std::int64_t seq,
      audit_->append(
          tx,
          {admin.actor(), "break_glass.reject", object_of(id), audit::Outcome::success, "{}", {}}));
  if (g.emergency) {  // EMERG-03: an emergency access not approved afterwards is an incident
    TKM_RETURN_IF_ERROR(monitor_->open_incident(
        tx, admin.actor(),
        high_incident("break_glass_rejected", g.requester,
                      "緊急アクセス #" + std::to_string(id) + " は事後に承認されませんでした",
                      "emergency access #" + std::to_string(id) + " was rejected afterwards", seq,
                      now)));
  }
  return tx.commit();
}

Status BreakGlass::use(const AuthContext& who, std::int64_t id, std::string_view target) {
  TKM_ASSIGN_OR_RETURN(BreakGlassGrant g, find(id));
  TimePoint now = clock_->now();
  bool in_scope = std::ranges::find(g.persons, target) != g.persons.end() ||
                  std::ranges::find(g.datasets, target) != g.datasets.end();
  std::string state = g.state(now);
  std::string why;
  if (who.account.user_id != g.requester) {
    why = "not_the_requester";
  } else if (state != "active") {
    why = "state:" + state;
  } else if (!in_scope) {
    why = "outside_scope";
  }
  std::vector<std::string> subjects;
  if (audit::is_subject_reference(target) &&
      std::ranges::find(g.datasets, target) == g.datasets.end()) {
    subjects.emplace_back(target);
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(db_->execute(
      "INSERT INTO break_glass_uses (grant_id, at, user_id, target, allowed) VALUES (?, ?, ?, ?, "
      "?)",
      {id, to_unix_ms(now), who.account.user_id, std::string(target), std::int64_t{why.empty()}}));
  TKM_RETURN_IF_ERROR(
      audit_->append(tx, {who.actor(), "break_glass.use", object_of(id),
                          why.empty() ? audit::Outcome::success : audit::Outcome::denied,
                          why.empty() ? "{}" : nlohmann::json{{"reason", why}}.dump(), subjects}));
  TKM_RETURN_IF_ERROR(tx.commit());
  if (why.empty()) return ok();
  if (why == "outside_scope") {
    return refuse(Errc::permission_denied, "緊急アクセス #" + std::to_string(id) + " の対象外です",
                  "outside the scope of emergency access #" + std::to_string(id));
  }
  if (why == "not_the_requester") {
    return refuse(Errc::permission_denied,
                  "緊急アクセス #" + std::to_string(id) + " は他の人に許可されたものです",
                  "emergency access #" + std::to_string(id) + " was granted to someone else");
  }
  return refuse(Errc::expired,
                "緊急アクセス #" + std::to_string(id) + " は使えません（" +
                    (state == "requested"  ? std::string("承認待ち")
                     : state == "rejected" ? "却下"
                                           : "期限切れ") +
                    "）",
                "emergency access #" + std::to_string(id) + " is not open (" + state + ")");
}

Status BreakGlass::review(const AuthContext& officer, std::int64_t id, std::string_view findings) {
  TKM_ASSIGN_OR_RETURN(BreakGlassGrant g, find(id));
  if (officer.account.user_id == g.requester || officer.account.user_id == g.decided_by) {
    return refuse(Errc::permission_denied, "自分が関わった緊急アクセスは確認できません",
                  "nobody reviews an emergency access they asked for or decided");
  }
  if (findings.empty()) {
    return fail(Errc::invalid_input, {"確認結果を記録してください", "record the findings"},
                Location{.field = "findings"});
  }
  std::string state = g.state(clock_->now());
  if (state == "active" || state == "requested" || !g.reviewed_by.empty()) {
    return refuse(
        Errc::conflict,
        "緊急アクセス #" + std::to_string(id) + " は終了後に一度だけ確認します（" + state + "）",
        "emergency access #" + std::to_string(id) + " is reviewed once, after it ends (" + state +
            ")");
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(
      db_->execute("UPDATE break_glass SET reviewed_by = ?, review_note = ? WHERE id = ?",
                   {officer.account.user_id, std::string(findings), id}));
  TKM_RETURN_IF_ERROR(audit_->append(tx, {officer.actor(),
                                          "break_glass.review",
                                          object_of(id),
                                          audit::Outcome::success,
                                          nlohmann::json{{"uses", g.uses}}.dump(),
                                          {}}));
  return tx.commit();
}

Result<int> BreakGlass::escalate_unconfirmed(const audit::Actor& by) {
  TimePoint now = clock_->now();
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query("SELECT id, requester FROM break_glass WHERE emergency = 1 AND decision = '' AND "
                 "escalated = 0 AND ends_at <= ?",
                 {to_unix_ms(now - policy_.confirm_within)}));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  for (const auto& r : rows) {
    const std::int64_t id = r.integer(0);
    TKM_RETURN_IF_ERROR(db_->execute("UPDATE break_glass SET escalated = 1 WHERE id = ?", {id}));
    TKM_ASSIGN_OR_RETURN(
        std::int64_t seq,
        audit_->append(
            tx, {by, "break_glass.unconfirmed", object_of(id), audit::Outcome::failure, "{}", {}}));
    TKM_RETURN_IF_ERROR(monitor_->open_incident(
        tx, by,
        high_incident("break_glass_unconfirmed", r.text(1),
                      "緊急アクセス #" + std::to_string(id) + " が期限までに事後承認されていません",
                      "emergency access #" + std::to_string(id) + " was not confirmed in time", seq,
                      now)));
  }
  TKM_RETURN_IF_ERROR(tx.commit());
  return static_cast<int>(rows.size());
}

Result<std::vector<BreakGlassGrant>> BreakGlass::list() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows, db_->query(std::string("SELECT ") + kColumns +
                                                    " FROM break_glass g ORDER BY id"));
  std::vector<BreakGlassGrant> out;
  for (const auto& r : rows) out.push_back(grant_from(r));
  return out;
}

Result<BreakGlassGrant> BreakGlass::find(std::int64_t id) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query(std::string("SELECT ") + kColumns + " FROM break_glass g WHERE id = ?", {id}));
  if (rows.empty()) {
    return refuse(Errc::not_found, "緊急アクセス #" + std::to_string(id) + " はありません",
                  "no emergency access #" + std::to_string(id));
  }
  return grant_from(rows[0]);
}

}  // namespace tokumei::security
