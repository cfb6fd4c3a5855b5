#include "tokumei/release/contracts.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tokumei/identity/japanese.h"
#include "tokumei/release/detail/common.h"
#include "tokumei/release/ledger.h"

namespace tokumei::release {
namespace {

using nlohmann::json;

constexpr const char* kColumns =
    "id, kind, party, request_id, title, signed_on, valid_until, document_sha256, state, "
    "closed_on, closure, created_by";

}  // namespace

std::string_view contract_kind_name(ContractKind kind) {
  return kind == ContractKind::inbound ? "inbound" : "outbound";
}

Result<ContractKind> parse_contract_kind(std::string_view name) {
  if (name == "inbound") return ContractKind::inbound;
  if (name == "outbound") return ContractKind::outbound;
  return fail(Errc::invalid_input,
              {"契約の種類は inbound (医療機関) か outbound (利用者) です",
               "a contract is inbound (institution) or outbound (recipient)"},
              Location{.field = "kind"});
}

const std::vector<Clause>& clauses(ContractKind kind) {
  static const std::vector<Clause> inbound = {
      {"safety_assurance",
       {"医療機関が安全管理を適切に行えることの確認",
        "the institution can manage safety properly"}},
      {"no_exclusive_terms", {"排他的・恣意的な条件がないこと", "no exclusive or arbitrary terms"}},
      {"notification_confirmed",
       {"通知書面と通知の方法の確認", "the notification document and method confirmed"}},
  };
  static const std::vector<Clause> outbound = {
      {"data_type", {"提供する情報の種類 (匿名加工・仮名加工) の明示", "the type of data stated"}},
      {"purpose_form_scope", {"利用目的・利用形態・利用範囲", "purpose, form and scope of use"}},
      {"safety_measures",
       {"加工の程度に応じた安全管理措置", "safety measures suited to the degree of processing"}},
      {"verification_rights",
       {"遵守状況の確認と監督の権利", "the operator's right to verify and supervise"}},
      {"onward_permission",
       {"第三者提供は事前の許可と契約を要すること",
        "onward provision only with prior permission and a contract"}},
      {"sanctions",
       {"違反時の制裁 (利用停止・公表等)", "sanctions for violations (stop of use, publication)"}},
      {"money_benefits", {"金銭その他の利益の取扱い", "handling of money and benefits"}},
  };
  return kind == ContractKind::inbound ? inbound : outbound;
}

Result<Contract> Contracts::create(const audit::Actor& by, Contract c) {
  Registry registry(ctx_);
  if (c.kind == ContractKind::inbound) {
    TKM_RETURN_IF_ERROR(registry.institution(c.party));
    c.request_id.reset();
  } else {
    TKM_RETURN_IF_ERROR(registry.recipient(c.party));
    if (!c.request_id) return detail::required("request", "対象の利用申請", "the request covered");
    auto q =
        ctx_.db.query_one("SELECT recipient FROM release_requests WHERE id = ?", {*c.request_id});
    if (!q) {
      return fail(Errc::not_found,
                  {fmt::format("利用申請 {} はありません", *c.request_id),
                   fmt::format("no request {}", *c.request_id)},
                  Location{.field = "request"});
    }
    if (q->text(0) != c.party) {
      return fail(Errc::invalid_input,
                  {fmt::format("利用申請 {} の利用者は {} です", *c.request_id, q->text(0)),
                   fmt::format("request {} is from {}", *c.request_id, q->text(0))},
                  Location{.field = "party"});
    }
  }
  if (c.title.empty()) return detail::required("title", "契約名", "title");
  if (c.document_sha256.size() != 64) {
    return detail::required("document_sha256", "契約書のハッシュ", "the contract document's hash");
  }
  TKM_ASSIGN_OR_RETURN(c.signed_on, detail::day_of(c.signed_on, "signed_on"));
  TKM_ASSIGN_OR_RETURN(c.valid_until, detail::day_of(c.valid_until, "valid_until"));
  if (c.valid_until < c.signed_on) {
    return fail(Errc::invalid_input, {"有効期限が締結日より前です", "ends before it is signed"},
                Location{.field = "valid_until"});
  }
  c.state = "draft";
  c.created_by = by.user;
  store::Value request = nullptr;
  if (c.request_id) request = *c.request_id;
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(
      auto id, ctx_.db.insert(
                   "INSERT INTO release_contracts (kind, party, request_id, title, "
                   "signed_on, valid_until, document_sha256, state, created_by, at_ms) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?)",
                   {std::string(contract_kind_name(c.kind)), c.party, request, c.title, c.signed_on,
                    c.valid_until, c.document_sha256, by.user, to_unix_ms(ctx_.clock.now())}));
  c.id = id.value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "contract.create",
                                  fmt::format("contract:{}", c.id),
                                  {{"kind", contract_kind_name(c.kind)},
                                   {"party", c.party},
                                   {"request", c.request_id ? json(*c.request_id) : json(nullptr)},
                                   {"valid_until", c.valid_until},
                                   {"document_sha256", c.document_sha256}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return c;
}

Result<Contract> Contracts::get(std::int64_t id) {
  auto row = ctx_.db.query_one(
      fmt::format("SELECT {} FROM release_contracts WHERE id = ?", kColumns), {id});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return fail(Errc::not_found,
                {fmt::format("契約 {} はありません", id), fmt::format("no contract {}", id)});
  }
  Contract c{.id = row->integer(0),
             .kind = *parse_contract_kind(row->text(1)),
             .party = row->text(2),
             .request_id = row->optional_integer(3),
             .title = row->text(4),
             .signed_on = row->text(5),
             .valid_until = row->text(6),
             .document_sha256 = row->text(7),
             .state = row->text(8),
             .closed_on = row->is_null(9) ? "" : row->text(9),
             .closure = row->is_null(10) ? "" : row->text(10),
             .created_by = row->text(11)};
  TKM_ASSIGN_OR_RETURN(store::Rows ticked,
                       ctx_.db.query("SELECT clause FROM release_contract_clauses WHERE "
                                     "contract_id = ? ORDER BY clause",
                                     {id}));
  for (const auto& t : ticked) c.ticked.push_back(t.text(0));
  return c;
}

Result<std::vector<Contract>> Contracts::list() {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id FROM release_contracts ORDER BY id"));
  std::vector<Contract> out;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(auto c, get(r.integer(0)));
    out.push_back(std::move(c));
  }
  return out;
}

