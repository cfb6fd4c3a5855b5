#include "tokumei/release/committee.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tokumei/crypto/hash.h"
#include "tokumei/identity/japanese.h"
#include "tokumei/release/detail/common.h"

namespace tokumei::release {
namespace {

using nlohmann::json;

constexpr std::array<const char*, 3> kCategories = {"natural_science", "humanities", "general"};
constexpr std::array<const char*, 4> kCriteria = {"ⅰ", "ⅱ", "ⅲ", "ⅳ"};

json member_json(const Member& m) {
  return {{"name", m.name},         {"account", m.account},
          {"sex", m.sex},           {"categories", m.categories},
          {"external", m.external}, {"term_from", m.term_from},
          {"term_to", m.term_to},   {"expedited", m.expedited}};
}

Member member_of(const json& j) {
  return {.name = j.at("name"),
          .account = j.at("account"),
          .sex = j.at("sex"),
          .categories = j.at("categories").get<std::vector<std::string>>(),
          .external = j.at("external"),
          .term_from = j.at("term_from"),
          .term_to = j.at("term_to"),
          .expedited = j.at("expedited")};
}

// The members whose term covers `day`.
std::vector<Member> serving(const std::vector<Member>& members, const std::string& day) {
  std::vector<Member> out;
  for (const auto& m : members) {
    if (m.term_from <= day && day <= m.term_to) out.push_back(m);
  }
  return out;
}

Request request_of(const store::Row& r) {
  Request q{.id = r.integer(0),
            .recipient = r.text(1),
            .application_type = r.text(3),
            .title = r.text(4),
            .purpose = r.text(5),
            .research_content = r.text(6),
            .publication_plan = r.text(7),
            .benefits = r.text(8),
            .data_requested = r.text(9),
            .safety_measures = r.text(10),
            .withdrawn = r.integer(12) != 0,
            .research_end_on = r.is_null(13) ? "" : r.text(13),
            .submitted_by = r.text(14),
            .submitted_at = from_unix_ms(r.integer(15))};
  auto spec = parse_cohort_spec(r.text(11));
  if (spec) q.spec = *spec;
  q.spec_hash = r.text(16);
  q.spec_readable = spec.has_value();
  return q;
}

constexpr const char* kRequestColumns =
    "id, recipient, kind, application_type, title, purpose, research_content, publication_plan, "
    "benefits, data_requested, safety_measures, spec, withdrawn, research_end_on, submitted_by, "
    "at_ms, spec_hash";

json judgments_json(const Decision& d) {
  json out = json::object();
  for (std::size_t i = 0; i < d.judgments.size(); ++i) {
    if (d.judgments[i]) {
      out[kCriteria[i]] = {{"acceptable", d.judgments[i]->acceptable},
                           {"note", d.judgments[i]->note}};
    }
  }
  return out;
}

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::approved:
      return "approved";
    case Outcome::conditional:
      return "conditional";
    case Outcome::rejected:
      return "rejected";
  }
  return "rejected";
}

Result<Outcome> parse_outcome(std::string_view name) {
  for (Outcome o : {Outcome::approved, Outcome::conditional, Outcome::rejected}) {
    if (outcome_name(o) == name) return o;
  }
  return fail(Errc::invalid_input,
              {"結論は approved (承認), conditional (条件付き承認), rejected (不承認) です",
               "an outcome is approved, conditional or rejected"},
              Location{.field = "outcome"});
}

std::vector<Text> roster_problems(const std::vector<Member>& members) {
  std::vector<Text> out;
  auto add = [&](const char* rule, std::string ja, std::string en) {
    out.push_back(
        {fmt::format("REVIEW-01 {}: {}", rule, ja), fmt::format("REVIEW-01 {}: {}", rule, en)});
  };
  if (members.size() < 5) {
    add("(ⅵ)", fmt::format("委員は5名以上必要です ({}名)", members.size()),
        fmt::format("at least 5 members are needed ({})", members.size()));
  }
  std::map<std::string, int> per_category;
  int men = 0, women = 0, outsiders = 0;
  for (const auto& m : members) {
    if (m.sex == "male") ++men;
    if (m.sex == "female") ++women;
    if (m.external) ++outsiders;
    for (const auto& c : m.categories) {
      if (std::find(kCategories.begin(), kCategories.end(), c) == kCategories.end()) {
        add("(ⅰ)-(ⅲ)", fmt::format("{} の区分「{}」はありません", m.name, c),
            fmt::format("{} has an unknown category '{}'", m.name, c));
      }
      ++per_category[c];
    }
    if (m.categories.size() > 1) {
      add("(ⅰ)-(ⅲ)", fmt::format("{} は複数の区分を兼ねています (兼任不可)", m.name),
          fmt::format("{} is counted in more than one category, which the rule forbids", m.name));
    }
  }
  const std::array<std::pair<const char*, std::pair<const char*, const char*>>, 3> needed = {{
      {"(ⅰ)", {"自然科学の有識者 (医学・医療の専門家等)", "a natural-science expert"}},
      {"(ⅱ)", {"人文・社会科学の有識者 (倫理学・法律学の専門家等)", "an ethics or law expert"}},
      {"(ⅲ)", {"一般の立場から意見を述べる者", "a lay person"}},
  }};
  for (std::size_t i = 0; i < needed.size(); ++i) {
    bool single = false;
    for (const auto& m : members)
      single = single || (m.categories.size() == 1 && m.categories[0] == kCategories[i]);
    if (!single) {
      add(needed[i].first, fmt::format("{}が含まれていません", needed[i].second.first),
          fmt::format("no {}", needed[i].second.second));
    }
  }
  if (outsiders < 2) {
    add("(ⅳ)", fmt::format("事業者に所属しない委員が複数必要です ({}名)", outsiders),
        fmt::format("at least 2 members from outside the operator are needed ({})", outsiders));
  }
  if (men == 0 || women == 0) {
    add("(ⅴ)", "男女両性で構成されていません", "both sexes are not represented");
  }
  return out;
}

