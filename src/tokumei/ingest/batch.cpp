#include "tokumei/ingest/batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tokumei/ingest/event_record.h"

namespace tokumei::ingest {
namespace {

using nlohmann::json;

std::string optional_number(const std::optional<double>& v) {
  return v ? fmt::format("{}", *v) : std::string();
}

// The columns kept in clear beside an event's sealed record (for selecting and counting without
// opening it): type, code system, code, date, a value and its unit.
struct ClearColumns {
  std::string_view type, code_system, code, date;
  std::string value;
  std::string_view unit;
};

ClearColumns clear_columns(const model::Encounter& e) {
  return {"encounter", "encounter-kind", model::encounter_kind_name(e.kind), e.start, e.end, ""};
}
ClearColumns clear_columns(const model::Diagnosis& d) {
  const model::Code& main = d.code.empty() ? d.disease : d.code;
  return {"diagnosis", main.system, main.code, d.onset, d.suspected ? "suspected" : "", ""};
}
ClearColumns clear_columns(const model::Medication& m) {
  return {m.kind == model::MedicationKind::injection ? "injection" : "prescription",
          m.drug.system,
          m.drug.code,
          m.start,
          optional_number(m.dose),
          m.dose_unit};
}
ClearColumns clear_columns(const model::LabResult& l) {
  return {"lab_result", l.test.system, l.test.code, l.observed, l.value, l.unit};
}
ClearColumns clear_columns(const model::Procedure& p) {
  return {"procedure", p.code.system, p.code.code, p.performed, "", ""};
}
ClearColumns clear_columns(const model::ClaimVisit& v) {
  return {"claim_visit", "", "", v.claim_month, std::to_string(v.visit_dates.size()), "days"};
}

// A location's field name, when it names a place in a format ("PID-3", "Bundle.entry[2].subject",
// "RE-13") rather than carrying data (a junk segment's first characters).
std::string safe_field(std::string_view field) {
  if (field.size() > 60) return {};
  for (char c : field) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == ' ' || c == '.' || c == '-' || c == '_' || c == '[' || c == ']';
    if (!ok) return {};
  }
  return std::string(field);
}

json error_json(const Error& e) {
  const Location& w = e.where();
  return {{"code", errc_name(e.code())},
          {"ja", e.describe(Lang::ja)},
          {"en", e.describe(Lang::en)},
          {"file", w.file},
          {"line", w.line},
          {"offset", w.offset},
          {"field", w.field}};
}

}  // namespace

std::string_view batch_state_name(BatchState state) {
  switch (state) {
    case BatchState::received:
      return "received";
    case BatchState::pending:
      return "pending";
    case BatchState::acquired:
      return "acquired";
    case BatchState::excluded:
      return "excluded";
  }
  return "";
}

std::string clinical_key(const std::string& institution) { return "clinical:" + institution; }

store::SchemaModule BatchStore::schema() {
  return {"ingest", {{1, "batches, their files, events and quarantine", R"sql(
CREATE TABLE ingest_batches (
  id          INTEGER PRIMARY KEY,
  institution TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('received', 'pending', 'acquired', 'excluded')),
  created_ms  INTEGER NOT NULL,
  finished_ms INTEGER
);
CREATE INDEX ingest_batches_open ON ingest_batches (institution, state);
CREATE TABLE ingest_files (
  id           INTEGER PRIMARY KEY,
  batch_id     INTEGER NOT NULL REFERENCES ingest_batches (id),
  institution  TEXT NOT NULL,
  content_hash BLOB NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('read', 'not_read', 'quarantined')),
  record_type  TEXT NOT NULL,
  path_sealed  BLOB NOT NULL,
  events       INTEGER NOT NULL,
  created_ms   INTEGER NOT NULL,
  UNIQUE (institution, content_hash)
);
CREATE TABLE ingest_events (
  id          INTEGER PRIMARY KEY,
  batch_id    INTEGER NOT NULL REFERENCES ingest_batches (id),
  file_id     INTEGER NOT NULL REFERENCES ingest_files (id),
  person_key  TEXT NOT NULL,
  type        TEXT NOT NULL,
  code_system TEXT NOT NULL,
  code        TEXT NOT NULL,
  date        TEXT NOT NULL,
  value       TEXT NOT NULL,
  unit        TEXT NOT NULL,
  withdrawn   INTEGER NOT NULL,
  sealed      BLOB NOT NULL
);
CREATE INDEX ingest_events_person ON ingest_events (person_key);
CREATE INDEX ingest_events_code ON ingest_events (type, code_system, code);
CREATE TABLE ingest_quarantine (
  id       INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES ingest_batches (id),
  file_id  INTEGER NOT NULL REFERENCES ingest_files (id),
  scope    TEXT NOT NULL CHECK (scope IN ('file', 'record', 'warning')),
  reason   TEXT NOT NULL,
  line     INTEGER NOT NULL,
  offset   INTEGER NOT NULL,
  field    TEXT NOT NULL,
  sealed   BLOB NOT NULL
);
)sql"}}};
}

