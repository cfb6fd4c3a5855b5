#include "tokumei/identity/linkage_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

namespace tokumei::identity {
namespace {

std::pair<std::string, std::string> ordered(const std::string& a, const std::string& b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

std::string levels_text(const Comparison& c) {
  std::string out;
  for (std::size_t f = 0; f < kFields; ++f) out += fmt::format("{}{}", f ? "," : "", c.level[f]);
  return out;
}

Comparison levels_from(const std::string& text) {
  Comparison c;
  std::size_t f = 0;
  for (std::size_t at = 0; at <= text.size() && f < kFields; ++f) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    c.level[f] = static_cast<std::int8_t>(std::stoi(text.substr(at, comma - at)));
    at = comma + 1;
  }
  return c;
}

std::string_view reason_name(Reason r) {
  switch (r) {
    case Reason::above_match_threshold:
      return "above_match_threshold";
    case Reason::between_thresholds:
      return "between_thresholds";
    case Reason::linked_through_others:
      return "linked_through_others";
    case Reason::same_institution_already_linked:
      return "same_institution_already_linked";
  }
  return "";
}
Reason reason_from(std::string_view name) {
  if (name == "above_match_threshold") return Reason::above_match_threshold;
  if (name == "linked_through_others") return Reason::linked_through_others;
  if (name == "same_institution_already_linked") return Reason::same_institution_already_linked;
  return Reason::between_thresholds;
}

nlohmann::json model_json(const LinkageModel& m) {
  nlohmann::json fields = nlohmann::json::object();
  for (std::size_t f = 0; f < kFields; ++f) {
    const auto field = static_cast<Field>(f);
    nlohmann::json mj = nlohmann::json::array(), uj = nlohmann::json::array();
    for (std::size_t l = 0; l < levels(field); ++l) {
      mj.push_back(m.m[f][l]);
      uj.push_back(m.u[f][l]);
    }
    fields[std::string(field_name(field, Lang::en))] = {{"m", mj}, {"u", uj}};
  }
  return {{"fields", fields},
          {"match_threshold", m.match_threshold},
          {"review_threshold", m.review_threshold}};
}

Error missing_reason() {
  return Error(Errc::invalid_argument, {"理由を書いてください", "a reason is required"},
               Location{.field = "reason"});
}

}  // namespace

store::SchemaModule LinkageStore::schema() {
  return {"identity_linkage",
          {{1, "record linkage: runs, scored pairs, merge and split events, verdicts", R"sql(
CREATE TABLE link_runs (
  id        INTEGER PRIMARY KEY,
  at_ms     INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  persons   INTEGER NOT NULL,
  compared  INTEGER NOT NULL,
  model     TEXT NOT NULL
);
CREATE TABLE link_pairs (
  id        INTEGER PRIMARY KEY,
  run_id    INTEGER NOT NULL REFERENCES link_runs (id),
  person_a  TEXT NOT NULL,
  person_b  TEXT NOT NULL,
  score     REAL NOT NULL,
  levels    TEXT NOT NULL,
  decision  TEXT NOT NULL CHECK (decision IN ('match', 'review')),
  reason    TEXT NOT NULL
);
CREATE INDEX link_pairs_run ON link_pairs (run_id, decision);
CREATE TABLE link_events (
  id        INTEGER PRIMARY KEY,
  at_ms     INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL CHECK (action IN ('merge', 'split', 'undo')),
  run_id    INTEGER REFERENCES link_runs (id),
  pair_id   INTEGER REFERENCES link_pairs (id),
  undoes    INTEGER UNIQUE REFERENCES link_events (id),
  reason    TEXT NOT NULL
);
CREATE TABLE link_moves (
  event_id   INTEGER NOT NULL REFERENCES link_events (id),
  person_key TEXT NOT NULL,
  from_key   TEXT NOT NULL,
  to_key     TEXT NOT NULL
);
CREATE INDEX link_moves_person ON link_moves (person_key, event_id);
CREATE INDEX link_moves_event ON link_moves (event_id);
CREATE TABLE link_verdicts (
  id        INTEGER PRIMARY KEY,
  person_a  TEXT NOT NULL,
  person_b  TEXT NOT NULL,
  verdict   TEXT NOT NULL CHECK (verdict IN ('same', 'different', 'withdrawn')),
  event_id  INTEGER,
  actor     TEXT NOT NULL,
  at_ms     INTEGER NOT NULL,
  reason    TEXT NOT NULL
);
CREATE INDEX link_verdicts_pair ON link_verdicts (person_a, person_b, id);
-- The current state, replayed from link_moves; the only table that changes.
CREATE TABLE link_members (
  person_key TEXT PRIMARY KEY,
  linked_key TEXT NOT NULL
);
CREATE INDEX link_members_linked ON link_members (linked_key);
CREATE TRIGGER link_runs_no_update BEFORE UPDATE ON link_runs
  BEGIN SELECT RAISE(ABORT, 'link_runs is append-only'); END;
CREATE TRIGGER link_runs_no_delete BEFORE DELETE ON link_runs
  BEGIN SELECT RAISE(ABORT, 'link_runs is append-only'); END;
CREATE TRIGGER link_pairs_no_update BEFORE UPDATE ON link_pairs
  BEGIN SELECT RAISE(ABORT, 'link_pairs is append-only'); END;
CREATE TRIGGER link_pairs_no_delete BEFORE DELETE ON link_pairs
  BEGIN SELECT RAISE(ABORT, 'link_pairs is append-only'); END;
CREATE TRIGGER link_events_no_update BEFORE UPDATE ON link_events
  BEGIN SELECT RAISE(ABORT, 'link_events is append-only'); END;
CREATE TRIGGER link_events_no_delete BEFORE DELETE ON link_events
  BEGIN SELECT RAISE(ABORT, 'link_events is append-only'); END;
CREATE TRIGGER link_moves_no_update BEFORE UPDATE ON link_moves
  BEGIN SELECT RAISE(ABORT, 'link_moves is append-only'); END;
CREATE TRIGGER link_moves_no_delete BEFORE DELETE ON link_moves
  BEGIN SELECT RAISE(ABORT, 'link_moves is append-only'); END;
CREATE TRIGGER link_verdicts_no_update BEFORE UPDATE ON link_verdicts
  BEGIN SELECT RAISE(ABORT, 'link_verdicts is append-only'); END;
CREATE TRIGGER link_verdicts_no_delete BEFORE DELETE ON link_verdicts
  BEGIN SELECT RAISE(ABORT, 'link_verdicts is append-only'); END;
)sql"}}};
}

Result<std::string> LinkageStore::subject(const std::string& person_key) {
  return vault_.audit_reference(person_key);
}

Status LinkageStore::audit_entry(const audit::Actor& by, std::string_view action,
                                 std::string object, const std::string& detail,
                                 std::vector<std::string> subjects) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = std::string(action),
                                         .object = std::move(object),
                                         .outcome = audit::Outcome::success,
                                         .detail = detail,
                                         .subjects = std::move(subjects)}));
  return tx.commit();
}

