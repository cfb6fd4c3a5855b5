#include "tokumei/consent/consent.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tokumei/identity/japanese.h"
#include "tokumei/identity/linkage_store.h"

namespace tokumei::consent {
namespace {

using nlohmann::json;

Result<std::string> day_of(const std::string& text, std::string_view field) {
  auto day = identity::normalize_date(text);
  if (!day) {
    return fail(
        Error(day.error().code(), day.error().text(), Location{.field = std::string(field)}));
  }
  return *day;
}

}  // namespace

store::SchemaModule ConsentStore::schema() {
  return {"consent", {{1, "notification documents, notification status, opt-out registry", R"sql(
CREATE TABLE consent_documents (
  id             INTEGER PRIMARY KEY,
  institution    TEXT NOT NULL,
  version        TEXT NOT NULL,
  method         TEXT NOT NULL,
  effective_from TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  confirmed_by   TEXT NOT NULL,
  at_ms          INTEGER NOT NULL,
  UNIQUE (institution, version)
);
CREATE TABLE consent_notifications (
  id               INTEGER PRIMARY KEY,
  patient_index    BLOB NOT NULL,
  institution      TEXT NOT NULL,
  notified_on      TEXT NOT NULL,
  method           TEXT NOT NULL,
  document_version TEXT NOT NULL,
  source           TEXT NOT NULL,
  recorded_by      TEXT NOT NULL,
  at_ms            INTEGER NOT NULL
);
CREATE INDEX consent_notifications_patient ON consent_notifications (patient_index, id);
CREATE TABLE consent_optouts (
  id                 INTEGER PRIMARY KEY,
  patient_index      BLOB NOT NULL,
  institution        TEXT NOT NULL,
  received_on        TEXT NOT NULL,
  via                TEXT NOT NULL CHECK (via IN ('institution', 'consultation_center', 'linked')),
  recorded_by        TEXT NOT NULL,
  at_ms              INTEGER NOT NULL,
  records_deleted    INTEGER NOT NULL,
  identities_deleted INTEGER NOT NULL,
  deletion_record    INTEGER NOT NULL
);
CREATE INDEX consent_optouts_patient ON consent_optouts (patient_index);
CREATE TRIGGER consent_documents_no_update BEFORE UPDATE ON consent_documents
  BEGIN SELECT RAISE(ABORT, 'consent_documents is append-only'); END;
CREATE TRIGGER consent_documents_no_delete BEFORE DELETE ON consent_documents
  BEGIN SELECT RAISE(ABORT, 'consent_documents is append-only'); END;
CREATE TRIGGER consent_notifications_no_update BEFORE UPDATE ON consent_notifications
  BEGIN SELECT RAISE(ABORT, 'consent_notifications is append-only'); END;
CREATE TRIGGER consent_notifications_no_delete BEFORE DELETE ON consent_notifications
  BEGIN SELECT RAISE(ABORT, 'consent_notifications is append-only'); END;
CREATE TRIGGER consent_optouts_no_update BEFORE UPDATE ON consent_optouts
  BEGIN SELECT RAISE(ABORT, 'consent_optouts is append-only'); END;
CREATE TRIGGER consent_optouts_no_delete BEFORE DELETE ON consent_optouts
  BEGIN SELECT RAISE(ABORT, 'consent_optouts is append-only'); END;
)sql"}}};
}

Result<Bytes> ConsentStore::patient_index(const std::string& institution,
                                          const std::string& patient_id) {
  TKM_ASSIGN_OR_RETURN(crypto::Digest d, keys_.blind_index(identity::kVaultIndexKey,
                                                           as_bytes("consent\x1f" + institution +
                                                                    "\x1f" + patient_id)));
  return Bytes(d.begin(), d.end());
}

Status ConsentStore::add_document(const audit::Actor& by, const NotificationDocument& d) {
  if (d.institution.empty() || d.version.empty() || d.method.empty()) {
    return fail(Errc::invalid_argument, {"医療機関、版、通知の方法が必要です",
                                         "institution, version and method are required"});
  }
  TKM_ASSIGN_OR_RETURN(std::string effective, day_of(d.effective_from, "effective_from"));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  auto inserted = db_.execute(
      "INSERT INTO consent_documents (institution, version, method, effective_from, "
      "content_sha256, confirmed_by, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {d.institution, d.version, d.method, effective, d.content_sha256, by.user,
       to_unix_ms(clock_.now())});
  if (!inserted) {
    if (inserted.error().code() == Errc::already_exists) {
      return fail(Errc::already_exists,
                  {fmt::format("{} の通知書面の版「{}」は登録済みです", d.institution, d.version),
                   fmt::format("{} already has notification document version '{}'", d.institution,
                               d.version)},
                  Location{.field = "version"});
    }
    return std::unexpected(inserted.error());
  }
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "consent.document.add",
                                         .object = "institution:" + d.institution,
                                         .outcome = audit::Outcome::success,
                                         .detail = json{{"version", d.version},
                                                        {"method", d.method},
                                                        {"effective_from", effective},
                                                        {"content_sha256", d.content_sha256}}
                                                       .dump(),
                                         .subjects = {}}));
  return tx.commit();
}