Result<Request> parse_request(std::string_view text, const std::string& file) {
  std::map<std::string, int> lines;
  TKM_ASSIGN_OR_RETURN(json doc, detail::read_document(text, file, lines));
  auto bad = [&](const std::string& key, const std::string& ja, const std::string& en) {
    const auto line = lines.find(key);
    return fail(
        Errc::invalid_input, {key + ": " + ja, key + ": " + en},
        Location{.file = file, .line = line == lines.end() ? 0 : line->second, .field = key});
  };
  Request q;
  const std::vector<std::pair<const char*, std::string*>> fields = {
      {"recipient", &q.recipient},
      {"application_type", &q.application_type},
      {"title", &q.title},
      {"purpose", &q.purpose},
      {"research_content", &q.research_content},
      {"publication_plan", &q.publication_plan},
      {"benefits", &q.benefits},
      {"data_requested", &q.data_requested},
      {"safety_measures", &q.safety_measures}};
  for (const auto& [key, value] : doc.items()) {
    if (key == "spec") continue;
    const auto it =
        std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return key == f.first; });
    if (it == fields.end()) return bad(key, "知らない項目です", "unknown key");
    if (!value.is_string()) return bad(key, "文字列が必要です", "must be text");
    *it->second = value.get<std::string>();
  }
  for (const auto& [key, value] : fields) {
    if (value->empty()) return bad(key, "記入してください (REVIEW-02)", "is required (REVIEW-02)");
  }
  if (!doc.contains("spec") || !doc["spec"].is_object()) {
    return bad("spec", "求める情報の仕様 [spec] が必要です",
               "the cohort specification [spec] is required");
  }
  auto spec = parse_cohort_spec(doc["spec"].dump(), file);
  if (!spec) {
    Location where = spec.error().where();
    where.field = "spec." + where.field;
    where.line = lines.contains("spec") ? lines["spec"] : 0;
    return fail(Error(spec.error().code(), spec.error().text(), where));
  }
  q.spec = *spec;
  return q;
}

Result<std::vector<Member>> parse_roster(std::string_view text, const std::string& file) {
  std::map<std::string, int> lines;
  TKM_ASSIGN_OR_RETURN(json doc, detail::read_document(text, file, lines));
  if (!doc.contains("member") || !doc["member"].is_array()) {
    return fail(Errc::invalid_input, {"[[member]] がありません", "no [[member]] tables"},
                Location{.file = file, .field = "member"});
  }
  std::vector<Member> out;
  for (std::size_t i = 0; i < doc["member"].size(); ++i) {
    const json& m = doc["member"][i];
    const std::string at = fmt::format("member[{}]", i);
    auto bad = [&](const std::string& key, const std::string& ja, const std::string& en) {
      return fail(Errc::invalid_input, {at + "." + key + ": " + ja, at + "." + key + ": " + en},
                  Location{.file = file, .field = at + "." + key});
    };
    Member x;
    for (const auto& [key, value] : m.items()) {
      if (key == "name" || key == "account" || key == "sex" || key == "term_from" ||
          key == "term_to") {
        if (!value.is_string()) return bad(key, "文字列が必要です", "must be text");
      } else if (key == "external" || key == "expedited") {
        if (!value.is_boolean()) return bad(key, "true か false です", "must be true or false");
      } else if (key == "category") {
        if (!value.is_string() && !value.is_array()) {
          return bad(key, "区分名かその配列です", "a category or a list of them");
        }
      } else {
        return bad(key, "知らない項目です", "unknown key");
      }
    }
    x.name = m.value("name", "");
    x.account = m.value("account", "");
    x.sex = m.value("sex", "");
    x.term_from = m.value("term_from", "");
    x.term_to = m.value("term_to", "");
    x.external = m.value("external", false);
    x.expedited = m.value("expedited", false);
    if (m.contains("category")) {
      if (m["category"].is_string()) {
        x.categories = {m["category"].get<std::string>()};
      } else {
        for (const auto& c : m["category"]) {
          if (!c.is_string()) return bad("category", "区分名の配列です", "a list of categories");
          x.categories.push_back(c.get<std::string>());
        }
      }
    }
    out.push_back(std::move(x));
  }
  return out;
}

// ----- requests -----