Result<std::string> LinkageStore::linked_key(const std::string& person_key) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT linked_key FROM link_members WHERE person_key = ?", {person_key}));
  return rows.empty() ? person_key : rows[0].text(0);
}

Result<std::vector<std::string>> LinkageStore::members(const std::string& linked) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT person_key FROM link_members WHERE linked_key = ? ORDER BY person_key",
                {linked}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.text(0));
  if (out.empty()) out.push_back(linked);
  return out;
}

Result<std::string> LinkageStore::institution_of(const std::string& person_key) {
  TKM_ASSIGN_OR_RETURN(bool gone, vault_.erased(person_key));
  if (gone) return std::string();  // erased: no institution holds it any more
  TKM_ASSIGN_OR_RETURN(auto versions, vault_.versions(person_key));
  if (versions.empty()) {
    return fail(Errc::not_found,
                {"身元情報がありません: " + person_key, "no identity for person " + person_key});
  }
  return versions.back().institution;
}

Status LinkageStore::apply(const std::vector<Move>& moves) {
  for (const Move& m : moves) {
    TKM_RETURN_IF_ERROR(
        db_.execute("INSERT INTO link_members (person_key, linked_key) VALUES (?, ?) "
                    "ON CONFLICT (person_key) DO UPDATE SET linked_key = excluded.linked_key",
                    {m.person, m.to}));
  }
  return ok();
}

