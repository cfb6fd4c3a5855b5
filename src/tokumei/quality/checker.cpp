#include "tokumei/quality/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "tokumei/base/escape.h"
#include "tokumei/identity/japanese.h"
#include "tokumei/ingest/batch.h"
#include "tokumei/ops/deletion_records.h"

namespace tokumei::quality {
namespace {

using nlohmann::json;

bool is_day(std::string_view s) {
  return s.size() >= 10 && s[4] == '-' && s[7] == '-' &&
         std::all_of(s.begin(), s.begin() + 4, [](char c) { return c >= '0' && c <= '9'; });
}
bool is_month(std::string_view s) {
  return s.size() == 7 && s[4] == '-' &&
         std::all_of(s.begin(), s.begin() + 4, [](char c) { return c >= '0' && c <= '9'; });
}

// Compares a date of day or month precision with a day: <0, 0, >0; nullopt when unreadable.
std::optional<int> compare_to_day(std::string_view date, std::string_view day) {
  if (is_day(date)) return date.substr(0, 10).compare(day.substr(0, 10));
  if (is_month(date)) return date.compare(day.substr(0, 7));
  return std::nullopt;
}

bool claims_event(std::string_view type, std::string_view system) {
  return type == "claim_visit" || system.starts_with("claims-");
}

json location_json(const EventLocation& l) {
  return {{"event", l.event_id}, {"type", l.type},
          {"date", l.date},      {"code_system", l.code_system},
          {"code", l.code},      {"file_sha256", l.file_sha256},
          {"line", l.line},      {"offset", l.offset},
          {"element", l.element}};
}
EventLocation location_from(const json& j) {
  return {.event_id = j.value("event", std::int64_t{0}),
          .type = j.value("type", ""),
          .date = j.value("date", ""),
          .code_system = j.value("code_system", ""),
          .code = j.value("code", ""),
          .file_sha256 = j.value("file_sha256", ""),
          .line = j.value("line", 0),
          .offset = j.value("offset", std::int64_t{-1}),
          .element = j.value("element", "")};
}

constexpr const char* kFindingColumns =
    "f.id, f.batch_id, f.check_id, f.rule_id, f.rule_version, f.severity, f.blocking, "
    "f.person_key, f.events, f.detail, f.found_ms, "
    "COALESCE((SELECT d.decision FROM quality_decisions d WHERE d.finding_id = f.id "
    "ORDER BY d.id DESC LIMIT 1), 'open')";

Finding finding_from(const store::Row& r) {
  Finding f;
  f.id = r.integer(0);
  f.batch_id = r.integer(1);
  f.check_id = r.integer(2);
  f.rule_id = r.text(3);
  f.rule_version = static_cast<int>(r.integer(4));
  f.severity = r.text(5) == "error" ? Severity::error : Severity::warning;
  f.blocking = r.integer(6) != 0;
  f.person_key = r.text(7);
  for (const auto& e : json::parse(r.text(8), nullptr, false)) f.events.push_back(location_from(e));
  f.detail = r.text(9);
  f.found_at = from_unix_ms(r.integer(10));
  f.status = r.text(11);
  return f;
}

// A consent.not_notified finding about a patient with no notification at all (as against one
// about records dated before a late notification).
bool without_notification(const Finding& f) {
  return f.detail.find("\"no_notification\"") != std::string::npos;
}

// One finding about to be recorded.
struct NewFinding {
  const Rule* rule;
  std::string person;
  std::vector<std::int64_t> events;
  json detail;
  std::string fingerprint;
};

// What the checker reads of an event (the columns in clear).
struct EventRow {
  std::int64_t id, file_id;
  std::string type, system, code, date, value, unit;
};

}  // namespace

std::string_view decision_name(Decision d) {
  switch (d) {
    case Decision::confirm:
      return "confirm";
    case Decision::override_alarm:
      return "override";
    case Decision::exclude:
      return "exclude";
  }
  return "";
}

Result<Decision> parse_decision(std::string_view name) {
  if (name == "confirm") return Decision::confirm;
  if (name == "override") return Decision::override_alarm;
  if (name == "exclude") return Decision::exclude;
  return fail(Errc::invalid_argument,
              {fmt::format("判断「{}」はありません (confirm、override、exclude)", name),
               fmt::format("no decision '{}' (confirm, override, exclude)", name)},
              Location{.field = "decision"});
}

store::SchemaModule QualityStore::schema() {
  return {"quality",
          {{1, "quality rules, checks, findings, decisions, reports, exclusions", R"sql(
CREATE TABLE quality_rules (
  rule_id        TEXT NOT NULL,
  version        INTEGER NOT NULL,
  severity       TEXT NOT NULL,
  blocking       INTEGER NOT NULL,
  description_ja TEXT NOT NULL,
  description_en TEXT NOT NULL,
  registered_ms  INTEGER NOT NULL,
  PRIMARY KEY (rule_id, version)
);
CREATE TABLE quality_checks (
  id              INTEGER PRIMARY KEY,
  batch_id        INTEGER NOT NULL REFERENCES ingest_batches (id),
  at_ms           INTEGER NOT NULL,
  actor           TEXT NOT NULL,
  extraction_date TEXT NOT NULL,
  persons         INTEGER NOT NULL,
  events          INTEGER NOT NULL,
  new_findings    INTEGER NOT NULL
);
CREATE TABLE quality_findings (
  id           INTEGER PRIMARY KEY,
  batch_id     INTEGER NOT NULL REFERENCES ingest_batches (id),
  check_id     INTEGER NOT NULL REFERENCES quality_checks (id),
  rule_id      TEXT NOT NULL,
  rule_version INTEGER NOT NULL,
  severity     TEXT NOT NULL,
  blocking     INTEGER NOT NULL,
  person_key   TEXT NOT NULL,
  events       TEXT NOT NULL,
  detail       TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  found_ms     INTEGER NOT NULL,
  FOREIGN KEY (rule_id, rule_version) REFERENCES quality_rules (rule_id, version),
  UNIQUE (batch_id, fingerprint)
);
CREATE INDEX quality_findings_person ON quality_findings (person_key);
CREATE TABLE quality_decisions (
  id            INTEGER PRIMARY KEY,
  finding_id    INTEGER NOT NULL REFERENCES quality_findings (id),
  decision      TEXT NOT NULL CHECK (decision IN ('confirm', 'override', 'exclude')),
  reason        TEXT NOT NULL,
  reviewer      TEXT NOT NULL,
  qualification TEXT NOT NULL,
  terminal      TEXT NOT NULL,
  at_ms         INTEGER NOT NULL,
  supersedes    INTEGER REFERENCES quality_decisions (id)
);
CREATE INDEX quality_decisions_finding ON quality_decisions (finding_id, id);
CREATE TABLE quality_reports (
  batch_id INTEGER NOT NULL REFERENCES ingest_batches (id),
  check_id INTEGER NOT NULL REFERENCES quality_checks (id),
  at_ms    INTEGER NOT NULL,
  report   TEXT NOT NULL,
  PRIMARY KEY (batch_id, check_id)
);
CREATE TABLE quality_exclusions (
  id         INTEGER PRIMARY KEY,
  batch_id   INTEGER NOT NULL REFERENCES ingest_batches (id),
  event_id   INTEGER NOT NULL,
  person_key TEXT NOT NULL,
  finding_id INTEGER NOT NULL REFERENCES quality_findings (id),
  rule_id    TEXT NOT NULL,
  decision   TEXT NOT NULL,
  at_ms      INTEGER NOT NULL
);
CREATE TRIGGER quality_rules_no_update BEFORE UPDATE ON quality_rules
  BEGIN SELECT RAISE(ABORT, 'quality_rules is append-only'); END;
CREATE TRIGGER quality_rules_no_delete BEFORE DELETE ON quality_rules
  BEGIN SELECT RAISE(ABORT, 'quality_rules is append-only'); END;
CREATE TRIGGER quality_findings_no_update BEFORE UPDATE ON quality_findings
  BEGIN SELECT RAISE(ABORT, 'quality_findings is append-only'); END;
CREATE TRIGGER quality_findings_no_delete BEFORE DELETE ON quality_findings
  BEGIN SELECT RAISE(ABORT, 'quality_findings is append-only'); END;
CREATE TRIGGER quality_decisions_no_update BEFORE UPDATE ON quality_decisions
  BEGIN SELECT RAISE(ABORT, 'quality_decisions is append-only'); END;
CREATE TRIGGER quality_decisions_no_delete BEFORE DELETE ON quality_decisions
  BEGIN SELECT RAISE(ABORT, 'quality_decisions is append-only'); END;
CREATE TRIGGER quality_reports_no_update BEFORE UPDATE ON quality_reports
  BEGIN SELECT RAISE(ABORT, 'quality_reports is append-only'); END;
CREATE TRIGGER quality_reports_no_delete BEFORE DELETE ON quality_reports
  BEGIN SELECT RAISE(ABORT, 'quality_reports is append-only'); END;
CREATE TRIGGER quality_exclusions_no_update BEFORE UPDATE ON quality_exclusions
  BEGIN SELECT RAISE(ABORT, 'quality_exclusions is append-only'); END;
CREATE TRIGGER quality_exclusions_no_delete BEFORE DELETE ON quality_exclusions
  BEGIN SELECT RAISE(ABORT, 'quality_exclusions is append-only'); END;
)sql"},
           {2, "queries to institutions about findings (INTAKE-10)", R"sql(
CREATE TABLE quality_queries (
  id          INTEGER PRIMARY KEY,
  finding_id  INTEGER NOT NULL REFERENCES quality_findings (id),
  institution TEXT NOT NULL,
  opened_by   TEXT NOT NULL,
  at_ms       INTEGER NOT NULL
);
CREATE TABLE quality_query_steps (
  id       INTEGER PRIMARY KEY,
  query_id INTEGER NOT NULL REFERENCES quality_queries (id),
  status   TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
  note     TEXT NOT NULL,
  actor    TEXT NOT NULL,
  at_ms    INTEGER NOT NULL
);
CREATE INDEX quality_query_steps_query ON quality_query_steps (query_id, id);
CREATE TRIGGER quality_queries_no_update BEFORE UPDATE ON quality_queries
  BEGIN SELECT RAISE(ABORT, 'quality_queries is append-only'); END;
CREATE TRIGGER quality_queries_no_delete BEFORE DELETE ON quality_queries
  BEGIN SELECT RAISE(ABORT, 'quality_queries is append-only'); END;
CREATE TRIGGER quality_query_steps_no_update BEFORE UPDATE ON quality_query_steps
  BEGIN SELECT RAISE(ABORT, 'quality_query_steps is append-only'); END;
CREATE TRIGGER quality_query_steps_no_delete BEFORE DELETE ON quality_query_steps
  BEGIN SELECT RAISE(ABORT, 'quality_query_steps is append-only'); END;
)sql"}}};
}

Status QualityStore::register_rules() {
  for (const Rule& r : rules()) {
    TKM_RETURN_IF_ERROR(db_.execute(
        "INSERT INTO quality_rules (rule_id, version, severity, blocking, description_ja, "
        "description_en, registered_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (rule_id, version) DO NOTHING",
        {std::string(r.id), std::int64_t{r.version}, std::string(severity_name(r.severity)),
         std::int64_t{r.blocking}, r.description.ja, r.description.en, to_unix_ms(clock_.now())}));
  }
  return ok();
}

Result<store::Rows> QualityStore::persons_of(std::int64_t batch_id) {
  // Those with events in the batch and those whose identity it brought.
  return db_.query(
      "SELECT person_key FROM ingest_events WHERE batch_id = ? UNION "
      "SELECT person_key FROM identity_versions WHERE batch_id = ? ORDER BY 1",
      {batch_id, batch_id});
}

Result<std::vector<EventLocation>> QualityStore::locate(
    const std::string& institution, const std::string& person_key,
    const std::vector<std::int64_t>& event_ids) {
  std::vector<EventLocation> out;
  for (std::int64_t id : event_ids) {
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        db_.query("SELECT e.type, e.date, e.code_system, e.code, e.sealed, f.content_hash "
                  "FROM ingest_events e JOIN ingest_files f ON f.id = e.file_id WHERE e.id = ?",
                  {id}));
    if (rows.empty()) continue;
    const store::Row& r = rows[0];
    EventLocation l{.event_id = id,
                    .type = r.text(0),
                    .date = r.text(1),
                    .code_system = r.text(2),
                    .code = r.text(3),
                    .file_sha256 = hex_encode(r.blob(5))};
    TKM_ASSIGN_OR_RETURN(Bytes plain,
                         vault_.open_for(person_key, ingest::clinical_key(institution), r.blob(4)));
    TKM_ASSIGN_OR_RETURN(ingest::Event event, ingest::decode_event(l.type, to_string(plain)));
    std::visit(
        [&](const auto& e) {
          l.line = e.source.line;
          l.offset = e.source.offset;
          l.element = e.source.element;
        },
        event);
    out.push_back(std::move(l));
  }
  return out;
}

Result<CheckSummary> QualityStore::check(const audit::Actor& by, std::int64_t batch_id,
                                         const CheckOptions& options) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows batches,
      db_.query("SELECT institution, state, COALESCE(finished_ms, created_ms) FROM "
                "ingest_batches WHERE id = ?",
                {batch_id}));
  if (batches.empty()) {
    return fail(Errc::not_found, {fmt::format("バッチ {} はありません", batch_id),
                                  fmt::format("no batch {}", batch_id)});
  }
  const std::string institution = batches[0].text(0);
  const std::string state = batches[0].text(1);
  if (state != "pending") {
    return fail(
        Errc::invalid_argument,
        {fmt::format("バッチ {} は {} です。点検できるのは取得前 (pending) のバッチだけです",
                     batch_id, state),
         fmt::format("batch {} is {}; only pending batches are checked", batch_id, state)});
  }
  CheckSummary summary;
  summary.batch_id = batch_id;
  const std::string today = japanese_day(clock_.now());
  if (options.extraction_date) {
    auto day = identity::normalize_date(*options.extraction_date);
    if (!day) {
      return fail(Error(day.error()).within({"抽出日", "extraction date"}));
    }
    summary.extraction_date = *day;
  } else {
    summary.extraction_date = japanese_day(from_unix_ms(batches[0].integer(2)));
  }

