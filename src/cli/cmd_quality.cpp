// `tokumei check BATCH`, `tokumei findings [show|decide|metrics|evaluate]`, `tokumei acquire
// BATCH`: quality checks on a pending batch, the reviewers' queue, and acquisition
// (quality/checker.h).

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/files.h"
#include "tokumei/base/random.h"
#include "tokumei/identity/japanese.h"
#include "tokumei/quality/checker.h"

namespace tokumei::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct QualityArgs {
  DeploymentArgs deployment;
  std::int64_t batch = 0;
  std::int64_t finding = 0;
  std::string extracted;
  std::string user;
  std::string decision;
  std::string reason;
  std::string rule;
  bool open_only = false;
  std::size_t limit = 100;
  std::string from, to;
  std::string truth;
  std::int64_t query = 0;
  std::string note;
};

struct Opened {
  std::unique_ptr<zones::Deployment> deployment;
  std::optional<identity::IdentityVault> vault;
  std::optional<consent::ConsentStore> consent;
  std::optional<quality::QualityStore> store;
};

// Opens the quality store for the person logged in, if their role may perform `op`.
Result<Opened> open_quality(QualityArgs& args, security::Operation op, const Clock& clock,
                            Random& random) {
  Opened o;
  TKM_ASSIGN_OR_RETURN(o.deployment, open_deployment(args.deployment, clock, random));
  zones::Deployment& d = *o.deployment;
  TKM_ASSIGN_OR_RETURN(auto ctx, authorize(d, args.deployment, op));
  args.user = ctx.account.user_id;
  o.vault.emplace(d.db(), d.keys(), clock, random);
  TKM_RETURN_IF_ERROR(o.vault->prepare());
  o.consent.emplace(d.db(), d.keys(), *o.vault, d.audit(), clock);
  o.store.emplace(d.db(), d.keys(), *o.vault, d.accounts(), *o.consent, d.audit(), clock);
  return o;
}

void with_store(const Globals& g, QualityArgs& args, security::Operation op, int* exit_code,
                const std::function<Result<int>(Opened&)>& body) {
  SystemClock clock;
  SystemRandom random;
  auto opened = open_quality(args, op, clock, random);
  if (!opened) {
    *exit_code = report_error(g, opened.error());
    return;
  }
  auto done = body(*opened);
  *exit_code = done ? *done : report_error(g, done.error());
}

audit::Actor actor(const QualityArgs& args) { return {args.user, args.deployment.terminal}; }

json finding_json(const quality::Finding& f) {
  json events = json::array();
  for (const auto& l : f.events) {
    events.push_back({{"event", l.event_id},
                      {"type", l.type},
                      {"date", l.date},
                      {"code_system", l.code_system},
                      {"code", l.code},
                      {"file_sha256", l.file_sha256},
                      {"line", l.line},
                      {"offset", l.offset},
                      {"element", l.element}});
  }
  return {{"finding", f.id},
          {"batch", f.batch_id},
          {"rule", f.rule_id},
          {"rule_version", f.rule_version},
          {"severity", quality::severity_name(f.severity)},
          {"blocking", f.blocking},
          {"status", f.status},
          {"events", events},
          {"detail", json::parse(f.detail, nullptr, false)}};
}

std::string describe_finding(const Globals& g, const quality::Finding& f) {
  const quality::Rule* rule = quality::find_rule(f.rule_id);
  std::string where;
  for (const auto& l : f.events) {
    where += fmt::format("\n      {} {} {} {}:{} — {} {}{}", tr(g, "記録", "event"), l.event_id,
                         l.type, l.date, l.code, l.file_sha256.substr(0, 16), tr(g, "行", "line"),
                         l.line, l.element.empty() ? "" : " " + l.element);
  }
  return fmt::format("  [{}] {}{} {} ({}) {}{}", f.id, f.rule_id,
                     f.blocking ? tr(g, " 取得停止", " blocking") : "", f.status,
                     tr(g, "バッチ ", "batch ") + std::to_string(f.batch_id),
                     rule ? tr(g, rule->description) : "", where);
}

