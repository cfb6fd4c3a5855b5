#include "tokumei/consent/inquiries.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tokumei/identity/vault.h"

namespace tokumei::consent {
namespace {

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (v == a) return true;
  }
  return false;
}

Error not_allowed(std::string_view field, const std::string& value, std::string_view allowed) {
  return Error(Errc::invalid_argument,
               {fmt::format("{}「{}」は使えません ({})", field, value, allowed),
                fmt::format("{} '{}' is not one of {}", field, value, allowed)},
               Location{.field = std::string(field)});
}

std::string aad(std::int64_t ticket) { return fmt::format("inquiry\x1f{}", ticket); }

}  // namespace

store::SchemaModule InquiryStore::schema() {
  return {"consent_inquiries", {{1, "the consultation center's tickets (CONSENT-05)", R"sql(
CREATE TABLE consent_inquiries (
  id          INTEGER PRIMARY KEY,
  sender      TEXT NOT NULL CHECK (sender IN ('patient', 'institution', 'recipient', 'other')),
  channel     TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('inquiry', 'complaint', 'opt_out_request')),
  received_ms INTEGER NOT NULL
);
CREATE TABLE consent_inquiry_steps (
  id         INTEGER PRIMARY KEY,
  inquiry_id INTEGER NOT NULL REFERENCES consent_inquiries (id),
  state      TEXT NOT NULL CHECK (state IN ('received', 'routed', 'answered', 'closed')),
  note       BLOB NOT NULL,
  actor      TEXT NOT NULL,
  at_ms      INTEGER NOT NULL
);
CREATE INDEX consent_inquiry_steps_inquiry ON consent_inquiry_steps (inquiry_id, id);
CREATE TRIGGER consent_inquiries_no_update BEFORE UPDATE ON consent_inquiries
  BEGIN SELECT RAISE(ABORT, 'consent_inquiries is append-only'); END;
CREATE TRIGGER consent_inquiries_no_delete BEFORE DELETE ON consent_inquiries
  BEGIN SELECT RAISE(ABORT, 'consent_inquiries is append-only'); END;
CREATE TRIGGER consent_inquiry_steps_no_update BEFORE UPDATE ON consent_inquiry_steps
  BEGIN SELECT RAISE(ABORT, 'consent_inquiry_steps is append-only'); END;
CREATE TRIGGER consent_inquiry_steps_no_delete BEFORE DELETE ON consent_inquiry_steps
  BEGIN SELECT RAISE(ABORT, 'consent_inquiry_steps is append-only'); END;
)sql"}}};
}

Result<std::int64_t> InquiryStore::receive(const audit::Actor& by, const std::string& from,
                                           const std::string& channel, const std::string& kind,
                                           const std::string& summary) {
  if (!one_of(from, {"patient", "institution", "recipient", "other"})) {
    return std::unexpected(not_allowed("from", from, "patient, institution, recipient, other"));
  }
  if (!one_of(kind, {"inquiry", "complaint", "opt_out_request"})) {
    return std::unexpected(not_allowed("kind", kind, "inquiry, complaint, opt_out_request"));
  }
  if (channel.empty() || summary.empty()) {
    return fail(Errc::invalid_argument,
                {"受付経路と内容の要旨が必要です", "the channel and a summary are required"});
  }
  TKM_RETURN_IF_ERROR(keys_.ensure_key(identity::kVaultKey));
  const std::int64_t now = to_unix_ms(clock_.now());
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> id,
      db_.insert("INSERT INTO consent_inquiries (sender, channel, kind, received_ms) VALUES (?, ?, "
                 "?, ?) RETURNING id",
                 {from, channel, kind, now}));
  TKM_ASSIGN_OR_RETURN(Bytes sealed,
                       keys_.seal(identity::kVaultKey, as_bytes(aad(*id)), as_bytes(summary)));
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO consent_inquiry_steps (inquiry_id, state, note, actor, at_ms) VALUES (?, "
      "'received', ?, ?, ?)",
      {*id, sealed, by.user, now}));
  TKM_RETURN_IF_ERROR(audit_.append(
      tx, {.actor = by,
           .action = "consent.inquiry.receive",
           .object = fmt::format("inquiry:{}", *id),
           .outcome = audit::Outcome::success,
           .detail = nlohmann::json{{"from", from}, {"channel", channel}, {"kind", kind}}.dump(),
           .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return *id;
}

Status InquiryStore::step(const audit::Actor& by, std::int64_t id, const std::string& state,
                          const std::string& note) {
  if (!one_of(state, {"routed", "answered", "closed"})) {
    return std::unexpected(not_allowed("state", state, "routed, answered, closed"));
  }
  if (note.empty()) {
    return fail(Errc::invalid_argument, {"内容を書いてください", "a note is required"},
                Location{.field = "note"});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_ASSIGN_OR_RETURN(
      store::Rows states,
      db_.query("SELECT state FROM consent_inquiry_steps WHERE inquiry_id = ? ORDER BY id", {id}));
  if (states.empty()) {
    return fail(Errc::not_found,
                {fmt::format("相談 {} はありません", id), fmt::format("no inquiry {}", id)});
  }
  bool answered = false;
  for (const auto& r : states) answered = answered || r.text(0) == "answered";
  if (states.back().text(0) == "closed") {
    return fail(Errc::invalid_argument, {fmt::format("相談 {} は終了しています", id),
                                         fmt::format("inquiry {} is closed", id)});
  }
  if (state == "closed" && !answered) {
    return fail(Errc::invalid_argument,
                {fmt::format("相談 {} はまだ回答していません。回答してから終了してください", id),
                 fmt::format("inquiry {} has not been answered; answer it before closing", id)});
  }
  TKM_ASSIGN_OR_RETURN(Bytes sealed,
                       keys_.seal(identity::kVaultKey, as_bytes(aad(id)), as_bytes(note)));
  TKM_RETURN_IF_ERROR(db_.execute(
      "INSERT INTO consent_inquiry_steps (inquiry_id, state, note, actor, at_ms) VALUES (?, ?, ?, "
      "?, ?)",
      {id, state, sealed, by.user, to_unix_ms(clock_.now())}));
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "consent.inquiry." + state,
                                         .object = fmt::format("inquiry:{}", id),
                                         .outcome = audit::Outcome::success,
                                         .detail = "{}",
                                         .subjects = {}}));
  return tx.commit();
}