  TKM_ASSIGN_OR_RETURN(store::Rows person_rows, persons_of(batch_id));
  TKM_ASSIGN_OR_RETURN(
      store::Rows clinical,
      db_.query("SELECT 1 FROM ingest_events e JOIN ingest_batches b ON b.id = e.batch_id "
                "WHERE b.institution = ? AND e.type <> 'claim_visit' "
                "AND e.code_system NOT LIKE 'claims-%' LIMIT 1",
                {institution}));
  const bool institution_sends_clinical_data = !clinical.empty();
  std::set<std::string> known;
  {
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        db_.query("SELECT fingerprint FROM quality_findings WHERE batch_id = ?", {batch_id}));
    for (const auto& r : rows) known.insert(r.text(0));
  }

  TKM_ASSIGN_OR_RETURN(consent::ConsentStore::Index notified_index,
                       consent_.notification_index(institution));
  std::vector<NewFinding> found;
  auto add = [&](std::string_view rule_id, const std::string& person,
                 std::vector<std::int64_t> events, json detail, std::string fingerprint) {
    const Rule* rule = find_rule(rule_id);
    fingerprint = fmt::format("{}|{}", rule_id, fingerprint);
    if (!known.insert(fingerprint).second) return;
    found.push_back({rule, person, std::move(events), std::move(detail), std::move(fingerprint)});
  };
  auto event_fingerprint = [](const std::string& person, const std::vector<std::int64_t>& ids) {
    std::string f = person;
    for (auto id : ids) f += fmt::format(",{}", id);
    return f;
  };
  // A keyed digest of what differs, so that the same difference is recognized again without
  // keeping the names.
  auto digest_of = [&](const std::string& text) -> Result<std::string> {
    TKM_ASSIGN_OR_RETURN(crypto::Digest d, keys_.blind_index(identity::kVaultIndexKey,
                                                             as_bytes("quality\x1f" + text)));
    return hex_encode(ByteView(d.data(), 16));
  };

  for (const auto& pr : person_rows) {
    const std::string& person = pr.text(0);
    // A patient erased since the batch came (an opt-out) is not checked: acquisition deletes
    // what is left of them.
    auto read = vault_.versions(person);
    if (!read) {
      if (read.error().code() == Errc::key_destroyed) continue;
      return std::unexpected(read.error());
    }
    const std::vector<model::PersonIdentity> versions = std::move(*read);
    ++summary.persons;

    // --- the patient's identity versions (QUALITY-02, QUALITY-03) ---
    std::set<std::string> kanji, kana, sexes, births;
    std::string birth, death;
    for (const auto& v : versions) {
      if (auto k = identity::normalize_kanji(v.name_kanji); !k.empty()) kanji.insert(k);
      if (auto k = identity::normalize_kana(v.name_kana); !k.empty()) kana.insert(k);
      if (v.sex == model::Sex::male || v.sex == model::Sex::female) {
        sexes.insert(std::string(model::sex_name(v.sex)));
      }
      if (!v.birth_date.empty()) {
        auto day = identity::normalize_date(v.birth_date.substr(0, 10));
        births.insert(day ? *day : v.birth_date);
        if (day) birth = *day;  // the latest version's
      }
      if (!v.death_date.empty()) {
        if (auto day = identity::normalize_date(v.death_date.substr(0, 10))) death = *day;
      }
    }
    if (kanji.size() > 1 || kana.size() > 1) {
      std::string all;
      for (const auto& s : kanji) all += s + "\x1f";
      all += "\x1e";
      for (const auto& s : kana) all += s + "\x1f";
      TKM_ASSIGN_OR_RETURN(std::string digest, digest_of(person + "\x1e" + all));
      json fields = json::array();
      if (kanji.size() > 1) fields.push_back("name_kanji");
      if (kana.size() > 1) fields.push_back("name_kana");
      add(rule::several_names, person, {},
          {{"fields", fields},
           {"names_kanji", kanji.size()},
           {"names_kana", kana.size()},
           {"versions", versions.size()}},
          digest);
    }
    if (sexes.size() > 1 || births.size() > 1) {
      std::string all;
      for (const auto& s : sexes) all += s + "\x1f";
      all += "\x1e";
      for (const auto& s : births) all += s + "\x1f";
      TKM_ASSIGN_OR_RETURN(std::string digest, digest_of(person + "\x1e" + all));
      json fields = json::array();
      if (sexes.size() > 1) fields.push_back("sex");
      if (births.size() > 1) fields.push_back("birth_date");
      add(rule::conflicting_demographics, person, {},
          {{"fields", fields}, {"versions", versions.size()}}, digest);
    }

    // --- the patient's events of this batch (QUALITY-01, duplicates, codes) ---
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        db_.query("SELECT id, file_id, type, code_system, code, date, value, unit, "
                  "encounter_index FROM ingest_events WHERE person_key = ? AND batch_id = ? AND "
                  "withdrawn = 0 ORDER BY id",
                  {person, batch_id}));
    // The periods of the patient's encounters (of every batch) that records point at.
    std::map<Bytes, std::pair<std::string, std::string>> encounters;
    bool pointing = false;
    for (const auto& r : rows) pointing = pointing || (r.text(2) != "encounter" && !r.is_null(8));
    if (pointing) {
      TKM_ASSIGN_OR_RETURN(
          store::Rows periods,
          db_.query("SELECT encounter_index, date, value FROM ingest_events WHERE person_key = ? "
                    "AND type = 'encounter' AND withdrawn = 0 AND encounter_index IS NOT NULL",
                    {person}));
      for (const auto& p : periods) encounters[p.blob(0)] = {p.text(1), p.text(2)};
    }
    // Event findings are gathered per rule: one finding lists all of the patient's events that
    // break it.
    std::map<std::string_view, std::vector<std::int64_t>> broken;
    std::map<std::string_view, json> about;  // the rule's detail
    auto flag = [&](std::string_view rule_id, std::int64_t id, json detail) {
      broken[rule_id].push_back(id);
      about.emplace(rule_id, std::move(detail));
    };
    std::unordered_map<std::string, std::int64_t> seen;  // duplicate key → first event
    bool only_claims = true;
    for (const auto& r : rows) {
      ++summary.events;
      const EventRow e{r.integer(0), r.integer(1), r.text(2), r.text(3),
                       r.text(4),    r.text(5),    r.text(6), r.text(7)};
      const bool claims = claims_event(e.type, e.system);
      only_claims = only_claims && claims;
      // The dates an event carries: its own, and an encounter's end.
      std::vector<std::string_view> dates{e.date};
      if (e.type == "encounter" && !e.value.empty()) dates.push_back(e.value);
      for (std::string_view date : dates) {
        if (!birth.empty()) {
          if (auto c = compare_to_day(date, birth); c && *c < 0) {
            flag(rule::before_birth, e.id, {{"against", "birth_date"}});
            break;
          }
        }
        if (!death.empty()) {
          if (auto c = compare_to_day(date, death); c && *c > 0) {
            flag(rule::after_death, e.id, {{"against", "death_date"}});
            break;
          }
        }
        if (auto c = compare_to_day(date, today); c && *c > 0) {
          flag(rule::future, e.id, {{"against", today}});
          break;
        }
        if (auto x = compare_to_day(date, summary.extraction_date); x && *x > 0) {
          flag(rule::after_extraction, e.id, {{"against", summary.extraction_date}});
          break;
        }
      }
      if (e.type == "encounter" && !e.date.empty() && !e.value.empty()) {
        const std::size_t n = std::min({e.date.size(), e.value.size(), std::size_t{19}});
        if (n >= 10 && e.value.compare(0, n, e.date, 0, n) < 0) {
          flag(rule::discharge_before_admission, e.id, json::object());
        }
      }
      // An order, result or procedure dated outside the encounter it says it belongs to (by day:
      // before the encounter's first day or after its last; an encounter without an end has no
      // last day yet).
      if (e.type != "encounter" && !r.is_null(8)) {
        if (auto it = encounters.find(r.blob(8)); it != encounters.end()) {
          const auto& [start, end] = it->second;
          const auto before = start.size() >= 10 ? compare_to_day(e.date, start) : std::nullopt;
          const auto after = end.size() >= 10 ? compare_to_day(e.date, end) : std::nullopt;
          if ((before && *before < 0) || (after && *after > 0)) {
            flag(rule::outside_encounter, e.id, json::object());
          }
        }
      }
      if (!e.code.empty() && !valid_code(e.system, e.code)) {
        flag(rule::invalid_code, e.id, json::object());
      }
      // The same event twice. Claims restate a patient's diagnoses every month, so claims events
      // count as the same only within one file.
      const std::string key =
          fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", claims ? e.file_id : 0, e.type,
                      e.system, e.code, e.date, e.value, e.unit);
      if (auto [it, first] = seen.emplace(key, e.id); !first) {
        if (broken[rule::duplicate].empty() || broken[rule::duplicate].back() != it->second) {
          broken[rule::duplicate].push_back(it->second);
        }
        flag(rule::duplicate, e.id, json::object());
      }
    }
    for (auto& [rule_id, ids] : broken) {
      if (ids.empty()) continue;
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      json detail = about[rule_id];
      detail["events"] = ids.size();
      add(rule_id, person, ids, std::move(detail), event_fingerprint(person, ids));
    }
    // QUALITY-04: seen (claims or clinical data) but not covered by a notification.
    if (!rows.empty() && !versions.empty()) {
      TKM_ASSIGN_OR_RETURN(std::optional<std::string> notified,
                           notified_index.earliest(versions.back().patient_id));
      if (!notified) {
        bool seen_in_claims = false;
        std::vector<std::int64_t> ids;
        for (const auto& r : rows) {
          seen_in_claims = seen_in_claims || r.text(2) == "claim_visit";
          ids.push_back(r.integer(0));
        }
        add(rule::not_notified, person, ids,
            {{"kind", "no_notification"},
             {"seen_in_claims", seen_in_claims},
             {"events", ids.size()}},
            event_fingerprint(person, ids));
      } else if (!notified->empty()) {
        std::vector<std::int64_t> ids;
        for (const auto& r : rows) {
          if (auto c = compare_to_day(r.text(5), *notified); c && *c < 0) {
            ids.push_back(r.integer(0));
          }
        }
        if (!ids.empty()) {
          add(rule::not_notified, person, ids,
              {{"kind", "before_notification"}, {"notified_on", *notified}, {"events", ids.size()}},
              event_fingerprint(person, ids));
        }
      }
    }
    // QUALITY-03: records of a patient no patient record describes (a FHIR resource whose
    // subject is in no file: the vault knows the ID alone), or a patient ID the institution's
    // clinical data never mention, seen in claims.
    const bool described = std::any_of(versions.begin(), versions.end(), [](const auto& v) {
      return !v.name_kanji.empty() || !v.name_kana.empty() || !v.birth_date.empty();
    });
    if (!rows.empty() && !described) {
      add(rule::orphan_id, person, {}, {{"kind", "no_patient_record"}, {"events", rows.size()}},
          person);
    } else if (institution_sends_clinical_data && !rows.empty() && only_claims) {
      TKM_ASSIGN_OR_RETURN(
          store::Rows other,
          db_.query("SELECT 1 FROM ingest_events WHERE person_key = ? AND type <> 'claim_visit' "
                    "AND code_system NOT LIKE 'claims-%' LIMIT 1",
                    {person}));
      if (other.empty()) {
        add(rule::orphan_id, person, {}, {{"kind", "claims_only"}, {"events", rows.size()}},
            person);
      }
    }
  }

  // Recorded in one transaction with the report and the audit entry.
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(register_rules());
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> check_id,
      db_.insert(
          "INSERT INTO quality_checks (batch_id, at_ms, actor, extraction_date, persons, "
          "events, new_findings) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {batch_id, to_unix_ms(clock_.now()), by.user, summary.extraction_date,
           static_cast<std::int64_t>(summary.persons), static_cast<std::int64_t>(summary.events),
           static_cast<std::int64_t>(found.size())}));
  summary.check_id = *check_id;
  for (const NewFinding& f : found) {
    TKM_ASSIGN_OR_RETURN(std::vector<EventLocation> located,
                         locate(institution, f.person, f.events));
    json events = json::array();
    for (const auto& l : located) events.push_back(location_json(l));
    TKM_RETURN_IF_ERROR(db_.execute(
        "INSERT INTO quality_findings (batch_id, check_id, rule_id, rule_version, severity, "
        "blocking, person_key, events, detail, fingerprint, found_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {batch_id, *check_id, std::string(f.rule->id), std::int64_t{f.rule->version},
         std::string(severity_name(f.rule->severity)), std::int64_t{f.rule->blocking}, f.person,
         events.dump(), f.detail.dump(), f.fingerprint, to_unix_ms(clock_.now())}));
  }
  summary.new_findings = found.size();
  TKM_ASSIGN_OR_RETURN(
      store::Rows counts,
      db_.query("SELECT rule_id, COUNT(*) FROM quality_findings WHERE batch_id = ? GROUP BY 1",
                {batch_id}));
  for (const auto& r : counts) summary.by_rule[r.text(0)] = static_cast<std::size_t>(r.integer(1));
  TKM_ASSIGN_OR_RETURN(std::vector<Finding> blocking, open_blocking(batch_id));
  summary.open_blocking = blocking.size();
  TKM_ASSIGN_OR_RETURN(std::string report, make_report(batch_id, *check_id, summary));
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO quality_reports (batch_id, check_id, at_ms, report) VALUES (?, ?, ?, ?)",
      {batch_id, *check_id, to_unix_ms(clock_.now()), report}));
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "quality.check",
                                         .object = fmt::format("batch:{}", batch_id),
                                         .outcome = audit::Outcome::success,
                                         .detail = json{{"check", *check_id},
                                                        {"persons", summary.persons},
                                                        {"events", summary.events},
                                                        {"new_findings", summary.new_findings},
                                                        {"open_blocking", summary.open_blocking}}
                                                       .dump(),
                                         .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return summary;
}

