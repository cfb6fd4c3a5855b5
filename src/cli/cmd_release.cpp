// The provision (docs/provision.md): `tokumei registry | request | committee | contract | build |
// package | approve | ledger` on the core deployment, each through the release library for the
// person logged in, and `tokumei open` for a recipient.

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/files.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/crypto/x509.h"
#include "tokumei/identity/japanese.h"
#include "tokumei/release/build.h"
#include "tokumei/release/committee.h"
#include "tokumei/release/contracts.h"
#include "tokumei/release/ledger.h"
#include "tokumei/release/package.h"
#include "tokumei/release/registry.h"

namespace tokumei::cli {
namespace {

using nlohmann::json;
using security::Operation;

struct Args {
  DeploymentArgs deployment;
  std::string id, code, name, cert, key, endpoint, certification, certified_until, method;
  std::string file, day, effective, version, summary, outcome, valid_until, conditions;
  std::string undisclosed, reason, kind = "outbound", party, title, signed_on, clause, reference;
  std::string closure, evidence, purpose, scope, contract_ref, seed, plan, out, operator_cert;
  std::string recipient, destination, dataset, sha256, from, to, basis;
  std::vector<std::string> attendees, judgments, actions, types, changes;
  std::int64_t number = 0, meeting = 0, request = 0, amends = 0;
  int quorum = 0, year = 0, days = 60;
  bool expedited = false, lift = false, permit = false, refuse = false;
};

const SystemClock& clock() {
  static const SystemClock c;
  return c;
}

release::Context context(zones::Deployment& d) { return {d.db(), d.keys(), d.audit(), clock()}; }

// Prints `j` with --json, else `text`.
void emit(const Globals& g, const json& j, const std::string& text) {
  if (g.json) {
    print_json(j);
  } else {
    std::cout << text << (text.empty() || text.back() == '\n' ? "" : "\n");
  }
}

std::string today() { return japanese_day(clock().now()); }

// with_session for commands that only show records: the reading is logged first, naming what is
// read (who saw the provision's records, and when).
void with_reading(
    const Globals& g, const DeploymentArgs& args, Operation op, int* exit_code,
    const std::function<std::string()>& object,
    const std::function<Status(zones::Deployment&, const security::AuthContext&)>& body) {
  with_session(g, args, op, exit_code,
               [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                 auto logged =
                     d.audit().record({.actor = ctx.actor(),
                                       .action = std::string(security::operation_info(op).name),
                                       .object = object(),
                                       .outcome = audit::Outcome::success,
                                       .detail = "{}",
                                       .subjects = {}});
                 if (!logged) return std::unexpected(logged.error());
                 return body(d, ctx);
               });
}

Result<std::string> file_hash(const std::string& path) {
  TKM_ASSIGN_OR_RETURN(std::string content, read_file(path));
  return hex_encode(crypto::sha256(as_bytes(content)));
}

// ----- registry -----

void add_registry(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "registry", tr(g, "医療機関と利用者の登録、制裁", "institutions, recipients and sanctions"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, a->deployment);

  auto* inst = cmd->add_subcommand(
      "institution", tr(g, "医療機関を登録・更新する", "register or update an institution"));
  inst->add_option("--code", a->code, tr(g, "医療機関コード (10桁)", "institution code"))
      ->required();
  inst->add_option("--name", a->name, tr(g, "名称", "name"))->required();
  inst->add_option("--cert", a->cert, tr(g, "提出の署名に使う証明書 (PEM)", "certificate (PEM)"))
      ->required()
      ->check(CLI::ExistingFile);
  inst->add_option("--notification-method", a->method,
                   tr(g, "確認した通知の方法", "the notification method confirmed"))
      ->required();
  inst->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::registry_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          TKM_ASSIGN_OR_RETURN(std::string pem, read_file(a->cert));
          release::Registry r(context(d));
          TKM_RETURN_IF_ERROR(r.put_institution(ctx.actor(), {.code = a->code,
                                                              .name = a->name,
                                                              .certificate = pem,
                                                              .notification_method = a->method}));
          emit(g, {{"institution", a->code}},
               fmt::format(
                   fmt::runtime(tr(g, "医療機関 {} を登録しました", "institution {} registered")),
                   a->code));
          return {};
        });
  });

  auto* rec = cmd->add_subcommand(
      "recipient", tr(g, "利用者を登録・更新する", "register or update a recipient"));
  rec->add_option("--id", a->id, tr(g, "利用者ID (英小文字)", "recipient ID"))->required();
  rec->add_option("--name", a->name, tr(g, "名称", "name"))->required();
  rec->add_option("--cert", a->cert,
                  tr(g, "パッケージの暗号化先の証明書 (PEM)", "certificate (PEM)"))
      ->required()
      ->check(CLI::ExistingFile);
  rec->add_option("--endpoint", a->endpoint, tr(g, "届け先 (https://)", "endpoint (https://)"));
  rec->add_option(
      "--certification", a->certification,
      tr(g, "認定仮名加工医療情報利用事業者の認定番号", "pseudonymized-data user certification"));
  rec->add_option("--certified-until", a->certified_until,
                  tr(g, "認定の有効期限", "certification end"));
  rec->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::registry_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(std::string pem, read_file(a->cert));
                   release::Registry r(context(d));
                   TKM_RETURN_IF_ERROR(
                       r.put_recipient(ctx.actor(), {.id = a->id,
                                                     .name = a->name,
                                                     .certificate = pem,
                                                     .endpoint = a->endpoint,
                                                     .certification = a->certification,
                                                     .certified_until = a->certified_until}));
                   emit(g, {{"recipient", a->id}},
                        fmt::format(fmt::runtime(tr(g, "利用者 {} を登録しました",
                                                    "recipient {} registered")),
                                    a->id));
                   return {};
                 });
  });

  auto* list = cmd->add_subcommand("list", tr(g, "登録の一覧", "list the registries"));
  list->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::provision_read, exit_code,
        [&] { return std::string("registry"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Registry r(context(d));
          TKM_ASSIGN_OR_RETURN(auto insts, r.institutions());
          TKM_ASSIGN_OR_RETURN(auto recs, r.recipients());
          json j = {{"institutions", json::array()}, {"recipients", json::array()}};
          std::string text = tr(g, "医療機関:\n", "institutions:\n");
          for (const auto& i : insts) {
            j["institutions"].push_back({{"code", i.code},
                                         {"name", i.name},
                                         {"fingerprint", i.fingerprint},
                                         {"notification_method", i.notification_method}});
            text += fmt::format("  {} {} ({})\n", i.code, i.name, i.notification_method);
          }
          text += tr(g, "利用者:\n", "recipients:\n");
          for (const auto& x : recs) {
            j["recipients"].push_back({{"id", x.id},
                                       {"name", x.name},
                                       {"fingerprint", x.fingerprint},
                                       {"endpoint", x.endpoint},
                                       {"certification", x.certification},
                                       {"certified_until", x.certified_until},
                                       {"suspended", x.suspended}});
            text += fmt::format("  {} {} {}{}\n", x.id, x.name, x.endpoint,
                                x.suspended ? tr(g, " [利用停止中]", " [suspended]") : "");
          }
          emit(g, j, text);
          return {};
        });
  });

  auto* sanction =
      cmd->add_subcommand("sanction", tr(g, "契約違反による利用停止 (または解除)",
                                         "suspend a recipient for a violation (or lift it)"));
  sanction->add_option("--recipient", a->id, tr(g, "利用者ID", "recipient"))->required();
  sanction->add_option("--decided-on", a->day, tr(g, "決定日", "day decided"))->required();
  sanction->add_option("--basis", a->basis, tr(g, "根拠 (違反と契約条項)", "basis"))->required();
  sanction->add_option("--action", a->actions, tr(g, "措置 (stop_use, publication, …)", "actions"));
  sanction->add_flag("--lift", a->lift, tr(g, "停止を解除する", "lift the suspension"));
  sanction->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::registry_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          release::Registry r(context(d));
          TKM_ASSIGN_OR_RETURN(auto s, r.sanction(ctx.actor(), {.recipient = a->id,
                                                                .suspend = !a->lift,
                                                                .decided_on = a->day,
                                                                .basis = a->basis,
                                                                .actions = a->actions}));
          emit(g, {{"sanction", s.id}, {"suspended", s.suspend}},
               fmt::format(fmt::runtime(tr(g, "制裁 {} を記録しました", "sanction {} recorded")),
                           s.id));
          return {};
        });
  });
}

