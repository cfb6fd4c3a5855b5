#include "tokumei/ingest/corrections.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "tokumei/identity/japanese.h"
#include "tokumei/ingest/batch.h"

namespace tokumei::ingest {
namespace {

std::optional<double> number(const std::string& text) {
  double v = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Applies `c` to an event; Errc::invalid_argument for a change the event has no field for.
Status apply(Event& event, const CorrectionChange& c) {
  auto refuse = [](std::string_view field) -> Status {
    return fail(Errc::invalid_argument,
                {fmt::format("この種類の記録には {} を訂正する項目がありません", field),
                 fmt::format("this kind of record has no {} to correct", field)},
                Location{.field = std::string(field)});
  };
  return std::visit(
      [&](auto& e) -> Status {
        using T = std::decay_t<decltype(e)>;
        if (!c.date.empty()) {
          if constexpr (std::is_same_v<T, model::Encounter>) e.start = c.date;
          if constexpr (std::is_same_v<T, model::Diagnosis>) e.onset = c.date;
          if constexpr (std::is_same_v<T, model::Medication>) e.start = c.date;
          if constexpr (std::is_same_v<T, model::LabResult>) e.observed = c.date;
          if constexpr (std::is_same_v<T, model::Procedure>) e.performed = c.date;
          if constexpr (std::is_same_v<T, model::ClaimVisit>) e.claim_month = c.date;
        }
        if (!c.value.empty()) {
          if constexpr (std::is_same_v<T, model::LabResult>) {
            e.value = c.value;
            e.numeric = number(c.value);
          } else if constexpr (std::is_same_v<T, model::Medication>) {
            e.dose = number(c.value);
            if (!e.dose) return refuse("value");
          } else {
            return refuse("value");
          }
        }
        if (!c.unit.empty()) {
          if constexpr (std::is_same_v<T, model::LabResult>) {
            e.unit = c.unit;
          } else if constexpr (std::is_same_v<T, model::Medication>) {
            e.dose_unit = c.unit;
          } else {
            return refuse("unit");
          }
        }
        if (!c.code.empty()) {
          if constexpr (std::is_same_v<T, model::Diagnosis>) {
            (e.code.empty() ? e.disease : e.code).code = c.code;
          } else if constexpr (std::is_same_v<T, model::Medication>) {
            e.drug.code = c.code;
          } else if constexpr (std::is_same_v<T, model::LabResult>) {
            e.test.code = c.code;
          } else if constexpr (std::is_same_v<T, model::Procedure>) {
            e.code.code = c.code;
          } else {
            return refuse("code");
          }
        }
        return ok();
      },
      event);
}

std::string record_of(const Event& event) {
  std::string out;
  std::visit([&](const auto& e) { encode_event(e, out); }, event);
  return out;
}

}  // namespace

store::SchemaModule Corrections::schema() {
  return {"ingest_corrections",
          {{1, "corrections of source records, entered by one and confirmed by another", R"sql(
CREATE TABLE ingest_corrections (
  id         INTEGER PRIMARY KEY,
  event_id   INTEGER NOT NULL,
  person_key TEXT NOT NULL,
  type       TEXT NOT NULL,
  sealed     BLOB NOT NULL,
  reason     TEXT NOT NULL,
  entered_by TEXT NOT NULL,
  entered_ms INTEGER NOT NULL
);
CREATE INDEX ingest_corrections_event ON ingest_corrections (event_id, id);
CREATE TABLE ingest_correction_confirmations (
  correction_id INTEGER PRIMARY KEY REFERENCES ingest_corrections (id),
  confirmed_by  TEXT NOT NULL,
  confirmed_ms  INTEGER NOT NULL
);
CREATE TRIGGER ingest_corrections_no_update BEFORE UPDATE ON ingest_corrections
  BEGIN SELECT RAISE(ABORT, 'ingest_corrections is append-only'); END;
CREATE TRIGGER ingest_corrections_no_delete BEFORE DELETE ON ingest_corrections
  BEGIN SELECT RAISE(ABORT, 'ingest_corrections is append-only'); END;
CREATE TRIGGER ingest_correction_confirmations_no_update BEFORE UPDATE ON
  ingest_correction_confirmations
  BEGIN SELECT RAISE(ABORT, 'ingest_correction_confirmations is append-only'); END;
CREATE TRIGGER ingest_correction_confirmations_no_delete BEFORE DELETE ON
  ingest_correction_confirmations
  BEGIN SELECT RAISE(ABORT, 'ingest_correction_confirmations is append-only'); END;
)sql"}}};
}

Result<EventVersion> Corrections::original(std::int64_t event_id, std::string* person,
                                           std::string* type) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT e.person_key, e.type, e.sealed, b.institution FROM ingest_events e JOIN "
                "ingest_batches b ON b.id = e.batch_id WHERE e.id = ?",
                {event_id}));
  if (rows.empty()) {
    return fail(Errc::not_found, {fmt::format("記録 {} はありません", event_id),
                                  fmt::format("no event {}", event_id)});
  }
  *person = rows[0].text(0);
  *type = rows[0].text(1);
  TKM_ASSIGN_OR_RETURN(Bytes plain,
                       vault_.open_for(*person, clinical_key(rows[0].text(3)), rows[0].blob(2)));
  TKM_ASSIGN_OR_RETURN(Event event, decode_event(*type, to_string(plain)));
  return EventVersion{.event = std::move(event)};
}

Result<std::int64_t> Corrections::enter(const audit::Actor& by, std::int64_t event_id,
                                        const CorrectionChange& change, const std::string& reason) {
  if (reason.empty()) {
    return fail(Errc::invalid_argument, {"訂正の理由を書いてください", "a reason is required"},
                Location{.field = "reason"});
  }
  if (change.date.empty() && change.value.empty() && change.unit.empty() && change.code.empty()) {
    return fail(Errc::invalid_argument, {"訂正する項目がありません", "nothing to correct"});
  }
  if (!change.date.empty()) {
    TKM_RETURN_IF_ERROR(identity::normalize_date(change.date.substr(0, 10)));
  }
  std::string person, type;
  TKM_ASSIGN_OR_RETURN(EventVersion current, effective(event_id));
  TKM_RETURN_IF_ERROR(original(event_id, &person, &type));
  Event corrected = current.event;
  TKM_RETURN_IF_ERROR(apply(corrected, change));
  const std::string record = record_of(corrected);
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(Bytes sealed, vault_.seal_for(person, as_bytes(record)));
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_.insert("INSERT INTO ingest_corrections (event_id, person_key, type, sealed, reason, "
                 "entered_by, entered_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                 {event_id, person, type, sealed, reason, by.user, to_unix_ms(clock_.now())}));
  TKM_ASSIGN_OR_RETURN(std::string subject, vault_.audit_reference(person));
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "event.correction.enter",
                                         .object = fmt::format("event:{}", event_id),
                                         .outcome = audit::Outcome::success,
                                         .detail = nlohmann::json{{"correction", *id}}.dump(),
                                         .subjects = {subject}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return *id;
}

Status Corrections::confirm(const audit::Actor& by, std::int64_t correction_id) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT c.entered_by, c.event_id, c.person_key, f.confirmed_by FROM "
                "ingest_corrections c LEFT JOIN ingest_correction_confirmations f ON "
                "f.correction_id = c.id WHERE c.id = ?",
                {correction_id}));
  if (rows.empty()) {
    return fail(Errc::not_found, {fmt::format("訂正 {} はありません", correction_id),
                                  fmt::format("no correction {}", correction_id)});
  }
  if (!rows[0].is_null(3)) {
    return fail(Errc::already_exists,
                {fmt::format("訂正 {} は {} が確認済みです", correction_id, rows[0].text(3)),
                 fmt::format("correction {} was confirmed by {}", correction_id, rows[0].text(3))});
  }
  if (rows[0].text(0) == by.user) {
    return fail(Errc::policy_violation,
                {"訂正を入力した人は、その訂正を確認できません。別の担当者が確認してください",
                 "the person who entered a correction cannot confirm it; another person must"});
  }
  TKM_ASSIGN_OR_RETURN(std::string subject, vault_.audit_reference(rows[0].text(2)));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO ingest_correction_confirmations (correction_id, confirmed_by, confirmed_ms) "
      "VALUES (?, ?, ?)",
      {correction_id, by.user, to_unix_ms(clock_.now())}));
  TKM_RETURN_IF_ERROR(
      audit_.append(tx, {.actor = by,
                         .action = "event.correction.confirm",
                         .object = fmt::format("event:{}", rows[0].integer(1)),
                         .outcome = audit::Outcome::success,
                         .detail = nlohmann::json{{"correction", correction_id}}.dump(),
                         .subjects = {subject}}));
  return tx.commit();
}