Result<std::vector<Finding>> QualityStore::findings(const Filter& filter) {
  std::string sql = std::string("SELECT ") + kFindingColumns + " FROM quality_findings f WHERE 1";
  std::vector<store::Value> params;
  if (filter.batch) {
    sql += " AND f.batch_id = ?";
    params.emplace_back(*filter.batch);
  }
  if (!filter.rule.empty()) {
    sql += " AND f.rule_id = ?";
    params.emplace_back(filter.rule);
  }
  if (filter.open_only) {
    sql += " AND NOT EXISTS (SELECT 1 FROM quality_decisions d WHERE d.finding_id = f.id)";
  }
  sql += " ORDER BY f.blocking DESC, f.id LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(filter.limit));
  TKM_ASSIGN_OR_RETURN(store::Rows rows, db_.query(sql, params));
  std::vector<Finding> out;
  for (const auto& r : rows) out.push_back(finding_from(r));
  return out;
}

Result<Finding> QualityStore::finding(std::int64_t id) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows, db_.query(std::string("SELECT ") + kFindingColumns +
                                                       " FROM quality_findings f WHERE f.id = ?",
                                                   {id}));
  if (rows.empty()) {
    return fail(Errc::not_found,
                {fmt::format("指摘 {} はありません", id), fmt::format("no finding {}", id)});
  }
  return finding_from(rows[0]);
}