// ----- requests -----

json request_json(const release::Request& q) {
  return {{"id", q.id},
          {"recipient", q.recipient},
          {"kind", release::dataset_kind_name(q.spec.kind)},
          {"application_type", q.application_type},
          {"title", q.title},
          {"purpose", q.purpose},
          {"research_content", q.research_content},
          {"publication_plan", q.publication_plan},
          {"benefits", q.benefits},
          {"data_requested", q.data_requested},
          {"safety_measures", q.safety_measures},
          {"spec", json::parse(q.spec.canonical())},
          {"spec_hash", q.spec.hash()},
          {"withdrawn", q.withdrawn},
          {"research_end_on", q.research_end_on},
          {"submitted_by", q.submitted_by}};
}

void add_request(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd =
      app.add_subcommand("request", tr(g, "利用申請 (受付、取り下げ、研究終了、審査資料)",
                                       "research requests, their materials and end reports"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, a->deployment);

  auto* submit = cmd->add_subcommand(
      "submit", tr(g, "申請書 (TOML/JSON) を受け付ける", "take in a request (TOML or JSON)"));
  submit->add_option("file", a->file, tr(g, "申請書", "request file"))
      ->required()
      ->check(CLI::ExistingFile);
  submit->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::request_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(std::string text, read_file(a->file));
                   TKM_ASSIGN_OR_RETURN(release::Request q, release::parse_request(text, a->file));
                   release::Committee c(context(d));
                   TKM_ASSIGN_OR_RETURN(q, c.submit(ctx.actor(), q));
                   emit(g, request_json(q),
                        fmt::format(fmt::runtime(tr(g, "利用申請 {} を受け付けました (仕様 {})",
                                                    "request {} submitted (specification {})")),
                                    q.id, q.spec.hash().substr(0, 16)));
                   return {};
                 });
  });

  auto* list = cmd->add_subcommand("list", tr(g, "利用申請の一覧", "list requests"));
  list->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::provision_read, exit_code,
        [&] { return std::string("requests"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Committee c(context(d));
          TKM_ASSIGN_OR_RETURN(auto all, c.requests());
          json j = json::array();
          std::string text;
          for (const auto& q : all) {
            TKM_ASSIGN_OR_RETURN(auto dec, c.decision_in_force(q.id));
            json one = request_json(q);
            one["decision"] = dec ? json(release::outcome_name(dec->outcome)) : json(nullptr);
            j.push_back(one);
            text += fmt::format("{:>4} {} {} [{}] {}\n", q.id, q.recipient,
                                release::dataset_kind_label(q.spec.kind),
                                dec ? std::string(release::outcome_name(dec->outcome))
                                    : tr(g, "審査待ち", "awaiting review"),
                                q.title);
          }
          emit(g, j, text);
          return {};
        });
  });

  auto* show = cmd->add_subcommand("show", tr(g, "利用申請と決定", "a request and its decisions"));
  show->add_option("id", a->request, "ID")->required();
  show->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::provision_read, exit_code,
        [&] { return fmt::format("request:{}", a->request); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Committee c(context(d));
          TKM_ASSIGN_OR_RETURN(auto q, c.request(a->request));
          TKM_ASSIGN_OR_RETURN(auto decisions, c.decisions(a->request));
          json j = request_json(q);
          j["decisions"] = json::array();
          for (const auto& dec : decisions) {
            j["decisions"].push_back({{"id", dec.id},
                                      {"meeting", dec.meeting_id},
                                      {"outcome", release::outcome_name(dec.outcome)},
                                      {"conditions", dec.conditions},
                                      {"valid_until", dec.valid_until},
                                      {"amends", dec.amends ? json(*dec.amends) : json(nullptr)},
                                      {"decided_by", dec.decided_by}});
          }
          std::string text = fmt::format("{} {} [{}] {}\n", q.id, q.recipient,
                                         release::dataset_kind_label(q.spec.kind), q.title);
          for (const char* key : {"purpose", "research_content", "publication_plan", "benefits",
                                  "data_requested", "safety_measures", "spec_hash"}) {
            text += fmt::format("  {}: {}\n", key, j[key].get<std::string>());
          }
          for (const auto& dec : j["decisions"])
            text += fmt::format("  decision {}: {} {}\n", dec["id"].get<std::int64_t>(),
                                dec["outcome"].get<std::string>(),
                                dec["valid_until"].get<std::string>());
          emit(g, j, text);
          return {};
        });
  });

  auto* withdraw = cmd->add_subcommand("withdraw", tr(g, "取り下げる", "withdraw"));
  withdraw->add_option("id", a->request, "ID")->required();
  withdraw->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::request_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   release::Committee c(context(d));
                   TKM_RETURN_IF_ERROR(c.withdraw(ctx.actor(), a->request));
                   emit(g, {{"withdrawn", a->request}}, tr(g, "取り下げました", "withdrawn"));
                   return {};
                 });
  });

  auto* end = cmd->add_subcommand(
      "end", tr(g, "研究終了の報告を記録する", "record the research-end report"));
  end->add_option("id", a->request, "ID")->required();
  end->add_option("--day", a->day, tr(g, "報告日", "day of the report"))->required();
  end->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::request_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   release::Committee c(context(d));
                   TKM_RETURN_IF_ERROR(c.report_research_end(ctx.actor(), a->request, a->day));
                   emit(g, {{"request", a->request}, {"research_end_on", a->day}},
                        tr(g, "研究終了を記録しました", "research end recorded"));
                   return {};
                 });
  });

  auto* attach = cmd->add_subcommand(
      "attach", tr(g, "審査資料を保管する (暗号化)", "keep a review material (sealed)"));
  attach->add_option("id", a->request, "ID")->required();
  attach->add_option("file", a->file, tr(g, "資料", "material"))
      ->required()
      ->check(CLI::ExistingFile);
  attach->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::request_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          TKM_ASSIGN_OR_RETURN(std::string content, read_file(a->file));
          release::Committee c(context(d));
          TKM_ASSIGN_OR_RETURN(
              auto m, c.add_material(ctx.actor(), a->request,
                                     std::filesystem::path(a->file).filename().string(), content));
          emit(
              g, {{"material", m.id}, {"sha256", m.sha256}},
              fmt::format(fmt::runtime(tr(g, "資料 {} を保管しました", "material {} kept")), m.id));
          return {};
        });
  });

  auto* remove = cmd->add_subcommand("delete-material",
                                     tr(g, "審査資料を削除する (研究終了後のみ)",
                                        "delete a review material (after the research end)"));
  remove->add_option("material", a->number, "ID")->required();
  remove->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::request_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   release::Committee c(context(d));
                   TKM_RETURN_IF_ERROR(c.delete_material(ctx.actor(), a->number));
                   emit(g, {{"deleted", a->number}}, tr(g, "削除しました", "deleted"));
                   return {};
                 });
  });
}