Result<std::int64_t> LinkageStore::record_event(const audit::Actor& by, std::string_view action,
                                                const std::vector<Move>& moves,
                                                std::optional<std::int64_t> run,
                                                std::optional<std::int64_t> pair,
                                                std::optional<std::int64_t> undoes,
                                                const std::string& reason) {
  auto optional = [](std::optional<std::int64_t> v) -> store::Value {
    return v ? store::Value(*v) : store::Value(nullptr);
  };
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_.insert("INSERT INTO link_events (at_ms, actor, action, run_id, pair_id, undoes, reason) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                 {to_unix_ms(clock_.now()), by.user, std::string(action), optional(run),
                  optional(pair), optional(undoes), reason}));
  for (const Move& m : moves) {
    TKM_RETURN_IF_ERROR(db_.execute(
        "INSERT INTO link_moves (event_id, person_key, from_key, to_key) VALUES (?, ?, ?, ?)",
        {*id, m.person, m.from, m.to}));
  }
  TKM_RETURN_IF_ERROR(apply(moves));
  return *id;
}

Status LinkageStore::add_verdict(const std::string& a, const std::string& b,
                                 std::string_view verdict, std::int64_t event,
                                 const audit::Actor& by, const std::string& reason) {
  const auto [x, y] = ordered(a, b);
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO link_verdicts (person_a, person_b, verdict, event_id, actor, at_ms, reason) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {x, y, std::string(verdict), event ? store::Value(event) : store::Value(nullptr), by.user,
       to_unix_ms(clock_.now()), reason}));
  return ok();
}

Result<std::optional<std::string>> LinkageStore::verdict(const std::string& a,
                                                         const std::string& b) {
  const auto [x, y] = ordered(a, b);
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_.query("SELECT verdict FROM link_verdicts WHERE person_a = ? AND "
                                 "person_b = ? ORDER BY id DESC LIMIT 1",
                                 {x, y}));
  if (rows.empty() || rows[0].text(0) == "withdrawn") return std::optional<std::string>();
  return std::optional<std::string>(rows[0].text(0));
}

Result<std::vector<LinkageStore::Move>> LinkageStore::merge_moves(const std::string& a,
                                                                  const std::string& b) {
  TKM_ASSIGN_OR_RETURN(std::string ga, linked_key(a));
  TKM_ASSIGN_OR_RETURN(std::string gb, linked_key(b));
  if (ga == gb) return std::vector<Move>{};
  TKM_ASSIGN_OR_RETURN(auto ma, members(ga));
  TKM_ASSIGN_OR_RETURN(auto mb, members(gb));
  for (const auto& x : ma) {
    for (const auto& y : mb) {
      if (ordered(x, y) == ordered(a, b)) continue;  // the pair being decided: superseded
      TKM_ASSIGN_OR_RETURN(auto said, verdict(x, y));
      if (said && *said == "different") {
        return fail(
            Errc::conflict,
            {"この二人のどちらかの記録どうしが別人と判断されています。先にその判断を取り消して"
             "ください",
             "records of these two were decided to be different persons; undo that "
             "decision first"});
      }
    }
  }
  std::set<std::string> institutions;
  for (const auto& p : ma) {
    TKM_ASSIGN_OR_RETURN(std::string i, institution_of(p));
    institutions.insert(i);
  }
  for (const auto& p : mb) {
    TKM_ASSIGN_OR_RETURN(std::string i, institution_of(p));
    if (!i.empty() && institutions.contains(i)) {
      return fail(Errc::conflict,
                  {fmt::format("同じ医療機関 ({}) の記録がすでにあるため名寄せできません。先に "
                               "split で分けてください",
                               i),
                   fmt::format("cannot link: the person already has a record of institution {}; "
                               "split it first",
                               i)});
    }
  }
  std::vector<Move> moves;
  if (ma.size() == 1 && ma[0] == ga) moves.push_back({ga, ga, ga});  // the group's own row
  for (const auto& p : mb) moves.push_back({p, gb, ga});
  return moves;
}

