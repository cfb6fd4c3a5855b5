// `tokumei notification document|documents|import|status` and `tokumei optout add|list`:
// notification documents and status (CONSENT-01/02) and the opt-out registry (CONSENT-03/04).

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/files.h"
#include "tokumei/base/random.h"
#include "tokumei/consent/consent.h"
#include "tokumei/consent/inquiries.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/identity/japanese.h"
#include "tokumei/release/build.h"

namespace tokumei::cli {
namespace {

using nlohmann::json;

struct ConsentArgs {
  DeploymentArgs deployment;
  std::string user;  // the person logged in
  std::string institution;
  std::string patient_id;
  std::string version, method, effective, file;
  std::string received_on;
  std::string via = "institution";
  std::int64_t inquiry = 0;
  std::string from, channel, kind = "inquiry", note;
  bool open_only = false;
  std::string period_from, period_to;
};

struct Opened {
  std::unique_ptr<zones::Deployment> deployment;
  std::optional<identity::IdentityVault> vault;
  std::optional<consent::ConsentStore> store;
};

// Runs `body` on the opened consent store and its deployment, for the person logged in (AUTHZ-02:
// processing staff).
void with_deployment_store(
    const Globals& g, ConsentArgs& args, int* exit_code,
    const std::function<Result<int>(consent::ConsentStore&, zones::Deployment&)>& body) {
  SystemClock clock;
  SystemRandom random;
  auto run = [&]() -> Result<int> {
    Opened o;
    TKM_ASSIGN_OR_RETURN(o.deployment, open_deployment(args.deployment, clock, random));
    zones::Deployment& d = *o.deployment;
    TKM_ASSIGN_OR_RETURN(auto ctx,
                         authorize(d, args.deployment, security::Operation::consent_manage));
    args.user = ctx.account.user_id;
    o.vault.emplace(d.db(), d.keys(), clock, random);
    TKM_RETURN_IF_ERROR(o.vault->prepare());
    o.store.emplace(d.db(), d.keys(), *o.vault, d.audit(), clock);
    return body(*o.store, d);
  };
  auto done = run();
  *exit_code = done ? *done : report_error(g, done.error());
}

void with_store(const Globals& g, ConsentArgs& args, int* exit_code,
                const std::function<Result<int>(consent::ConsentStore&)>& body) {
  with_deployment_store(g, args, exit_code, [&](consent::ConsentStore& store, zones::Deployment&) {
    return body(store);
  });
}

audit::Actor actor(const ConsentArgs& args) { return {args.user, args.deployment.terminal}; }

void add_notification(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<ConsentArgs>();
  auto* cmd = app.add_subcommand(
      "notification", tr(g, "医療機関の通知書面と患者ごとの通知の記録",
                         "institutions' notification documents and patients' notification"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--institution", args->institution, tr(g, "医療機関コード", "institution code"))
      ->required();

  auto* document = cmd->add_subcommand(
      "document", tr(g, "確認した通知書面の版と通知の方法を登録する",
                     "record a confirmed version of the notification document and method"));
  document->add_option("--version", args->version, tr(g, "版", "version"))->required();
  document
      ->add_option("--method", args->method,
                   tr(g, "通知の方法 (掲示、書面交付、ウェブ掲載など)",
                      "notification method (posting, letter, website, ...)"))
      ->required();
  document->add_option("--effective", args->effective, tr(g, "適用開始日", "effective from"))
      ->required();
  document
      ->add_option("--file", args->file,
                   tr(g, "通知書面のファイル (ハッシュを記録する)",
                      "the document file (its hash is recorded)"))
      ->required()
      ->check(CLI::ExistingFile);
  document->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](consent::ConsentStore& store) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(std::string content, read_file(args->file));
      const std::string sha256 = hex_encode(crypto::sha256(as_bytes(content)));
      TKM_RETURN_IF_ERROR(store.add_document(actor(*args), {.institution = args->institution,
                                                            .version = args->version,
                                                            .method = args->method,
                                                            .effective_from = args->effective,
                                                            .content_sha256 = sha256}));
      std::cout << (g.json ? json{{"institution", args->institution},
                                  {"version", args->version},
                                  {"content_sha256", sha256}}
                                 .dump(2)
                           : fmt::format(fmt::runtime(tr(g, "通知書面 {} を登録しました ({})",
                                                         "notification document {} recorded ({})")),
                                         args->version, sha256.substr(0, 16)))
                << "\n";
      return kOk;
    });
  });

  auto* documents = cmd->add_subcommand(
      "documents", tr(g, "医療機関の通知書面の版の一覧", "the institution's document versions"));
  documents->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](consent::ConsentStore& store) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(auto list, store.documents(args->institution));
      json out = json::array();
      for (const auto& d : list) {
        out.push_back({{"version", d.version},
                       {"method", d.method},
                       {"effective_from", d.effective_from},
                       {"content_sha256", d.content_sha256},
                       {"confirmed_by", d.confirmed_by},
                       {"recorded_at", format_utc(d.recorded_at)}});
        if (!g.json) {
          std::cout << fmt::format("  {} {} {} {} {}\n", d.effective_from, d.version, d.method,
                                   d.confirmed_by, d.content_sha256.substr(0, 16));
        }
      }
      if (g.json) std::cout << json{{"documents", out}}.dump(2) << "\n";
      return kOk;
    });
  });

  auto* import_csv = cmd->add_subcommand(
      "import",
      tr(g, "医療機関の通知済み患者の一覧 (CSV: patient_id[,notified_on][,method]) を記録する",
         "record the institution's list of notified patients (CSV: "
         "patient_id[,notified_on][,method])"));
  import_csv->add_option("csv", args->file, tr(g, "CSV ファイル", "CSV file"))
      ->required()
      ->check(CLI::ExistingFile);
  import_csv->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](consent::ConsentStore& store) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(std::string text, read_file(args->file));
      TKM_ASSIGN_OR_RETURN(
          consent::ImportSummary s,
          store.import_notifications(actor(*args), args->institution, text, args->file));
      if (g.json) {
        json refused = json::array();
        for (const auto& e : s.refused) refused.push_back(e.describe(g.lang));
        std::cout << json{{"rows", s.rows}, {"recorded", s.recorded}, {"refused", refused}}.dump(2)
                  << "\n";
      } else {
        std::cout << fmt::format(fmt::runtime(tr(g, "{} 行のうち {} 人の通知を記録しました\n",
                                                 "{} rows, {} notifications recorded\n")),
                                 s.rows, s.recorded);
        for (const auto& e : s.refused) std::cerr << "  " << e.describe(g.lang) << "\n";
      }
      return s.refused.empty() ? kOk : kFailed;
    });
  });

  auto* status = cmd->add_subcommand(
      "status", tr(g, "患者の通知の記録 (履歴と出所)", "a patient's notification history"));
  status->add_option("--patient-id", args->patient_id, tr(g, "患者ID", "patient ID"))->required();
  status->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](consent::ConsentStore& store) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(auto list, store.notifications(args->institution, args->patient_id));
      json out = json::array();
      for (const auto& n : list) {
        out.push_back({{"notified_on", n.notified_on},
                       {"method", n.method},
                       {"source", n.source},
                       {"recorded_by", n.recorded_by},
                       {"recorded_at", format_utc(n.recorded_at)}});
        if (!g.json) {
          std::cout << fmt::format("  {} {} {} {} {}\n",
                                   n.notified_on.empty() ? "-" : n.notified_on, n.method, n.source,
                                   n.recorded_by, format_utc(n.recorded_at));
        }
      }
      if (g.json) std::cout << json{{"notifications", out}}.dump(2) << "\n";
      if (!g.json && list.empty()) {
        std::cout << tr(g, "  通知の記録はありません\n", "  no notification on record\n");
      }
      return kOk;
    });
  });
  for (auto* sub : {document, documents, import_csv, status}) sub->fallthrough();
}