// ----- committee -----

Result<std::array<std::optional<release::Judgment>, 4>> parse_judgments(
    const std::vector<std::string>& given) {
  std::array<std::optional<release::Judgment>, 4> out{};
  for (const auto& j : given) {
    // "1=yes", "3=no:理由"
    const auto eq = j.find('=');
    const int n = eq == 1 ? j[0] - '0' : 0;
    std::string verdict = eq == std::string::npos ? "" : j.substr(eq + 1);
    std::string note;
    if (const auto colon = verdict.find(':'); colon != std::string::npos) {
      note = verdict.substr(colon + 1);
      verdict = verdict.substr(0, colon);
    }
    if (n < 1 || n > 4 || (verdict != "yes" && verdict != "no")) {
      return fail(
          Errc::invalid_argument,
          {"--judgment は 1〜4=yes|no[:所見] です: " + j, "--judgment is 1-4=yes|no[:note]: " + j},
          Location{.field = "--judgment"});
    }
    out[static_cast<std::size_t>(n - 1)] = release::Judgment{verdict == "yes", note};
  }
  return out;
}

void add_committee(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "committee", tr(g, "審査委員会 (名簿、規程、会議、決定、公表)",
                      "the review committee: roster, rules, meetings, decisions, publication"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, a->deployment);

  auto* roster = cmd->add_subcommand(
      "roster", tr(g, "委員名簿を保存する (要件を確認)", "save the roster (rules checked)"));
  roster->add_option("file", a->file, tr(g, "名簿 (TOML/JSON)", "roster file"))
      ->required()
      ->check(CLI::ExistingFile);
  roster->add_option("--effective", a->effective, tr(g, "適用開始日", "effective from"))
      ->required();
  roster->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::committee_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(std::string text, read_file(a->file));
                   TKM_ASSIGN_OR_RETURN(auto members, release::parse_roster(text, a->file));
                   release::Committee c(context(d));
                   TKM_ASSIGN_OR_RETURN(auto r, c.save_roster(ctx.actor(), a->effective, members));
                   emit(g, {{"version", r.version}, {"members", r.members.size()}},
                        fmt::format(fmt::runtime(tr(g, "委員名簿 第{}版 ({}名) を保存しました",
                                                    "roster version {} ({} members) saved")),
                                    r.version, r.members.size()));
                   return {};
                 });
  });

  auto* rules = cmd->add_subcommand(
      "rules", tr(g, "委員会規程の版を登録する", "record a version of the committee's rules"));
  rules->add_option("--version", a->version, tr(g, "版", "version"))->required();
  rules->add_option("--approved-on", a->day, tr(g, "承認日", "day approved"))->required();
  rules->add_option("--file", a->file, tr(g, "規程の文書", "the rules document"))
      ->required()
      ->check(CLI::ExistingFile);
  rules->add_option(
      "--expedited-type", a->types,
      tr(g, "迅速審査の対象とする申請の種類", "application types for expedited review"));
  rules->add_option("--quorum", a->quorum, tr(g, "定足数 (0: 過半数)", "quorum (0: majority)"));
  rules->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::committee_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          TKM_ASSIGN_OR_RETURN(std::string sha, file_hash(a->file));
          release::Committee c(context(d));
          TKM_RETURN_IF_ERROR(
              c.add_rules(ctx.actor(), {a->version, a->day, sha, a->types, a->quorum}));
          emit(g, {{"version", a->version}, {"sha256", sha}},
               fmt::format(fmt::runtime(tr(g, "委員会規程 {} を登録しました", "rules {} recorded")),
                           a->version));
          return {};
        });
  });

  auto* status = cmd->add_subcommand(
      "status", tr(g, "委員会の構成と公表の状況", "composition and publication status"));
  status->add_option("--day", a->day, tr(g, "日 (既定: 今日)", "day (default today)"));
  status->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::provision_read, exit_code,
        [&] { return std::string("committee"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Committee c(context(d));
          TKM_ASSIGN_OR_RETURN(auto s, c.status(a->day.empty() ? today() : a->day));
          json problems = json::array();
          std::string text =
              s.compliant
                  ? tr(g, "委員会の構成: 要件を満たしています\n", "composition: compliant\n")
                  : tr(g, "委員会の構成: 要件を満たしていません\n", "composition: NOT compliant\n");
          for (const auto& p : s.problems) {
            problems.push_back({{"ja", p.ja}, {"en", p.en}});
            text += "  " + tr(g, p) + "\n";
          }
          text += fmt::format(fmt::runtime(tr(g, "名簿 第{}版 / 規程 {} / 最後の公表 {}{}\n",
                                              "roster {} / rules {} / last publication {}{}\n")),
                              s.roster_version, s.rules_version,
                              s.last_publication.empty() ? "-" : s.last_publication,
                              s.publication_due ? tr(g, " (年1回の公表の期限を過ぎています)",
                                                     " (the yearly publication is due)")
                                                : "");
          emit(g,
               {{"compliant", s.compliant},
                {"problems", problems},
                {"roster_version", s.roster_version},
                {"rules_version", s.rules_version},
                {"last_publication", s.last_publication},
                {"publication_due", s.publication_due}},
               text);
          if (!s.compliant) *exit_code = kFailed;
          return {};
        });
  });

  auto* meeting = cmd->add_subcommand(
      "meeting", tr(g, "会議を記録する (出席者と議事の概要)", "record a meeting"));
  meeting->add_option("--held-on", a->day, tr(g, "開催日", "day held"))->required();
  meeting
      ->add_option("--attendee", a->attendees,
                   tr(g, "出席した委員 (名簿の氏名)", "members attending"))
      ->required();
  meeting->add_option("--summary", a->summary, tr(g, "議事の概要", "summary of discussion"))
      ->required();
  meeting->add_flag("--expedited", a->expedited, tr(g, "迅速審査", "expedited review"));
  meeting->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::committee_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          release::Committee c(context(d));
          TKM_ASSIGN_OR_RETURN(auto m, c.record_meeting(ctx.actor(), {.held_on = a->day,
                                                                      .expedited = a->expedited,
                                                                      .attendees = a->attendees,
                                                                      .summary = a->summary}));
          emit(g, {{"meeting", m.id}},
               fmt::format(fmt::runtime(tr(g, "会議 {} を記録しました", "meeting {} recorded")),
                           m.id));
          return {};
        });
  });

  auto* decide = cmd->add_subcommand("decide", tr(g, "利用申請の決定を記録する (委員)",
                                                  "record the decision on a request (member)"));
  decide->add_option("request", a->request, tr(g, "利用申請", "request"))->required();
  decide->add_option("--meeting", a->meeting, tr(g, "会議", "meeting"))->required();
  decide->add_option("--outcome", a->outcome, "approved | conditional | rejected")->required();
  decide
      ->add_option("--judgment", a->judgments,
                   tr(g, "審査の観点 (ⅰ)〜(ⅳ) の判断: 1=yes 2=yes 3=no:所見 …",
                      "judgments of criteria 1-4: 1=yes 3=no:note"))
      ->required();
  decide->add_option("--valid-until", a->valid_until,
                     tr(g, "承認の有効期限", "approval valid through"));
  decide->add_option("--conditions", a->conditions, tr(g, "条件", "conditions"));
  decide
      ->add_option("--summary", a->summary,
                   tr(g, "審査の概要 (公表用)", "review summary (for publication)"))
      ->required();
  decide->add_option("--undisclosed", a->undisclosed,
                     tr(g, "非公開とする理由", "why it is not disclosed"));
  decide->add_option("--amends", a->amends, tr(g, "修正する決定", "the decision amended"));
  decide->add_option("--reason", a->reason, tr(g, "修正の理由", "reason for the amendment"));
  decide->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::request_review, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(auto outcome, release::parse_outcome(a->outcome));
                   TKM_ASSIGN_OR_RETURN(auto judgments, parse_judgments(a->judgments));
                   release::Committee c(context(d));
                   release::Decision dec{.request_id = a->request,
                                         .meeting_id = a->meeting,
                                         .outcome = outcome,
                                         .judgments = judgments,
                                         .conditions = a->conditions,
                                         .valid_until = a->valid_until,
                                         .summary = a->summary,
                                         .undisclosed = a->undisclosed,
                                         .reason = a->reason};
                   if (a->amends > 0) dec.amends = a->amends;
                   TKM_ASSIGN_OR_RETURN(dec, c.decide(ctx.actor(), dec));
                   emit(g, {{"decision", dec.id}, {"outcome", release::outcome_name(dec.outcome)}},
                        fmt::format(fmt::runtime(tr(g, "決定 {} ({}) を記録しました",
                                                    "decision {} ({}) recorded")),
                                    dec.id, release::outcome_name(dec.outcome)));
                   return {};
                 });
  });

  auto* publish = cmd->add_subcommand(
      "publish", tr(g, "年度の開催状況と審査の概要を作成する", "make the yearly publication"));
  publish->add_option("--year", a->year, tr(g, "年度 (4月始まり)", "fiscal year (from April)"))
      ->required();
  publish->add_option("--out", a->out,
                      tr(g, "書き出すファイル (Markdown)", "output file (Markdown)"));
  publish->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::committee_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   release::Committee c(context(d));
                   TKM_ASSIGN_OR_RETURN(std::string md, c.publish(ctx.actor(), a->year));
                   if (a->out.empty()) {
                     if (g.json) {
                       print_json({{"markdown", md}});
                     } else {
                       std::cout << md;
                     }
                   } else {
                     TKM_RETURN_IF_ERROR(write_file_atomic(a->out, as_bytes(md), 0644));
                     emit(g, {{"out", a->out}}, a->out);
                   }
                   return {};
                 });
  });
}