Result<std::vector<Finding>> QualityStore::open_blocking(std::int64_t batch_id) {
  TKM_ASSIGN_OR_RETURN(std::vector<Finding> open,
                       findings({.batch = batch_id, .open_only = true, .limit = 1'000'000}));
  std::erase_if(open, [](const Finding& f) { return !f.blocking; });
  return open;
}

Result<FindingView> QualityStore::show(const audit::Actor& by, std::int64_t id) {
  FindingView view;
  TKM_ASSIGN_OR_RETURN(view.finding, finding(id));
  TKM_ASSIGN_OR_RETURN(view.identities, vault_.versions(view.finding.person_key));
  TKM_ASSIGN_OR_RETURN(store::Row batch,
                       db_.query_one("SELECT institution FROM ingest_batches WHERE id = ?",
                                     {view.finding.batch_id}));
  for (const auto& l : view.finding.events) {
    TKM_ASSIGN_OR_RETURN(
        store::Rows rows,
        db_.query("SELECT type, sealed FROM ingest_events WHERE id = ?", {l.event_id}));
    if (rows.empty()) continue;  // excluded at acquisition: gone
    TKM_ASSIGN_OR_RETURN(
        Bytes plain, vault_.open_for(view.finding.person_key, ingest::clinical_key(batch.text(0)),
                                     rows[0].blob(1)));
    TKM_ASSIGN_OR_RETURN(ingest::Event e, ingest::decode_event(rows[0].text(0), to_string(plain)));
    view.events.push_back(std::move(e));
  }
  TKM_ASSIGN_OR_RETURN(std::string subject, vault_.audit_reference(view.finding.person_key));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "quality.finding.read",
                                         .object = fmt::format("finding:{}", id),
                                         .outcome = audit::Outcome::success,
                                         .detail = "{}",
                                         .subjects = {subject}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return view;
}