Result<LinkRunSummary> LinkageStore::run(const audit::Actor& by,
                                         const std::optional<LinkageModel>& given,
                                         const LinkOptions& options) {
  // Everyone the vault holds, as linkage compares them.
  std::vector<std::string> keys;
  std::vector<LinkRecord> records;
  std::map<std::string, std::uint16_t> institutions;
  TKM_RETURN_IF_ERROR(
      vault_.each_latest([&](const std::string& key, model::PersonIdentity p) -> Status {
        const auto [it, added] =
            institutions.emplace(p.institution, static_cast<std::uint16_t>(institutions.size()));
        keys.push_back(key);
        records.push_back(prepare(p, it->second));
        return ok();
      }));
  LinkageModel model = given.value_or(LinkageModel::defaults());
  if (!given) model.estimate_u(records, 1'000'000, 1);
  LinkResult result = link(records, model, options);

  // The current linked persons, with the institutions each holds.
  std::unordered_map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < keys.size(); ++i) index_of.emplace(keys[i], i);
  std::unordered_map<std::string, std::string> group;  // person → linked key (when not alone)
  std::unordered_map<std::string, std::vector<std::string>> members_of;
  {
    TKM_ASSIGN_OR_RETURN(store::Rows rows,
                         db_.query("SELECT person_key, linked_key FROM link_members"));
    for (const auto& r : rows) {
      group[r.text(0)] = r.text(1);
      members_of[r.text(1)].push_back(r.text(0));
    }
  }
  std::map<std::pair<std::string, std::string>, std::string> verdicts;
  {
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        db_.query("SELECT person_a, person_b, verdict FROM link_verdicts ORDER BY id"));
    for (const auto& r : rows) verdicts[{r.text(0), r.text(1)}] = r.text(2);
  }
  auto group_of = [&](const std::string& p) -> const std::string& {
    auto it = group.find(p);
    return it == group.end() ? p : it->second;
  };
  auto members_in = [&](const std::string& g) {
    auto it = members_of.find(g);
    return it == members_of.end() || it->second.empty() ? std::vector<std::string>{g} : it->second;
  };
  auto verdict_of = [&](const std::string& a, const std::string& b) -> std::string {
    auto it = verdicts.find(ordered(a, b));
    return it == verdicts.end() || it->second == "withdrawn" ? "" : it->second;
  };

  // Merges, best pair first, planned in memory.
  struct Planned {
    std::size_t pair;
    std::vector<Move> moves;
  };
  std::vector<Planned> merges;
  LinkRunSummary summary;
  summary.persons = records.size();
  summary.compared = result.compared;
  summary.blocks_too_large = result.blocks_too_large;
  for (std::size_t i = 0; i < result.pairs.size(); ++i) {
    ScoredPair& p = result.pairs[i];
    // Only pairs that match on their own: one linked through others is merged through them.
    if (p.decision != Decision::match || p.reason != Reason::above_match_threshold) continue;
    const std::string& a = keys[p.a];
    const std::string& b = keys[p.b];
    const std::string ga = group_of(a), gb = group_of(b);
    if (ga == gb) continue;
    const auto ma = members_in(ga), mb = members_in(gb);
    // A person's "two persons" holds for everything linked to either record.
    bool apart = false;
    for (const auto& x : ma) {
      for (const auto& y : mb) apart = apart || verdict_of(x, y) == "different";
    }
    if (apart) {
      ++summary.kept_apart;
      p.decision = Decision::review;
      continue;
    }
    // Records no longer in the vault (erased) hold no institution.
    std::set<std::uint16_t> held;
    for (const auto& m : ma) {
      if (auto it = index_of.find(m); it != index_of.end())
        held.insert(records[it->second].institution);
    }
    bool clash = false;
    for (const auto& m : mb) {
      auto it = index_of.find(m);
      clash = clash || (it != index_of.end() && held.contains(records[it->second].institution));
    }
    if (clash) {
      p.decision = Decision::review;
      p.reason = Reason::same_institution_already_linked;
      continue;
    }
    Planned plan{i, {}};
    if (ma.size() == 1 && !group.contains(ga)) plan.moves.push_back({ga, ga, ga});
    for (const auto& m : mb) plan.moves.push_back({m, gb, ga});
    for (const Move& m : plan.moves) group[m.person] = m.to;
    std::vector<std::string> joined = ma;
    joined.insert(joined.end(), mb.begin(), mb.end());
    members_of[ga] = std::move(joined);
    members_of.erase(gb);
    merges.push_back(std::move(plan));
  }

  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> run_id,
      db_.insert("INSERT INTO link_runs (at_ms, actor, persons, compared, model) "
                 "VALUES (?, ?, ?, ?, ?) RETURNING id",
                 {to_unix_ms(clock_.now()), by.user, static_cast<std::int64_t>(records.size()),
                  static_cast<std::int64_t>(result.compared), model_json(model).dump()}));
  summary.run_id = *run_id;
  std::vector<std::int64_t> pair_ids(result.pairs.size(), 0);
  for (std::size_t i = 0; i < result.pairs.size(); ++i) {
    const ScoredPair& p = result.pairs[i];
    TKM_ASSIGN_OR_RETURN(
        std::optional<std::int64_t> id,
        db_.insert(
            "INSERT INTO link_pairs (run_id, person_a, person_b, score, levels, decision, "
            "reason) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {*run_id, keys[p.a], keys[p.b], static_cast<double>(p.score), levels_text(p.comparison),
             std::string(decision_name(p.decision)), std::string(reason_name(p.reason))}));
    pair_ids[i] = *id;
    if (p.decision == Decision::review && group_of(keys[p.a]) != group_of(keys[p.b]) &&
        verdict_of(keys[p.a], keys[p.b]).empty()) {
      ++summary.waiting_for_review;
    }
  }
  for (const Planned& m : merges) {
    TKM_RETURN_IF_ERROR(record_event(by, "merge", m.moves, *run_id, pair_ids[m.pair], std::nullopt,
                                     std::string(reason_name(result.pairs[m.pair].reason))));
  }
  summary.merges = merges.size();
  TKM_ASSIGN_OR_RETURN(store::Row linked,
                       db_.query_one("SELECT COUNT(*) FROM (SELECT linked_key FROM link_members "
                                     "GROUP BY linked_key HAVING COUNT(*) > 1)"));
  summary.linked_persons = static_cast<std::size_t>(linked.integer(0));
  TKM_RETURN_IF_ERROR(audit_.append(
      tx, {.actor = by,
           .action = "identity.link.run",
           .object = fmt::format("link_run:{}", *run_id),
           .outcome = audit::Outcome::success,
           .detail = nlohmann::json{{"persons", summary.persons},
                                    {"compared", summary.compared},
                                    {"merges", summary.merges},
                                    {"kept_apart", summary.kept_apart},
                                    {"waiting_for_review", summary.waiting_for_review},
                                    {"linked_persons", summary.linked_persons}}
                         .dump(),
           .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return summary;
}

Result<std::vector<LinkReview>> LinkageStore::waiting() {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT id, run_id, person_a, person_b, score, levels, reason FROM link_pairs "
                "WHERE decision = 'review' AND run_id = (SELECT MAX(id) FROM link_runs) "
                "ORDER BY score DESC, id"));
  std::vector<LinkReview> out;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(std::string ga, linked_key(r.text(2)));
    TKM_ASSIGN_OR_RETURN(std::string gb, linked_key(r.text(3)));
    if (ga == gb) continue;
    TKM_ASSIGN_OR_RETURN(auto decided, verdict(r.text(2), r.text(3)));
    if (decided) continue;
    out.push_back({.pair_id = r.integer(0),
                   .run_id = r.integer(1),
                   .person_a = r.text(2),
                   .person_b = r.text(3),
                   .score = r.real(4),
                   .comparison = levels_from(r.text(5)),
                   .reason = reason_from(r.text(6))});
  }
  return out;
}