// ----- contracts -----

void add_contract(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("contract",
                                 tr(g, "契約 (条項の確認、締結、終了、第三者提供の許可)",
                                    "contracts: clauses, activation, closing, onward permissions"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, a->deployment);

  auto* create =
      cmd->add_subcommand("create", tr(g, "契約を記録する (下書き)", "record a contract (draft)"));
  create->add_option("--kind", a->kind, "inbound | outbound");
  create
      ->add_option("--party", a->party,
                   tr(g, "医療機関コードまたは利用者ID", "institution code or recipient ID"))
      ->required();
  create->add_option("--request", a->request,
                     tr(g, "対象の利用申請 (outbound)", "request covered (outbound)"));
  create->add_option("--title", a->title, tr(g, "契約名", "title"))->required();
  create->add_option("--signed-on", a->signed_on, tr(g, "締結日", "day signed"))->required();
  create->add_option("--valid-until", a->valid_until, tr(g, "有効期限", "valid through"))
      ->required();
  create->add_option("--file", a->file, tr(g, "契約書", "the contract document"))
      ->required()
      ->check(CLI::ExistingFile);
  create->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::contract_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(auto kind, release::parse_contract_kind(a->kind));
                   TKM_ASSIGN_OR_RETURN(std::string sha, file_hash(a->file));
                   release::Contracts contracts(context(d));
                   release::Contract c{.kind = kind,
                                       .party = a->party,
                                       .title = a->title,
                                       .signed_on = a->signed_on,
                                       .valid_until = a->valid_until,
                                       .document_sha256 = sha};
                   if (a->request > 0) c.request_id = a->request;
                   TKM_ASSIGN_OR_RETURN(c, contracts.create(ctx.actor(), c));
                   std::string text =
                       fmt::format(fmt::runtime(tr(g, "契約 {} を記録しました。確認する条項:\n",
                                                   "contract {} recorded; clauses to tick:\n")),
                                   c.id);
                   for (const auto& cl : release::clauses(kind))
                     text += "  " + cl.id + "  " + tr(g, cl.label) + "\n";
                   emit(g, {{"contract", c.id}}, text);
                   return {};
                 });
  });

  auto* tick = cmd->add_subcommand(
      "tick", tr(g, "条項を確認済みにする (契約書の条番号)", "tick a clause (with its article)"));
  tick->add_option("id", a->number, "ID")->required();
  tick->add_option("--clause", a->clause, tr(g, "条項", "clause"))->required();
  tick->add_option("--reference", a->reference, tr(g, "契約書の条番号", "article"))->required();
  tick->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::contract_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          release::Contracts contracts(context(d));
          TKM_RETURN_IF_ERROR(contracts.tick(ctx.actor(), a->number, a->clause, a->reference));
          emit(g, {{"contract", a->number}, {"clause", a->clause}},
               tr(g, "確認しました", "ticked"));
          return {};
        });
  });

  auto* activate = cmd->add_subcommand(
      "activate", tr(g, "契約を有効にする (全条項の確認が必要)", "make a contract active"));
  activate->add_option("id", a->number, "ID")->required();
  activate->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::contract_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   release::Contracts contracts(context(d));
                   TKM_RETURN_IF_ERROR(contracts.activate(ctx.actor(), a->number));
                   emit(g, {{"contract", a->number}, {"state", "active"}},
                        tr(g, "有効にしました", "active"));
                   return {};
                 });
  });

  auto* close = cmd->add_subcommand(
      "close", tr(g, "契約を終了する (返却・消去の記録と証明書)",
                  "close a contract (return or erasure, with its certificate)"));
  close->add_option("id", a->number, "ID")->required();
  close
      ->add_option("--closure", a->closure,
                   tr(g, "返却・消去の内容", "what was returned or erased"))
      ->required();
  close
      ->add_option("--evidence", a->evidence,
                   tr(g, "消去証明書などのファイル", "the certificate file"))
      ->required()
      ->check(CLI::ExistingFile);
  close->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::contract_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          TKM_ASSIGN_OR_RETURN(std::string sha, file_hash(a->evidence));
          release::Contracts contracts(context(d));
          TKM_RETURN_IF_ERROR(contracts.close(ctx.actor(), a->number, a->closure, sha));
          emit(g, {{"contract", a->number}, {"state", "closed"}}, tr(g, "終了しました", "closed"));
          return {};
        });
  });

  auto* list = cmd->add_subcommand("list", tr(g, "契約の一覧", "list contracts"));
  list->add_option("--expiring", a->days,
                   tr(g, "この日数内に期限が来る有効な契約だけ",
                      "only active ones ending within this many days"));
  list->callback([&g, a, exit_code, list] {
    with_reading(
        g, a->deployment, Operation::provision_read, exit_code,
        [&] { return std::string("contracts"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Contracts contracts(context(d));
          std::vector<release::Contract> all;
          if (list->count("--expiring") > 0) {
            TKM_ASSIGN_OR_RETURN(all, contracts.expiring(today(), a->days));
          } else {
            TKM_ASSIGN_OR_RETURN(all, contracts.list());
          }
          json j = json::array();
          std::string text;
          for (const auto& c : all) {
            j.push_back({{"id", c.id},
                         {"kind", release::contract_kind_name(c.kind)},
                         {"party", c.party},
                         {"request", c.request_id ? json(*c.request_id) : json(nullptr)},
                         {"state", c.state},
                         {"valid_until", c.valid_until},
                         {"ticked", c.ticked}});
            text +=
                fmt::format("{:>4} {} {} {} {} → {}\n", c.id, release::contract_kind_name(c.kind),
                            c.party, c.state, c.signed_on, c.valid_until);
          }
          emit(g, j, text);
          return {};
        });
  });

  auto* onward = cmd->add_subcommand(
      "onward", tr(g, "第三者提供の許可・不許可を記録する", "decide on an onward provision"));
  onward->add_option("id", a->number, tr(g, "利用者との契約", "the recipient's contract"))
      ->required();
  onward->add_option("--party", a->party, tr(g, "再提供先", "onward recipient"))->required();
  onward->add_option("--purpose", a->purpose, tr(g, "利用目的・形態", "purpose and form"));
  onward->add_option("--scope", a->scope, tr(g, "利用範囲", "scope"));
  onward->add_option("--contract-ref", a->contract_ref,
                     tr(g, "再提供先との契約", "the contract with the onward recipient"));
  onward->add_option("--reason", a->reason, tr(g, "判断の理由", "reason"))->required();
  auto* permit = onward->add_flag("--permit", a->permit, tr(g, "許可する", "permit"));
  auto* refuse = onward->add_flag("--refuse", a->refuse, tr(g, "許可しない", "refuse"));
  permit->excludes(refuse);
  onward->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::contract_manage, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          if (a->permit == a->refuse) {
            return fail(Errc::invalid_argument,
                        {"--permit か --refuse を指定してください", "give --permit or --refuse"});
          }
          release::Contracts contracts(context(d));
          release::Ledger ledger(context(d));
          TKM_ASSIGN_OR_RETURN(auto p, contracts.decide_onward(ctx.actor(),
                                                               {.contract_id = a->number,
                                                                .party = a->party,
                                                                .purpose = a->purpose,
                                                                .scope = a->scope,
                                                                .contract_ref = a->contract_ref,
                                                                .permitted = a->permit,
                                                                .reason = a->reason},
                                                               ledger));
          emit(g, {{"permission", p.id}, {"permitted", p.permitted}, {"ledger", p.ledger_seq}},
               fmt::format(fmt::runtime(tr(g, "記録しました (帳簿 {})", "recorded (ledger {})")),
                           p.ledger_seq));
          return {};
        });
  });
}