Status Contracts::tick(const audit::Actor& by, std::int64_t id, const std::string& clause,
                       const std::string& reference) {
  TKM_ASSIGN_OR_RETURN(Contract c, get(id));
  const auto& list = clauses(c.kind);
  if (std::none_of(list.begin(), list.end(), [&](const Clause& x) { return x.id == clause; })) {
    std::string names;
    for (const auto& x : list) names += (names.empty() ? "" : ", ") + x.id;
    return fail(Errc::invalid_input,
                {fmt::format("この契約の条項は {} です: {}", names, clause),
                 fmt::format("this contract's clauses are {}: {}", names, clause)},
                Location{.field = "clause"});
  }
  if (reference.empty()) return detail::required("reference", "契約書の条項番号", "article");
  if (c.state != "draft") {
    return fail(Errc::conflict, {fmt::format("契約 {} は締結後です", id),
                                 fmt::format("contract {} is no longer a draft", id)});
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  auto inserted = ctx_.db.execute(
      "INSERT INTO release_contract_clauses (contract_id, clause, reference, ticked_by, at_ms) "
      "VALUES (?, ?, ?, ?, ?)",
      {id, clause, reference, by.user, to_unix_ms(ctx_.clock.now())});
  if (!inserted) {
    if (inserted.error().code() == Errc::already_exists) return {};
    return std::unexpected(inserted.error());
  }
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "contract.clause",
                                  fmt::format("contract:{}", id),
                                  {{"clause", clause}, {"reference", reference}}));
  return tx.commit();
}

namespace {

// The clauses of `c` not ticked, as one line for people.
std::optional<Text> open_clauses(const Contract& c) {
  std::string ja, en;
  for (const auto& clause : clauses(c.kind)) {
    if (std::find(c.ticked.begin(), c.ticked.end(), clause.id) == c.ticked.end()) {
      ja += (ja.empty() ? "" : "、") + clause.label.ja + " (" + clause.id + ")";
      en += (en.empty() ? "" : ", ") + clause.label.en + " (" + clause.id + ")";
    }
  }
  if (ja.empty()) return std::nullopt;
  return Text{ja, en};
}

const char* rule_of(ContractKind kind) {
  return kind == ContractKind::inbound ? "CONTRACT-01" : "CONTRACT-02";
}

}  // namespace

Status Contracts::activate(const audit::Actor& by, std::int64_t id) {
  TKM_ASSIGN_OR_RETURN(Contract c, get(id));
  if (c.state != "draft") {
    return fail(Errc::conflict, {fmt::format("契約 {} は {} です", id, c.state),
                                 fmt::format("contract {} is {}", id, c.state)});
  }
  if (auto open = open_clauses(c)) {
    return detail::refused(rule_of(c.kind), "確認されていない条項があります: " + open->ja,
                           "clauses not ticked: " + open->en);
  }
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "UPDATE release_contracts SET state = 'active', activated_by = ? WHERE id = ?",
      {by.user, id}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "contract.activate",
                                  fmt::format("contract:{}", id), {{"party", c.party}}));
  return tx.commit();
}