Result<std::vector<NotificationDocument>> ConsentStore::documents(const std::string& institution) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT institution, version, method, effective_from, content_sha256, "
                "confirmed_by, at_ms FROM consent_documents WHERE institution = ? "
                "ORDER BY effective_from, id",
                {institution}));
  std::vector<NotificationDocument> out;
  for (const auto& r : rows) {
    out.push_back({.institution = r.text(0),
                   .version = r.text(1),
                   .method = r.text(2),
                   .effective_from = r.text(3),
                   .content_sha256 = r.text(4),
                   .confirmed_by = r.text(5),
                   .recorded_at = from_unix_ms(r.integer(6))});
  }
  return out;
}

Result<std::optional<NotificationDocument>> ConsentStore::document_in_effect(
    const std::string& institution, const std::string& day) {
  TKM_ASSIGN_OR_RETURN(std::vector<NotificationDocument> all, documents(institution));
  std::optional<NotificationDocument> in_effect;
  for (const auto& d : all) {
    if (d.effective_from <= day) in_effect = d;
  }
  return in_effect;
}

Status ConsentStore::record_notification(const audit::Actor& by, const std::string& institution,
                                         const std::string& patient_id, const Notification& n) {
  TKM_ASSIGN_OR_RETURN(Bytes index, patient_index(institution, patient_id));
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO consent_notifications (patient_index, institution, notified_on, method, "
      "document_version, source, recorded_by, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {index, institution, n.notified_on, n.method, n.document_version,
       n.source.empty() ? std::string("institution_list") : n.source, by.user,
       to_unix_ms(clock_.now())}));
  return ok();
}