Result<Request> Committee::submit(const audit::Actor& by, Request q) {
  TKM_RETURN_IF_ERROR(check_party_id(q.recipient, "recipient"));
  const std::array<std::tuple<const std::string*, const char*, const char*, const char*>, 8>
      fields = {{
          {&q.application_type, "application_type", "申請の種類", "application type"},
          {&q.title, "title", "研究課題名", "title"},
          {&q.purpose, "purpose", "利用目的", "purpose"},
          {&q.research_content, "research_content", "研究内容", "research content"},
          {&q.publication_plan, "publication_plan", "結果の公表方法", "how results are published"},
          {&q.benefits, "benefits", "金銭その他の利益の取扱い", "handling of money and benefits"},
          {&q.data_requested, "data_requested", "求める情報", "data requested"},
          {&q.safety_measures, "safety_measures", "利用者の安全管理措置",
           "recipient's safety measures"},
      }};
  for (const auto& [value, field, ja, en] : fields) {
    if (value->find_first_not_of(" \t\r\n　") == std::string::npos) {
      return detail::required(field, ja, en);
    }
  }
  Registry registry(ctx_);
  TKM_RETURN_IF_ERROR(registry.recipient(q.recipient));
  const std::string spec = q.spec.canonical();
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  q.submitted_by = by.user;
  q.submitted_at = ctx_.clock.now();
  q.spec_hash = q.spec.hash();
  TKM_ASSIGN_OR_RETURN(
      auto id,
      ctx_.db.insert(
          "INSERT INTO release_requests (recipient, kind, application_type, title, "
          "purpose, research_content, publication_plan, benefits, data_requested, "
          "safety_measures, spec, spec_hash, submitted_by, at_ms) VALUES (?, ?, ?, ?, "
          "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {q.recipient, std::string(dataset_kind_name(q.spec.kind)), q.application_type, q.title,
           q.purpose, q.research_content, q.publication_plan, q.benefits, q.data_requested,
           q.safety_measures, spec, q.spec.hash(), by.user, to_unix_ms(q.submitted_at)}));
  q.id = id.value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "request.submit",
                                  fmt::format("request:{}", q.id),
                                  {{"recipient", q.recipient},
                                   {"kind", dataset_kind_name(q.spec.kind)},
                                   {"application_type", q.application_type},
                                   {"spec_hash", q.spec.hash()}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return q;
}

Result<Request> Committee::request(std::int64_t id) {
  auto row = ctx_.db.query_one(
      fmt::format("SELECT {} FROM release_requests WHERE id = ?", kRequestColumns), {id});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return fail(Errc::not_found,
                {fmt::format("利用申請 {} はありません", id), fmt::format("no request {}", id)});
  }
  return request_of(*row);
}

Result<std::vector<Request>> Committee::requests() {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      ctx_.db.query(fmt::format("SELECT {} FROM release_requests ORDER BY id", kRequestColumns)));
  std::vector<Request> out;
  for (const auto& r : rows) out.push_back(request_of(r));
  return out;
}

Status Committee::withdraw(const audit::Actor& by, std::int64_t id) {
  TKM_RETURN_IF_ERROR(request(id));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(
      ctx_.db.execute("UPDATE release_requests SET withdrawn = 1 WHERE id = ?", {id}));
  TKM_RETURN_IF_ERROR(
      detail::log(ctx_.audit, tx, by, "request.withdraw", fmt::format("request:{}", id), {}));
  return tx.commit();
}

Status Committee::report_research_end(const audit::Actor& by, std::int64_t id,
                                      const std::string& day) {
  TKM_ASSIGN_OR_RETURN(Request q, request(id));
  if (!q.research_end_on.empty()) {
    return fail(Errc::already_exists, {fmt::format("利用申請 {} の研究終了報告は記録済みです", id),
                                       fmt::format("request {} already has its end report", id)});
  }
  TKM_ASSIGN_OR_RETURN(std::string d, detail::day_of(day, "day"));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "UPDATE release_requests SET research_end_on = ?, research_end_by = ? WHERE id = ?",
      {d, by.user, id}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "request.research_end",
                                  fmt::format("request:{}", id), {{"day", d}}));
  return tx.commit();
}

Result<Material> Committee::add_material(const audit::Actor& by, std::int64_t request_id,
                                         const std::string& name, const std::string& content) {
  TKM_RETURN_IF_ERROR(request(request_id));
  if (name.empty()) return detail::required("name", "資料名", "name");
  TKM_RETURN_IF_ERROR(ctx_.keys.ensure_key(kMaterialsKey));
  Material m{.request_id = request_id,
             .name = name,
             .sha256 = hex_encode(crypto::sha256(as_bytes(content))),
             .added_by = by.user};
  const std::string aad = fmt::format("request:{}", request_id);
  TKM_ASSIGN_OR_RETURN(Bytes sealed,
                       ctx_.keys.seal(kMaterialsKey, as_bytes(aad), as_bytes(content)));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(auto id, ctx_.db.insert("INSERT INTO release_materials (request_id, name, "
                                               "sha256, sealed, added_by, at_ms) VALUES (?, ?, "
                                               "?, ?, ?, ?)",
                                               {request_id, name, m.sha256, sealed, by.user,
                                                to_unix_ms(ctx_.clock.now())}));
  m.id = id.value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "request.material.add",
                                  fmt::format("request:{}", request_id),
                                  {{"material", m.id}, {"sha256", m.sha256}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return m;
}

Result<std::string> Committee::read_material(std::int64_t material_id) {
  auto row = ctx_.db.query_one(
      "SELECT request_id, sealed, deleted_ms FROM release_materials WHERE id = ?", {material_id});
  if (!row) {
    return fail(Errc::not_found, {fmt::format("資料 {} はありません", material_id),
                                  fmt::format("no material {}", material_id)});
  }
  if (!row->is_null(2)) {
    return fail(Errc::not_found, {fmt::format("資料 {} は削除されています", material_id),
                                  fmt::format("material {} was deleted", material_id)});
  }
  const std::string aad = fmt::format("request:{}", row->integer(0));
  TKM_ASSIGN_OR_RETURN(Bytes plain, ctx_.keys.open(kMaterialsKey, as_bytes(aad), row->blob(1)));
  return std::string(plain.begin(), plain.end());
}

Status Committee::delete_material(const audit::Actor& by, std::int64_t material_id) {
  auto row = ctx_.db.query_one(
      "SELECT m.request_id, r.research_end_on, m.deleted_ms FROM release_materials m JOIN "
      "release_requests r ON r.id = m.request_id WHERE m.id = ?",
      {material_id});
  if (!row) {
    return fail(Errc::not_found, {fmt::format("資料 {} はありません", material_id),
                                  fmt::format("no material {}", material_id)});
  }
  if (row->is_null(1)) {
    return detail::refused("REVIEW-07",
                           fmt::format("利用申請 {} の研究終了報告が記録されるまで審査資料は"
                                       "削除できません",
                                       row->integer(0)),
                           fmt::format("review materials are kept until request {}'s "
                                       "research-end report is recorded",
                                       row->integer(0)));
  }
  if (!row->is_null(2)) return {};
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "UPDATE release_materials SET sealed = x'', deleted_by = ?, deleted_ms = ? WHERE id = ?",
      {by.user, to_unix_ms(ctx_.clock.now()), material_id}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "request.material.delete",
                                  fmt::format("request:{}", row->integer(0)),
                                  {{"material", material_id}}));
  return tx.commit();
}