// ----- builds, packages, approval -----

json build_json(const release::BuildRecord& b) {
  json files = json::array();
  for (const auto& f : b.files)
    files.push_back({{"name", f.name}, {"sha256", f.sha256}, {"size", f.size}});
  return {{"id", b.id},
          {"request", b.request_id},
          {"recipient", b.recipient},
          {"kind", release::dataset_kind_name(b.kind)},
          {"spec_hash", b.spec_hash},
          {"method_version", b.method_version},
          {"output_hash", b.output_hash},
          {"persons", b.persons},
          {"events", b.events},
          {"risk_passed", b.risk_passed},
          {"files", files},
          {"batches", b.batches},
          {"built_by", b.built_by},
          {"report", b.report}};
}

std::string build_text(const Globals& g, const release::BuildRecord& b) {
  std::string text = fmt::format(
      fmt::runtime(
          tr(g, "データセット {}: 利用申請 {} / {} / {}名 {}件 / リスク確認 {} / ハッシュ {}\n",
             "build {}: request {} / {} / {} persons {} events / risk check {} / hash {}\n")),
      b.id, b.request_id, release::dataset_kind_label(b.kind), b.persons, b.events,
      b.risk_passed ? tr(g, "合格", "passed") : tr(g, "不合格", "FAILED"), b.output_hash);
  if (b.report.contains("k_anonymity") && b.report["k_anonymity"].contains("equivalence_classes")) {
    const auto& k = b.report["k_anonymity"];
    text += fmt::format(
        fmt::runtime(tr(g, "  同値類 {} (最小 {}), 最高リスク {:.3f}, 除外 {}名\n",
                        "  classes {} (smallest {}), highest risk {:.3f}, left out {}\n")),
        k["equivalence_classes"]["count"].get<std::size_t>(),
        k["equivalence_classes"]["smallest"].get<std::size_t>(),
        k["risk"]["prosecutor"]["highest"].get<double>(),
        b.report.value("persons_suppressed", std::size_t{0}));
  }
  if (b.report.contains("codes")) {
    text += fmt::format(
        fmt::runtime(tr(g, "  コード: そのまま {} / 一般化 {} / 削除 {}; k^m で外した {}\n",
                        "  codes: kept {} / generalized {} / suppressed {}; removed for k^m {}\n")),
        b.report["codes"]["full"].get<std::size_t>(),
        b.report["codes"]["generalized"].get<std::size_t>(),
        b.report["codes"]["suppressed"].get<std::size_t>(),
        b.report["km_anonymity"]["codes_removed_from_persons"].get<std::size_t>());
  }
  return text;
}

// The builds and packages of a deployment, opened for one command.
struct Provision {
  explicit Provision(zones::Deployment& d)
      : builds(context(d), random, d.dir() / "builds"),
        packages(context(d), random, builds, d.dir() / "packages") {}
  SystemRandom random;
  release::Builds builds;
  release::Packages packages;
};

json package_json(const release::PackageRecord& p) {
  json confirmations = json::array();
  for (const auto& c : p.confirmations) confirmations.push_back(c.approver);
  return {{"id", p.id},
          {"build", p.build_id},
          {"dataset", p.dataset},
          {"recipient", p.recipient},
          {"destination", p.destination},
          {"certificate", p.certificate},
          {"approval", p.approval},
          {"contract", p.contract},
          {"sha256", p.sha256},
          {"size", p.size},
          {"created_by", p.created_by},
          {"confirmed_by", confirmations},
          {"released", p.released()},
          {"ledger", p.ledger_seq ? json(*p.ledger_seq) : json(nullptr)}};
}