Result<std::pair<std::string, std::string>> LinkageStore::pair_persons(std::int64_t pair_id) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT person_a, person_b FROM link_pairs WHERE id = ?", {pair_id}));
  if (rows.empty()) {
    return fail(Errc::not_found,
                {fmt::format("組 {} はありません", pair_id), fmt::format("no pair {}", pair_id)});
  }
  return std::pair{rows[0].text(0), rows[0].text(1)};
}

Result<std::pair<model::PersonIdentity, model::PersonIdentity>> LinkageStore::identities(
    const audit::Actor& by, std::int64_t pair_id) {
  TKM_ASSIGN_OR_RETURN(auto persons, pair_persons(pair_id));
  TKM_ASSIGN_OR_RETURN(auto a, vault_.versions(persons.first));
  TKM_ASSIGN_OR_RETURN(auto b, vault_.versions(persons.second));
  if (a.empty() || b.empty()) {
    return fail(Errc::not_found, {fmt::format("組 {} の身元情報がありません", pair_id),
                                  fmt::format("pair {} has no identities", pair_id)});
  }
  TKM_ASSIGN_OR_RETURN(std::string sa, subject(persons.first));
  TKM_ASSIGN_OR_RETURN(std::string sb, subject(persons.second));
  TKM_RETURN_IF_ERROR(
      audit_entry(by, "identity.link.read", fmt::format("link_pair:{}", pair_id), "{}", {sa, sb}));
  return std::pair{a.back(), b.back()};
}