Status Contracts::close(const audit::Actor& by, std::int64_t id, const std::string& closure,
                        const std::string& evidence_sha256) {
  TKM_ASSIGN_OR_RETURN(Contract c, get(id));
  if (c.state != "active") {
    return fail(Errc::conflict, {fmt::format("契約 {} は有効ではありません ({})", id, c.state),
                                 fmt::format("contract {} is not active ({})", id, c.state)});
  }
  if (closure.empty() || evidence_sha256.size() != 64) {
    return detail::refused("CONTRACT-05",
                           "契約の終了にはデータの返却・消去の記録と証明書が必要です",
                           "closing needs the record of the data's return or erasure and its "
                           "certificate");
  }
  const std::string today = japanese_day(ctx_.clock.now());
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "UPDATE release_contracts SET state = 'closed', closed_on = ?, closure = ? WHERE id = ?",
      {today, closure + " (sha256 " + evidence_sha256 + ")", id}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "contract.close",
                                  fmt::format("contract:{}", id),
                                  {{"evidence_sha256", evidence_sha256}}));
  return tx.commit();
}

Result<std::vector<Contract>> Contracts::expiring(const std::string& day, int days) {
  TKM_ASSIGN_OR_RETURN(auto all, list());
  std::vector<Contract> out;
  // The last day still warned about: `day` plus `days`.
  std::chrono::year_month_day ymd{
      std::chrono::year{std::stoi(day.substr(0, 4))},
      std::chrono::month{static_cast<unsigned>(std::stoi(day.substr(5, 2)))},
      std::chrono::day{static_cast<unsigned>(std::stoi(day.substr(8, 2)))}};
  const auto horizon =
      std::chrono::year_month_day{std::chrono::sys_days{ymd} + std::chrono::days(days)};
  const std::string until =
      fmt::format("{:04}-{:02}-{:02}", static_cast<int>(horizon.year()),
                  static_cast<unsigned>(horizon.month()), static_cast<unsigned>(horizon.day()));
  for (auto& c : all) {
    if (c.state == "active" && c.valid_until <= until) out.push_back(std::move(c));
  }
  return out;
}

Result<Contract> Contracts::check_release_contract(std::int64_t request_id,
                                                   const std::string& recipient,
                                                   const std::string& day) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id FROM release_contracts WHERE kind = 'outbound' AND "
                                     "request_id = ? AND party = ? ORDER BY id DESC",
                                     {request_id, recipient}));
  if (rows.empty()) {
    return detail::refused(
        "CONTRACT-02",
        fmt::format("利用申請 {} について {} との契約がありません", request_id, recipient),
        fmt::format("no contract with {} covers request {}", recipient, request_id));
  }
  std::optional<Error> first;
  for (const auto& r : rows) {
    TKM_ASSIGN_OR_RETURN(Contract c, get(r.integer(0)));
    std::optional<Error> problem;
    if (auto open = open_clauses(c)) {
      problem = detail::refused("CONTRACT-02", "確認されていない条項があります: " + open->ja,
                                "clauses not ticked: " + open->en)
                    .error();
    } else if (c.state != "active") {
      problem = detail::refused("CONTRACT-02",
                                fmt::format("契約 {} は有効ではありません ({})", c.id, c.state),
                                fmt::format("contract {} is not active ({})", c.id, c.state))
                    .error();
    } else if (c.valid_until < day) {
      problem =
          detail::refused("CONTRACT-02",
                          fmt::format("契約 {} は {} に期限が切れています", c.id, c.valid_until),
                          fmt::format("contract {} ended on {}", c.id, c.valid_until))
              .error();
    }
    if (!problem) return c;
    if (!first) first = problem;
  }
  return std::unexpected(*first);
}

Result<bool> Contracts::institution_contract_active(const std::string& institution,
                                                    const std::string& day) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id FROM release_contracts WHERE kind = 'inbound' AND "
                                     "party = ? AND state = 'active' AND valid_until >= ?",
                                     {institution, day}));
  return !rows.empty();
}

