#include "tokumei/release/ledger.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tokumei/base/escape.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/crypto/signature.h"
#include "tokumei/identity/japanese.h"
#include "tokumei/release/detail/common.h"

namespace tokumei::release {
namespace {

using nlohmann::json;

constexpr const char* kColumns =
    "seq, kind, day, recipient, dataset, contents, data_kind, approval, contract, delivery, "
    "checkers, onward, corrects, entrant, confirmer, at_ms, prev_hash, hash";

// What an entry's hash covers: every field but the hash, in a fixed order.
std::string canonical(const LedgerEntry& e) {
  json j = ledger_entry_json(e);
  j.erase("hash");
  return j.dump();
}

}  // namespace

json ledger_entry_json(const LedgerEntry& e) {
  return {{"seq", e.seq},
          {"kind", e.kind},
          {"day", e.day},
          {"recipient", e.recipient},
          {"dataset", e.dataset},
          {"contents", e.contents},
          {"data_kind", e.data_kind},
          {"approval", e.approval},
          {"contract", e.contract},
          {"delivery", e.delivery},
          {"checkers", e.checkers},
          {"onward", e.onward},
          {"corrects", e.corrects ? json(*e.corrects) : json(nullptr)},
          {"entrant", e.entrant},
          {"confirmer", e.confirmer},
          {"at_ms", to_unix_ms(e.at)},
          {"hash", e.hash}};
}

namespace {

Bytes chain(ByteView prev, const LedgerEntry& e) {
  const auto d = crypto::sha256({prev, as_bytes(canonical(e))});
  return Bytes(d.begin(), d.end());
}

LedgerEntry entry_of(const store::Row& r) {
  return {.seq = r.integer(0),
          .kind = r.text(1),
          .day = r.text(2),
          .recipient = r.text(3),
          .dataset = r.text(4),
          .contents = r.text(5),
          .data_kind = r.text(6),
          .approval = r.text(7),
          .contract = r.text(8),
          .delivery = r.text(9),
          .checkers = json::parse(r.text(10)).get<std::vector<std::string>>(),
          .onward = r.text(11),
          .corrects = r.optional_integer(12),
          .entrant = r.text(13),
          .confirmer = r.text(14),
          .at = from_unix_ms(r.integer(15)),
          .hash = hex_encode(r.blob(17))};
}

const std::vector<std::string>& editable_fields() {
  static const std::vector<std::string> f = {"day",      "recipient", "dataset",
                                             "contents", "data_kind", "approval",
                                             "contract", "delivery",  "onward"};
  return f;
}

std::string& field_of(LedgerEntry& e, const std::string& name) {
  if (name == "day") return e.day;
  if (name == "recipient") return e.recipient;
  if (name == "dataset") return e.dataset;
  if (name == "contents") return e.contents;
  if (name == "data_kind") return e.data_kind;
  if (name == "approval") return e.approval;
  if (name == "contract") return e.contract;
  if (name == "delivery") return e.delivery;
  return e.onward;
}

}  // namespace

Result<LedgerEntry> Ledger::append(store::Transaction& tx, const audit::Actor& by, LedgerEntry e) {
  TKM_ASSIGN_OR_RETURN(store::Rows last,
                       ctx_.db.query("SELECT seq, hash FROM release_ledger ORDER BY seq DESC "
                                     "LIMIT 1"));
  const Bytes prev = last.empty() ? Bytes(32, 0) : last[0].blob(1);
  e.seq = last.empty() ? 1 : last[0].integer(0) + 1;
  if (e.entrant.empty()) e.entrant = by.user;
  e.at = ctx_.clock.now();
  if (e.day.empty()) e.day = japanese_day(e.at);
  const Bytes hash = chain(prev, e);
  e.hash = hex_encode(hash);
  store::Value corrects = nullptr;
  if (e.corrects) corrects = *e.corrects;
  const json checkers = e.checkers;
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      fmt::format("INSERT INTO release_ledger ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?, ?)",
                  kColumns),
      {e.seq, e.kind, e.day, e.recipient, e.dataset, e.contents, e.data_kind, e.approval,
       e.contract, e.delivery, checkers.dump(), e.onward, corrects, e.entrant, e.confirmer,
       to_unix_ms(e.at), prev, hash}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "ledger.append",
                                  fmt::format("ledger:{}", e.seq),
                                  {{"kind", e.kind}, {"dataset", e.dataset}, {"hash", e.hash}}));
  return e;
}