Result<std::vector<Material>> Committee::materials(std::int64_t request_id) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT id, request_id, name, sha256, added_by, deleted_ms "
                                     "FROM release_materials WHERE request_id = ? ORDER BY id",
                                     {request_id}));
  std::vector<Material> out;
  for (const auto& r : rows) {
    out.push_back({.id = r.integer(0),
                   .request_id = r.integer(1),
                   .name = r.text(2),
                   .sha256 = r.text(3),
                   .added_by = r.text(4),
                   .deleted = !r.is_null(5)});
  }
  return out;
}

// ----- roster, rules, meetings -----

Result<Roster> Committee::save_roster(const audit::Actor& by, const std::string& effective_from,
                                      const std::vector<Member>& members_in) {
  TKM_ASSIGN_OR_RETURN(std::string from, detail::day_of(effective_from, "effective_from"));
  std::vector<Member> members = members_in;
  std::set<std::string> names;
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto& m = members[i];
    const std::string at = fmt::format("member[{}]", i);
    if (m.name.empty()) return detail::required(at + ".name", "氏名", "name");
    if (!names.insert(m.name).second) {
      return fail(
          Errc::invalid_input,
          {"同じ氏名の委員が二人います: " + m.name, "two members have the same name: " + m.name},
          Location{.field = at + ".name"});
    }
    if (m.sex != "male" && m.sex != "female" && m.sex != "other") {
      return fail(Errc::invalid_input,
                  {"性別は male, female, other です", "sex is male, female or other"},
                  Location{.field = at + ".sex"});
    }
    TKM_ASSIGN_OR_RETURN(m.term_from, detail::day_of(m.term_from, "term_from"));
    TKM_ASSIGN_OR_RETURN(m.term_to, detail::day_of(m.term_to, "term_to"));
  }
  const auto problems = roster_problems(serving(members, from));
  if (!problems.empty()) {
    std::string ja, en;
    for (const auto& p : problems) {
      ja += (ja.empty() ? "" : "; ") + p.ja;
      en += (en.empty() ? "" : "; ") + p.en;
    }
    return fail(Errc::policy_violation,
                {"委員名簿は要件を満たしていません: " + ja, "the roster breaks the rules: " + en});
  }
  json list = json::array();
  for (const auto& m : members) list.push_back(member_json(m));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(auto version,
                       ctx_.db.insert("INSERT INTO release_rosters (effective_from, "
                                      "members, recorded_by, at_ms) VALUES (?, ?, "
                                      "?, ?)",
                                      {from, list.dump(), by.user, to_unix_ms(ctx_.clock.now())}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "committee.roster.save",
                                  fmt::format("roster:{}", version.value_or(0)),
                                  {{"effective_from", from}, {"members", members.size()}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return Roster{static_cast<int>(version.value_or(0)), from, members, by.user};
}

Result<Roster> Committee::roster(const std::string& day) {
  auto row = ctx_.db.query_one(
      "SELECT version, effective_from, members, recorded_by FROM release_rosters WHERE "
      "effective_from <= ? ORDER BY effective_from DESC, version DESC LIMIT 1",
      {day});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return fail(Errc::not_found,
                {day + " に有効な委員名簿がありません", "no roster is in effect on " + day});
  }
  Roster r{static_cast<int>(row->integer(0)), row->text(1), {}, row->text(3)};
  for (const auto& m : json::parse(row->text(2))) r.members.push_back(member_of(m));
  return r;
}

Status Committee::add_rules(const audit::Actor& by, const CommitteeRules& rules) {
  if (rules.version.empty()) return detail::required("version", "版", "version");
  if (rules.document_sha256.size() != 64) {
    return detail::required("document_sha256", "規程文書のハッシュ", "the document's hash");
  }
  if (rules.quorum < 0) {
    return fail(Errc::invalid_input, {"定足数は0以上です", "the quorum is not negative"},
                Location{.field = "quorum"});
  }
  TKM_ASSIGN_OR_RETURN(std::string approved, detail::day_of(rules.approved_on, "approved_on"));
  const json types = rules.expedited_types;
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  auto inserted = ctx_.db.execute(
      "INSERT INTO release_committee_rules (version, approved_on, document_sha256, "
      "expedited_types, quorum, recorded_by, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {rules.version, approved, rules.document_sha256, types.dump(),
       static_cast<std::int64_t>(rules.quorum), by.user, to_unix_ms(ctx_.clock.now())});
  if (!inserted) {
    if (inserted.error().code() == Errc::already_exists) {
      return fail(Errc::already_exists,
                  {"規程の版「" + rules.version + "」は登録済みです",
                   "rules version '" + rules.version + "' exists"},
                  Location{.field = "version"});
    }
    return std::unexpected(inserted.error());
  }
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "committee.rules.add",
                                  "committee_rules:" + rules.version,
                                  {{"approved_on", approved},
                                   {"document_sha256", rules.document_sha256},
                                   {"expedited_types", types},
                                   {"quorum", rules.quorum}}));
  return tx.commit();
}