Result<std::vector<Inquiry>> InquiryStore::load(bool decrypt, TimePoint now) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT i.id, i.sender, i.channel, i.kind, i.received_ms, s.state, s.note, "
                "s.actor, s.at_ms FROM consent_inquiries i JOIN consent_inquiry_steps s ON "
                "s.inquiry_id = i.id ORDER BY i.id, s.id"));
  std::vector<Inquiry> out;
  for (const auto& r : rows) {
    if (out.empty() || out.back().id != r.integer(0)) {
      out.push_back({.id = r.integer(0),
                     .from = r.text(1),
                     .channel = r.text(2),
                     .kind = r.text(3),
                     .state = "",
                     .received = from_unix_ms(r.integer(4))});
    }
    Inquiry& q = out.back();
    InquiryStep s{
        .state = r.text(5), .note = "", .by = r.text(7), .at = from_unix_ms(r.integer(8))};
    if (decrypt) {
      TKM_ASSIGN_OR_RETURN(Bytes plain,
                           keys_.open(identity::kVaultKey, as_bytes(aad(q.id)), r.blob(6)));
      s.note = to_string(plain);
    }
    if (s.state == "answered" && !q.answered) q.answered = s.at;
    q.state = s.state;
    q.steps.push_back(std::move(s));
  }
  for (Inquiry& q : out) {
    const TimePoint due = q.received + answer_within_;
    q.overdue = q.answered ? *q.answered > due : now > due;
  }
  return out;
}

Result<std::vector<Inquiry>> InquiryStore::list(const audit::Actor& by, bool open_only) {
  TKM_ASSIGN_OR_RETURN(std::vector<Inquiry> all, load(true, clock_.now()));
  if (open_only) std::erase_if(all, [](const Inquiry& q) { return q.state == "closed"; });
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "consent.inquiry.read",
                                         .object = "inquiries",
                                         .outcome = audit::Outcome::success,
                                         .detail = nlohmann::json{{"count", all.size()}}.dump(),
                                         .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return all;
}

Result<InquiryReport> InquiryStore::report(const audit::Actor& by, TimePoint from, TimePoint to) {
  // Counts and states only: the report goes to the manager or committee without the notes.
  TKM_ASSIGN_OR_RETURN(std::vector<Inquiry> all, load(false, to));
  InquiryReport r{.from = from, .to = to};
  for (Inquiry& q : all) {
    if (q.received >= to) continue;
    // The ticket as it stood at `to`.
    std::erase_if(q.steps, [&](const InquiryStep& s) { return s.at >= to; });
    q.state = q.steps.empty() ? "received" : q.steps.back().state;
    if (q.received >= from) ++r.received;
    for (const auto& s : q.steps) {
      if (s.at < from) continue;
      r.answered += s.state == "answered";
      r.closed += s.state == "closed";
    }
    if (q.state == "closed") {
      if (q.steps.back().at >= from) r.closed_items.push_back(q);
    } else {
      ++r.open;
      r.overdue += q.overdue;
      r.open_items.push_back(q);
    }
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  TKM_RETURN_IF_ERROR(audit_.append(tx, {.actor = by,
                                         .action = "consent.inquiry.report",
                                         .object = "inquiries",
                                         .outcome = audit::Outcome::success,
                                         .detail = nlohmann::json{{"from", format_utc(from)},
                                                                  {"to", format_utc(to)},
                                                                  {"open", r.open},
                                                                  {"overdue", r.overdue}}
                                                       .dump(),
                                         .subjects = {}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return r;
}

}  // namespace tokumei::consent