Result<ImportSummary> ConsentStore::import_notifications(const audit::Actor& by,
                                                         const std::string& institution,
                                                         const std::string& csv_text,
                                                         const std::string& file_name) {
  ImportSummary summary;
  std::vector<std::string> lines;
  for (std::size_t at = 0; at <= csv_text.size();) {
    std::size_t end = csv_text.find('\n', at);
    if (end == std::string::npos) end = csv_text.size();
    std::string line = csv_text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    at = end + 1;
  }
  // A UTF-8 byte order mark (spreadsheet exports) is skipped.
  if (!lines.empty() && lines[0].starts_with("\xEF\xBB\xBF")) lines[0].erase(0, 3);
  // Fields are trimmed of spaces and of the quotes a spreadsheet puts around them.
  auto split = [](const std::string& line) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (;;) {
      const std::size_t comma = line.find(',', at);
      std::string field =
          line.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      const auto first = field.find_first_not_of(" \t");
      const auto last = field.find_last_not_of(" \t");
      field = first == std::string::npos ? "" : field.substr(first, last - first + 1);
      if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
        field = field.substr(1, field.size() - 2);
      }
      out.push_back(std::move(field));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    return out;
  };

  if (lines.empty() || lines[0].empty()) {
    return fail(Errc::invalid_input, {"見出しの行がありません", "there is no header line"},
                Location{.file = file_name, .line = 1});
  }
  const std::vector<std::string> header = split(lines[0]);
  int id_column = -1, day_column = -1, method_column = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "patient_id") id_column = static_cast<int>(i);
    if (header[i] == "notified_on") day_column = static_cast<int>(i);
    if (header[i] == "method") method_column = static_cast<int>(i);
  }
  if (id_column < 0) {
    return fail(Errc::invalid_input,
                {"見出しに patient_id の列がありません", "the header has no patient_id column"},
                Location{.file = file_name, .line = 1, .field = "patient_id"});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  for (std::size_t n = 1; n < lines.size(); ++n) {
    if (lines[n].empty()) continue;
    ++summary.rows;
    const std::vector<std::string> f = split(lines[n]);
    const int line_no = static_cast<int>(n + 1);
    auto column = [&](int i) { return i >= 0 && i < static_cast<int>(f.size()) ? f[i] : ""; };
    const std::string patient_id = column(id_column);
    if (patient_id.empty()) {
      summary.refused.emplace_back(
          Errc::invalid_input, Text{"患者IDが空です", "the patient ID is empty"},
          Location{.file = file_name, .line = line_no, .field = "patient_id"});
      continue;
    }
    Notification note{
        .notified_on = "", .method = column(method_column), .source = "institution_list"};
    if (const std::string day = column(day_column); !day.empty()) {
      auto iso = identity::normalize_date(day);
      if (!iso) {
        summary.refused.emplace_back(
            iso.error().code(), iso.error().text(),
            Location{.file = file_name, .line = line_no, .field = "notified_on"});
        continue;
      }
      note.notified_on = *iso;
    }
    TKM_RETURN_IF_ERROR(record_notification(by, institution, patient_id, note));
    ++summary.recorded;
  }
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "consent.notifications.import",
                                         .object = "institution:" + institution,
                                         .outcome = audit::Outcome::success,
                                         .detail = json{{"rows", summary.rows},
                                                        {"recorded", summary.recorded},
                                                        {"refused", summary.refused.size()}}
                                                       .dump(),
                                         .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return summary;
}

Result<std::vector<Notification>> ConsentStore::notifications(const std::string& institution,
                                                              const std::string& patient_id) {
  TKM_ASSIGN_OR_RETURN(Bytes index, patient_index(institution, patient_id));
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT notified_on, method, document_version, source, recorded_by, at_ms FROM "
                "consent_notifications WHERE patient_index = ? ORDER BY id",
                {index}));
  std::vector<Notification> out;
  for (const auto& r : rows) {
    out.push_back({.notified_on = r.text(0),
                   .method = r.text(1),
                   .document_version = r.text(2),
                   .source = r.text(3),
                   .recorded_by = r.text(4),
                   .recorded_at = from_unix_ms(r.integer(5))});
  }
  return out;
}

Result<ConsentStore::Index> ConsentStore::notification_index(const std::string& institution) {
  Index index;
  index.store_ = this;
  index.institution_ = institution;
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       db_.query("SELECT patient_index, notified_on FROM consent_notifications "
                                 "WHERE institution = ?",
                                 {institution}));
  for (const auto& r : rows) {
    const auto [it, added] = index.earliest_.emplace(r.blob(0), r.text(1));
    // A notification without a day covers everything: it wins.
    if (!added && !it->second.empty() && (r.text(1).empty() || r.text(1) < it->second)) {
      it->second = r.text(1);
    }
  }
  return index;
}