Result<CommitteeRules> Committee::rules(const std::string& day) {
  auto row = ctx_.db.query_one(
      "SELECT version, approved_on, document_sha256, expedited_types, quorum FROM "
      "release_committee_rules WHERE approved_on <= ? ORDER BY approved_on DESC, id DESC LIMIT 1",
      {day});
  if (!row) {
    if (row.error().code() != Errc::not_found) return std::unexpected(row.error());
    return fail(Errc::not_found, {day + " に有効な委員会規程がありません",
                                  "no committee rules are in effect on " + day});
  }
  return CommitteeRules{row->text(0), row->text(1), row->text(2),
                        json::parse(row->text(3)).get<std::vector<std::string>>(),
                        static_cast<int>(row->integer(4))};
}

Result<CommitteeStatus> Committee::status(const std::string& day) {
  CommitteeStatus s;
  auto r = roster(day);
  if (r) {
    s.roster_version = r->version;
    s.problems = roster_problems(serving(r->members, day));
  } else if (r.error().code() == Errc::not_found) {
    s.problems.push_back(r.error().text());
  } else {
    return std::unexpected(r.error());
  }
  auto rules_now = rules(day);
  if (rules_now) {
    s.rules_version = rules_now->version;
  } else if (rules_now.error().code() == Errc::not_found) {
    s.problems.push_back(rules_now.error().text());
  } else {
    return std::unexpected(rules_now.error());
  }
  s.compliant = s.problems.empty();
  TKM_ASSIGN_OR_RETURN(store::Rows last,
                       ctx_.db.query("SELECT at_ms FROM release_publications ORDER BY id DESC "
                                     "LIMIT 1"));
  if (!last.empty()) s.last_publication = japanese_day(from_unix_ms(last[0].integer(0)));
  // Due once a year has passed since the last publication, or since the first rules without one.
  const std::string since = !s.last_publication.empty() ? s.last_publication
                            : rules_now                 ? rules_now->approved_on
                                                        : std::string();
  if (!since.empty()) {
    const std::string year_later =
        fmt::format("{:04}{}", std::stoi(since.substr(0, 4)) + 1, since.substr(4));
    s.publication_due = day > year_later;
  }
  return s;
}

Result<Meeting> Committee::record_meeting(const audit::Actor& by, Meeting m) {
  TKM_ASSIGN_OR_RETURN(m.held_on, detail::day_of(m.held_on, "held_on"));
  if (m.summary.empty()) return detail::required("summary", "議事の概要", "summary of discussion");
  TKM_ASSIGN_OR_RETURN(Roster r, roster(m.held_on));
  const auto members = serving(r.members, m.held_on);
  std::set<std::string> seen;
  for (const auto& name : m.attendees) {
    const auto it = std::find_if(members.begin(), members.end(),
                                 [&](const Member& x) { return x.name == name; });
    if (it == members.end()) {
      return fail(
          Errc::invalid_input,
          {name + " は開催日の委員名簿にありません", name + " is not on the roster that day"},
          Location{.field = "attendees"});
    }
    if (m.expedited && !it->expedited) {
      return detail::refused("REVIEW-04", name + " は迅速審査の委員に指名されていません",
                             name + " is not designated for expedited review");
    }
    if (!seen.insert(name).second) {
      return fail(Errc::invalid_input, {name + " が二度あります", name + " is listed twice"},
                  Location{.field = "attendees"});
    }
  }
  if (m.expedited) {
    if (m.attendees.empty()) {
      return detail::refused("REVIEW-04", "迅速審査には指名された委員が必要です",
                             "expedited review needs a designated member");
    }
  } else {
    TKM_ASSIGN_OR_RETURN(CommitteeRules rules_now, rules(m.held_on));
    const std::size_t quorum =
        rules_now.quorum > 0 ? static_cast<std::size_t>(rules_now.quorum) : members.size() / 2 + 1;
    if (m.attendees.size() < quorum) {
      return detail::refused(
          "REVIEW-03",
          fmt::format("出席 {} 名は定足数 {} 名に足りません", m.attendees.size(), quorum),
          fmt::format("{} attendees do not reach the quorum of {}", m.attendees.size(), quorum));
    }
  }
  m.roster_version = r.version;
  const json attendees = m.attendees;
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_ASSIGN_OR_RETURN(
      auto id, ctx_.db.insert("INSERT INTO release_meetings (held_on, kind, "
                              "roster_version, attendees, summary, recorded_by, "
                              "at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              {m.held_on, m.expedited ? "expedited" : "regular",
                               static_cast<std::int64_t>(r.version), attendees.dump(), m.summary,
                               by.user, to_unix_ms(ctx_.clock.now())}));
  m.id = id.value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "committee.meeting.record",
                                  fmt::format("meeting:{}", m.id),
                                  {{"held_on", m.held_on},
                                   {"kind", m.expedited ? "expedited" : "regular"},
                                   {"attendees", m.attendees.size()}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return m;
}