Result<std::int64_t> QualityStore::decide(const std::string& reviewer, const std::string& terminal,
                                          std::int64_t finding_id, Decision decision,
                                          const std::string& reason) {
  TKM_ASSIGN_OR_RETURN(security::Account account, accounts_.find(reviewer));
  if (!account.active || account.role != security::Role::quality_reviewer ||
      account.qualification.empty()) {
    return fail(
        Errc::permission_denied,
        {fmt::format(
             "{} は指摘を判断できません (医療分野の資格が記録された有効な品質確認担当者のみ)",
             reviewer),
         fmt::format("{} may not decide findings (active quality reviewers with a recorded "
                     "medical qualification only)",
                     reviewer)},
        Location{.field = "reviewer"});
  }
  if (decision != Decision::confirm && reason.empty()) {
    return fail(Errc::invalid_argument,
                {"override と exclude には理由が必要です", "override and exclude need a reason"},
                Location{.field = "reason"});
  }
  TKM_ASSIGN_OR_RETURN(Finding f, finding(finding_id));
  TKM_ASSIGN_OR_RETURN(
      store::Row batch,
      db_.query_one("SELECT state FROM ingest_batches WHERE id = ?", {f.batch_id}));
  if (batch.text(0) != "pending") {
    return fail(Errc::invalid_argument,
                {fmt::format("バッチ {} は {} です。取得前の指摘だけを判断できます", f.batch_id,
                             batch.text(0)),
                 fmt::format("batch {} is {}; only findings of pending batches can be decided",
                             f.batch_id, batch.text(0))});
  }
  TKM_ASSIGN_OR_RETURN(
      store::Rows previous,
      db_.query("SELECT id FROM quality_decisions WHERE finding_id = ? ORDER BY id DESC LIMIT 1",
                {finding_id}));
  TKM_ASSIGN_OR_RETURN(std::string subject, vault_.audit_reference(f.person_key));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_.insert(
          "INSERT INTO quality_decisions (finding_id, decision, reason, reviewer, "
          "qualification, terminal, at_ms, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
          "RETURNING id",
          {finding_id, std::string(decision_name(decision)), reason, reviewer,
           account.qualification, terminal, to_unix_ms(clock_.now()),
           previous.empty() ? store::Value(nullptr) : store::Value(previous[0].integer(0))}));
  TKM_RETURN_IF_ERROR(audit_.append(
      tx, {.actor = {reviewer, terminal},
           .action = "quality.finding.decide",
           .object = fmt::format("finding:{}", finding_id),
           .outcome = audit::Outcome::success,
           .detail =
               json{{"decision", decision_name(decision)},
                    {"decision_id", *id},
                    {"supersedes", previous.empty() ? json(nullptr) : json(previous[0].integer(0))},
                    {"rule", f.rule_id}}
                   .dump(),
           .subjects = {subject}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return *id;
}

Result<std::string> QualityStore::make_report(std::int64_t batch_id, std::int64_t check_id,
                                              const CheckSummary& summary) {
  TKM_ASSIGN_OR_RETURN(
      store::Row batch,
      db_.query_one("SELECT institution, state FROM ingest_batches WHERE id = ?", {batch_id}));
  TKM_ASSIGN_OR_RETURN(std::vector<Finding> all, findings({.batch = batch_id, .limit = 1'000'000}));
  json rule_list = json::array();
  for (const Rule& r : rules()) {
    std::size_t total = 0, open = 0;
    for (const auto& f : all) {
      if (f.rule_id != r.id) continue;
      ++total;
      open += f.status == "open";
    }
    rule_list.push_back({{"rule", r.id},
                         {"version", r.version},
                         {"severity", severity_name(r.severity)},
                         {"blocking", r.blocking},
                         {"description", {{"ja", r.description.ja}, {"en", r.description.en}}},
                         {"findings", total},
                         {"open", open}});
  }
  json list = json::array();
  for (const auto& f : all) {
    json events = json::array();
    for (const auto& l : f.events) events.push_back(location_json(l));
    list.push_back({{"finding", f.id},
                    {"rule", f.rule_id},
                    {"rule_version", f.rule_version},
                    {"severity", severity_name(f.severity)},
                    {"blocking", f.blocking},
                    {"status", f.status},
                    {"events", events},
                    {"detail", json::parse(f.detail, nullptr, false)}});
  }
  return json{{"batch", batch_id},
              {"institution", batch.text(0)},
              {"state", batch.text(1)},
              {"check", check_id},
              {"checked_at", format_utc(clock_.now())},
              {"extraction_date", summary.extraction_date},
              {"persons", summary.persons},
              {"events", summary.events},
              {"open_blocking", summary.open_blocking},
              {"rules", rule_list},
              {"findings", list}}
      .dump(2);
}

Result<std::string> QualityStore::report_json(std::int64_t batch_id) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_.query("SELECT report FROM quality_reports WHERE batch_id = ? "
                                 "ORDER BY check_id DESC LIMIT 1",
                                 {batch_id}));
  if (rows.empty()) {
    return fail(Errc::not_found,
                {fmt::format("バッチ {} はまだ点検されていません (tokumei check)", batch_id),
                 fmt::format("batch {} has not been checked yet (tokumei check)", batch_id)});
  }
  return rows[0].text(0);
}

