#include "tokumei/release/registry.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tokumei/identity/japanese.h"
#include "tokumei/release/detail/common.h"

namespace tokumei::release {
namespace {

using nlohmann::json;

bool is_institution_code(const std::string& code) {
  if (code.size() != 10) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Recipient recipient_of(const store::Row& r) {
  return {.id = r.text(0),
          .name = r.text(1),
          .certificate = r.text(2),
          .endpoint = r.text(4),
          .certification = r.text(5),
          .certified_until = r.text(6),
          .fingerprint = r.text(3),
          .registered_by = r.text(7),
          .registered_at = from_unix_ms(r.integer(8)),
          .suspended = !r.is_null(9) && r.text(9) == "suspend"};
}

constexpr const char* kRecipientColumns =
    "r.id, r.name, r.certificate, r.fingerprint, r.endpoint, r.certification, r.certified_until, "
    "r.registered_by, r.at_ms, (SELECT kind FROM release_sanctions s WHERE s.recipient = r.id "
    "ORDER BY s.id DESC LIMIT 1)";

}  // namespace

Status check_party_id(const std::string& id, const char* field) {
  bool ok = id.size() >= 2 && id.size() <= 40 && id[0] >= 'a' && id[0] <= 'z';
  for (char c : id) {
    ok = ok &&
         ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
  }
  if (ok) return {};
  return fail(Errc::invalid_input,
              {"ID は英小文字で始まる 2〜40 文字の a-z 0-9 - _ . です: " + id,
               "an ID is 2–40 of a-z 0-9 - _ . starting with a letter: " + id},
              Location{.field = field});
}

Status Registry::put_institution(const audit::Actor& by, const Institution& in) {
  if (!is_institution_code(in.code)) {
    return fail(Errc::invalid_input,
                {"医療機関コードは10桁の数字です: " + in.code,
                 "an institution code is 10 digits: " + in.code},
                Location{.field = "code"});
  }
  if (in.name.empty()) return detail::required("name", "名称", "name");
  if (in.notification_method.empty()) {
    return detail::required("notification_method", "確認した通知の方法",
                            "confirmed notification method");
  }
  TKM_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::parse_certificate(in.certificate));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "INSERT INTO release_institutions (code, name, certificate, fingerprint, "
      "notification_method, registered_by, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (code) DO UPDATE SET name = excluded.name, certificate = excluded.certificate, "
      "fingerprint = excluded.fingerprint, notification_method = excluded.notification_method, "
      "registered_by = excluded.registered_by, at_ms = excluded.at_ms",
      {in.code, in.name, cert.pem, cert.fingerprint, in.notification_method, by.user,
       to_unix_ms(ctx_.clock.now())}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "registry.institution.put",
                                  "institution:" + in.code,
                                  {{"fingerprint", cert.fingerprint},
                                   {"subject", cert.subject},
                                   {"notification_method", in.notification_method}}));
  return tx.commit();
}

Result<Institution> Registry::institution(const std::string& code) {
  auto row = ctx_.db.query_one(
      "SELECT code, name, certificate, fingerprint, notification_method, registered_by, at_ms "
      "FROM release_institutions WHERE code = ?",
      {code});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return fail(Errc::not_found,
                {"登録されていない医療機関です: " + code, "no institution registered as " + code});
  }
  return Institution{.code = row->text(0),
                     .name = row->text(1),
                     .certificate = row->text(2),
                     .fingerprint = row->text(3),
                     .notification_method = row->text(4),
                     .registered_by = row->text(5),
                     .registered_at = from_unix_ms(row->integer(6))};
}

Result<std::vector<Institution>> Registry::institutions() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT code FROM release_institutions ORDER BY code"));
  std::vector<Institution> out;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(auto one, institution(r.text(0)));
    out.push_back(std::move(one));
  }
  return out;
}

Status Registry::put_recipient(const audit::Actor& by, const Recipient& in) {
  TKM_RETURN_IF_ERROR(check_party_id(in.id, "id"));
  if (in.name.empty()) return detail::required("name", "名称", "name");
  if (!in.endpoint.empty() && !in.endpoint.starts_with("https://")) {
    return fail(Errc::invalid_input,
                {"届け先は https:// の URL です (相互 TLS)", "the endpoint is an https:// URL"},
                Location{.field = "endpoint"});
  }
  std::string until;
  if (!in.certification.empty() || !in.certified_until.empty()) {
    if (in.certification.empty() || in.certified_until.empty()) {
      return fail(Errc::invalid_input,
                  {"認定番号と認定の有効期限は両方必要です",
                   "a certification needs both its number and its end date"},
                  Location{.field = "certification"});
    }
    auto day = identity::normalize_date(in.certified_until);
    if (!day) {
      return fail(Errc::invalid_input, {"日付として読めません", "not a date"},
                  Location{.field = "certified_until"});
    }
    until = *day;
  }
  TKM_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::parse_certificate(in.certificate));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "INSERT INTO release_recipients (id, name, certificate, fingerprint, endpoint, "
      "certification, certified_until, registered_by, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, certificate = excluded.certificate, "
      "fingerprint = excluded.fingerprint, endpoint = excluded.endpoint, "
      "certification = excluded.certification, certified_until = excluded.certified_until, "
      "registered_by = excluded.registered_by, at_ms = excluded.at_ms",
      {in.id, in.name, cert.pem, cert.fingerprint, in.endpoint, in.certification, until, by.user,
       to_unix_ms(ctx_.clock.now())}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "registry.recipient.put",
                                  "recipient:" + in.id,
                                  {{"fingerprint", cert.fingerprint},
                                   {"subject", cert.subject},
                                   {"endpoint", in.endpoint},
                                   {"certification", in.certification},
                                   {"certified_until", until}}));
  return tx.commit();
}