// ----- decisions -----

Result<Decision> Committee::decide(const audit::Actor& by, Decision d) {
  TKM_ASSIGN_OR_RETURN(Request q, request(d.request_id));
  if (q.withdrawn) {
    return fail(Errc::conflict, {fmt::format("利用申請 {} は取り下げられています", q.id),
                                 fmt::format("request {} was withdrawn", q.id)});
  }
  auto meeting_row = ctx_.db.query_one(
      "SELECT held_on, kind, attendees FROM release_meetings WHERE id = ?", {d.meeting_id});
  if (!meeting_row) {
    return fail(Errc::not_found,
                {fmt::format("会議 {} はありません", d.meeting_id),
                 fmt::format("no meeting {}", d.meeting_id)},
                Location{.field = "meeting"});
  }
  const std::string held_on = meeting_row->text(0);
  if (held_on < japanese_day(q.submitted_at)) {
    return fail(Errc::invalid_input,
                {fmt::format("会議 ({}) は利用申請の受付 ({}) より前です", held_on,
                             japanese_day(q.submitted_at)),
                 fmt::format("the meeting ({}) is before the request was submitted ({})", held_on,
                             japanese_day(q.submitted_at))},
                Location{.field = "meeting"});
  }
  const bool expedited = meeting_row->text(1) == "expedited";
  const auto attendees = json::parse(meeting_row->text(2)).get<std::vector<std::string>>();
  // The committee as it stood that day must be lawful (REVIEW-01).
  TKM_ASSIGN_OR_RETURN(CommitteeStatus st, status(held_on));
  if (!st.compliant) {
    return detail::refused(
        "REVIEW-01",
        "委員会の構成が要件を満たしていないため決定できません: " + st.problems.front().ja,
        "the committee is not lawfully composed: " + st.problems.front().en);
  }
  TKM_ASSIGN_OR_RETURN(Roster r, roster(held_on));
  const auto members = serving(r.members, held_on);
  const auto me = std::find_if(members.begin(), members.end(),
                               [&](const Member& x) { return x.account == by.user; });
  if (me == members.end() ||
      std::find(attendees.begin(), attendees.end(), me->name) == attendees.end()) {
    return fail(Errc::permission_denied,
                {"決定を記録できるのはその会議に出席した委員です",
                 "only a member who attended the meeting records its decision"});
  }
  for (std::size_t i = 0; i < d.judgments.size(); ++i) {
    if (!d.judgments[i]) {
      return fail(Errc::invalid_input,
                  {fmt::format("REVIEW-02: 審査の観点 ({}) の判断がありません", kCriteria[i]),
                   fmt::format("REVIEW-02: criterion ({}) has no judgment", kCriteria[i])},
                  Location{.field = fmt::format("judgment.{}", i + 1)});
    }
  }
  if (d.outcome == Outcome::approved) {
    for (std::size_t i = 0; i < d.judgments.size(); ++i) {
      if (!d.judgments[i]->acceptable) {
        return fail(
            Errc::invalid_input,
            {fmt::format("観点 ({}) が不適と判断されたまま承認はできません", kCriteria[i]),
             fmt::format("cannot approve with criterion ({}) judged unacceptable", kCriteria[i])},
            Location{.field = fmt::format("judgment.{}", i + 1)});
      }
    }
  }
  if (d.outcome == Outcome::conditional && d.conditions.empty()) {
    return detail::required("conditions", "条件", "conditions");
  }
  if (d.outcome != Outcome::rejected) {
    TKM_ASSIGN_OR_RETURN(d.valid_until, detail::day_of(d.valid_until, "valid_until"));
    if (d.valid_until < held_on) {
      return fail(Errc::invalid_input,
                  {"承認の有効期限が会議の日より前です", "the approval ends before the meeting"},
                  Location{.field = "valid_until"});
    }
  } else {
    d.valid_until.clear();
  }
  if (d.summary.empty()) return detail::required("summary", "審査の概要", "review summary");
  TKM_ASSIGN_OR_RETURN(auto existing, decision_in_force(d.request_id));
  if (d.amends) {
    if (!existing || existing->id != *d.amends) {
      return fail(Errc::conflict,
                  {"修正できるのは利用申請の効力のある最新の決定だけです",
                   "only the request's decision in force can be amended"},
                  Location{.field = "amends"});
    }
    if (d.reason.empty()) {
      return detail::required("reason", "修正の理由", "reason for the amendment");
    }
    auto amended_meeting = ctx_.db.query_one("SELECT held_on FROM release_meetings WHERE id = ?",
                                             {existing->meeting_id});
    if (amended_meeting && held_on < amended_meeting->text(0)) {
      return fail(Errc::invalid_input,
                  {"修正の会議が元の決定の会議より前です",
                   "the amendment's meeting is before the decision it amends"},
                  Location{.field = "meeting"});
    }
  } else if (existing) {
    return fail(
        Errc::conflict,
        {fmt::format("利用申請 {} には決定 {} があります。決定は変更せず修正として記録してください",
                     d.request_id, existing->id),
         fmt::format("request {} already has decision {}; record an amendment instead",
                     d.request_id, existing->id)});
  }
  if (expedited) {
    TKM_ASSIGN_OR_RETURN(CommitteeRules rules_now, rules(held_on));
    if (std::find(rules_now.expedited_types.begin(), rules_now.expedited_types.end(),
                  q.application_type) == rules_now.expedited_types.end()) {
      return detail::refused(
          "REVIEW-04",
          "申請の種類「" + q.application_type + "」は規程の迅速審査の対象ではありません",
          "application type '" + q.application_type +
              "' is outside the expedited scope of the rules");
    }
  }
  d.decided_by = by.user;
  d.at = ctx_.clock.now();
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  store::Value amends = nullptr;
  if (d.amends) amends = *d.amends;
  TKM_ASSIGN_OR_RETURN(
      auto id,
      ctx_.db.insert("INSERT INTO release_decisions (request_id, meeting_id, outcome, judgments, "
                     "conditions, valid_until, summary, undisclosed, amends, reason, decided_by, "
                     "at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     {d.request_id, d.meeting_id, std::string(outcome_name(d.outcome)),
                      judgments_json(d).dump(), d.conditions, d.valid_until, d.summary,
                      d.undisclosed, amends, d.reason, by.user, to_unix_ms(d.at)}));
  d.id = id.value_or(0);
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by,
                                  d.amends ? "committee.decision.amend" : "committee.decision",
                                  fmt::format("request:{}", d.request_id),
                                  {{"decision", d.id},
                                   {"meeting", d.meeting_id},
                                   {"outcome", outcome_name(d.outcome)},
                                   {"valid_until", d.valid_until},
                                   {"amends", d.amends ? json(*d.amends) : json(nullptr)},
                                   {"expedited", expedited}}));
  if (expedited) {
    // REVIEW-04: the result goes to every member and stands as the committee's opinion.
    json told = json::array();
    for (const auto& m : members) {
      TKM_RETURN_IF_ERROR(ctx_.db.execute(
          "INSERT INTO release_decision_notices (decision_id, member, at_ms) VALUES (?, ?, ?)",
          {d.id, m.name, to_unix_ms(d.at)}));
      told.push_back(m.name);
    }
    TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "committee.expedited.report",
                                    fmt::format("decision:{}", d.id), {{"members", told}}));
  }
  TKM_RETURN_IF_ERROR(tx.commit());
  return d;
}