Result<std::optional<std::string>> ConsentStore::Index::earliest(const std::string& patient_id) {
  TKM_ASSIGN_OR_RETURN(Bytes key, store_->patient_index(institution_, patient_id));
  const auto it = earliest_.find(key);
  if (it == earliest_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Result<std::vector<Notification>> ConsentStore::notifications_of(const std::string& person_key) {
  TKM_ASSIGN_OR_RETURN(auto versions, vault_.versions(person_key));
  if (versions.empty()) return std::vector<Notification>{};
  return notifications(versions.back().institution, versions.back().patient_id);
}

Result<bool> ConsentStore::opted_out(const std::string& institution,
                                     const std::string& patient_id) {
  TKM_ASSIGN_OR_RETURN(Bytes index, patient_index(institution, patient_id));
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT 1 FROM consent_optouts WHERE patient_index = ? LIMIT 1", {index}));
  return !rows.empty();
}

Result<std::vector<PatientRecord>> ConsentStore::linked_records(const std::string& person_key) {
  identity::LinkageStore links(db_, vault_, keys_, audit_, clock_);
  TKM_ASSIGN_OR_RETURN(std::string linked, links.linked_key(person_key));
  TKM_ASSIGN_OR_RETURN(std::vector<std::string> members, links.members(linked));
  if (std::find(members.begin(), members.end(), person_key) == members.end()) {
    members.push_back(person_key);
  }
  std::vector<PatientRecord> out;
  for (const auto& m : members) {
    TKM_ASSIGN_OR_RETURN(bool gone, vault_.erased(m));
    if (gone && m != person_key) continue;
    PatientRecord r{.person_key = m};
    if (!gone) {
      TKM_ASSIGN_OR_RETURN(auto versions, vault_.versions(m));
      if (!versions.empty()) {
        r.institution = versions.back().institution;
        r.patient_id = versions.back().patient_id;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<OptOutReport> ConsentStore::erase_and_register(const audit::Actor& by,
                                                      const std::vector<PatientRecord>& records,
                                                      const std::optional<PatientRecord>& requested,
                                                      const std::string& received_on,
                                                      const std::string& via,
                                                      const std::string& object) {
  OptOutReport report;
  report.opt_out = {.institution = requested ? requested->institution : "",
                    .received_on = received_on,
                    .via = via,
                    .recorded_by = by.user,
                    .recorded_at = clock_.now()};
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());  // joins the caller's
  for (const auto& r : records) {
    TKM_ASSIGN_OR_RETURN(
        std::int64_t events,
        db_.execute("DELETE FROM ingest_events WHERE person_key = ?", {r.person_key}));
    TKM_ASSIGN_OR_RETURN(std::size_t identities, vault_.erase(r.person_key));
    TKM_RETURN_IF_ERROR(
        db_.execute("DELETE FROM link_members WHERE person_key = ?", {r.person_key}));
    report.opt_out.records_deleted += static_cast<std::size_t>(events);
    report.opt_out.identities_deleted += identities;
    report.person_keys.push_back(r.person_key);
  }
  ops::DeletionRecords deletions(db_, clock_);
  TKM_ASSIGN_OR_RETURN(
      report.opt_out.deletion_record,
      deletions.add(tx, {.object = object,
                         .count = static_cast<std::int64_t>(report.opt_out.records_deleted +
                                                            report.opt_out.identities_deleted),
                         .reason = "optout: 停止の求め (" + via + ", " + received_on + ")",
                         .method = "row delete, SQLite secure_delete on; WAL checkpointed; "
                                   "person keys marked erased",
                         .executor = by.user,
                         .approver = by.user}));
  std::vector<PatientRecord> patients = records;
  if (requested) patients.push_back(*requested);
  std::set<std::pair<std::string, std::string>> done;
  for (const auto& p : patients) {
    if (p.institution.empty() || p.patient_id.empty()) continue;
    if (!done.insert({p.institution, p.patient_id}).second) continue;
    const bool is_requested = requested && requested->institution == p.institution &&
                              requested->patient_id == p.patient_id;
    TKM_ASSIGN_OR_RETURN(bool registered, opted_out(p.institution, p.patient_id));
    if (registered && !is_requested) continue;
    TKM_ASSIGN_OR_RETURN(Bytes index, patient_index(p.institution, p.patient_id));
    TKM_ASSIGN_OR_RETURN(
        std::optional<std::int64_t> id,
        db_.insert(
            "INSERT INTO consent_optouts (patient_index, institution, received_on, via, "
            "recorded_by, at_ms, records_deleted, identities_deleted, deletion_record) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {index, p.institution, received_on, is_requested ? via : std::string("linked"), by.user,
             to_unix_ms(clock_.now()), static_cast<std::int64_t>(report.opt_out.records_deleted),
             static_cast<std::int64_t>(report.opt_out.identities_deleted),
             report.opt_out.deletion_record}));
    if (is_requested) report.opt_out.id = *id;
  }
  TKM_RETURN_IF_ERROR(tx.commit());
  return report;
}

Result<OptOutReport> ConsentStore::opt_out(const audit::Actor& by, const std::string& institution,
                                           const std::string& patient_id,
                                           const std::string& received_on, const std::string& via) {
  if (institution.empty() || patient_id.empty()) {
    return fail(Errc::invalid_argument, {"医療機関コードと患者IDが必要です",
                                         "an institution code and a patient ID are required"});
  }
  if (via != "institution" && via != "consultation_center") {
    return fail(Errc::invalid_argument,
                {"受付経路は institution か consultation_center です",
                 "via is institution or consultation_center"},
                Location{.field = "via"});
  }
  TKM_ASSIGN_OR_RETURN(std::string received, day_of(received_on, "received_on"));
  // The patient and every record linked to them at other hospitals.
  std::vector<PatientRecord> records;
  TKM_ASSIGN_OR_RETURN(std::optional<std::string> person, vault_.find(institution, patient_id));
  if (person) {
    TKM_ASSIGN_OR_RETURN(records, linked_records(*person));
  }
  std::vector<std::string> subjects;
  for (const auto& r : records) {
    TKM_ASSIGN_OR_RETURN(std::string s, vault_.audit_reference(r.person_key));
    subjects.push_back(std::move(s));
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(
      OptOutReport report,
      erase_and_register(
          by, records,
          PatientRecord{.person_key = "", .institution = institution, .patient_id = patient_id},
          received, via,
          subjects.empty() ? std::string("person:(none stored)") : "person:" + subjects.front()));
  TKM_RETURN_IF_ERROR(
      audit_.append(tx, {.actor = by,
                         .action = "consent.optout",
                         .object = "institution:" + institution,
                         .outcome = audit::Outcome::success,
                         .detail = json{{"opt_out", report.opt_out.id},
                                        {"via", via},
                                        {"received_on", received},
                                        {"records_linked", report.person_keys.size()},
                                        {"records_deleted", report.opt_out.records_deleted},
                                        {"identities_deleted", report.opt_out.identities_deleted},
                                        {"deletion_record", report.opt_out.deletion_record},
                                        {"datasets_provided", nullptr}}
                                       .dump(),
                         .subjects = subjects}));
  TKM_RETURN_IF_ERROR(tx.commit());
  TKM_RETURN_IF_ERROR(db_.scrub());
  return report;
}

Result<std::vector<OptOut>> ConsentStore::opt_outs() {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT id, institution, received_on, via, recorded_by, at_ms, records_deleted, "
                "identities_deleted, deletion_record FROM consent_optouts ORDER BY id"));
  std::vector<OptOut> out;
  for (const auto& r : rows) {
    out.push_back({.id = r.integer(0),
                   .institution = r.text(1),
                   .received_on = r.text(2),
                   .via = r.text(3),
                   .recorded_by = r.text(4),
                   .recorded_at = from_unix_ms(r.integer(5)),
                   .records_deleted = static_cast<std::size_t>(r.integer(6)),
                   .identities_deleted = static_cast<std::size_t>(r.integer(7)),
                   .deletion_record = r.integer(8)});
  }
  return out;
}

}  // namespace tokumei::consent