void add_build(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "build", tr(g, "データセットの作成 (匿名加工・仮名加工)", "dataset builds"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, a->deployment);

  auto* create = cmd->add_subcommand("create", tr(g, "承認された利用申請のデータセットを作成する",
                                                  "build the dataset of an approved request"));
  create->add_option("request", a->request, tr(g, "利用申請", "request"))->required();
  create
      ->add_option("--plan", a->plan,
                   tr(g, "加工の方法 (TOML/JSON: k, m, suppression_limit, max_shift_days)",
                      "processing plan (k, m, suppression_limit, max_shift_days)"))
      ->check(CLI::ExistingFile);
  create->add_option("--seed", a->seed,
                     tr(g, "乱数の種 (64桁の16進; 再現用)", "seed (64 hex digits; to reproduce)"));
  create->callback([&g, a, exit_code] {
    with_session(g, a->deployment, Operation::anonymize, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   release::ProcessingPlan plan;
                   if (!a->plan.empty()) {
                     TKM_ASSIGN_OR_RETURN(std::string text, read_file(a->plan));
                     TKM_ASSIGN_OR_RETURN(plan, release::parse_plan(text, a->plan));
                   }
                   Provision pv(d);
                   auto& b = pv.builds;
                   TKM_ASSIGN_OR_RETURN(auto rec, b.build(ctx.actor(), a->request, plan, a->seed));
                   emit(g, build_json(rec), build_text(g, rec));
                   return {};
                 });
  });

  auto* rebuild = cmd->add_subcommand(
      "rebuild",
      tr(g, "記録から作り直してハッシュを比べる", "rebuild from the record and compare the hash"));
  rebuild->add_option("id", a->number, "ID")->required();
  rebuild->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::anonymize, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          Provision pv(d);
          auto& b = pv.builds;
          TKM_ASSIGN_OR_RETURN(auto old, b.get(a->number));
          TKM_ASSIGN_OR_RETURN(auto again, b.rebuild(ctx.actor(), a->number));
          const bool same = old.output_hash == again.output_hash;
          emit(g,
               {{"build", old.id},
                {"rebuild", again.id},
                {"same_hash", same},
                {"hash", again.output_hash}},
               same ? tr(g, "同じハッシュになりました: ", "same hash: ") + again.output_hash
                    : tr(g, "ハッシュが異なります: ", "the hash differs: ") + again.output_hash);
          if (!same) *exit_code = kFailed;
          return {};
        });
  });

  auto* list = cmd->add_subcommand("list", tr(g, "データセットの一覧", "list builds"));
  list->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::build_read, exit_code, [&] { return std::string("builds"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          Provision pv(d);
          auto& b = pv.builds;
          TKM_ASSIGN_OR_RETURN(auto all, b.list());
          json j = json::array();
          std::string text;
          for (const auto& r : all) {
            j.push_back(build_json(r));
            text += build_text(g, r);
          }
          emit(g, j, text);
          return {};
        });
  });

  auto* show = cmd->add_subcommand("show", tr(g, "データセットとリスク・有用性の報告",
                                              "a build with its risk and utility report"));
  show->add_option("id", a->number, "ID")->required();
  show->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::build_read, exit_code,
        [&] { return fmt::format("build:{}", a->number); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          Provision pv(d);
          auto& b = pv.builds;
          TKM_ASSIGN_OR_RETURN(auto r, b.get(a->number));
          emit(g, build_json(r), build_text(g, r));
          return {};
        });
  });
}

void add_package(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "package", tr(g, "提供パッケージ (作成、確認状況、書き出し)", "release packages"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, a->deployment);

  auto* create =
      cmd->add_subcommand("create", tr(g, "データセットのパッケージを作る (提供の関門を確認)",
                                       "package a build (the release gate)"));
  create->add_option("build", a->number, tr(g, "データセット", "build"))->required();
  create->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::release_package, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          Provision pv(d);
          auto& p = pv.packages;
          TKM_ASSIGN_OR_RETURN(auto pkg, p.create(ctx.actor(), a->number));
          emit(g, package_json(pkg),
               fmt::format(
                   fmt::runtime(tr(
                       g,
                       "パッケージ {} を作成しました\n  データセット {}\n  提供先 {} (証明書 {})\n "
                       " 送付先 "
                       "{}\n  SHA-256 {}\n二人の提供承認者の確認 (tokumei approve) を待っています",
                       "package {} made\n  dataset {}\n  recipient {} (certificate {})\n  "
                       "destination {}\n  SHA-256 "
                       "{}\nawaiting two approvers (tokumei approve)")),
                   pkg.id, pkg.dataset, pkg.recipient, pkg.certificate, pkg.destination,
                   pkg.sha256));
          return {};
        });
  });

  auto* list = cmd->add_subcommand(
      "list", tr(g, "パッケージと確認の状況", "packages and their confirmations"));
  list->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::provision_read, exit_code,
        [&] { return std::string("packages"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          Provision pv(d);
          auto& p = pv.packages;
          TKM_ASSIGN_OR_RETURN(auto all, p.list());
          json j = json::array();
          std::string text;
          for (const auto& x : all) {
            j.push_back(package_json(x));
            text += fmt::format("{:>4} {} {} {} {}/2 {}\n", x.id, x.dataset, x.recipient,
                                x.sha256.substr(0, 16), x.confirmations.size(),
                                x.released() ? tr(g, "提供済", "released") : "");
          }
          emit(g, j, text);
          return {};
        });
  });

  auto* signer =
      cmd->add_subcommand("signer", tr(g, "事業者の署名証明書 (利用者に渡す)",
                                       "the operator's signing certificate (for recipients)"));
  signer->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::provision_read, exit_code,
        [&] { return std::string("package_signer"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          Provision pv(d);
          auto& p = pv.packages;
          TKM_ASSIGN_OR_RETURN(std::string pem, p.signer_certificate());
          if (g.json) {
            print_json({{"certificate_pem", pem},
                        {"fingerprint", crypto::parse_certificate(pem)->fingerprint}});
          } else {
            std::cout << pem;
          }
          return {};
        });
  });

  auto* exp = cmd->add_subcommand(
      "export", tr(g, "提供済みのパッケージを書き出す", "write out a released package"));
  exp->add_option("id", a->number, "ID")->required();
  exp->add_option("--out", a->out, tr(g, "書き出し先", "output file"))->required();
  exp->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::release_package, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          Provision pv(d);
          auto& p = pv.packages;
          // MONITOR-03: nothing leaves while the monitors have frozen the exit queue.
          TKM_ASSIGN_OR_RETURN(auto frozen, d.monitor().exit_frozen());
          if (frozen) {
            return fail(Errc::policy_violation, {"出口キューが停止されています: " + *frozen,
                                                 "the exit queue is frozen: " + *frozen});
          }
          // Handing data out is a decision on provision: not for contractor staff (REVIEW-09).
          if (ctx.account.contractor) {
            return fail(Errc::permission_denied, {"委託先の職員はパッケージを書き出せません",
                                                  "contractor staff cannot hand out a package"});
          }
          TKM_ASSIGN_OR_RETURN(auto file, p.release_file(a->number));
          TKM_ASSIGN_OR_RETURN(std::string bytes, read_file(file));
          TKM_RETURN_IF_ERROR(d.audit().record(
              {.actor = ctx.actor(),
               .action = "package.export",
               .object = fmt::format("package:{}", a->number),
               .outcome = audit::Outcome::success,
               .detail =
                   json{{"sha256", hex_encode(crypto::sha256(as_bytes(bytes)))}, {"out", a->out}}
                       .dump(),
               .subjects = {}}));
          TKM_RETURN_IF_ERROR(write_file_atomic(a->out, as_bytes(bytes), 0600));
          emit(g, {{"out", a->out}}, a->out);
          return {};
        });
  });

  auto a2 = std::make_shared<Args>();
  auto* approve = app.add_subcommand(
      "approve", tr(g, "提供前の相互確認 (提供承認者; 二人目で提供と帳簿記載)",
                    "confirm a package before release (approvers; the second releases it)"));
  add_deployment_options(approve, g, a2->deployment);
  approve->add_option("package", a2->number, tr(g, "パッケージ", "package"))->required();
  approve->add_option("--recipient", a2->recipient, tr(g, "確認した提供先", "recipient checked"))
      ->required();
  approve
      ->add_option("--destination", a2->destination, tr(g, "確認した送付先", "destination checked"))
      ->required();
  approve->add_option("--dataset", a2->dataset, tr(g, "確認したデータセット", "dataset checked"))
      ->required();
  approve
      ->add_option("--sha256", a2->sha256,
                   tr(g, "確認したパッケージのハッシュ", "package hash checked"))
      ->required();
  approve
      ->add_option("--certificate", a2->cert,
                   tr(g, "提供先から別途知らされた証明書の指紋 (SHA-256)",
                      "the recipient certificate's fingerprint, as the recipient told it"))
      ->required();
  approve->callback([&g, a2, exit_code] {
    with_session(
        g, a2->deployment, Operation::release_approve, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          Provision pv(d);
          auto& p = pv.packages;
          TKM_ASSIGN_OR_RETURN(auto pkg, p.confirm(ctx.actor(), ctx.account, a2->number,
                                                   {.recipient = a2->recipient,
                                                    .destination = a2->destination,
                                                    .dataset = a2->dataset,
                                                    .sha256 = a2->sha256,
                                                    .certificate = a2->cert}));
          emit(g, package_json(pkg),
               pkg.released()
                   ? fmt::format(
                         fmt::runtime(tr(g, "二人の確認が揃い、提供を記録しました (帳簿 {})",
                                         "both confirmations given; release recorded (ledger {})")),
                         *pkg.ledger_seq)
                   : tr(g, "一人目の確認を記録しました。別の提供承認者の確認が必要です",
                        "first confirmation recorded; another approver must confirm"));
          return {};
        });
  });
}