Result<std::string> QualityStore::report_html(std::int64_t batch_id, Lang lang) {
  TKM_ASSIGN_OR_RETURN(std::string text, report_json(batch_id));
  const json r = json::parse(text, nullptr, false);
  const bool ja = lang == Lang::ja;
  auto t = [&](const char* j, const char* e) { return std::string(ja ? j : e); };
  std::string h;
  h += fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} {}</title>\n"
      "<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}"
      "td,th{{border:1px solid #999;padding:.2em .5em;text-align:left}}"
      ".blocking{{color:#a00;font-weight:bold}}.en{{color:#666;font-size:.85em}}</style>"
      "</head><body>\n",
      ja ? "ja" : "en", t("品質点検報告 バッチ", "Quality report, batch"), batch_id);
  h += fmt::format("<h1>{} {}</h1>\n", t("品質点検報告 バッチ", "Quality report, batch"), batch_id);
  h += "<table>\n";
  auto row = [&](const std::string& k, const std::string& v) {
    h += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
  };
  row(t("医療機関", "institution"), r.value("institution", ""));
  row(t("状態", "state"), r.value("state", ""));
  row(t("点検", "check"), fmt::format("{} ({})", r.value("check", 0), r.value("checked_at", "")));
  row(t("抽出日", "extraction date"), r.value("extraction_date", ""));
  row(t("患者", "patients"), std::to_string(r.value("persons", 0)));
  row(t("記録", "events"), std::to_string(r.value("events", 0)));
  row(t("未判断の取得停止指摘", "open blocking findings"),
      std::to_string(r.value("open_blocking", 0)));
  h += "</table>\n";
  h += fmt::format(
      "<h2>{}</h2>\n<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
      t("規則ごとの件数", "Findings per rule"), t("規則", "rule"), t("内容", "what"),
      t("重大度", "severity"), t("指摘", "findings"), t("未判断", "open"));
  for (const auto& rule : r["rules"]) {
    const bool blocking = rule.value("blocking", false);
    h += fmt::format(
        "<tr><td>{} v{}</td><td>{}<br><span class=\"en\">{}</span></td><td{}>{}{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        html_escape(rule.value("rule", "")), rule.value("version", 0),
        html_escape(rule["description"].value(ja ? "ja" : "en", "")),
        html_escape(rule["description"].value(ja ? "en" : "ja", "")),
        blocking ? " class=\"blocking\"" : "", rule.value("severity", ""),
        blocking ? t(" (取得停止)", " (blocking)") : "", rule.value("findings", 0),
        rule.value("open", 0));
  }
  h += "</table>\n";
  h += fmt::format(
      "<h2>{}</h2>\n<table><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
      t("指摘", "Findings"), t("規則", "rule"), t("状態", "status"), t("記録の場所", "records"),
      t("詳細", "detail"));
  for (const auto& f : r["findings"]) {
    std::string where;
    for (const auto& e : f["events"]) {
      // Values from the hospital's files: escaped before they meet the page.
      where += html_escape(fmt::format(
                   "{} {} {} {} — {} {}:{}{}", e.value("event", 0), e.value("type", ""),
                   e.value("date", ""), e.value("code", ""),
                   e.value("file_sha256", "").substr(0, 16), t("行", "line"), e.value("line", 0),
                   e.value("element", "").empty() ? "" : " " + e.value("element", ""))) +
               "<br>";
    }
    h += fmt::format("<tr><td>{}</td><td{}>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     f.value("finding", 0), f.value("blocking", false) ? " class=\"blocking\"" : "",
                     html_escape(f.value("rule", "")), html_escape(f.value("status", "")),
                     where.empty() ? t("(患者の身元情報)", "(the patient's identity)") : where,
                     html_escape(f["detail"].dump()));
  }
  h += "</table>\n</body></html>\n";
  return h;
}

Result<std::vector<RuleMetrics>> QualityStore::metrics(TimePoint from, TimePoint to) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT rule_id, rule_version, status, COUNT(*) FROM (SELECT f.rule_id, "
                "f.rule_version, COALESCE((SELECT d.decision FROM quality_decisions d WHERE "
                "d.finding_id = f.id ORDER BY d.id DESC LIMIT 1), 'open') AS status FROM "
                "quality_findings f WHERE f.found_ms >= ? AND f.found_ms < ?) "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2",
                {to_unix_ms(from), to_unix_ms(to)}));
  std::vector<RuleMetrics> out;
  for (const auto& r : rows) {
    if (out.empty() || out.back().rule_id != r.text(0) || out.back().rule_version != r.integer(1)) {
      out.push_back({.rule_id = r.text(0), .rule_version = static_cast<int>(r.integer(1))});
    }
    RuleMetrics& m = out.back();
    const auto n = static_cast<std::size_t>(r.integer(3));
    m.findings += n;
    const std::string& status = r.text(2);
    if (status == "open") m.open += n;
    if (status == "override") m.false_alarms += n;
    if (status == "confirm" || status == "exclude") m.confirmed += n;
  }
  return out;
}