Result<std::vector<LedgerEntry>> Ledger::entries(const std::string& from_text,
                                                 const std::string& to_text) {
  // Days in any form people write them; compared as YYYY-MM-DD.
  auto day = [](const std::string& text, const char* field) -> Result<std::string> {
    if (text.empty()) return text;
    auto d = identity::normalize_date(text);
    if (!d) {
      return fail(Errc::invalid_input, {"日付として読めません: " + text, "not a date: " + text},
                  Location{.field = field});
    }
    return *d;
  };
  TKM_ASSIGN_OR_RETURN(const std::string from, day(from_text, "from"));
  TKM_ASSIGN_OR_RETURN(const std::string to, day(to_text, "to"));
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      ctx_.db.query(fmt::format("SELECT {} FROM release_ledger WHERE day >= ? AND day <= ? ORDER "
                                "BY seq",
                                kColumns),
                    {from, to.empty() ? std::string("9999-12-31") : to}));
  std::vector<LedgerEntry> out;
  for (const auto& r : rows) out.push_back(entry_of(r));
  return out;
}

Result<std::vector<std::string>> Ledger::holders(const std::string& dataset) {
  TKM_ASSIGN_OR_RETURN(auto all, entries());
  std::set<std::string> out;
  for (const auto& e : all) {
    if (e.dataset != dataset) continue;
    if (e.kind == "provision") out.insert(e.recipient);
    if (e.kind == "onward") out.insert(e.onward.substr(0, e.onward.find(" (")));
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<LedgerCheck> Ledger::verify() {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      ctx_.db.query(fmt::format("SELECT {} FROM release_ledger ORDER BY seq", kColumns)));
  LedgerCheck check;
  Bytes prev(32, 0);
  std::int64_t expected = 1;
  for (const auto& r : rows) {
    const LedgerEntry e = entry_of(r);
    ++check.entries;
    if (e.seq != expected || r.blob(16) != prev || chain(prev, e) != r.blob(17)) {
      check.first_bad = expected;
      return check;
    }
    prev = r.blob(17);
    ++expected;
  }
  check.head = hex_encode(prev);
  return check;
}

Result<std::int64_t> Ledger::propose_correction(
    const audit::Actor& by, std::int64_t seq,
    const std::vector<std::pair<std::string, std::string>>& change, const std::string& reason) {
  auto row = ctx_.db.query_one("SELECT seq FROM release_ledger WHERE seq = ?", {seq});
  if (!row) {
    return fail(Errc::not_found, {fmt::format("帳簿の記載 {} はありません", seq),
                                  fmt::format("no ledger entry {}", seq)});
  }
  if (change.empty()) return detail::required("change", "訂正する項目", "fields to correct");
  if (reason.empty()) return detail::required("reason", "訂正の理由", "reason");
  json j = json::object();
  for (const auto& [field, value] : change) {
    if (std::find(editable_fields().begin(), editable_fields().end(), field) ==
        editable_fields().end()) {
      return fail(Errc::invalid_input, {"訂正できない項目です: " + field, "not a field: " + field},
                  Location{.field = field});
    }
    j[field] = value;
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(
      auto id, ctx_.db.insert("INSERT INTO release_ledger_pending (corrects, "
                              "change, reason, entrant, at_ms) VALUES (?, ?, ?, "
                              "?, ?)",
                              {seq, j.dump(), reason, by.user, to_unix_ms(ctx_.clock.now())}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "ledger.correction.propose",
                                  fmt::format("ledger:{}", seq),
                                  {{"pending", id.value_or(0)}, {"fields", j.size()}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return id.value_or(0);
}

Result<LedgerEntry> Ledger::confirm_correction(const audit::Actor& by, std::int64_t pending_id) {
  auto row = ctx_.db.query_one(
      "SELECT corrects, change, reason, entrant, confirmed FROM release_ledger_pending WHERE id = "
      "?",
      {pending_id});
  if (!row) {
    return fail(Errc::not_found, {fmt::format("訂正の申請 {} はありません", pending_id),
                                  fmt::format("no proposed correction {}", pending_id)});
  }
  if (row->integer(4) != 0) {
    return fail(Errc::conflict, {"この訂正は確認済みです", "this correction is confirmed already"});
  }
  if (row->text(3) == by.user) {
    return fail(Errc::permission_denied,
                {"LEDGER-03: 訂正の記入者は自分で確認できません",
                 "LEDGER-03: the entrant cannot confirm their own correction"});
  }
  TKM_ASSIGN_OR_RETURN(
      auto original_rows,
      ctx_.db.query(fmt::format("SELECT {} FROM release_ledger WHERE seq = ?", kColumns),
                    {row->integer(0)}));
  LedgerEntry e = entry_of(original_rows.at(0));
  const json change = json::parse(row->text(1));
  for (const auto& [field, value] : change.items()) {
    field_of(e, field) = value.get<std::string>();
  }
  e.kind = "correction";
  e.corrects = row->integer(0);
  e.entrant = row->text(3);
  e.confirmer = by.user;
  e.contents = e.contents + " [訂正理由: " + row->text(2) + "]";
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(auto changed,
                       ctx_.db.execute("UPDATE release_ledger_pending SET confirmed = 1 WHERE id = "
                                       "? AND confirmed = 0",
                                       {pending_id}));
  if (changed != 1) {  // another confirmation got there first
    return fail(Errc::conflict, {"この訂正は確認済みです", "this correction is confirmed already"});
  }
  TKM_ASSIGN_OR_RETURN(LedgerEntry out, append(tx, by, e));
  TKM_RETURN_IF_ERROR(tx.commit());
  return out;
}

Result<LedgerExport> Ledger::export_period(const audit::Actor& by, const std::string& from_text,
                                           const std::string& to_text) {
  if (from_text.empty() || to_text.empty()) {
    return detail::required("period", "期間 (開始日と終了日)", "the period (from and to)");
  }
  TKM_ASSIGN_OR_RETURN(auto list, entries(from_text, to_text));
  const std::string from = *identity::normalize_date(from_text);
  const std::string to = *identity::normalize_date(to_text);
  TKM_ASSIGN_OR_RETURN(LedgerCheck check, verify());
  LedgerExport out;
  out.csv = "\xEF\xBB\xBF";
  out.csv +=
      "番号,種別,提供日,提供先,データセット,内容,情報の種類,承認,契約,提供方法,確認者,再提供先,"
      "訂正対象,記入者,訂正確認者,記録日時,ハッシュ\r\n";
  const std::map<std::string, std::string> kinds = {
      {"provision", "提供"}, {"onward", "第三者提供の許可"}, {"correction", "訂正"}};
  const std::map<std::string, std::string> data_kinds = {
      {"anonymized", "匿名加工医療情報"}, {"pseudonymized", "仮名加工医療情報"}, {"", ""}};
  std::string rows_html;
  for (const auto& e : list) {
    std::string checkers;
    for (const auto& c : e.checkers) checkers += (checkers.empty() ? "" : " / ") + c;
    const std::vector<std::string> cells = {
        std::to_string(e.seq),
        kinds.at(e.kind),
        e.day,
        e.recipient,
        e.dataset,
        e.contents,
        data_kinds.contains(e.data_kind) ? data_kinds.at(e.data_kind) : e.data_kind,
        e.approval,
        e.contract,
        e.delivery,
        checkers,
        e.onward,
        e.corrects ? std::to_string(*e.corrects) : "",
        e.entrant,
        e.confirmer,
        format_jst(e.at),
        e.hash};
    std::string line;
    rows_html += "<tr>";
    for (const auto& c : cells) {
      line += (line.empty() ? "" : ",") + csv_field(c);
      rows_html += "<td>" + html_escape(c) + "</td>";
    }
    rows_html += "</tr>\n";
    out.csv += line + "\r\n";
  }
  TKM_RETURN_IF_ERROR(ctx_.keys.ensure_key(kLedgerSigningKey));
  TKM_ASSIGN_OR_RETURN(auto key, ctx_.keys.signing_key(kLedgerSigningKey));
  const std::string sha = hex_encode(crypto::sha256(as_bytes(out.csv)));
  const std::string signed_at = format_utc(ctx_.clock.now());
  const std::string message = fmt::format("tokumei-ledger-export\n{}\n{}\n{}\n{}\n{}", sha,
                                          list.size(), from, to, signed_at);
  const json signature = {{"sha256", sha},
                          {"rows", list.size()},
                          {"from", from},
                          {"to", to},
                          {"signed_at", signed_at},
                          {"chain_intact", !check.first_bad.has_value()},
                          {"public_key", hex_encode(key.public_key())},
                          {"signature", hex_encode(key.sign(as_bytes(message)))}};
  out.signature = signature.dump(2) + "\n";
  out.html = fmt::format(
      "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>提供記録帳簿 {} 〜 "
      "{}</title>\n<style>body{{font-family:sans-serif;font-size:10pt}}table{{border-collapse:"
      "collapse}}td,th{{border:1px solid #444;padding:2px 4px;vertical-align:top}}@page{{size:A4 "
      "landscape}}</style></head><body>\n<h1>提供記録帳簿 (法第13条)</h1>\n<p>期間: {} 〜 {} / "
      "記載 {} 件 / 帳簿の連鎖: {} / CSV の SHA-256: {}</p>\n<table><thead><tr><th>番号</th><th>"
      "種別</th><th>提供日</th><th>提供先</th><th>データセット</th><th>内容</th><th>情報の種類</"
      "th><th>承認</th><th>契約</th><th>提供方法</th><th>確認者</th><th>再提供先</th><th>訂正対象"
      "</th><th>記入者</th><th>訂正確認者</th><th>記録日時</th><th>ハッシュ</th></tr></thead>\n<"
      "tbody>\n{}</tbody></table>\n</body></html>\n",
      html_escape(from), html_escape(to), html_escape(from), html_escape(to), list.size(),
      check.first_bad ? fmt::format("記載 {} で不整合", *check.first_bad) : "正常", sha, rows_html);
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "ledger.export",
                                  fmt::format("ledger:{}..{}", from, to),
                                  {{"rows", list.size()}, {"sha256", sha}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return out;
}

Status verify_ledger_export(const std::string& csv, const std::string& signature,
                            const std::vector<Bytes>& trusted_keys) {
  const json j = json::parse(signature, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sha256") || !j.contains("signature")) {
    return fail(Errc::integrity, {"署名ファイルを読めません", "the signature file is unreadable"});
  }
  const std::string sha = hex_encode(crypto::sha256(as_bytes(csv)));
  if (sha != j.value("sha256", "")) {
    return fail(Errc::integrity, {"CSV のハッシュが署名ファイルと一致しません",
                                  "the CSV does not match the signature file's hash"});
  }
  const std::string message =
      fmt::format("tokumei-ledger-export\n{}\n{}\n{}\n{}\n{}", sha, j.value("rows", 0),
                  j.value("from", ""), j.value("to", ""), j.value("signed_at", ""));
  auto sig = hex_decode(j.value("signature", ""));
  if (sig) {
    for (const auto& key : trusted_keys) {
      if (crypto::ed25519_verify(key, as_bytes(message), *sig)) return {};
    }
  }
  return fail(Errc::integrity, {"署名がこの事業者の帳簿署名鍵のものではありません",
                                "the signature is not by this operator's ledger-signing key"});
}

}  // namespace tokumei::release