// ----- ledger -----

void add_ledger(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd =
      app.add_subcommand("ledger", tr(g, "提供記録の帳簿 (法第13条)", "the provision ledger"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, a->deployment);

  auto* list = cmd->add_subcommand("list", tr(g, "帳簿の記載", "ledger entries"));
  list->add_option("--from", a->from, tr(g, "開始日", "from"));
  list->add_option("--to", a->to, tr(g, "終了日", "to"));
  list->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::ledger_read, exit_code,
        [&] { return "ledger:" + a->from + ".." + a->to; },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Ledger ledger(context(d));
          TKM_ASSIGN_OR_RETURN(auto all, ledger.entries(a->from, a->to));
          json j = json::array();
          std::string text;
          for (const auto& e : all) {
            j.push_back(release::ledger_entry_json(e));
            std::string checkers;
            for (const auto& c : e.checkers) checkers += (checkers.empty() ? "" : "/") + c;
            text += fmt::format("{:>4} {} {} {} {} {} [{}] {}\n", e.seq, e.day, e.kind, e.recipient,
                                e.dataset, e.data_kind, checkers, e.onward);
          }
          emit(g, j, text);
          return {};
        });
  });

  auto* verify =
      cmd->add_subcommand("verify", tr(g, "帳簿の連鎖を検証する", "verify the ledger's chain"));
  verify->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::ledger_read, exit_code, [&] { return std::string("ledger"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Ledger ledger(context(d));
          TKM_ASSIGN_OR_RETURN(auto check, ledger.verify());
          emit(g,
               {{"entries", check.entries},
                {"intact", !check.first_bad},
                {"first_bad", check.first_bad ? json(*check.first_bad) : json(nullptr)},
                {"head", check.head}},
               check.first_bad
                   ? fmt::format(fmt::runtime(tr(g, "帳簿の記載 {} で連鎖が壊れています",
                                                 "the chain breaks at entry {}")),
                                 *check.first_bad)
                   : fmt::format(
                         fmt::runtime(tr(g, "帳簿 {} 件: 正常 ({})", "{} entries: intact ({})")),
                         check.entries, check.head.substr(0, 16)));
          if (check.first_bad) *exit_code = kFailed;
          return {};
        });
  });

  auto* holders = cmd->add_subcommand(
      "holders", tr(g, "データセットを持つ者 (提供先と再提供先)", "who holds a dataset"));
  holders->add_option("dataset", a->dataset, tr(g, "データセット", "dataset"))->required();
  holders->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::ledger_read, exit_code,
        [&] { return "dataset:" + a->dataset; },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          release::Ledger ledger(context(d));
          TKM_ASSIGN_OR_RETURN(auto who, ledger.holders(a->dataset));
          std::string text;
          for (const auto& h : who) text += h + "\n";
          emit(g, who, text);
          return {};
        });
  });

  auto* exp =
      cmd->add_subcommand("export", tr(g, "期間の帳簿を CSV (署名付き) と印刷用 HTML に書き出す",
                                       "export a period as signed CSV and printable HTML"));
  exp->add_option("--from", a->from, tr(g, "開始日", "from"))->required();
  exp->add_option("--to", a->to, tr(g, "終了日", "to"))->required();
  exp->add_option("--out", a->out, tr(g, "書き出すフォルダ", "output folder"))->required();
  exp->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::ledger_read, exit_code,
        [&] { return "ledger:" + a->from + ".." + a->to; },
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          release::Ledger ledger(context(d));
          TKM_ASSIGN_OR_RETURN(auto out, ledger.export_period(ctx.actor(), a->from, a->to));
          std::error_code ec;
          std::filesystem::create_directories(a->out, ec);
          const std::filesystem::path dir(a->out);
          const std::string stem = fmt::format("ledger_{}_{}", *identity::normalize_date(a->from),
                                               *identity::normalize_date(a->to));
          TKM_RETURN_IF_ERROR(write_file_atomic(dir / (stem + ".csv"), as_bytes(out.csv), 0600));
          TKM_RETURN_IF_ERROR(
              write_file_atomic(dir / (stem + ".sig.json"), as_bytes(out.signature), 0600));
          TKM_RETURN_IF_ERROR(write_file_atomic(dir / (stem + ".html"), as_bytes(out.html), 0600));
          emit(g,
               {{"csv", (dir / (stem + ".csv")).string()},
                {"signature", (dir / (stem + ".sig.json")).string()},
                {"html", (dir / (stem + ".html")).string()}},
               (dir / (stem + ".csv")).string() + "\n" + (dir / (stem + ".sig.json")).string() +
                   "\n" + (dir / (stem + ".html")).string());
          return {};
        });
  });

  auto* check = cmd->add_subcommand(
      "verify-export",
      tr(g, "書き出した CSV を署名で確認する", "check an exported CSV against its signature"));
  check->add_option("csv", a->file, "CSV")->required()->check(CLI::ExistingFile);
  check->add_option("signature", a->evidence, tr(g, "署名ファイル", "signature file"))
      ->required()
      ->check(CLI::ExistingFile);
  check->callback([&g, a, exit_code] {
    with_reading(
        g, a->deployment, Operation::ledger_read, exit_code,
        [&] { return std::string("ledger_export"); },
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          TKM_ASSIGN_OR_RETURN(std::string csv, read_file(a->file));
          TKM_ASSIGN_OR_RETURN(std::string sig, read_file(a->evidence));
          TKM_RETURN_IF_ERROR(release::verify_ledger_export(
              csv, sig, d.keys().verification_keys(release::kLedgerSigningKey)));
          emit(g, {{"valid", true}},
               tr(g, "署名は正しく、CSV は書き出した時のままです",
                  "the signature is valid and the CSV unchanged"));
          return {};
        });
  });

  auto* correct = cmd->add_subcommand(
      "correct",
      tr(g, "訂正を申請する (別の人が確認)", "propose a correction (another person confirms)"));
  correct->add_option("seq", a->number, tr(g, "訂正する記載", "entry"))->required();
  correct->add_option("--set", a->changes, tr(g, "項目=値", "field=value"))->required();
  correct->add_option("--reason", a->reason, tr(g, "理由", "reason"))->required();
  correct->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::ledger_correct, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          std::vector<std::pair<std::string, std::string>> change;
          for (const auto& c : a->changes) {
            const auto eq = c.find('=');
            if (eq == std::string::npos) {
              return fail(Errc::invalid_argument,
                          {"--set は 項目=値 です: " + c, "--set is field=value: " + c},
                          Location{.field = "--set"});
            }
            change.emplace_back(c.substr(0, eq), c.substr(eq + 1));
          }
          release::Ledger ledger(context(d));
          TKM_ASSIGN_OR_RETURN(
              auto id, ledger.propose_correction(ctx.actor(), a->number, change, a->reason));
          emit(g, {{"pending", id}},
               fmt::format(fmt::runtime(tr(g, "訂正 {} を申請しました", "correction {} proposed")),
                           id));
          return {};
        });
  });

  auto* confirm =
      cmd->add_subcommand("confirm", tr(g, "訂正を確認して記載する", "confirm a correction"));
  confirm->add_option("pending", a->number, tr(g, "訂正の申請", "proposed correction"))->required();
  confirm->callback([&g, a, exit_code] {
    with_session(
        g, a->deployment, Operation::ledger_correct, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          release::Ledger ledger(context(d));
          TKM_ASSIGN_OR_RETURN(auto e, ledger.confirm_correction(ctx.actor(), a->number));
          emit(g, {{"seq", e.seq}, {"corrects", e.corrects ? json(*e.corrects) : json(nullptr)}},
               fmt::format(
                   fmt::runtime(tr(g, "訂正を帳簿 {} に記載しました", "correction entered as {}")),
                   e.seq));
          return {};
        });
  });
}