Result<OnwardPermission> Contracts::decide_onward(const audit::Actor& by, OnwardPermission p,
                                                  Ledger& ledger) {
  TKM_ASSIGN_OR_RETURN(Contract c, get(p.contract_id));
  if (c.kind != ContractKind::outbound) {
    return fail(Errc::invalid_input,
                {"第三者提供は利用者との契約についてのみです",
                 "onward provision concerns recipients' contracts only"},
                Location{.field = "contract"});
  }
  if (p.party.empty()) return detail::required("party", "再提供先", "onward recipient");
  if (p.reason.empty()) return detail::required("reason", "判断の理由", "reason");
  const std::string today = japanese_day(ctx_.clock.now());
  if (p.permitted) {
    if (p.purpose.empty()) return detail::required("purpose", "利用目的・形態", "purpose and form");
    if (p.scope.empty()) return detail::required("scope", "利用範囲", "scope");
    if (p.contract_ref.empty()) {
      return detail::refused("PROVISION-07", "再提供先との契約の記録が必要です",
                             "a contract with the onward recipient is required");
    }
    if (c.state != "active" || c.valid_until < today) {
      return detail::refused("PROVISION-07",
                             fmt::format("契約 {} が有効でないため許可できません", c.id),
                             fmt::format("contract {} is not in force", c.id));
    }
    Registry registry(ctx_);
    TKM_ASSIGN_OR_RETURN(Recipient r, registry.recipient(c.party));
    if (r.suspended) {
      return detail::refused("PROVISION-08", c.party + " は利用停止中のため許可できません",
                             c.party + " is suspended");
    }
  }
  p.decided_by = by.user;
  p.decided_on = today;
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(
      auto id, ctx_.db.insert("INSERT INTO release_onward (contract_id, party, purpose, scope, "
                              "contract_ref, permitted, reason, decided_by, decided_on, at_ms) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              {p.contract_id, p.party, p.purpose, p.scope, p.contract_ref,
                               static_cast<std::int64_t>(p.permitted), p.reason, by.user, today,
                               to_unix_ms(ctx_.clock.now())}));
  p.id = id.value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(
      ctx_.audit, tx, by, p.permitted ? "contract.onward.permit" : "contract.onward.refuse",
      fmt::format("contract:{}", p.contract_id), {{"permission", p.id}, {"party", p.party}}));
  if (p.permitted) {
    // LEDGER-02: every dataset provided under the contract now has this holder too.
    TKM_ASSIGN_OR_RETURN(auto provided, ledger.entries());
    for (const auto& e : provided) {
      if (e.kind != "provision" || e.contract != std::to_string(p.contract_id)) continue;
      TKM_ASSIGN_OR_RETURN(
          auto entry, ledger.append(tx, by,
                                    {.kind = "onward",
                                     .day = today,
                                     .recipient = c.party,
                                     .dataset = e.dataset,
                                     .contents = p.purpose + " / " + p.scope,
                                     .data_kind = e.data_kind,
                                     .approval = e.approval,
                                     .contract = e.contract,
                                     .delivery = e.delivery,
                                     .checkers = {},
                                     .onward = fmt::format("{} (許可 {}, 契約 {})", p.party, p.id,
                                                           p.contract_ref)}));
      p.ledger_seq = entry.seq;
    }
    if (p.ledger_seq == 0) {
      // Permitted before anything was provided: the permission itself is entered.
      TKM_ASSIGN_OR_RETURN(
          auto entry, ledger.append(tx, by,
                                    {.kind = "onward",
                                     .day = today,
                                     .recipient = c.party,
                                     .dataset = "",
                                     .contents = p.purpose + " / " + p.scope,
                                     .data_kind = "",
                                     .approval = "",
                                     .contract = std::to_string(p.contract_id),
                                     .delivery = "",
                                     .checkers = {},
                                     .onward = fmt::format("{} (許可 {}, 契約 {})", p.party, p.id,
                                                           p.contract_ref)}));
      p.ledger_seq = entry.seq;
    }
  }
  TKM_RETURN_IF_ERROR(tx.commit());
  return p;
}

Result<std::vector<OnwardPermission>> Contracts::onward(std::int64_t contract_id) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id, contract_id, party, purpose, scope, "
                                     "contract_ref, permitted, reason, decided_by, decided_on "
                                     "FROM release_onward WHERE contract_id = ? ORDER BY id",
                                     {contract_id}));
  std::vector<OnwardPermission> out;
  for (const auto& r : rows) {
    out.push_back({.id = r.integer(0),
                   .contract_id = r.integer(1),
                   .party = r.text(2),
                   .purpose = r.text(3),
                   .scope = r.text(4),
                   .contract_ref = r.text(5),
                   .permitted = r.integer(6) != 0,
                   .reason = r.text(7),
                   .decided_by = r.text(8),
                   .decided_on = r.text(9)});
  }
  return out;
}

Status Contracts::check_onward(std::int64_t contract_id, const std::string& party) {
  TKM_ASSIGN_OR_RETURN(auto all, onward(contract_id));
  // The latest decision about the party counts.
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->party != party) continue;
    if (it->permitted) return {};
    break;
  }
  return detail::refused("PROVISION-07",
                         fmt::format("{} への第三者提供は許可されていません", party),
                         fmt::format("onward provision to {} is not permitted", party));
}

}  // namespace tokumei::release