void add_optout(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<ConsentArgs>();
  auto* cmd = app.add_subcommand(
      "optout", tr(g, "停止の求め (オプトアウト) の登録と一覧", "opt-out (停止の求め) registry"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, args->deployment);

  auto* add = cmd->add_subcommand(
      "add", tr(g, "停止の求めを登録し、保存済みの情報を消去する (名寄せされた他院の記録も)",
                "register an opt-out and erase what is stored (linked records at other "
                "hospitals too)"));
  add->add_option("--institution", args->institution, tr(g, "医療機関コード", "institution code"))
      ->required();
  add->add_option("--patient-id", args->patient_id, tr(g, "患者ID", "patient ID"))->required();
  add->add_option("--received-on", args->received_on,
                  tr(g, "求めを受け付けた日", "the day the request was received"))
      ->required();
  add->add_option("--via", args->via,
                  tr(g, "受付経路 (institution | consultation_center)",
                     "received via (institution | consultation_center)"))
      ->check(CLI::IsMember({"institution", "consultation_center"}));
  add->callback([&g, args, exit_code] {
    with_deployment_store(
        g, *args, exit_code,
        [&](consent::ConsentStore& store, zones::Deployment& d) -> Result<int> {
          TKM_ASSIGN_OR_RETURN(consent::OptOutReport r,
                               store.opt_out(actor(*args), args->institution, args->patient_id,
                                             args->received_on, args->via));
          // CONSENT-04: the datasets already provided that held any of the erased records, so that
          // their recipients can be told.
          TKM_ASSIGN_OR_RETURN(r.datasets_provided,
                               release::datasets_holding(d.db(), r.person_keys));
          TKM_RETURN_IF_ERROR(
              d.audit().record({.actor = actor(*args),
                                .action = "consent.optout.provided",
                                .object = fmt::format("opt_out:{}", r.opt_out.id),
                                .outcome = audit::Outcome::success,
                                .detail = json{{"datasets", *r.datasets_provided}}.dump(),
                                .subjects = {}}));
          if (g.json) {
            std::cout << json{{"opt_out", r.opt_out.id},
                              {"records_linked", r.person_keys.size()},
                              {"records_deleted", r.opt_out.records_deleted},
                              {"identities_deleted", r.opt_out.identities_deleted},
                              {"deletion_record", r.opt_out.deletion_record},
                              {"datasets_provided",
                               r.datasets_provided ? json(*r.datasets_provided) : json(nullptr)}}
                             .dump(2)
                      << "\n";
          } else {
            std::cout << fmt::format(
                fmt::runtime(
                    tr(g,
                       "停止の求め {} を登録しました: 名寄せされた記録 {}、消去した記録 {}、"
                       "身元情報 {} (削除記録 {})\n",
                       "Opt-out {} registered: {} linked records, {} records and {} identity "
                       "versions erased (deletion record {})\n")),
                r.opt_out.id, r.person_keys.size(), r.opt_out.records_deleted,
                r.opt_out.identities_deleted, r.opt_out.deletion_record);
            std::cout << tr(g, "この者を含む提供済みのデータセット:",
                            "datasets already provided that held them:")
                      << (r.datasets_provided->empty() ? tr(g, " なし\n", " none\n") : "\n");
            for (const auto& ds : *r.datasets_provided) std::cout << "  " << ds << "\n";
          }
          return kOk;
        });
  });

  auto* list = cmd->add_subcommand("list", tr(g, "停止の求めの一覧", "list opt-outs"));
  list->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](consent::ConsentStore& store) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(auto all, store.opt_outs());
      json out = json::array();
      for (const auto& o : all) {
        out.push_back({{"opt_out", o.id},
                       {"institution", o.institution},
                       {"received_on", o.received_on},
                       {"via", o.via},
                       {"recorded_by", o.recorded_by},
                       {"records_deleted", o.records_deleted},
                       {"deletion_record", o.deletion_record}});
        if (!g.json) {
          std::cout << fmt::format("  {} {} {} {} {} deleted={} record={}\n", o.id, o.institution,
                                   o.received_on, o.via, o.recorded_by, o.records_deleted,
                                   o.deletion_record);
        }
      }
      if (g.json) std::cout << json{{"opt_outs", out}}.dump(2) << "\n";
      return kOk;
    });
  });
  for (auto* sub : {add, list}) sub->fallthrough();
}