// ----- open (recipient side) -----

void add_open(CLI::App& app, const Globals& g, int* exit_code) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("open", tr(g, "受け取ったパッケージを検証して復号する (利用者)",
                                            "verify and decrypt a received package (recipient)"));
  cmd->add_option("package", a->file, tr(g, "パッケージ", "package"))
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--cert", a->cert, tr(g, "受取人の証明書 (PEM)", "recipient certificate"))
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--key", a->key, tr(g, "受取人の秘密鍵 (PEM)", "recipient private key"))
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--operator-cert", a->operator_cert,
                  tr(g, "事業者の署名証明書 (公表されたもの)",
                     "the operator's published signing certificate"))
      ->check(CLI::ExistingFile);
  cmd->add_option("--expect-fingerprint", a->sha256,
                  tr(g, "事業者が公表した署名証明書の指紋 (SHA-256)",
                     "the signing certificate's fingerprint the operator published"));
  cmd->add_flag(
      "--unpinned", a->lift,
      tr(g, "事業者の証明書を固定せずに開く (指紋を自分で照合する)",
         "open without pinning the operator's certificate (compare the fingerprint yourself)"));
  cmd->add_option("--out", a->out, tr(g, "展開先フォルダ", "output folder"))->required();
  cmd->callback([&g, a, exit_code] {
    auto run = [&]() -> Status {
      TKM_ASSIGN_OR_RETURN(std::string package, read_file(a->file));
      TKM_ASSIGN_OR_RETURN(std::string cert, read_file(a->cert));
      TKM_ASSIGN_OR_RETURN(std::string key, read_file(a->key));
      std::string op;
      if (!a->operator_cert.empty()) {
        TKM_ASSIGN_OR_RETURN(op, read_file(a->operator_cert));
      }
      if (op.empty() && a->sha256.empty() && !a->lift) {
        return fail(
            Errc::invalid_argument,
            {"--operator-cert か --expect-fingerprint で事業者の署名証明書を固定してください "
             "(固定しないときは --unpinned)",
             "pin the operator's signing certificate with --operator-cert or "
             "--expect-fingerprint (or say --unpinned)"});
      }
      TKM_ASSIGN_OR_RETURN(auto opened,
                           release::open_package(as_bytes(package), cert, key, op, a->sha256));
      for (const auto& [name, content] : opened.files) {
        if (std::filesystem::exists(std::filesystem::path(a->out) / name)) {
          return fail(Errc::already_exists,
                      {name + " が展開先に既にあります (上書きしません)",
                       name + " exists in the output folder (not replaced)"},
                      Location{.file = (std::filesystem::path(a->out) / name).string()});
        }
      }
      std::error_code ec;
      std::filesystem::create_directories(a->out, ec);
      for (const auto& [name, content] : opened.files) {
        TKM_RETURN_IF_ERROR(
            write_file_atomic(std::filesystem::path(a->out) / name, as_bytes(content), 0600));
      }
      emit(
          g,
          {{"label", opened.manifest.value("label", "")},
           {"dataset", opened.manifest.value("dataset", "")},
           {"signer_fingerprint", opened.signer_fingerprint},
           {"pinned", !op.empty() || !a->sha256.empty()},
           {"out", a->out},
           {"files",
            [&] {
              json names = json::array();
              for (const auto& [name, content] : opened.files) names.push_back(name);
              return names;
            }()}},
          fmt::format(
              fmt::runtime(tr(g,
                              "{}\nデータセット {} を {} に展開しました ({} "
                              "ファイル、目録と一致)\n事業者の署名: {}{}",
                              "{}\ndataset {} written to {} ({} files, matching the "
                              "manifest)\noperator signature: {}{}")),
              opened.manifest.value("label", ""), opened.manifest.value("dataset", ""), a->out,
              opened.files.size(), opened.signer_fingerprint,
              op.empty() && a->sha256.empty()
                  ? tr(g, " (証明書を固定していません: 事業者が公表した指紋と照合してください)",
                       " (not pinned: compare with the fingerprint the operator published)")
                  : tr(g, " (固定した証明書で確認)", " (checked against the pinned certificate)")));
      return {};
    };
    if (auto done = run(); !done) *exit_code = report_error(g, done.error());
  });
}

}  // namespace

void add_release(CLI::App& app, const Globals& g, int* exit_code) {
  add_registry(app, g, exit_code);
  add_request(app, g, exit_code);
  add_committee(app, g, exit_code);
  add_contract(app, g, exit_code);
  add_build(app, g, exit_code);
  add_package(app, g, exit_code);
  add_ledger(app, g, exit_code);
  add_open(app, g, exit_code);
}

}  // namespace tokumei::cli