Result<std::vector<EventVersion>> Corrections::history(std::int64_t event_id) {
  std::string person, type;
  TKM_ASSIGN_OR_RETURN(EventVersion first, original(event_id, &person, &type));
  std::vector<EventVersion> out{std::move(first)};
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT c.id, c.sealed, c.reason, c.entered_by, c.entered_ms, f.confirmed_by, "
                "f.confirmed_ms FROM ingest_corrections c LEFT JOIN "
                "ingest_correction_confirmations f ON f.correction_id = c.id WHERE c.event_id = ? "
                "ORDER BY c.id",
                {event_id}));
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(Bytes plain, vault_.open_for(person, "", r.blob(1)));
    TKM_ASSIGN_OR_RETURN(Event event, decode_event(type, to_string(plain)));
    EventVersion v{.correction_id = r.integer(0),
                   .event = std::move(event),
                   .reason = r.text(2),
                   .entered_by = r.text(3),
                   .confirmed_by = r.is_null(5) ? "" : r.text(5),
                   .entered_at = from_unix_ms(r.integer(4))};
    if (!r.is_null(6)) v.confirmed_at = from_unix_ms(r.integer(6));
    out.push_back(std::move(v));
  }
  return out;
}

Result<EventVersion> Corrections::effective(std::int64_t event_id) {
  TKM_ASSIGN_OR_RETURN(std::vector<EventVersion> all, history(event_id));
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->correction_id == 0 || it->confirmed_at) return std::move(*it);
  }
  return std::move(all.front());
}

}  // namespace tokumei::ingest