Result<std::int64_t> LinkageStore::decide(const audit::Actor& by, std::int64_t pair_id,
                                          bool same_person, const std::string& reason) {
  if (reason.empty()) return std::unexpected(missing_reason());
  TKM_ASSIGN_OR_RETURN(auto persons, pair_persons(pair_id));
  const std::string a = persons.first, b = persons.second;
  std::vector<Move> moves;
  if (same_person) {
    TKM_ASSIGN_OR_RETURN(moves, merge_moves(a, b));
  }
  TKM_ASSIGN_OR_RETURN(std::string sa, subject(a));
  TKM_ASSIGN_OR_RETURN(std::string sb, subject(b));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  std::int64_t event = 0;
  if (!moves.empty()) {
    TKM_ASSIGN_OR_RETURN(
        event, record_event(by, "merge", moves, std::nullopt, pair_id, std::nullopt, reason));
  }
  TKM_RETURN_IF_ERROR(add_verdict(a, b, same_person ? "same" : "different", event, by, reason));
  TKM_RETURN_IF_ERROR(audit_.append(
      tx, {.actor = by,
           .action = "identity.link.decide",
           .object = fmt::format("link_pair:{}", pair_id),
           .outcome = audit::Outcome::success,
           .detail = nlohmann::json{{"same_person", same_person}, {"event", event}}.dump(),
           .subjects = {sa, sb}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return event;
}

Result<std::int64_t> LinkageStore::split(const audit::Actor& by, const std::string& person_key,
                                         const std::string& reason) {
  if (reason.empty()) return std::unexpected(missing_reason());
  TKM_ASSIGN_OR_RETURN(std::string g, linked_key(person_key));
  TKM_ASSIGN_OR_RETURN(auto all, members(g));
  std::vector<std::string> others;
  for (const auto& m : all) {
    if (m != person_key) others.push_back(m);
  }
  if (others.empty() || std::ranges::find(all, person_key) == all.end()) {
    return fail(Errc::invalid_argument,
                {"この記録はほかの記録と名寄せされていません: " + person_key,
                 "this record is not linked to any other: " + person_key});
  }
  std::vector<Move> moves;
  if (g == person_key) {  // the linked person is named after this record: the others take a name
    for (const auto& m : others) moves.push_back({m, g, others.front()});
    moves.push_back({person_key, g, person_key});
  } else {
    moves.push_back({person_key, g, person_key});
  }
  std::vector<std::string> subjects;
  for (const auto& m : all) {
    TKM_ASSIGN_OR_RETURN(std::string s, subject(m));
    subjects.push_back(std::move(s));
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(std::int64_t event, record_event(by, "split", moves, std::nullopt,
                                                        std::nullopt, std::nullopt, reason));
  for (const auto& m : others) {
    TKM_RETURN_IF_ERROR(add_verdict(person_key, m, "different", event, by, reason));
  }
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "identity.link.split",
                                         .object = fmt::format("link_event:{}", event),
                                         .outcome = audit::Outcome::success,
                                         .detail = nlohmann::json{{"moved", moves.size()}}.dump(),
                                         .subjects = std::move(subjects)}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return event;
}

Result<std::int64_t> LinkageStore::undo(const audit::Actor& by, std::int64_t event_id,
                                        const std::string& reason) {
  if (reason.empty()) return std::unexpected(missing_reason());
  TKM_ASSIGN_OR_RETURN(
      store::Rows events,
      db_.query("SELECT action, run_id, pair_id, (SELECT id FROM link_events u WHERE u.undoes = "
                "e.id) FROM link_events e WHERE id = ?",
                {event_id}));
  if (events.empty()) {
    return fail(Errc::not_found, {fmt::format("名寄せの記録 {} はありません", event_id),
                                  fmt::format("no linkage event {}", event_id)});
  }
  const std::string action = events[0].text(0);
  if (action == "undo") {
    return fail(Errc::invalid_argument,
                {"取り消しは取り消せません。もう一度 merge か split をしてください",
                 "an undo cannot be undone; merge or split again instead"});
  }
  if (!events[0].is_null(3)) {
    return fail(
        Errc::already_exists,
        {fmt::format("記録 {} は記録 {} で取り消し済みです", event_id, events[0].integer(3)),
         fmt::format("event {} was undone by event {}", event_id, events[0].integer(3))});
  }
  TKM_ASSIGN_OR_RETURN(
      store::Rows moved,
      db_.query("SELECT person_key, from_key, to_key FROM link_moves WHERE event_id = ?",
                {event_id}));
  std::vector<Move> back;
  std::vector<std::string> subjects;
  for (const auto& m : moved) {
    // Each record must be where the event left it; otherwise what moved it since comes first.
    TKM_ASSIGN_OR_RETURN(std::string now, linked_key(m.text(0)));
    if (now != m.text(2)) {
      TKM_ASSIGN_OR_RETURN(
          store::Row later,
          db_.query_one("SELECT MAX(event_id) FROM link_moves WHERE person_key = ?", {m.text(0)}));
      return fail(
          Errc::conflict,
          {fmt::format("記録 {} のあと、記録 {} が同じ人を動かしました。先にそちらを取り消し"
                       "てください",
                       event_id, later.integer(0)),
           fmt::format("event {} moved the same record after event {}; undo it first",
                       later.integer(0), event_id)});
    }
    back.push_back({m.text(0), m.text(2), m.text(1)});
    TKM_ASSIGN_OR_RETURN(std::string s, subject(m.text(0)));
    subjects.push_back(std::move(s));
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(std::int64_t event, record_event(by, "undo", back, std::nullopt,
                                                        std::nullopt, event_id, reason));
  // What the undone event decided goes too: a run's merge undone means the pair is two persons;
  // a person's merge or split undone leaves the pairs undecided again.
  if (action == "merge" && !events[0].is_null(2)) {
    TKM_ASSIGN_OR_RETURN(store::Rows pair,
                         db_.query("SELECT person_a, person_b FROM link_pairs WHERE id = ?",
                                   {events[0].integer(2)}));
    if (!pair.empty()) {
      const bool by_run = !events[0].is_null(1);
      TKM_RETURN_IF_ERROR(add_verdict(pair[0].text(0), pair[0].text(1),
                                      by_run ? "different" : "withdrawn", event, by, reason));
    }
  } else if (action == "split") {
    TKM_ASSIGN_OR_RETURN(
        store::Rows verdicts,
        db_.query("SELECT person_a, person_b FROM link_verdicts WHERE event_id = ?", {event_id}));
    for (const auto& v : verdicts) {
      TKM_RETURN_IF_ERROR(add_verdict(v.text(0), v.text(1), "withdrawn", event, by, reason));
    }
  }
  TKM_RETURN_IF_ERROR(audit_.append(
      tx, {.actor = by,
           .action = "identity.link.undo",
           .object = fmt::format("link_event:{}", event_id),
           .outcome = audit::Outcome::success,
           .detail = nlohmann::json{{"undo_event", event}, {"moved", back.size()}}.dump(),
           .subjects = std::move(subjects)}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return event;
}

Result<std::vector<LinkEvent>> LinkageStore::events(std::size_t limit) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT e.id, e.at_ms, e.actor, e.action, e.run_id, e.pair_id, e.undoes, "
                "e.reason, (SELECT COUNT(*) FROM link_moves m WHERE m.event_id = e.id) "
                "FROM link_events e ORDER BY e.id DESC LIMIT ?",
                {static_cast<std::int64_t>(limit)}));
  std::vector<LinkEvent> out;
  for (const auto& r : rows) {
    out.push_back({.id = r.integer(0),
                   .at = from_unix_ms(r.integer(1)),
                   .actor = r.text(2),
                   .action = r.text(3),
                   .run_id = r.optional_integer(4),
                   .pair_id = r.optional_integer(5),
                   .undoes = r.optional_integer(6),
                   .reason = r.text(7),
                   .moved = static_cast<std::size_t>(r.integer(8))});
  }
  return out;
}

}  // namespace tokumei::identity