// Writes the batch's report beside the deployment (reports/, owner only) and returns the paths.
Result<std::pair<fs::path, fs::path>> write_report(quality::QualityStore& store,
                                                   const fs::path& dir, std::int64_t batch,
                                                   Lang lang) {
  TKM_ASSIGN_OR_RETURN(std::string json_text, store.report_json(batch));
  TKM_ASSIGN_OR_RETURN(std::string html, store.report_html(batch, lang));
  const fs::path folder = dir / "reports";
  std::error_code ec;
  fs::create_directories(folder, ec);
  ::chmod(folder.c_str(), 0700);
  const fs::path json_path = folder / fmt::format("quality-batch-{}.json", batch);
  const fs::path html_path = folder / fmt::format("quality-batch-{}.html", batch);
  TKM_RETURN_IF_ERROR(write_file_atomic(json_path, as_bytes(json_text), 0600));
  TKM_RETURN_IF_ERROR(write_file_atomic(html_path, as_bytes(html), 0600));
  return std::pair{json_path, html_path};
}

void add_check(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<QualityArgs>();
  auto* cmd = app.add_subcommand(
      "check", tr(g, "取得前のバッチを品質点検し、報告 (JSON と HTML) の場所を表示する",
                  "check a pending batch and print where its report (JSON and HTML) is"));
  cmd->add_option("batch", args->batch, tr(g, "バッチ番号", "batch number"))->required();
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--extracted", args->extracted,
                  tr(g, "医療機関がデータを抽出した日 (既定: 受け取った日)",
                     "the day the institution extracted the data (default: the day received)"));
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, security::Operation::quality_check, exit_code,
               [&](Opened& o) -> Result<int> {
                 quality::CheckOptions options;
                 if (!args->extracted.empty()) options.extraction_date = args->extracted;
                 TKM_ASSIGN_OR_RETURN(quality::CheckSummary s,
                                      o.store->check(actor(*args), args->batch, options));
                 TKM_ASSIGN_OR_RETURN(
                     auto paths, write_report(*o.store, o.deployment->dir(), args->batch, g.lang));
                 if (g.json) {
                   std::cout << json{{"batch", s.batch_id},
                                     {"check", s.check_id},
                                     {"persons", s.persons},
                                     {"events", s.events},
                                     {"new_findings", s.new_findings},
                                     {"findings_by_rule", s.by_rule},
                                     {"open_blocking", s.open_blocking},
                                     {"extraction_date", s.extraction_date},
                                     {"report", paths.first.string()},
                                     {"report_html", paths.second.string()}}
                                    .dump(2)
                             << "\n";
                 } else {
                   std::cout << fmt::format(
                       fmt::runtime(
                           tr(g,
                              "バッチ {} を点検しました: 患者 {}、記録 {}、新しい指摘 "
                              "{}、未判断の取得停止指摘 {}\n",
                              "Checked batch {}: {} patients, {} events, {} new findings, {} open "
                              "blocking findings\n")),
                       s.batch_id, s.persons, s.events, s.new_findings, s.open_blocking);
                   for (const auto& [rule, n] : s.by_rule)
                     std::cout << "  " << rule << " " << n << "\n";
                   std::cout << tr(g, "報告: ", "report: ") << paths.second.string() << "\n"
                             << "        " << paths.first.string() << "\n";
                 }
                 return s.open_blocking > 0 ? kFailed : kOk;
               });
  });
}

