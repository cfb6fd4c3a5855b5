#include "tokumei/audit/monitor.h"

#include <deque>
#include <map>
#include <nlohmann/json.hpp>

namespace tokumei::audit {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

bool is_person(const std::string& user) {
  return !user.empty() && !user.starts_with("system:") && !user.starts_with("unknown:") &&
         !user.starts_with("terminal:") && user != "anonymous";
}

// Hour of day (0–23) and day of week (0 = Sunday) in Japan Standard Time.
std::pair<int, int> jst_hour_and_weekday(TimePoint at) {
  std::int64_t ms = to_unix_ms(at) + 9LL * 3600 * 1000;
  std::int64_t day = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
  int hour = static_cast<int>((ms - day * 86'400'000) / 3'600'000);
  int weekday = static_cast<int>(((day + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  return {hour, weekday};
}

// The detail fields the rules read. Only the actions that carry them are parsed: most entries
// need no JSON work at all.
bool is_export(const Entry& e) { return e.action.find("export") != std::string::npos; }
bool carries_reason(const Entry& e) {
  return e.action == "auth.login" || e.action == "authz.check" || e.action == "account.lock";
}

std::string detail_string(const Entry& e, const char* key) {
  auto j = nlohmann::json::parse(e.detail, nullptr, false);
  if (!j.is_object() || !j.contains(key)) return {};
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

long long detail_rows(const Entry& e) {
  if (!is_export(e)) return 0;
  auto j = nlohmann::json::parse(e.detail, nullptr, false);
  if (j.is_object() && j.contains("rows") && j["rows"].is_number_integer()) {
    return j["rows"].get<long long>();
  }
  return 0;
}

// Entries in a sliding window of time, oldest first.
template <class T>
void trim(std::deque<std::pair<TimePoint, T>>& q, TimePoint now, std::chrono::minutes window) {
  while (!q.empty() && now - q.front().first > window) q.pop_front();
}

// The persons one user touched within a sliding window, with how often each, so the number of
// distinct persons is known without recounting the window at every entry.
struct PersonWindow {
  std::deque<std::pair<TimePoint, std::pair<std::int64_t, std::string>>> touches;  // (seq, person)
  std::map<std::string, int> times;

  void add(TimePoint at, std::int64_t seq, const std::string& person) {
    touches.emplace_back(at, std::pair{seq, person});
    ++times[person];
  }
  void trim(TimePoint now, std::chrono::minutes window) {
    while (!touches.empty() && now - touches.front().first > window) {
      auto it = times.find(touches.front().second.second);
      if (--it->second == 0) times.erase(it);
      touches.pop_front();
    }
  }
  std::size_t distinct() const { return times.size(); }
};

}  // namespace

std::string_view action_name(Action a) {
  switch (a) {
    case Action::alert:
      return "alert";
    case Action::end_session:
      return "end_session";
    case Action::lock_account:
      return "lock_account";
    case Action::freeze_exit:
      return "freeze_exit";
  }
  return "alert";
}

Result<Action> parse_action(std::string_view name) {
  for (Action a : {Action::alert, Action::end_session, Action::lock_account, Action::freeze_exit}) {
    if (action_name(a) == name) return a;
  }
  return fail(Errc::invalid_input,
              {"監視の対処「" + std::string(name) +
                   "」はありません（alert, end_session, lock_account, freeze_exit）",
               "unknown monitor action '" + std::string(name) +
                   "' (alert, end_session, lock_account, freeze_exit)"});
}

store::SchemaModule Monitor::schema() {
  return {"monitor",
          {{1, "monitor cursor, incidents with their entries, exit freezes (MONITOR-02/03/11)",
            R"sql(
CREATE TABLE monitor_state (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE incidents (
  id         INTEGER PRIMARY KEY,
  opened_at  INTEGER NOT NULL,
  rule       TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  severity   TEXT NOT NULL,
  action     TEXT NOT NULL,
  summary_ja TEXT NOT NULL,
  summary_en TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'closed')),
  assignee   TEXT NOT NULL DEFAULT '',
  note       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE incident_entries (
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  seq         INTEGER NOT NULL,
  PRIMARY KEY (incident_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER incident_entries_no_delete BEFORE DELETE ON incident_entries
BEGIN SELECT RAISE(ABORT, 'incident entries are kept'); END;
CREATE TABLE exit_freezes (
  id             INTEGER PRIMARY KEY,
  at             INTEGER NOT NULL,
  by_user        TEXT NOT NULL,
  reason         TEXT NOT NULL,
  released_at    INTEGER,
  released_by    TEXT,
  release_reason TEXT
);
)sql"}}};
}

Result<CycleReport> Monitor::run_cycle(Controls& controls, const Actor& by) {
  CycleReport report;
  TKM_ASSIGN_OR_RETURN(store::Rows cursor_rows,
                       db_->query("SELECT value FROM monitor_state WHERE key = 'cursor'"));
  report.from = cursor_rows.empty() ? 0 : cursor_rows[0].integer(0);
  TKM_ASSIGN_OR_RETURN(report.to, log_->size());

  // Sliding windows, warmed with the entries just before the cursor so a burst that spans two
  // cycles is still seen whole.
  std::map<std::string, std::deque<std::pair<TimePoint, std::int64_t>>> failures;
  std::map<std::string, PersonWindow> touched;
  std::map<std::string, std::deque<std::pair<TimePoint, std::pair<std::int64_t, long long>>>>
      exported;
  std::map<std::pair<std::string, std::string>, std::size_t> open;  // (rule, user) → incidents
  // The newest entry each (rule, user) has already been reported for: entries up to it never
  // count again, so a burst reported in one cycle does not fire again in the next.
  std::map<std::pair<std::string, std::string>, std::int64_t> reported;
  TKM_ASSIGN_OR_RETURN(store::Rows done,
                       db_->query("SELECT i.rule, i.user_id, MAX(e.seq) FROM incidents i JOIN "
                                  "incident_entries e ON e.incident_id = i.id GROUP BY i.rule, "
                                  "i.user_id"));
  for (const auto& r : done) reported[{r.text(0), r.text(1)}] = r.integer(2);
  auto already = [&](const std::string& rule, const std::string& user, std::int64_t seq) {
    auto it = reported.find({rule, user});
    return it != reported.end() && seq <= it->second;
  };

  auto fire = [&](const std::string& rule, const std::string& user, const char* severity,
                  Action action, std::vector<std::int64_t> seqs, std::string ja,
                  std::string en) -> Status {
    auto key = std::make_pair(rule, user);
    // Already reported when it happened (break-glass alerts with the request).
    if (seqs.size() == 1 && already(rule, user, seqs[0])) return ok();
    if (auto it = open.find(key); it != open.end()) {
      auto& entries = report.incidents[it->second].entries;
      for (auto s : seqs) {
        if (std::find(entries.begin(), entries.end(), s) == entries.end()) entries.push_back(s);
      }
      return ok();
    }
    Incident inc;
    inc.opened = clock_->now();
    inc.rule = rule;
    inc.user = user;
    inc.severity = severity;
    inc.action = action;
    inc.summary_ja = std::move(ja);
    inc.summary_en = std::move(en);
    inc.status = "open";
    inc.entries = std::move(seqs);
    open[key] = report.incidents.size();
    report.incidents.push_back(std::move(inc));
    return ok();
  };

  auto look = [&](const StoredEntry& s, bool warm) -> Status {
    const Entry& e = s.entry;
    const std::string& user = e.actor.user;
    // Failed logins, per user, or per terminal for IDs that do not exist (MONITOR-02).
    if ((e.action == "auth.password" || e.action == "auth.totp") && e.outcome == Outcome::failure) {
      std::string key = user.starts_with("unknown:") ? "terminal:" + e.actor.terminal : user;
      auto& q = failures[key];
      if (!already("failed_logins", key, s.seq)) q.emplace_back(s.at, s.seq);
      trim(q, s.at, config_.failed_logins_window);
      if (!warm && !q.empty() && q.back().second == s.seq &&
          static_cast<int>(q.size()) >= config_.failed_logins) {
        std::vector<std::int64_t> seqs;
        for (auto& [at, seq] : q) seqs.push_back(seq);
        std::string n = std::to_string(q.size());
        TKM_RETURN_IF_ERROR(fire("failed_logins", key, "medium", config_.on_failed_logins,
                                 std::move(seqs), key + " のログイン失敗が " + n + " 回続きました",
                                 n + " failed logins for " + key));
      }
    }
    if (warm) {
      // Only windows need the past; the one-entry rules look at new entries only.
      if (is_person(user) && !e.subjects.empty() && !already("bulk_persons", user, s.seq)) {
        for (const auto& subject : e.subjects) touched[user].add(s.at, s.seq, subject);
      }
      if (long long rows = detail_rows(e); rows > 0 && !already("export_volume", user, s.seq)) {
        exported[user].emplace_back(s.at, std::pair{s.seq, rows});
      }
      return ok();
    }
    if (is_person(user) && e.outcome == Outcome::success) {
      auto [hour, weekday] = jst_hour_and_weekday(s.at);
      if (hour < config_.working_hours_start || hour >= config_.working_hours_end || weekday == 0 ||
          weekday == 6) {
        TKM_RETURN_IF_ERROR(fire("off_hours", user, "medium", config_.on_off_hours, {s.seq},
                                 user + " が業務時間外に操作しました（" + format_jst(s.at) + "）",
                                 user + " acted outside working hours (" + format_jst(s.at) + ")"));
      }
    }
    if (is_person(user) && !e.subjects.empty() &&
        !already("bulk_persons", user, s.seq)) {  // bulk reads of persons
      auto& window = touched[user];
      for (const auto& subject : e.subjects) window.add(s.at, s.seq, subject);
      window.trim(s.at, config_.bulk_window);
      if (static_cast<int>(window.distinct()) > config_.bulk_persons) {
        std::vector<std::int64_t> seqs;
        for (auto& [at, v] : window.touches) {
          if (seqs.empty() || seqs.back() != v.first) seqs.push_back(v.first);
        }
        std::string n = std::to_string(window.distinct());
        std::string minutes = std::to_string(config_.bulk_window.count());
        TKM_RETURN_IF_ERROR(
            fire("bulk_persons", user, "high", config_.on_bulk_persons, std::move(seqs),
                 user + " が " + minutes + " 分間に " + n + " 人分の情報に触れました",
                 user + " touched " + n + " persons within " + minutes + " minutes"));
      }
    }
    if (long long rows = detail_rows(e); rows > 0 && !already("export_volume", user, s.seq)) {
      auto& q = exported[user];
      q.emplace_back(s.at, std::pair{s.seq, rows});
      trim(q, s.at, std::chrono::hours(24));
      long long total = 0;
      std::vector<std::int64_t> seqs;
      for (auto& [at, v] : q) {
        total += v.second;
        seqs.push_back(v.first);
      }
      if (rows > config_.export_rows || total > config_.export_rows) {
        std::string n = std::to_string(total);
        TKM_RETURN_IF_ERROR(fire("export_volume", user, "high", config_.on_export_volume,
                                 std::move(seqs),
                                 user + " の出力が 24 時間で " + n + " 行に達しました",
                                 user + " exported " + n + " rows within 24 hours"));
      }
    }
    std::string reason = carries_reason(e) ? detail_string(e, "reason") : std::string();
    if ((e.action == "auth.login" && reason == "unregistered_terminal") ||
        (e.action == "authz.check" && reason == "terminal_mismatch")) {
      TKM_RETURN_IF_ERROR(
          fire("unregistered_terminal", is_person(user) ? user : "", "high",
               config_.on_unregistered_terminal, {s.seq},
               "登録されていない端末 " + e.actor.terminal + " からの利用がありました",
               "use from the unregistered terminal " + e.actor.terminal));
    }
    if (e.action == "account.role.change" || e.action == "account.create" ||
        e.action == "account.enable") {
      TKM_RETURN_IF_ERROR(fire("privilege_change", user, "medium", config_.on_privilege_change,
                               {s.seq}, user + " が権限を変更しました（" + e.object + "）",
                               user + " changed privileges (" + e.object + ")"));
    }
    if (e.action.starts_with("break_glass.open")) {  // EMERG-03: the officer hears at once
      TKM_RETURN_IF_ERROR(fire("break_glass", user, "high", Action::alert, {s.seq},
                               user + " が緊急アクセスを開始しました",
                               user + " opened emergency access"));
    }
    if (e.action == "account.lock") {  // AUTHN-07: every lock is alerted
      std::string locked = e.object.starts_with("user:") ? e.object.substr(5) : e.object;
      TKM_RETURN_IF_ERROR(fire("account_lock", "", "medium", config_.on_account_lock, {s.seq},
                               locked + " のアカウントがロックされました（" + reason + "）",
                               locked + "'s account was locked (" + reason + ")"));
    }
    return ok();
  };

  if (report.to > report.from) {
    // Warm the windows with what came just before the cursor.
    auto widest = std::max(
        {config_.failed_logins_window, config_.bulk_window, std::chrono::minutes(24 * 60)});
    TKM_ASSIGN_OR_RETURN(std::vector<StoredEntry> first, log_->read(report.from + 1, 1));
    if (!first.empty() && report.from > 0) {
      TKM_ASSIGN_OR_RETURN(
          store::Row start,
          db_->query_one(
              "SELECT COALESCE(MIN(seq), ?) FROM audit_entries WHERE at >= ? AND seq <= ?",
              {report.from + 1, to_unix_ms(first[0].at - widest), report.from}));
      for (std::int64_t seq = start.integer(0); seq <= report.from; seq += 5000) {
        TKM_ASSIGN_OR_RETURN(auto batch,
                             log_->read(seq, std::min<std::int64_t>(5000, report.from - seq + 1)));
        for (const auto& s : batch) TKM_RETURN_IF_ERROR(look(s, true));
      }
    }
    for (std::int64_t seq = report.from + 1; seq <= report.to; seq += 5000) {
      TKM_ASSIGN_OR_RETURN(auto batch,
                           log_->read(seq, std::min<std::int64_t>(5000, report.to - seq + 1)));
      for (const auto& s : batch) TKM_RETURN_IF_ERROR(look(s, false));
    }
  }

  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  for (auto& inc : report.incidents) {
    TKM_ASSIGN_OR_RETURN(inc.id, open_incident(tx, by, inc));
  }
  TKM_RETURN_IF_ERROR(db_->execute(
      "INSERT INTO monitor_state (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE "
      "SET value = excluded.value",
      {report.to}));
  TKM_RETURN_IF_ERROR(tx.commit());

  // The incidents are on record first; then each is acted on once, naming it as the reason.
  for (const auto& inc : report.incidents) {
    std::string reason = "monitor:" + inc.rule + "#" + std::to_string(inc.id);
    if (inc.action == Action::freeze_exit) {
      TKM_RETURN_IF_ERROR(controls.freeze_exit(reason));
      continue;
    }
    if (!is_person(inc.user)) continue;  // a terminal or a process: alerted only
    if (inc.action == Action::lock_account) {
      TKM_RETURN_IF_ERROR(controls.lock_account(inc.user, reason));
    }
    if (inc.action == Action::lock_account || inc.action == Action::end_session) {
      TKM_RETURN_IF_ERROR(controls.end_sessions(inc.user, reason));
    }
  }

  TKM_ASSIGN_OR_RETURN(store::Row newest,
                       db_->query_one("SELECT COALESCE(MAX(tree_size), 0) FROM audit_checkpoints"));
  std::int64_t covered = newest.integer(0);
  TKM_ASSIGN_OR_RETURN(std::int64_t size, log_->size());
  report.checkpoint_due = size - covered >= config_.checkpoint_every;
  return report;
}

Result<std::int64_t> Monitor::open_incident(store::Transaction& tx, const Actor& by, Incident inc) {
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_->insert("INSERT INTO incidents (opened_at, rule, user_id, severity, action, summary_ja, "
                  "summary_en) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  {to_unix_ms(inc.opened), inc.rule, inc.user, inc.severity,
                   std::string(action_name(inc.action)), inc.summary_ja, inc.summary_en}));
  for (auto seq : inc.entries) {
    TKM_RETURN_IF_ERROR(db_->execute(
        "INSERT OR IGNORE INTO incident_entries (incident_id, seq) VALUES (?, ?)", {*id, seq}));
  }
  TKM_RETURN_IF_ERROR(log_->append(tx, {by,
                                        "monitor.incident.open",
                                        "incident:" + std::to_string(*id),
                                        Outcome::success,
                                        nlohmann::json{{"rule", inc.rule},
                                                       {"user", inc.user},
                                                       {"severity", inc.severity},
                                                       {"action", action_name(inc.action)},
                                                       {"entries", inc.entries.size()}}
                                            .dump(),
                                        {}}));
  return *id;
}

Result<std::vector<Incident>> Monitor::incidents(bool open_only) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_->query(std::string("SELECT id, opened_at, rule, user_id, severity, action, summary_ja, "
                             "summary_en, status, assignee FROM incidents") +
                 (open_only ? " WHERE status <> 'closed'" : "") + " ORDER BY id"));
  std::vector<Incident> out;
  for (const auto& r : rows) {
    Incident inc;
    inc.id = r.integer(0);
    inc.opened = from_unix_ms(r.integer(1));
    inc.rule = r.text(2);
    inc.user = r.text(3);
    inc.severity = r.text(4);
    inc.action = parse_action(r.text(5)).value_or(Action::alert);
    inc.summary_ja = r.text(6);
    inc.summary_en = r.text(7);
    inc.status = r.text(8);
    inc.assignee = r.text(9);
    TKM_ASSIGN_OR_RETURN(store::Rows seqs,
                         db_->query("SELECT seq FROM incident_entries WHERE incident_id = ? "
                                    "ORDER BY seq",
                                    {inc.id}));
    for (const auto& s : seqs) inc.entries.push_back(s.integer(0));
    out.push_back(std::move(inc));
  }
  return out;
}

namespace {

// Nobody handles an incident about their own actions (AUTHZ-08).
Status not_about(store::Database& db, const Actor& by, std::int64_t id) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db.query("SELECT user_id FROM incidents WHERE id = ?", {id}));
  if (!rows.empty() && rows[0].text(0) == by.user) {
    return fail(Errc::permission_denied, {"自分の操作についてのインシデントは扱えません",
                                          "nobody handles an incident about their own actions"});
  }
  return ok();
}

}  // namespace

Status Monitor::acknowledge(const Actor& by, std::int64_t id, std::string_view assignee) {
  TKM_RETURN_IF_ERROR(not_about(*db_, by, id));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(std::int64_t n,
                       db_->execute("UPDATE incidents SET status = 'acknowledged', assignee = ? "
                                    "WHERE id = ? AND status = 'open'",
                                    {std::string(assignee), id}));
  if (n == 0) {
    return fail(Errc::conflict, {"インシデント " + std::to_string(id) + " は未対応ではありません",
                                 "incident " + std::to_string(id) + " is not open"});
  }
  TKM_RETURN_IF_ERROR(log_->append(tx, {by,
                                        "monitor.incident.acknowledge",
                                        "incident:" + std::to_string(id),
                                        Outcome::success,
                                        nlohmann::json{{"assignee", assignee}}.dump(),
                                        {}}));
  return tx.commit();
}

Status Monitor::close(const Actor& by, std::int64_t id, std::string_view note) {
  if (note.empty()) {
    return fail(Errc::invalid_input, {"対応内容を記録してください", "record what was done"},
                Location{.field = "note"});
  }
  TKM_RETURN_IF_ERROR(not_about(*db_, by, id));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_ASSIGN_OR_RETURN(std::int64_t n,
                       db_->execute("UPDATE incidents SET status = 'closed', note = ? WHERE id = ? "
                                    "AND status <> 'closed'",
                                    {std::string(note), id}));
  if (n == 0) {
    return fail(Errc::conflict,
                {"インシデント " + std::to_string(id) + " は閉じられないか、ありません",
                 "incident " + std::to_string(id) + " is closed or missing"});
  }
  TKM_RETURN_IF_ERROR(log_->append(tx, {by,
                                        "monitor.incident.close",
                                        "incident:" + std::to_string(id),
                                        Outcome::success,
                                        "{}",
                                        {}}));
  return tx.commit();
}

Result<std::optional<std::string>> Monitor::exit_frozen() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_->query("SELECT reason FROM exit_freezes WHERE released_at IS NULL "
                                  "ORDER BY id LIMIT 1"));
  if (rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>(rows[0].text(0));
}

Status Monitor::freeze_exit(const Actor& by, std::string_view reason) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(
      db_->execute("INSERT INTO exit_freezes (at, by_user, reason) VALUES (?, ?, ?)",
                   {to_unix_ms(clock_->now()), by.user, std::string(reason)}));
  TKM_RETURN_IF_ERROR(log_->append(
      tx, {by,
           "exit.freeze",
           "exit:queue",
           Outcome::success,
           nlohmann::json{
               {"rule", reason.starts_with("monitor:") ? reason.substr(8) : std::string_view()}}
               .dump(),
           {}}));
  return tx.commit();
}

Status Monitor::release_exit(const Actor& by, std::string_view reason) {
  if (reason.empty()) {
    return fail(Errc::invalid_input, {"再開の理由を記録してください", "record why exit resumes"},
                Location{.field = "reason"});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_->begin());
  TKM_RETURN_IF_ERROR(db_->execute(
      "UPDATE exit_freezes SET released_at = ?, released_by = ?, release_reason = ? WHERE "
      "released_at IS NULL",
      {to_unix_ms(clock_->now()), by.user, std::string(reason)}));
  TKM_RETURN_IF_ERROR(
      log_->append(tx, {by, "exit.release", "exit:queue", Outcome::success, "{}", {}}));
  return tx.commit();
}

}  // namespace tokumei::audit