Result<AcquireSummary> QualityStore::acquire(const audit::Actor& by, std::int64_t batch_id) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows batches,
      db_.query("SELECT institution, state FROM ingest_batches WHERE id = ?", {batch_id}));
  if (batches.empty()) {
    return fail(Errc::not_found, {fmt::format("バッチ {} はありません", batch_id),
                                  fmt::format("no batch {}", batch_id)});
  }
  if (batches[0].text(1) != "pending") {
    return fail(Errc::invalid_argument,
                {fmt::format("バッチ {} は {} です。取得できるのは pending のバッチだけです",
                             batch_id, batches[0].text(1)),
                 fmt::format("batch {} is {}; only pending batches can be acquired", batch_id,
                             batches[0].text(1))});
  }
  TKM_ASSIGN_OR_RETURN(
      store::Rows checks,
      db_.query("SELECT 1 FROM quality_checks WHERE batch_id = ? LIMIT 1", {batch_id}));
  if (checks.empty()) {
    return fail(Errc::policy_violation,
                {fmt::format("バッチ {} はまだ点検されていません。先に tokumei check {} を実行して"
                             "ください",
                             batch_id, batch_id),
                 fmt::format("batch {} has not been checked; run tokumei check {} first", batch_id,
                             batch_id)});
  }
  const std::string institution = batches[0].text(0);
  TKM_ASSIGN_OR_RETURN(auto document,
                       consent_.document_in_effect(institution, japanese_day(clock_.now())));
  if (!document) {
    return fail(
        Errc::policy_violation,
        {fmt::format("医療機関 {} の通知書面が登録されていません。確認した版を登録するまで取得"
                     "できません (tokumei notification document)",
                     institution),
         fmt::format("institution {} has no notification document on record; nothing is "
                     "acquired until a confirmed version is (tokumei notification "
                     "document)",
                     institution)});
  }
  TKM_ASSIGN_OR_RETURN(std::vector<Finding> blocking, open_blocking(batch_id));
  if (!blocking.empty()) {
    std::string list;
    for (std::size_t i = 0; i < blocking.size() && i < 20; ++i) {
      list += fmt::format("{}{} ({})", i ? ", " : "", blocking[i].id, blocking[i].rule_id);
    }
    if (blocking.size() > 20) list += ", …";
    return fail(Errc::policy_violation,
                {fmt::format("バッチ {} には未判断の取得停止指摘が {} 件あります: {}", batch_id,
                             blocking.size(), list),
                 fmt::format("batch {} has {} open blocking findings: {}", batch_id,
                             blocking.size(), list)});
  }

  // What the reviewers excluded: a confirmed finding's records (all of the patient's records of
  // the batch when the finding is about the patient's identity), or everything of an excluded
  // patient.
  TKM_ASSIGN_OR_RETURN(std::vector<Finding> all, findings({.batch = batch_id, .limit = 1'000'000}));
  struct Excluded {
    std::int64_t event;
    std::string person;
    std::int64_t finding;
    std::string rule, decision;
  };
  std::vector<Excluded> excluded;
  std::set<std::int64_t> taken;
  std::set<std::string> reviewers;
  std::set<std::string> whole_persons;
  std::set<std::string> not_notified;
  for (const auto& f : all) {
    // Held out: confirmed or excluded findings, and patients not covered by a notification
    // unless a reviewer overrode the finding.
    bool held = f.rule_id == rule::not_notified && f.status == "open";
    if (held && without_notification(f)) {
      // A notification recorded since the check covers the patient now.
      TKM_ASSIGN_OR_RETURN(bool gone, vault_.erased(f.person_key));
      held = !gone;  // an erased patient has nothing left to hold
      if (!gone) {
        TKM_ASSIGN_OR_RETURN(auto versions, vault_.versions(f.person_key));
        if (!versions.empty()) {
          TKM_ASSIGN_OR_RETURN(auto notes, consent_.notifications(versions.back().institution,
                                                                  versions.back().patient_id));
          held = notes.empty();
        }
      }
    }
    if (f.status != "confirm" && f.status != "exclude" && !held) continue;
    if (f.rule_id == rule::not_notified) not_notified.insert(f.person_key);
    TKM_ASSIGN_OR_RETURN(
        store::Rows decided,
        db_.query("SELECT reviewer FROM quality_decisions WHERE finding_id = ? ORDER BY id DESC "
                  "LIMIT 1",
                  {f.id}));
    reviewers.insert(decided.empty() ? "system:consent.not_notified" : decided[0].text(0));
    std::vector<std::int64_t> ids;
    // Only the finding's own records, except for a finding about the patient as a whole (an
    // identity finding, one without a notification, or an exclusion).
    const bool whole = f.status == "exclude" || f.events.empty() || without_notification(f);
    if (!whole) {
      for (const auto& l : f.events) ids.push_back(l.event_id);
    } else {
      whole_persons.insert(f.person_key);
      TKM_ASSIGN_OR_RETURN(
          store::Rows rows,
          db_.query("SELECT id FROM ingest_events WHERE person_key = ? AND batch_id = ?",
                    {f.person_key, batch_id}));
      for (const auto& r : rows) ids.push_back(r.integer(0));
    }
    for (std::int64_t id : ids) {
      if (taken.insert(id).second) {
        excluded.push_back({id, f.person_key, f.id, f.rule_id, f.status});
      }
    }
  }

  // Patients who asked to stop (CONSENT-03): erased, whatever the findings.
  std::vector<std::string> opted_out;
  {
    TKM_ASSIGN_OR_RETURN(store::Rows persons, persons_of(batch_id));
    for (const auto& p : persons) {
      auto read = vault_.versions(p.text(0));
      if (!read && read.error().code() == Errc::key_destroyed) {
        // Erased after this batch came: delete what the batch brought of them.
        opted_out.push_back(p.text(0));
        continue;
      }
      TKM_ASSIGN_OR_RETURN(auto versions, std::move(read));
      if (versions.empty()) continue;
      TKM_ASSIGN_OR_RETURN(
          bool stop, consent_.opted_out(versions.back().institution, versions.back().patient_id));
      if (stop) opted_out.push_back(p.text(0));
    }
  }

  std::erase_if(excluded, [&](const Excluded& x) {
    return std::find(opted_out.begin(), opted_out.end(), x.person) != opted_out.end();
  });

  AcquireSummary summary;
  summary.batch_id = batch_id;
  summary.events_excluded = excluded.size();
  summary.persons_excluded = whole_persons.size();
  summary.persons_not_notified = not_notified.size();
  summary.persons_opted_out = opted_out.size();
  ops::DeletionRecords deletions(db_, clock_);
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  // Each with every record linked to them at other hospitals; their patients are registered.
  for (const auto& person : opted_out) {
    TKM_ASSIGN_OR_RETURN(std::vector<consent::PatientRecord> records,
                         consent_.linked_records(person));
    TKM_ASSIGN_OR_RETURN(std::string subject, vault_.audit_reference(person));
    TKM_ASSIGN_OR_RETURN(
        consent::OptOutReport erased,
        consent_.erase_and_register(
            by, records, std::nullopt, japanese_day(clock_.now()), "linked",
            fmt::format("batch:{} opted-out persons (person:{})", batch_id, subject)));
    (void)erased;
  }
  for (const auto& x : excluded) {
    TKM_RETURN_IF_ERROR(db_.execute(
        "INSERT INTO quality_exclusions (batch_id, event_id, person_key, finding_id, rule_id, "
        "decision, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {batch_id, x.event, x.person, x.finding, x.rule, x.decision, to_unix_ms(clock_.now())}));
    TKM_RETURN_IF_ERROR(db_.execute("DELETE FROM ingest_events WHERE id = ?", {x.event}));
  }
  if (!excluded.empty()) {
    std::string approvers;
    for (const auto& r : reviewers) approvers += (approvers.empty() ? "" : ",") + r;
    TKM_ASSIGN_OR_RETURN(
        summary.deletion_record,
        deletions.add(tx, {.object = fmt::format("batch:{} events", batch_id),
                           .count = static_cast<std::int64_t>(excluded.size()),
                           .reason = "quality.excluded: records of confirmed or excluded findings "
                                     "(quality_exclusions)",
                           .method = "row delete, SQLite secure_delete on; WAL checkpointed",
                           .executor = by.user,
                           .approver = approvers}));
  }
  TKM_ASSIGN_OR_RETURN(
      store::Row remaining,
      db_.query_one("SELECT COUNT(*) FROM ingest_events WHERE batch_id = ?", {batch_id}));
  summary.events_acquired = static_cast<std::size_t>(remaining.integer(0));
  TKM_RETURN_IF_ERROR(
      db_.execute("UPDATE ingest_batches SET state = 'acquired' WHERE id = ? AND state = 'pending'",
                  {batch_id}));
  TKM_RETURN_IF_ERROR(
      audit_.append(tx, {.actor = by,
                         .action = "batch.acquire",
                         .object = fmt::format("batch:{}", batch_id),
                         .outcome = audit::Outcome::success,
                         .detail = json{{"events_acquired", summary.events_acquired},
                                        {"events_excluded", summary.events_excluded},
                                        {"persons_excluded", summary.persons_excluded},
                                        {"deletion_record", summary.deletion_record}}
                                       .dump(),
                         .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  if (!excluded.empty() || !opted_out.empty()) TKM_RETURN_IF_ERROR(db_.scrub());
  return summary;
}

Result<std::int64_t> QualityStore::open_query(const audit::Actor& by, std::int64_t finding_id,
                                              const std::string& note) {
  TKM_ASSIGN_OR_RETURN(Finding f, finding(finding_id));
  TKM_ASSIGN_OR_RETURN(
      store::Row batch,
      db_.query_one("SELECT institution FROM ingest_batches WHERE id = ?", {f.batch_id}));
  // The letter needs the patient: a patient erased since (an opt-out) cannot be asked about.
  TKM_RETURN_IF_ERROR(vault_.versions(f.person_key));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_.insert("INSERT INTO quality_queries (finding_id, institution, opened_by, at_ms) VALUES "
                 "(?, ?, ?, ?) RETURNING id",
                 {finding_id, batch.text(0), by.user, to_unix_ms(clock_.now())}));
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO quality_query_steps (query_id, status, note, actor, at_ms) VALUES (?, 'open', "
      "?, ?, ?)",
      {*id, note, by.user, to_unix_ms(clock_.now())}));
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "quality.query.open",
                                         .object = fmt::format("query:{}", *id),
                                         .outcome = audit::Outcome::success,
                                         .detail = json{{"finding", finding_id}}.dump(),
                                         .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return *id;
}

Status QualityStore::add_query_step(const audit::Actor& by, std::int64_t query_id,
                                    const std::string& status, const std::string& note) {
  if (status != "answered" && status != "closed" && status != "open") {
    return fail(
        Errc::invalid_argument,
        {"状態は open、answered、closed のいずれかです", "the status is open, answered or closed"},
        Location{.field = "status"});
  }
  TKM_ASSIGN_OR_RETURN(
      store::Rows last,
      db_.query("SELECT status FROM quality_query_steps WHERE query_id = ? ORDER BY id DESC "
                "LIMIT 1",
                {query_id}));
  if (last.empty()) {
    return fail(Errc::not_found, {fmt::format("問い合わせ {} はありません", query_id),
                                  fmt::format("no query {}", query_id)});
  }
  if (last[0].text(0) == "closed") {
    return fail(Errc::invalid_argument, {fmt::format("問い合わせ {} は終了しています", query_id),
                                         fmt::format("query {} is closed", query_id)});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO quality_query_steps (query_id, status, note, actor, at_ms) VALUES (?, ?, ?, "
      "?, ?)",
      {query_id, status, note, by.user, to_unix_ms(clock_.now())}));
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "quality.query." + status,
                                         .object = fmt::format("query:{}", query_id),
                                         .outcome = audit::Outcome::success,
                                         .detail = "{}",
                                         .subjects = {}}));
  return tx.commit();
}