Result<std::int64_t> BatchStore::open_batch(const std::string& institution) {
  TKM_RETURN_IF_ERROR(vault_.prepare());
  TKM_RETURN_IF_ERROR(keys_.ensure_key(clinical_key(institution)));
  TKM_ASSIGN_OR_RETURN(std::optional<std::int64_t> open, unfinished_batch(institution));
  if (open) return *open;
  TKM_ASSIGN_OR_RETURN(store::Row row,
                       db_.query_one("INSERT INTO ingest_batches (institution, state, created_ms) "
                                     "VALUES (?, 'received', ?) RETURNING id",
                                     {institution, to_unix_ms(clock_.now())}));
  return row.integer(0);
}

Result<std::optional<std::int64_t>> BatchStore::unfinished_batch(const std::string& institution) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows open,
      db_.query("SELECT id FROM ingest_batches WHERE institution = ? AND state = 'received' "
                "ORDER BY id DESC LIMIT 1",
                {institution}));
  if (open.empty()) return std::optional<std::int64_t>{};
  return open[0].integer(0);
}

Result<bool> BatchStore::already_taken(const std::string& institution,
                                       const crypto::Digest& content) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT 1 FROM ingest_files WHERE institution = ? AND content_hash = ?",
                {institution, Bytes(content.begin(), content.end())}));
  return !rows.empty();
}