json inquiry_json(const consent::Inquiry& q) {
  json steps = json::array();
  for (const auto& s : q.steps) {
    steps.push_back({{"state", s.state}, {"note", s.note}, {"by", s.by}, {"at", format_utc(s.at)}});
  }
  return {{"inquiry", q.id},      {"from", q.from},   {"channel", q.channel},
          {"kind", q.kind},       {"state", q.state}, {"received", format_utc(q.received)},
          {"overdue", q.overdue}, {"steps", steps}};
}

// Runs `body` on the consultation center's tickets.
void with_inquiries(const Globals& g, ConsentArgs& args, int* exit_code,
                    const std::function<Result<int>(consent::InquiryStore&)>& body) {
  SystemClock clock;
  SystemRandom random;
  auto run = [&]() -> Result<int> {
    TKM_ASSIGN_OR_RETURN(auto d, open_deployment(args.deployment, clock, random));
    TKM_ASSIGN_OR_RETURN(auto ctx,
                         authorize(*d, args.deployment, security::Operation::consent_manage));
    args.user = ctx.account.user_id;
    consent::InquiryStore store(d->db(), d->keys(), d->audit(), clock);
    return body(store);
  };
  auto done = run();
  *exit_code = done ? *done : report_error(g, done.error());
}

void add_inquiry(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<ConsentArgs>();
  auto* cmd = app.add_subcommand(
      "inquiry", tr(g, "相談センターの受付 (問い合わせ・苦情) の記録と定期報告",
                    "the consultation center's tickets (inquiries, complaints) and the report"));
  cmd->require_subcommand(1);
  add_deployment_options(cmd, g, args->deployment);

  auto* receive = cmd->add_subcommand("receive", tr(g, "受け付ける", "take one in"));
  receive->add_option("--from", args->from, "patient | institution | recipient | other")
      ->required();
  receive
      ->add_option("--channel", args->channel,
                   tr(g, "経路 (電話、メール、郵便、来所…)", "channel (phone, email, letter, …)"))
      ->required();
  receive->add_option("--kind", args->kind, "inquiry | complaint | opt_out_request");
  receive
      ->add_option("--summary", args->note,
                   tr(g, "内容の要旨 (暗号化して保存)", "what it is about (kept encrypted)"))
      ->required();
  receive->callback([&g, args, exit_code] {
    with_inquiries(g, *args, exit_code, [&](consent::InquiryStore& s) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(std::int64_t id, s.receive(actor(*args), args->from, args->channel,
                                                      args->kind, args->note));
      std::cout << (g.json ? json{{"inquiry", id}}.dump(2)
                           : fmt::format(fmt::runtime(tr(g, "相談 {} を受け付けました",
                                                         "inquiry {} taken in")),
                                         id))
                << "\n";
      return kOk;
    });
  });
  std::vector<CLI::App*> subs{receive};
  for (const auto& [name, state, ja, en] :
       std::vector<std::tuple<const char*, const char*, const char*, const char*>>{
           {"route", "routed", "担当部署・担当者へ回す (宛先を --note に)",
            "pass it on (to whom, in --note)"},
           {"answer", "answered", "回答を記録する", "record the answer"},
           {"close", "closed", "終了する (回答のあと)", "close it (after the answer)"}}) {
    auto* sub = cmd->add_subcommand(name, tr(g, ja, en));
    sub->add_option("inquiry", args->inquiry, tr(g, "相談番号", "inquiry number"))->required();
    sub->add_option("--note", args->note, tr(g, "内容 (暗号化して保存)", "note (kept encrypted)"))
        ->required();
    const std::string st = state;
    sub->callback([&g, args, exit_code, st] {
      with_inquiries(g, *args, exit_code, [&](consent::InquiryStore& s) -> Result<int> {
        TKM_RETURN_IF_ERROR(s.step(actor(*args), args->inquiry, st, args->note));
        std::cout << (g.json ? json{{"inquiry", args->inquiry}, {"state", st}}.dump(2)
                             : fmt::format("{} {}", args->inquiry, st))
                  << "\n";
        return kOk;
      });
    });
    subs.push_back(sub);
  }
  auto* list =
      cmd->add_subcommand("list", tr(g, "受付の一覧 (内容を復号して表示。監査ログに記録)",
                                     "the tickets, notes decrypted (recorded in the audit log)"));
  list->add_flag("--open", args->open_only,
                 tr(g, "終了していないものだけ", "only those not closed"));
  list->callback([&g, args, exit_code] {
    with_inquiries(g, *args, exit_code, [&](consent::InquiryStore& s) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(auto all, s.list(actor(*args), args->open_only));
      json out = json::array();
      for (const auto& q : all) {
        out.push_back(inquiry_json(q));
        if (!g.json) {
          std::cout << fmt::format("  [{}] {} {} {} {} {}{}\n", q.id, q.state, q.kind, q.from,
                                   q.channel, format_utc(q.received),
                                   q.overdue ? tr(g, " 回答期限超過", " OVERDUE") : "");
        }
      }
      if (g.json) std::cout << json{{"inquiries", out}}.dump(2) << "\n";
      return kOk;
    });
  });
  auto* report = cmd->add_subcommand(
      "report", tr(g, "期間の報告 (件数、未終了、期限超過; 内容は含めない)",
                   "the report for a period (counts, open, overdue; no notes)"));
  report->add_option("--from", args->period_from, tr(g, "開始日 (含む)", "first day"))->required();
  report->add_option("--to", args->period_to, tr(g, "終了日 (含まない)", "day after the last"))
      ->required();
  report->callback([&g, args, exit_code] {
    with_inquiries(g, *args, exit_code, [&](consent::InquiryStore& s) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(TimePoint from, japanese_day_start(args->period_from));
      TKM_ASSIGN_OR_RETURN(TimePoint to, japanese_day_start(args->period_to));
      TKM_ASSIGN_OR_RETURN(consent::InquiryReport r, s.report(actor(*args), from, to));
      json open = json::array(), closed = json::array();
      for (const auto& q : r.open_items) open.push_back(inquiry_json(q));
      for (const auto& q : r.closed_items) closed.push_back(inquiry_json(q));
      if (g.json) {
        std::cout << json{{"received", r.received}, {"answered", r.answered}, {"closed", r.closed},
                          {"open", r.open},         {"overdue", r.overdue},   {"open_items", open},
                          {"closed_items", closed}}
                         .dump(2)
                  << "\n";
      } else {
        std::cout << fmt::format(
            fmt::runtime(tr(g, "受付 {}、回答 {}、終了 {}、未終了 {} (うち期限超過 {})\n",
                            "received {}, answered {}, closed {}, open {} ({} overdue)\n")),
            r.received, r.answered, r.closed, r.open, r.overdue);
        for (const auto& q : r.open_items) {
          std::cout << fmt::format("  [{}] {} {} {}{}\n", q.id, q.state, q.kind,
                                   format_utc(q.received),
                                   q.overdue ? tr(g, " 回答期限超過", " OVERDUE") : "");
        }
      }
      return kOk;
    });
  });
  subs.push_back(list);
  subs.push_back(report);
  for (auto* sub : subs) sub->fallthrough();
}

}  // namespace

void add_consent(CLI::App& app, const Globals& g, int* exit_code) {
  add_notification(app, g, exit_code);
  add_optout(app, g, exit_code);
  add_inquiry(app, g, exit_code);
}

}  // namespace tokumei::cli