Result<std::vector<InstitutionQuery>> QualityStore::queries(bool open_only) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT q.id, q.finding_id, q.institution, s.status, s.note, s.actor, s.at_ms "
                "FROM quality_queries q JOIN quality_query_steps s ON s.query_id = q.id "
                "ORDER BY q.id, s.id"));
  std::vector<InstitutionQuery> out;
  for (const auto& r : rows) {
    if (out.empty() || out.back().id != r.integer(0)) {
      out.push_back(
          {.id = r.integer(0), .finding_id = r.integer(1), .institution = r.text(2), .status = ""});
    }
    out.back().steps.push_back({.status = r.text(3),
                                .note = r.text(4),
                                .by = r.text(5),
                                .at = from_unix_ms(r.integer(6))});
    out.back().status = r.text(3);
  }
  if (open_only) std::erase_if(out, [](const InstitutionQuery& q) { return q.status == "closed"; });
  return out;
}

Result<std::string> QualityStore::query_letter(const audit::Actor& by, std::int64_t query_id,
                                               Lang lang) {
  TKM_ASSIGN_OR_RETURN(std::vector<InstitutionQuery> all, queries(false));
  const auto it = std::find_if(all.begin(), all.end(),
                               [&](const InstitutionQuery& q) { return q.id == query_id; });
  if (it == all.end()) {
    return fail(Errc::not_found, {fmt::format("問い合わせ {} はありません", query_id),
                                  fmt::format("no query {}", query_id)});
  }
  TKM_ASSIGN_OR_RETURN(Finding f, finding(it->finding_id));
  TKM_ASSIGN_OR_RETURN(std::vector<model::PersonIdentity> versions, vault_.versions(f.person_key));
  const Rule* rule = find_rule(f.rule_id);
  const bool ja = lang == Lang::ja;
  std::string letter = fmt::format(
      fmt::runtime(
          ja ? "医療機関 {} "
               "御中\n\n取得前の品質点検で次の点が見つかりました。ご確認のうえご回答ください。\n\n"
             : "To institution {}\n\nThe quality check before acquisition found the following. "
               "Please look into it and answer.\n\n"),
      it->institution);
  letter += fmt::format(fmt::runtime(ja ? "問い合わせ番号: {}\n患者ID: {}\n指摘: {} — {}\n"
                                        : "Query: {}\nPatient ID: {}\nFinding: {} — {}\n"),
                        query_id, versions.empty() ? "" : versions.back().patient_id, f.rule_id,
                        rule ? rule->description.in(lang) : "");
  for (const auto& l : f.events) {
    letter += fmt::format(fmt::runtime(ja ? "  記録: {} {} {} — ファイル SHA-256 {} 行 {} {}\n"
                                          : "  record: {} {} {} — file SHA-256 {} line {} {}\n"),
                          l.type, l.date, l.code, l.file_sha256, l.line, l.element);
  }
  if (f.events.empty()) {
    letter += ja ? "  (患者の基本情報 (氏名・性別・生年月日・患者ID) についての指摘です)\n"
                 : "  (about the patient's identity records: name, sex, birth date, patient ID)\n";
  }
  for (const auto& step : it->steps) {
    if (step.note.empty()) continue;
    letter +=
        fmt::format("\n{} ({}): {}\n", step.status, format_utc(step.at).substr(0, 10), step.note);
  }
  TKM_ASSIGN_OR_RETURN(std::string subject, vault_.audit_reference(f.person_key));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "quality.query.letter",
                                         .object = fmt::format("query:{}", query_id),
                                         .outcome = audit::Outcome::success,
                                         .detail = "{}",
                                         .subjects = {subject}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return letter;
}

}  // namespace tokumei::quality