Result<Recipient> Registry::recipient(const std::string& id) {
  auto row = ctx_.db.query_one(
      fmt::format("SELECT {} FROM release_recipients r WHERE r.id = ?", kRecipientColumns), {id});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return fail(Errc::not_found,
                {"登録されていない利用者です: " + id, "no recipient registered as " + id});
  }
  return recipient_of(*row);
}

Result<std::vector<Recipient>> Registry::recipients() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows, ctx_.db.query(fmt::format(
                                             "SELECT {} FROM release_recipients r ORDER BY r.id",
                                             kRecipientColumns)));
  std::vector<Recipient> out;
  for (const auto& r : rows) out.push_back(recipient_of(r));
  return out;
}

Result<Sanction> Registry::sanction(const audit::Actor& by, Sanction s) {
  TKM_ASSIGN_OR_RETURN(Recipient r, recipient(s.recipient));
  if (s.basis.empty()) return detail::required("basis", "根拠 (違反と契約条項)", "basis");
  if (s.suspend && s.actions.empty()) {
    return detail::required("actions", "措置 (利用の停止、公表など)",
                            "actions (stop of use, publication, …)");
  }
  if (!s.suspend && !r.suspended) {
    return fail(Errc::conflict,
                {s.recipient + " は停止されていません", s.recipient + " is not suspended"});
  }
  auto day = identity::normalize_date(s.decided_on);
  if (!day) {
    return fail(Errc::invalid_input, {"日付として読めません", "not a date"},
                Location{.field = "decided_on"});
  }
  s.decided_on = *day;
  s.decided_by = by.user;
  s.at = ctx_.clock.now();
  const json actions = s.actions;
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(
      auto id, ctx_.db.insert("INSERT INTO release_sanctions (recipient, kind, decided_on, "
                              "basis, actions, decided_by, at_ms) VALUES (?, ?, ?, ?, ?, "
                              "?, ?)",
                              {s.recipient, s.suspend ? "suspend" : "lift", s.decided_on, s.basis,
                               actions.dump(), by.user, to_unix_ms(s.at)}));
  s.id = id.value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(
      ctx_.audit, tx, by, s.suspend ? "registry.recipient.suspend" : "registry.recipient.lift",
      "recipient:" + s.recipient,
      {{"sanction", s.id}, {"decided_on", s.decided_on}, {"actions", actions}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return s;
}

Result<std::vector<Sanction>> Registry::sanctions(const std::string& recipient) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id, recipient, kind, decided_on, basis, actions, "
                                     "decided_by, at_ms FROM release_sanctions WHERE recipient = "
                                     "? ORDER BY id",
                                     {recipient}));
  std::vector<Sanction> out;
  for (const auto& r : rows) {
    out.push_back({.id = r.integer(0),
                   .recipient = r.text(1),
                   .suspend = r.text(2) == "suspend",
                   .decided_on = r.text(3),
                   .basis = r.text(4),
                   .actions = json::parse(r.text(5)).get<std::vector<std::string>>(),
                   .decided_by = r.text(6),
                   .at = from_unix_ms(r.integer(7))});
  }
  return out;
}

Status Registry::check_eligible(const std::string& id, DatasetKind kind) {
  auto r = recipient(id);
  if (!r) {
    if (r.error().code() != Errc::not_found) return std::unexpected(r.error());
    return detail::refused("PROVISION-09", "契約相手として登録されていない利用者です: " + id,
                           "not a registered recipient: " + id);
  }
  if (r->suspended) {
    return detail::refused("PROVISION-08", id + " は制裁により利用停止中です",
                           id + " is suspended by a sanction");
  }
  TKM_ASSIGN_OR_RETURN(crypto::Certificate cert, crypto::parse_certificate(r->certificate));
  const TimePoint now = ctx_.clock.now();
  if (!cert.valid_at(now)) {
    return detail::refused("PROVISION-04", id + " の証明書が有効期間外です",
                           id + "'s certificate is not valid now");
  }
  if (kind == DatasetKind::pseudonymized) {
    if (r->certification.empty()) {
      return detail::refused("PSEUDO-01",
                             id + " は認定仮名加工医療情報利用事業者の認定がありません",
                             id + " has no certification as a pseudonymized-data user");
    }
    if (r->certified_until < japanese_day(now)) {
      return detail::refused(
          "PSEUDO-01", fmt::format("{} の認定は {} に期限が切れています", id, r->certified_until),
          fmt::format("{}'s certification ended on {}", id, r->certified_until));
    }
  }
  return {};
}

}  // namespace tokumei::release