Result<bool> BatchStore::record(std::int64_t batch_id, const std::string& institution,
                                const crypto::Digest& content, const FileOutcome& o,
                                IngestSummary& summary) {
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(bool taken, already_taken(institution, content));
  if (taken) return false;
  const std::string key = clinical_key(institution);
  const char* outcome = o.kind == FileOutcome::Kind::read       ? "read"
                        : o.kind == FileOutcome::Kind::not_read ? "not_read"
                                                                : "quarantined";
  const Bytes hash(content.begin(), content.end());
  TKM_ASSIGN_OR_RETURN(Bytes path_sealed, keys_.seal(key, hash, as_bytes(o.path)));
  const std::size_t events = o.extract.events();
  TKM_ASSIGN_OR_RETURN(
      store::Row file,
      db_.query_one(
          "INSERT INTO ingest_files (batch_id, institution, content_hash, outcome, "
          "record_type, path_sealed, events, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
          "RETURNING id",
          {batch_id, institution, hash, std::string(outcome), o.record_type.substr(0, 200),
           path_sealed, static_cast<std::int64_t>(events), to_unix_ms(clock_.now())}));
  const std::int64_t file_id = file.integer(0);

  // Identities into the vault; events refer to their person key.
  std::map<std::string, std::string> person_of;  // patient ID → person key
  for (const auto& p : o.extract.persons) {
    TKM_ASSIGN_OR_RETURN(std::string person, vault_.admit(p, batch_id));
    person_of[p.patient_id] = person;
  }
  std::string record;  // one buffer for every event's record
  auto put = [&](const auto& event) -> Status {
    auto it = person_of.find(event.patient_id);
    if (it == person_of.end()) {
      // An event whose patient has no identity in this file: the vault knows them from before,
      // or learns them now by ID alone.
      TKM_ASSIGN_OR_RETURN(
          std::string person,
          vault_.admit({.institution = institution, .patient_id = event.patient_id}, batch_id));
      it = person_of.emplace(event.patient_id, std::move(person)).first;
    }
    const std::string& person = it->second;
    const ClearColumns c = clear_columns(event);
    encode_event(event, record);
    TKM_ASSIGN_OR_RETURN(Bytes sealed, keys_.seal(key, as_bytes(person), as_bytes(record)));
    TKM_RETURN_IF_ERROR(db_.execute(
        "INSERT INTO ingest_events (batch_id, file_id, person_key, type, code_system, code, date, "
        "value, unit, withdrawn, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {batch_id, file_id, person, std::string(c.type), std::string(c.code_system),
         std::string(c.code), std::string(c.date), c.value, std::string(c.unit),
         std::int64_t{o.extract.deleted ? 1 : 0}, std::move(sealed)}));
    return ok();
  };
  const model::Extract& x = o.extract;
  for (const auto& e : x.encounters) TKM_RETURN_IF_ERROR(put(e));
  for (const auto& d : x.diagnoses) TKM_RETURN_IF_ERROR(put(d));
  for (const auto& m : x.medications) TKM_RETURN_IF_ERROR(put(m));
  for (const auto& l : x.lab_results) TKM_RETURN_IF_ERROR(put(l));
  for (const auto& p : x.procedures) TKM_RETURN_IF_ERROR(put(p));
  for (const auto& v : x.claim_visits) TKM_RETURN_IF_ERROR(put(v));

  auto quarantine = [&](const Error& e, const char* scope) -> Status {
    TKM_ASSIGN_OR_RETURN(Bytes sealed, keys_.seal(key, hash, as_bytes(error_json(e).dump())));
    // The field name is kept in clear only when it names a place in a format ("PID-3",
    // "Bundle.entry[2].subject"), never data.
    TKM_RETURN_IF_ERROR(db_.execute(
        "INSERT INTO ingest_quarantine (batch_id, file_id, scope, reason, line, "
        "offset, field, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {batch_id, file_id, std::string(scope), std::string(errc_name(e.code())),
         std::int64_t{e.where().line}, e.where().offset, safe_field(e.where().field), sealed}));
    return ok();
  };
  const bool whole = o.kind == FileOutcome::Kind::quarantined;
  if (o.kind != FileOutcome::Kind::not_read) {
    for (const auto& e : o.problems) TKM_RETURN_IF_ERROR(quarantine(e, whole ? "file" : "record"));
  }
  for (const auto& w : o.warnings) TKM_RETURN_IF_ERROR(quarantine(w, "warning"));
  TKM_RETURN_IF_ERROR(tx.commit());

  ++summary.files;
  switch (o.kind) {
    case FileOutcome::Kind::read:
      ++summary.files_read;
      summary.records_refused += o.problems.size();
      break;
    case FileOutcome::Kind::not_read:
      ++summary.files_not_read;
      break;
    case FileOutcome::Kind::quarantined:
      ++summary.files_quarantined;
      if (!o.problems.empty())
        ++summary.quarantined_by_reason[std::string(errc_name(o.problems[0].code()))];
      break;
  }
  summary.warnings += o.warnings.size();
  auto count = [&](const char* type, std::size_t n) {
    if (n > 0) summary.events[type] += n;
  };
  count("encounter", x.encounters.size());
  count("diagnosis", x.diagnoses.size());
  const auto injections = static_cast<std::size_t>(std::ranges::count(
      x.medications, model::MedicationKind::injection, &model::Medication::kind));
  count("injection", injections);
  count("prescription", x.medications.size() - injections);
  count("lab_result", x.lab_results.size());
  count("procedure", x.procedures.size());
  count("claim_visit", x.claim_visits.size());
  for (const auto& [id, person] : person_of) summary.person_keys.put(person, 0);
  summary.persons = summary.person_keys.size();
  return true;
}

Result<std::size_t> BatchStore::finish_batch(std::int64_t batch_id) {
  TKM_RETURN_IF_ERROR(
      db_.execute("UPDATE ingest_batches SET state = 'pending', finished_ms = ? WHERE id = ? AND "
                  "state = 'received'",
                  {to_unix_ms(clock_.now()), batch_id}));
  TKM_ASSIGN_OR_RETURN(
      store::Row row,
      db_.query_one("SELECT COUNT(*) FROM ingest_files WHERE batch_id = ?", {batch_id}));
  return static_cast<std::size_t>(row.integer(0));
}

Result<BatchState> BatchStore::state(std::int64_t batch_id) {
  TKM_ASSIGN_OR_RETURN(store::Row row,
                       db_.query_one("SELECT state FROM ingest_batches WHERE id = ?", {batch_id}));
  const std::string& s = row.text(0);
  if (s == "pending") return BatchState::pending;
  if (s == "acquired") return BatchState::acquired;
  if (s == "excluded") return BatchState::excluded;
  return BatchState::received;
}

}  // namespace tokumei::ingest