Result<std::vector<Decision>> Committee::decisions_where(const std::string& where,
                                                         store::Value param) {
  TKM_ASSIGN_OR_RETURN(
      store::Rows rows,
      ctx_.db.query("SELECT id, request_id, meeting_id, outcome, judgments, conditions, "
                    "valid_until, summary, undisclosed, amends, reason, decided_by, at_ms FROM "
                    "release_decisions WHERE " +
                        where + " ORDER BY id",
                    {std::move(param)}));
  std::vector<Decision> out;
  for (const auto& r : rows) {
    Decision d{.id = r.integer(0),
               .request_id = r.integer(1),
               .meeting_id = r.integer(2),
               .outcome = *parse_outcome(r.text(3)),
               .conditions = r.text(5),
               .valid_until = r.text(6),
               .summary = r.text(7),
               .undisclosed = r.text(8),
               .amends = r.optional_integer(9),
               .reason = r.text(10),
               .decided_by = r.text(11),
               .at = from_unix_ms(r.integer(12))};
    const json j = json::parse(r.text(4));
    for (std::size_t i = 0; i < kCriteria.size(); ++i) {
      if (j.contains(kCriteria[i])) {
        d.judgments[i] = Judgment{j[kCriteria[i]]["acceptable"], j[kCriteria[i]]["note"]};
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Decision>> Committee::decisions(std::int64_t request_id) {
  return decisions_where("request_id = ?", request_id);
}

Result<std::optional<Decision>> Committee::decision_in_force(std::int64_t request_id) {
  TKM_ASSIGN_OR_RETURN(auto all, decisions(request_id));
  if (all.empty()) return std::optional<Decision>{};
  return std::optional<Decision>(all.back());
}

Result<std::vector<std::string>> Committee::notices(std::int64_t decision_id) {
  TKM_ASSIGN_OR_RETURN(store::Rows rows,
                       ctx_.db.query("SELECT member FROM release_decision_notices WHERE "
                                     "decision_id = ? ORDER BY member",
                                     {decision_id}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.text(0));
  return out;
}

Result<Decision> Committee::check_approval(std::int64_t request_id, const std::string& recipient,
                                           const std::string& spec_hash, const std::string& day) {
  auto q = request(request_id);
  if (!q) {
    return detail::refused("REVIEW-05", fmt::format("利用申請 {} がありません", request_id),
                           fmt::format("there is no request {}", request_id));
  }
  TKM_ASSIGN_OR_RETURN(auto d, decision_in_force(request_id));
  if (!d) {
    return detail::refused("REVIEW-05",
                           fmt::format("利用申請 {} に審査委員会の決定がありません", request_id),
                           fmt::format("request {} has no committee decision", request_id));
  }
  if (q->withdrawn) {
    return detail::refused("REVIEW-05",
                           fmt::format("利用申請 {} は取り下げられています", request_id),
                           fmt::format("request {} was withdrawn", request_id));
  }
  if (d->outcome == Outcome::rejected) {
    return detail::refused(
        "REVIEW-05", fmt::format("利用申請 {} は承認されていません (決定 {})", request_id, d->id),
        fmt::format("request {} was not approved (decision {})", request_id, d->id));
  }
  if (d->valid_until < day) {
    return detail::refused(
        "REVIEW-05", fmt::format("決定 {} の承認は {} に期限が切れています", d->id, d->valid_until),
        fmt::format("decision {}'s approval ended on {}", d->id, d->valid_until));
  }
  if (q->recipient != recipient) {
    return detail::refused(
        "REVIEW-05",
        fmt::format("承認された利用者は {} で、{} ではありません", q->recipient, recipient),
        fmt::format("the approval is for {}, not {}", q->recipient, recipient));
  }
  // Against the hash stored when the request was submitted: what the committee approved.
  if (!q->spec_readable || q->spec.hash() != q->spec_hash) {
    return fail(Errc::integrity,
                {fmt::format("利用申請 {} の仕様が記録と一致しません", request_id),
                 fmt::format("request {}'s specification does not match its record", request_id)});
  }
  if (q->spec_hash != spec_hash) {
    return detail::refused("ANON-05", "データセットの仕様が承認された仕様と異なります",
                           "the dataset's specification differs from the approved one");
  }
  return *d;
}

// ----- publication -----

Result<std::string> Committee::publish(const audit::Actor& by, int year) {
  const std::string from = fmt::format("{:04}-04-01", year);
  const std::string to = fmt::format("{:04}-03-31", year + 1);
  std::string md = fmt::format("# 加工情報提供審査委員会 {}年度 開催状況及び審査の概要\n\n", year);
  md += fmt::format("対象期間: {} 〜 {}\n\n", from, to);
  auto rules_now = rules(to);
  if (rules_now) {
    md +=
        fmt::format("委員会規程: 第{}版 ({} 承認)\n\n", rules_now->version, rules_now->approved_on);
  }
  auto r = roster(to);
  if (r) {
    md += "## 委員名簿\n\n| 氏名 | 区分 | 所属 | 性別 |\n|---|---|---|---|\n";
    const std::map<std::string, std::string> label = {{"natural_science", "自然科学の有識者"},
                                                      {"humanities", "人文・社会科学の有識者"},
                                                      {"general", "一般の立場の者"}};
    for (const auto& m : serving(r->members, to)) {
      const std::string category = m.categories.empty() ? "" : label.at(m.categories[0]);
      md += fmt::format("| {} | {} | {} | {} |\n", m.name, category, m.external ? "外部" : "内部",
                        m.sex == "male"     ? "男性"
                        : m.sex == "female" ? "女性"
                                            : "その他");
    }
    md += "\n";
  }
  TKM_ASSIGN_OR_RETURN(store::Rows meetings,
                       ctx_.db.query("SELECT id, held_on, kind, attendees FROM release_meetings "
                                     "WHERE held_on >= ? AND held_on <= ? ORDER BY held_on, id",
                                     {from, to}));
  md += fmt::format("## 開催状況 ({} 回)\n\n", meetings.size());
  for (const auto& m : meetings) {
    md += fmt::format("- {} {} (出席 {} 名)\n", m.text(1),
                      m.text(2) == "expedited" ? "迅速審査" : "委員会",
                      json::parse(m.text(3)).size());
  }
  md += "\n## 審査の概要\n\n";
  int withheld = 0;
  for (const auto& m : meetings) {
    TKM_ASSIGN_OR_RETURN(auto list, decisions_where("meeting_id = ?", m.integer(0)));
    for (const auto& d : list) {
      if (!d.undisclosed.empty()) {
        ++withheld;
        continue;
      }
      TKM_ASSIGN_OR_RETURN(Request q, request(d.request_id));
      const std::map<Outcome, std::string> label = {{Outcome::approved, "承認"},
                                                    {Outcome::conditional, "条件付き承認"},
                                                    {Outcome::rejected, "不承認"}};
      md += fmt::format("### {} ({})\n\n- 決定: {}{}\n- 概要: {}\n\n", q.title, m.text(1),
                        label.at(d.outcome), d.amends ? " (修正)" : "", d.summary);
    }
  }
  if (withheld > 0) {
    md += fmt::format("委員会の判断により非公開とした審査: {} 件\n", withheld);
  }
  const std::string sha = hex_encode(crypto::sha256(as_bytes(md)));
  TKM_ASSIGN_OR_RETURN(store::Transaction tx, ctx_.db.begin());
  TKM_RETURN_IF_ERROR(ctx_.db.execute(
      "INSERT INTO release_publications (fiscal_year, sha256, document, recorded_by, at_ms) "
      "VALUES (?, ?, ?, ?, ?)",
      {static_cast<std::int64_t>(year), sha, md, by.user, to_unix_ms(ctx_.clock.now())}));
  TKM_RETURN_IF_ERROR(detail::log(ctx_.audit, tx, by, "committee.publish",
                                  fmt::format("fiscal_year:{}", year),
                                  {{"sha256", sha}, {"withheld", withheld}}));
  TKM_RETURN_IF_ERROR(tx.commit());
  return md;
}

}  // namespace tokumei::release