void add_acquire(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<QualityArgs>();
  auto* cmd = app.add_subcommand(
      "acquire",
      tr(g, "点検済みのバッチを取得する (取得停止の指摘が未判断なら拒否し、どれかを示す)",
         "acquire a checked batch (refused, naming them, while blocking findings are open)"));
  cmd->add_option("batch", args->batch, tr(g, "バッチ番号", "batch number"))->required();
  add_deployment_options(cmd, g, args->deployment);
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, security::Operation::acquire, exit_code, [&](Opened& o) -> Result<int> {
      TKM_ASSIGN_OR_RETURN(quality::AcquireSummary s, o.store->acquire(actor(*args), args->batch));
      if (g.json) {
        std::cout << json{{"batch", s.batch_id},
                          {"events_acquired", s.events_acquired},
                          {"events_excluded", s.events_excluded},
                          {"persons_excluded", s.persons_excluded},
                          {"persons_opted_out", s.persons_opted_out},
                          {"persons_not_notified", s.persons_not_notified},
                          {"deletion_record", s.deletion_record}}
                         .dump(2)
                  << "\n";
      } else {
        std::cout << fmt::format(
            fmt::runtime(
                tr(g, "バッチ {} を取得しました: 記録 {}、除外して削除した記録 {} (削除記録 {})\n",
                   "Acquired batch {}: {} events; {} excluded and deleted (deletion "
                   "record {})\n")),
            s.batch_id, s.events_acquired, s.events_excluded, s.deletion_record);
      }
      return kOk;
    });
  });
}

// Reads NDJSON anomalies of the generator's truth: (kind, institution, patient ID).
std::vector<json> read_ndjson(const fs::path& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (auto j = json::parse(line, nullptr, false); j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

// The rule each kind of injected anomaly must trip ("" for kinds no quality rule is about).
std::string_view rule_for(std::string_view kind) {
  using namespace quality::rule;
  if (kind == "discharge_before_admission") return discharge_before_admission;
  if (kind == "order_outside_encounter") return outside_encounter;
  if (kind == "one_id_two_names" || kind == "name_typo") return several_names;
  if (kind == "conflicting_sex" || kind == "conflicting_birth_date") {
    return conflicting_demographics;
  }
  if (kind == "orphan_claims_id") return orphan_id;
  if (kind == "event_before_birth") return before_birth;
  if (kind == "event_after_death") return after_death;
  if (kind == "future_date") return future;
  if (kind == "date_after_extraction") return after_extraction;
  if (kind == "duplicate_event") return duplicate;
  if (kind == "invalid_code") return invalid_code;
  if (kind == "claims_without_notification" || kind == "visits_before_notification") {
    return not_notified;
  }
  return "";
}

void add_findings(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<QualityArgs>();
  auto* cmd = app.add_subcommand(
      "findings", tr(g, "品質点検の指摘 (確認待ちの一覧、内容、判断、規則ごとの精度)",
                     "quality findings: the queue, one finding, decisions, per-rule figures"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--batch", args->batch, tr(g, "このバッチの指摘だけ", "only this batch's"));
  cmd->add_option("--rule", args->rule, tr(g, "この規則の指摘だけ", "only this rule's"));
  cmd->add_flag("--open", args->open_only, tr(g, "未判断のものだけ", "only open ones"));
  cmd->add_option("--limit", args->limit, tr(g, "表示する数", "how many"));
  cmd->callback([&g, args, exit_code, cmd] {
    if (cmd->get_subcommands().size() > 0) return;
    with_store(
        g, *args, security::Operation::quality_check, exit_code, [&](Opened& o) -> Result<int> {
          quality::QualityStore::Filter filter{
              .open_only = args->open_only, .rule = args->rule, .limit = args->limit};
          if (args->batch != 0) filter.batch = args->batch;
          TKM_ASSIGN_OR_RETURN(std::vector<quality::Finding> list, o.store->findings(filter));
          if (g.json) {
            json out = json::array();
            for (const auto& f : list) out.push_back(finding_json(f));
            std::cout << json{{"findings", out}}.dump(2) << "\n";
          } else {
            std::cout << fmt::format(fmt::runtime(tr(g, "指摘 {} 件\n", "{} findings\n")),
                                     list.size());
            for (const auto& f : list) std::cout << describe_finding(g, f) << "\n";
          }
          return kOk;
        });
  });

  auto* show = cmd->add_subcommand(
      "show", tr(g, "指摘の記録と患者の身元情報を並べて表示する (監査ログに記録)",
                 "show a finding's records and the patient's identity versions side by side "
                 "(recorded in the audit log)"));
  show->add_option("finding", args->finding, tr(g, "指摘の番号", "finding number"))->required();
  show->callback([&g, args, exit_code] {
    with_store(
        g, *args, security::Operation::quality_check, exit_code, [&](Opened& o) -> Result<int> {
          TKM_ASSIGN_OR_RETURN(quality::FindingView v, o.store->show(actor(*args), args->finding));
          std::cout << describe_finding(g, v.finding) << "\n";
          std::cout << tr(g, "  身元情報 (古い順):\n", "  identity versions (oldest first):\n");
          for (const auto& p : v.identities) {
            std::cout << fmt::format("    {} / {} / {} / {} / {}{}\n", p.name_kanji, p.name_kana,
                                     p.birth_date, model::sex_name(p.sex), p.patient_id,
                                     p.death_date.empty() ? "" : " † " + p.death_date);
          }
          return kOk;
        });
  });

  auto* decide = cmd->add_subcommand(
      "decide", tr(g,
                   "指摘を判断する: confirm (誤り: 該当記録を除外)、override (誤報・根拠あり: "
                   "記録を残す)、exclude (その患者のバッチ内の記録をすべて除外)",
                   "decide a finding: confirm (a true problem: its records are excluded), "
                   "override (a false alarm or a change with evidence: records stay), exclude "
                   "(all of the patient's records of the batch are excluded)"));
  decide->add_option("finding", args->finding, tr(g, "指摘の番号", "finding number"))->required();
  decide->add_option("decision", args->decision, "confirm | override | exclude")
      ->required()
      ->check(CLI::IsMember({"confirm", "override", "exclude"}));
  decide->add_option(
      "--reason", args->reason,
      tr(g, "理由 (override と exclude では必須)", "reason (required for override and exclude)"));
  decide->callback([&g, args, exit_code] {
    with_store(
        g, *args, security::Operation::quality_decide, exit_code, [&](Opened& o) -> Result<int> {
          TKM_ASSIGN_OR_RETURN(quality::Decision d, quality::parse_decision(args->decision));
          TKM_ASSIGN_OR_RETURN(std::int64_t id,
                               o.store->decide(args->user, args->deployment.terminal, args->finding,
                                               d, args->reason));
          std::cout << (g.json ? json{{"finding", args->finding}, {"decision", id}}.dump(2)
                               : fmt::format(fmt::runtime(tr(g, "指摘 {} を判断しました (判断 {})",
                                                             "finding {} decided (decision {})")),
                                             args->finding, id))
                    << "\n";
          return kOk;
        });
  });

  auto* metrics = cmd->add_subcommand(
      "metrics", tr(g, "規則ごとの指摘数・確定・誤報・未判断 (期間を指定できる)",
                    "per rule: findings, confirmed, false alarms, open (for a period)"));
  metrics->add_option("--from", args->from, tr(g, "開始日 (含む)", "first day (included)"));
  metrics->add_option("--to", args->to, tr(g, "終了日 (含まない)", "last day (excluded)"));
  metrics->callback([&g, args, exit_code] {
    with_store(
        g, *args, security::Operation::quality_check, exit_code, [&](Opened& o) -> Result<int> {
          auto parse = [](const std::string& text, TimePoint fallback) -> Result<TimePoint> {
            return text.empty() ? Result<TimePoint>(fallback) : japanese_day_start(text);
          };
          TKM_ASSIGN_OR_RETURN(TimePoint from, parse(args->from, TimePoint{}));
          TKM_ASSIGN_OR_RETURN(TimePoint to, parse(args->to, TimePoint::max()));
          TKM_ASSIGN_OR_RETURN(std::vector<quality::RuleMetrics> m, o.store->metrics(from, to));
          json out = json::array();
          for (const auto& r : m) {
            out.push_back({{"rule", r.rule_id},
                           {"version", r.rule_version},
                           {"findings", r.findings},
                           {"confirmed", r.confirmed},
                           {"false_alarms", r.false_alarms},
                           {"open", r.open}});
            if (!g.json) {
              std::cout << fmt::format(
                  fmt::runtime(
                      tr(g, "  {} v{}: 指摘 {}、確定 {}、誤報 {}、未判断 {}\n",
                         "  {} v{}: {} findings, {} confirmed, {} false alarms, {} open\n")),
                  r.rule_id, r.rule_version, r.findings, r.confirmed, r.false_alarms, r.open);
            }
          }
          if (g.json) std::cout << json{{"rules", out}}.dump(2) << "\n";
          return kOk;
        });
  });

  auto* evaluate = cmd->add_subcommand(
      "evaluate",
      tr(g, "tokumei synth の正解データと指摘を比べ、規則ごとの適合率と再現率を表示する",
         "compare the findings with the ground truth of tokumei synth and print precision and "
         "recall per rule"));
  evaluate
      ->add_option("--truth", args->truth,
                   tr(g, "正解データのフォルダ (…/truth)", "the ground truth folder (…/truth)"))
      ->required();
  evaluate->callback([&g, args, exit_code] {
    with_store(
        g, *args, security::Operation::quality_check, exit_code, [&](Opened& o) -> Result<int> {
          // Expected (rule, person) from the truth; kinds no rule is about are left out.
          std::map<std::string, std::set<std::string>> expected;
          std::set<std::string> anomalous;  // persons with any anomaly
          for (const auto& a : read_ndjson(fs::path(args->truth) / "anomalies.ndjson")) {
            TKM_ASSIGN_OR_RETURN(
                auto key, o.vault->find(a.value("institution", ""), a.value("patient_id", "")));
            if (!key) continue;
            anomalous.insert(*key);
            const std::string_view rule = rule_for(a.value("kind", ""));
            if (!rule.empty()) expected[std::string(rule)].insert(*key);
          }
          TKM_ASSIGN_OR_RETURN(std::vector<quality::Finding> all,
                               o.store->findings({.limit = 100'000'000}));
          std::map<std::string, std::set<std::string>> flagged;
          std::size_t clean_flagged_events = 0;
          for (const auto& f : all) {
            flagged[f.rule_id].insert(f.person_key);
            if (!anomalous.contains(f.person_key))
              clean_flagged_events += std::max<std::size_t>(1, f.events.size());
          }
          TKM_ASSIGN_OR_RETURN(store::Row events,
                               o.deployment->db().query_one("SELECT COUNT(*) FROM ingest_events"));
          json rules = json::array();
          bool all_found = true;
          for (const auto& r : quality::rules()) {
            const auto& e = expected[std::string(r.id)];
            const auto& f = flagged[std::string(r.id)];
            std::size_t hit = 0;
            for (const auto& p : e) hit += f.contains(p);
            const double precision = f.empty() ? 1.0 : static_cast<double>(hit) / f.size();
            const double recall = e.empty() ? 1.0 : static_cast<double>(hit) / e.size();
            all_found = all_found && hit == e.size();
            rules.push_back({{"rule", r.id},
                             {"expected", e.size()},
                             {"flagged", f.size()},
                             {"found", hit},
                             {"precision", precision},
                             {"recall", recall}});
            if (!g.json) {
              std::cout << fmt::format(
                  fmt::runtime(tr(
                      g, "  {:<38} 正解 {:>5} 指摘 {:>5} 的中 {:>5} 適合率 {:.4f} 再現率 {:.4f}\n",
                      "  {:<38} expected {:>5} flagged {:>5} found {:>5} precision {:.4f} "
                      "recall {:.4f}\n")),
                  r.id, e.size(), f.size(), hit, precision, recall);
            }
          }
          const double clean_rate =
              static_cast<double>(clean_flagged_events) /
              static_cast<double>(std::max<std::int64_t>(1, events.integer(0)));
          if (g.json) {
            std::cout << json{{"rules", rules},
                              {"clean_events_flagged", clean_flagged_events},
                              {"events", events.integer(0)},
                              {"clean_flagged_rate", clean_rate},
                              {"every_anomaly_found", all_found}}
                             .dump(2)
                      << "\n";
          } else {
            std::cout << fmt::format(
                fmt::runtime(tr(
                    g, "異常のない患者の記録への指摘: {} / {} 記録 ({:.4f} %、目標 0.1 % 未満)\n",
                    "records of patients without anomalies flagged: {} of {} ({:.4f} %, "
                    "target < 0.1 %)\n")),
                clean_flagged_events, events.integer(0), clean_rate * 100);
          }
          return all_found && clean_rate < 0.001 ? kOk : kFailed;
        });
  });
  auto* query = cmd->add_subcommand(
      "query",
      tr(g, "指摘について医療機関への問い合わせを起こし、送付用の文面を表示する (監査ログに記録)",
         "open a query to the institution about a finding and print the letter to send "
         "(recorded in the audit log)"));
  query->add_option("finding", args->finding, tr(g, "指摘の番号", "finding number"))->required();
  query->add_option("--note", args->note, tr(g, "問い合わせの内容", "what to ask"));
  query->callback([&g, args, exit_code] {
    with_store(
        g, *args, security::Operation::quality_check, exit_code, [&](Opened& o) -> Result<int> {
          TKM_ASSIGN_OR_RETURN(std::int64_t id,
                               o.store->open_query(actor(*args), args->finding, args->note));
          TKM_ASSIGN_OR_RETURN(std::string letter, o.store->query_letter(actor(*args), id, g.lang));
          std::cout << (g.json ? json{{"query", id}, {"letter", letter}}.dump(2) : letter) << "\n";
          return kOk;
        });
  });
  auto* queries = cmd->add_subcommand(
      "queries", tr(g, "医療機関への問い合わせの一覧 (--open で終了していないものだけ)",
                    "queries to institutions (--open: those not closed)"));
  queries->callback([&g, args, exit_code] {
    with_store(
        g, *args, security::Operation::quality_check, exit_code, [&](Opened& o) -> Result<int> {
          TKM_ASSIGN_OR_RETURN(auto list, o.store->queries(args->open_only));
          json out = json::array();
          for (const auto& q : list) {
            json steps = json::array();
            for (const auto& s : q.steps) {
              steps.push_back(
                  {{"status", s.status}, {"note", s.note}, {"by", s.by}, {"at", format_utc(s.at)}});
            }
            out.push_back({{"query", q.id},
                           {"finding", q.finding_id},
                           {"institution", q.institution},
                           {"status", q.status},
                           {"steps", steps}});
            if (!g.json) {
              std::cout << fmt::format("  [{}] {} {} {} {}\n", q.id, q.status, q.institution,
                                       tr(g, "指摘", "finding"), q.finding_id);
            }
          }
          if (g.json) std::cout << json{{"queries", out}}.dump(2) << "\n";
          return kOk;
        });
  });
  std::vector<CLI::App*> steps;
  for (const char* status : {"answered", "closed"}) {
    auto* step = cmd->add_subcommand(
        std::string(status) == "answered" ? "answer" : "close",
        std::string(status) == "answered"
            ? tr(g, "医療機関の回答を記録する", "record the institution's answer")
            : tr(g, "問い合わせを終了する", "close a query"));
    step->add_option("query", args->query, tr(g, "問い合わせ番号", "query number"))->required();
    step->add_option("--note", args->note, tr(g, "内容", "what was said or done"))->required();
    step->callback([&g, args, exit_code, status] {
      with_store(g, *args, security::Operation::quality_check, exit_code,
                 [&](Opened& o) -> Result<int> {
                   TKM_RETURN_IF_ERROR(
                       o.store->add_query_step(actor(*args), args->query, status, args->note));
                   std::cout << (g.json ? json{{"query", args->query}, {"status", status}}.dump(2)
                                        : fmt::format("{} {}", args->query, status))
                             << "\n";
                   return kOk;
                 });
    });
    steps.push_back(step);
  }
  // --dir, --passphrase-file, --terminal and --session belong to `findings` and may follow a
  // subcommand.
  for (auto* sub : {show, decide, metrics, evaluate, query, queries}) sub->fallthrough();
  for (auto* sub : steps) sub->fallthrough();
}

}  // namespace

void add_quality(CLI::App& app, const Globals& g, int* exit_code) {
  add_check(app, g, exit_code);
  add_findings(app, g, exit_code);
  add_acquire(app, g, exit_code);
}

}  // namespace tokumei::cli
