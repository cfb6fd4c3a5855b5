// `tokumei audit … | monitor run | incident … | exit … | breakglass …`: the verifiable audit log
// and what watches it (audit/audit_log.h, audit/monitor.h, audit/reviews.h,
// security/break_glass.h).

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/files.h"
#include "tokumei/security/controls.h"

namespace tokumei::cli {
namespace {

using security::Operation;

struct AuditArgs {
  DeploymentArgs deployment;
  std::vector<std::string> witness;
  std::int64_t seq = 0;
  std::uint64_t size = 0;
  std::uint64_t first = 0, second = 0;
  std::string out;
  std::string from, to;
  std::string text;
  std::int64_t id = 0;
  std::string assignee;
  std::int64_t limit = 100;
  std::vector<std::string> persons, datasets;
  int minutes = 60;
  bool emergency = false;
  std::string target;
};

// An entry's detail as JSON; a detail that is not (a row altered behind the log's back) as text.
nlohmann::json detail_of(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

nlohmann::json hashes(const std::vector<crypto::Digest>& path) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : path) out.push_back(hex_encode(h));
  return out;
}

// The stored checkpoint of exactly `size` entries whose signature is the deployment's, if any.
Result<std::optional<audit::Checkpoint>> signed_checkpoint(zones::Deployment& d,
                                                           std::uint64_t size) {
  const std::vector<Bytes> keys = d.audit_public_keys();
  TKM_ASSIGN_OR_RETURN(auto cps, d.audit().checkpoints());
  for (const auto& c : cps) {
    if (c.tree_size == size && !keys.empty() && c.verify_signature(keys)) return std::optional(c);
  }
  return std::optional<audit::Checkpoint>{};
}

// A period's end: the start of the day after `to` (JST), so "--to 2026-11-30" covers that day.
Result<std::pair<TimePoint, TimePoint>> period(const AuditArgs& a) {
  TKM_ASSIGN_OR_RETURN(TimePoint from, japanese_day_start(a.from));
  TKM_ASSIGN_OR_RETURN(TimePoint to, japanese_day_start(a.to));
  return std::pair{from, to + std::chrono::days(1)};
}

void add_audit_commands(CLI::App& app, const Globals& g, int* exit_code) {
  auto* audit =
      app.add_subcommand("audit", tr(g, "監査ログの検証・証明・チェックポイント・閲覧・レビュー",
                                     "audit log: verify, prove, checkpoint, read, review"));
  audit->require_subcommand(1);
  auto args = std::make_shared<AuditArgs>();

  auto* verify = audit->add_subcommand(
      "verify", tr(g, "ログ全体を再計算して改ざん・切り詰め・巻き戻しを調べる",
                   "recompute the whole log; find alteration, truncation or rollback"));
  add_deployment_options(verify, g, args->deployment);
  verify->add_option("--witness", args->witness,
                     tr(g, "外部に保管したチェックポイントのファイル（複数可）",
                        "checkpoint files kept by an outside witness (repeatable)"));
  verify->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::audit_verify, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          std::vector<audit::Checkpoint> witnessed;
          std::vector<std::string> files = args->witness;
          if (std::filesystem::exists(d.witness_path())) {
            files.push_back(d.witness_path().string());
          }
          for (const auto& f : files) {
            TKM_ASSIGN_OR_RETURN(auto cps, audit::read_checkpoint_file(f));
            witnessed.insert(witnessed.end(), cps.begin(), cps.end());
          }
          const std::vector<Bytes> keys = d.audit_public_keys();
          TKM_ASSIGN_OR_RETURN(audit::VerifyReport r, d.audit().verify(keys, witnessed));
          TKM_RETURN_IF_ERROR(status_of(d.audit().record(
              {ctx.actor(),
               "audit.verify",
               "audit:log",
               r.ok() ? audit::Outcome::success : audit::Outcome::failure,
               nlohmann::json{{"entries", r.entries}, {"checkpoints", r.checkpoints}}.dump(),
               {}})));
          if (g.json) {
            nlohmann::json j{{"ok", r.ok()},
                             {"entries", r.entries},
                             {"nodes", r.nodes},
                             {"checkpoints", r.checkpoints},
                             {"uncovered", r.uncovered()}};
            if (r.latest) j["latest_checkpoint"] = nlohmann::json::parse(r.latest->to_json());
            if (!r.ok()) {
              j["first_bad"] = *r.first_bad;
              j["problem"] = r.problem.in(g.lang);
            }
            print_json(j);
          } else if (r.ok()) {
            std::cout << tr(g, "監査ログは正常です: ", "The audit log verifies: ") << r.entries
                      << tr(g, " 件、チェックポイント ", " entries, ") << r.checkpoints
                      << tr(g, " 件で確認\n", " checkpoints checked\n");
            if (r.uncovered() > 0) {
              std::cout << tr(g, "最新のチェックポイント以降の ",
                              "entries after the newest checkpoint: ")
                        << r.uncovered()
                        << tr(g, " 件はまだ署名されていません（tokumei audit checkpoint）\n",
                              " (not yet signed; tokumei audit checkpoint)\n");
            }
          } else {
            std::cout << tr(g, "監査ログに問題があります（エントリ ",
                            "The audit log does not verify (entry ")
                      << *r.first_bad << "): " << r.problem.in(g.lang) << "\n";
          }
          if (!r.ok()) *exit_code = kFailed;
          return ok();
        });
  });

  auto* prove = audit->add_subcommand(
      "prove", tr(g, "エントリが木に含まれることの証明", "inclusion proof of an entry"));
  add_deployment_options(prove, g, args->deployment);
  prove->add_option("entry", args->seq, tr(g, "エントリ番号", "entry number"))->required();
  prove->add_option("--size", args->size,
                    tr(g, "木の大きさ（既定は最新のチェックポイント）",
                       "tree size (default: the newest checkpoint)"));
  prove->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::audit_verify, exit_code,
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          std::uint64_t size = args->size;
          if (size == 0) {
            TKM_ASSIGN_OR_RETURN(auto cps, d.audit().checkpoints());
            if (!cps.empty()) size = cps.back().tree_size;
          }
          TKM_ASSIGN_OR_RETURN(audit::InclusionProof p, d.audit().prove(args->seq, size));
          // The root must be the one a checkpoint signed, or the proof shows nothing.
          TKM_ASSIGN_OR_RETURN(auto signed_cp, signed_checkpoint(d, p.tree_size));
          bool valid = p.verify() && signed_cp && signed_cp->root == p.root;
          if (g.json) {
            print_json(
                {{"ok", valid},
                 {"checkpoint", signed_cp ? nlohmann::json(signed_cp->id) : nlohmann::json()},
                 {"entry", p.seq},
                 {"tree_size", p.tree_size},
                 {"leaf_hash", hex_encode(p.leaf)},
                 {"root", hex_encode(p.root)},
                 {"path", hashes(p.path)}});
          } else {
            std::cout << tr(g, "エントリ ", "entry ") << p.seq
                      << tr(g, " / 木の大きさ ", " / tree size ") << p.tree_size << "\n"
                      << "root " << hex_encode(p.root) << "\n";
            for (const auto& h : p.path) std::cout << "  " << hex_encode(h) << "\n";
            std::cout << (valid ? tr(g, "証明は有効です（署名済みチェックポイントの根と一致）\n",
                                     "the proof verifies against a signed checkpoint\n")
                          : !signed_cp ? tr(g, "この大きさの署名済みチェックポイントがありません\n",
                                            "no signed checkpoint of this size\n")
                                       : tr(g, "証明が一致しません\n", "the proof fails\n"));
          }
          if (!valid) *exit_code = kFailed;
          return ok();
        });
  });

  auto* consistency = audit->add_subcommand(
      "consistency",
      tr(g, "二つの木の大きさの間の整合性の証明", "consistency proof between two tree sizes"));
  add_deployment_options(consistency, g, args->deployment);
  consistency->add_option("first", args->first, tr(g, "古い木の大きさ", "older size"))->required();
  consistency->add_option("second", args->second, tr(g, "新しい木の大きさ", "newer size"))
      ->required();
  consistency->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::audit_verify, exit_code,
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          TKM_ASSIGN_OR_RETURN(audit::ConsistencyProof p,
                               d.audit().consistency(args->first, args->second));
          TKM_ASSIGN_OR_RETURN(auto first_cp, signed_checkpoint(d, p.first));
          TKM_ASSIGN_OR_RETURN(auto second_cp, signed_checkpoint(d, p.second));
          bool valid = p.verify() && first_cp && first_cp->root == p.first_root && second_cp &&
                       second_cp->root == p.second_root;
          if (g.json) {
            print_json({{"ok", valid},
                        {"signed", first_cp && second_cp},
                        {"first", p.first},
                        {"second", p.second},
                        {"first_root", hex_encode(p.first_root)},
                        {"second_root", hex_encode(p.second_root)},
                        {"path", hashes(p.path)}});
          } else {
            std::cout << p.first << " → " << p.second << "\n"
                      << "  " << hex_encode(p.first_root) << "\n"
                      << "  " << hex_encode(p.second_root) << "\n"
                      << (valid ? tr(g, "証明は有効です（両方の署名済みチェックポイントと一致）\n",
                                     "the proof verifies against both signed checkpoints\n")
                                : tr(g,
                                     "証明が一致しないか、その大きさの署名済みチェックポイントがあ"
                                     "りません\n",
                                     "the proof fails, or a size has no signed checkpoint\n"));
          }
          if (!valid) *exit_code = kFailed;
          return ok();
        });
  });

  auto* checkpoint = audit->add_subcommand(
      "checkpoint", tr(g, "署名付きチェックポイントを作る", "make a signed checkpoint"));
  add_deployment_options(checkpoint, g, args->deployment);
  checkpoint->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::audit_verify, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(audit::Checkpoint c, d.checkpoint(ctx.actor()));
                   if (g.json) {
                     auto j = nlohmann::json::parse(c.to_json());
                     j["ok"] = true;
                     j["id"] = c.id;
                     print_json(j);
                   } else {
                     std::cout << tr(g, "チェックポイント #", "checkpoint #") << c.id << ": "
                               << c.tree_size << tr(g, " 件, root ", " entries, root ")
                               << hex_encode(c.root) << "\n";
                   }
                   return ok();
                 });
  });

  auto* exported =
      audit->add_subcommand("export", tr(g, "チェックポイントを外部保管用のファイルに書き出す",
                                         "write the checkpoints to a file for an outside witness"));
  add_deployment_options(exported, g, args->deployment);
  exported->add_option("--out", args->out, tr(g, "出力ファイル", "output file"))->required();
  exported->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::audit_verify, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          TKM_ASSIGN_OR_RETURN(auto cps, d.audit().checkpoints());
          std::string text;
          for (const auto& c : cps) text += c.to_json() + "\n";
          TKM_RETURN_IF_ERROR(write_file_atomic(args->out, as_bytes(text), 0644));
          TKM_RETURN_IF_ERROR(
              status_of(d.audit().record({ctx.actor(),
                                          "audit.export",
                                          "audit:checkpoints",
                                          audit::Outcome::success,
                                          nlohmann::json{{"checkpoints", cps.size()}}.dump(),
                                          {}})));
          if (g.json) {
            print_json({{"ok", true}, {"checkpoints", cps.size()}, {"file", args->out}});
          } else {
            std::cout << cps.size()
                      << tr(g,
                            " 件のチェックポイントを書き出しました: ", " checkpoints written to ")
                      << args->out << "\n";
          }
          return ok();
        });
  });

  auto* read =
      audit->add_subcommand("log", tr(g, "監査ログを読む（読んだこと自体が記録される）",
                                      "read the audit log (the reading itself is recorded)"));
  add_deployment_options(read, g, args->deployment);
  read->add_option("--from", args->seq, tr(g, "最初のエントリ番号", "first entry"))->default_val(1);
  read->add_option("--limit", args->limit, tr(g, "件数", "how many"))->default_val(100);
  read->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::audit_read, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(auto entries,
                                        d.audit().read_as(ctx.actor(), args->seq, args->limit));
                   nlohmann::json j{{"ok", true}, {"entries", nlohmann::json::array()}};
                   for (const auto& s : entries) {
                     j["entries"].push_back({{"seq", s.seq},
                                             {"at", format_utc(s.at)},
                                             {"user", s.entry.actor.user},
                                             {"terminal", s.entry.actor.terminal},
                                             {"action", s.entry.action},
                                             {"object", s.entry.object},
                                             {"outcome", audit::outcome_name(s.entry.outcome)},
                                             {"detail", detail_of(s.entry.detail)},
                                             {"subjects", s.entry.subjects}});
                     if (!g.json) {
                       std::cout << s.seq << "  " << format_jst(s.at) << "  " << s.entry.actor.user
                                 << "@" << s.entry.actor.terminal << "  " << s.entry.action << "  "
                                 << s.entry.object << "  " << audit::outcome_name(s.entry.outcome)
                                 << "\n";
                     }
                   }
                   if (g.json) print_json(j);
                   return ok();
                 });
  });

  auto* review =
      audit->add_subcommand("review", tr(g, "期間のレビューを記録する（自分の操作は対象外）",
                                         "sign off a period's review (your own actions excepted)"));
  add_deployment_options(review, g, args->deployment);
  review->add_option("--from", args->from, tr(g, "開始日", "first day"))->required();
  review->add_option("--to", args->to, tr(g, "終了日（その日を含む）", "last day (included)"))
      ->required();
  review->add_option("--findings", args->text, tr(g, "所見", "findings"))->required();
  review->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::audit_review, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          TKM_ASSIGN_OR_RETURN(auto p, period(*args));
          TKM_ASSIGN_OR_RETURN(audit::Review r,
                               d.reviews().sign_off(ctx.actor(), p.first, p.second, args->text));
          TKM_ASSIGN_OR_RETURN(auto left, d.reviews().unreviewed(p.first, p.second));
          if (g.json) {
            print_json({{"ok", true},
                        {"review", r.id},
                        {"covered", r.covered},
                        {"entries", r.entries},
                        {"still_unreviewed", left}});
            return ok();
          }
          std::cout << tr(g, "レビュー #", "review #") << r.id << ": " << r.covered.size()
                    << tr(g, " 人、", " persons, ") << r.entries << tr(g, " 件\n", " entries\n");
          for (const auto& u : left) {
            std::cout << tr(g, "  別の人のレビューが必要: ", "  needs another reviewer: ") << u
                      << "\n";
          }
          return ok();
        });
  });

  auto* reviews = audit->add_subcommand(
      "reviews", tr(g, "レビューの一覧と未レビューの人", "reviews and who is still unreviewed"));
  add_deployment_options(reviews, g, args->deployment);
  reviews->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::audit_review, exit_code,
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          TKM_ASSIGN_OR_RETURN(auto list, d.reviews().list());
          TKM_ASSIGN_OR_RETURN(bool overdue, d.reviews().overdue());
          TKM_ASSIGN_OR_RETURN(auto since, d.reviews().unreviewed_since());
          nlohmann::json j{
              {"ok", true},
              {"overdue", overdue},
              {"unreviewed_since", since ? nlohmann::json(format_utc(*since)) : nlohmann::json()},
              {"reviews", nlohmann::json::array()}};
          for (const auto& r : list) {
            j["reviews"].push_back({{"id", r.id},
                                    {"from", format_utc(r.from)},
                                    {"to", format_utc(r.to)},
                                    {"reviewer", r.reviewer},
                                    {"covered", r.covered},
                                    {"entries", r.entries},
                                    {"findings", r.findings}});
            if (!g.json) {
              std::cout << "#" << r.id << "  " << format_jst(r.from) << " – " << format_jst(r.to)
                        << "  " << r.reviewer << "  " << r.findings << "\n";
            }
          }
          if (g.json) {
            print_json(j);
          } else if (overdue) {
            std::cout << tr(g,
                            "レビュー期限切れ (AUDIT-08): 次の時点以降がレビューされていません: ",
                            "review overdue (AUDIT-08): nothing reviewed since ")
                      << format_jst(*since) << "\n";
          }
          return ok();
        });
  });
}

nlohmann::json incident_json(const audit::Incident& i, Lang lang) {
  return {{"id", i.id},
          {"opened", format_utc(i.opened)},
          {"rule", i.rule},
          {"user", i.user},
          {"severity", i.severity},
          {"action", audit::action_name(i.action)},
          {"summary", lang == Lang::ja ? i.summary_ja : i.summary_en},
          {"status", i.status},
          {"assignee", i.assignee},
          {"entries", i.entries}};
}

void add_monitor_commands(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<AuditArgs>();
  auto* monitor = app.add_subcommand("monitor", tr(g, "監視", "monitors"));
  monitor->require_subcommand(1);
  auto* run = monitor->add_subcommand(
      "run", tr(g, "監視を一巡させる（検知・対処・インシデント・定期チェックポイント）",
                "run one monitor cycle (detect, act, open incidents, periodic checkpoint)"));
  add_deployment_options(run, g, args->deployment);
  run->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::monitor_run, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          audit::Actor system{"system:monitor", ctx.terminal};
          security::MonitorControls controls(d.sessions(), d.accounts(), d.monitor(), system);
          TKM_ASSIGN_OR_RETURN(int escalated, d.break_glass().escalate_unconfirmed(system));
          TKM_ASSIGN_OR_RETURN(audit::CycleReport r, d.monitor().run_cycle(controls, system));
          std::optional<audit::Checkpoint> c;
          if (r.checkpoint_due) {
            TKM_ASSIGN_OR_RETURN(c, d.checkpoint(system));
          }
          if (g.json) {
            nlohmann::json j{{"ok", true},
                             {"entries", r.to - r.from},
                             {"incidents", nlohmann::json::array()},
                             {"break_glass_escalated", escalated}};
            for (const auto& i : r.incidents) j["incidents"].push_back(incident_json(i, g.lang));
            if (c) j["checkpoint"] = c->id;
            print_json(j);
            return ok();
          }
          std::cout << r.to - r.from << tr(g, " 件を確認、インシデント ", " entries read, ")
                    << r.incidents.size() << tr(g, " 件\n", " incidents\n");
          for (const auto& i : r.incidents) {
            std::cout << "  #" << i.id << " [" << i.severity << "] "
                      << (g.lang == Lang::ja ? i.summary_ja : i.summary_en) << " → "
                      << audit::action_name(i.action) << "\n";
          }
          if (c) std::cout << tr(g, "チェックポイント #", "checkpoint #") << c->id << "\n";
          return ok();
        });
  });

  auto* incident = app.add_subcommand("incident", tr(g, "インシデントの一覧と対応", "incidents"));
  incident->require_subcommand(1);
  auto* list = incident->add_subcommand("list", tr(g, "未完了のインシデント", "open incidents"));
  add_deployment_options(list, g, args->deployment);
  list->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::incident_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext&) -> Status {
                   TKM_ASSIGN_OR_RETURN(auto open, d.monitor().incidents(true));
                   nlohmann::json j{{"ok", true}, {"incidents", nlohmann::json::array()}};
                   for (const auto& i : open) {
                     j["incidents"].push_back(incident_json(i, g.lang));
                     if (!g.json) {
                       std::cout << "#" << i.id << "  " << format_jst(i.opened) << "  ["
                                 << i.severity << "] " << i.status << "  "
                                 << (g.lang == Lang::ja ? i.summary_ja : i.summary_en) << "\n";
                     }
                   }
                   if (g.json) print_json(j);
                   return ok();
                 });
  });
  for (bool closing : {false, true}) {
    auto* step = incident->add_subcommand(
        closing ? "close" : "ack",
        closing ? tr(g, "対応内容を記録して閉じる", "close with what was done")
                : tr(g, "担当者を決めて受け付ける", "acknowledge and assign"));
    add_deployment_options(step, g, args->deployment);
    step->add_option("id", args->id, tr(g, "インシデント番号", "incident number"))->required();
    if (closing) {
      step->add_option("--note", args->text, tr(g, "対応内容", "what was done"))->required();
    } else {
      step->add_option("--assignee", args->assignee, tr(g, "担当者", "assignee"))->required();
    }
    step->callback([&g, args, exit_code, closing] {
      with_session(g, args->deployment, Operation::incident_manage, exit_code,
                   [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                     TKM_RETURN_IF_ERROR(
                         closing ? d.monitor().close(ctx.actor(), args->id, args->text)
                                 : d.monitor().acknowledge(ctx.actor(), args->id, args->assignee));
                     if (g.json) {
                       print_json({{"ok", true}, {"incident", args->id}});
                     } else {
                       std::cout << "#" << args->id
                                 << (closing ? tr(g, " を閉じました\n", " closed\n")
                                             : tr(g, " を受け付けました\n", " acknowledged\n"));
                     }
                     return ok();
                   });
    });
  }

  auto* exit = app.add_subcommand(
      "exit", tr(g, "出口キューの停止と再開", "freeze or release the exit queue"));
  exit->require_subcommand(1);
  for (const char* name : {"status", "freeze", "release"}) {
    std::string verb = name;
    auto* cmd = exit->add_subcommand(
        name, verb == "status"   ? tr(g, "停止中かどうか", "whether it is frozen")
              : verb == "freeze" ? tr(g, "送出を止める", "stop deliveries")
                                 : tr(g, "送出を再開する（理由を記録）", "resume (with a reason)"));
    add_deployment_options(cmd, g, args->deployment);
    if (verb != "status")
      cmd->add_option("--reason", args->text, tr(g, "理由", "reason"))->required();
    cmd->callback([&g, args, exit_code, verb] {
      with_session(
          g, args->deployment, Operation::exit_freeze, exit_code,
          [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
            if (verb == "freeze")
              TKM_RETURN_IF_ERROR(d.monitor().freeze_exit(ctx.actor(), args->text));
            if (verb == "release")
              TKM_RETURN_IF_ERROR(d.monitor().release_exit(ctx.actor(), args->text));
            TKM_ASSIGN_OR_RETURN(auto frozen, d.monitor().exit_frozen());
            if (g.json) {
              nlohmann::json j{{"ok", true}, {"frozen", frozen.has_value()}};
              if (frozen) j["reason"] = *frozen;
              print_json(j);
            } else {
              std::cout << (frozen
                                ? tr(g, "出口キューは停止中です: ", "the exit queue is frozen: ") +
                                      *frozen
                                : tr(g, "出口キューは動いています", "the exit queue is running"))
                        << "\n";
            }
            return ok();
          });
    });
  }
}

nlohmann::json grant_json(const security::BreakGlassGrant& b, TimePoint now) {
  nlohmann::json j{{"id", b.id},
                   {"requester", b.requester},
                   {"terminal", b.terminal},
                   {"reason", b.reason},
                   {"persons", b.persons},
                   {"datasets", b.datasets},
                   {"emergency", b.emergency},
                   {"minutes", b.duration.count()},
                   {"state", b.state(now)},
                   {"decision", b.decision},
                   {"decided_by", b.decided_by},
                   {"reviewed_by", b.reviewed_by},
                   {"uses", b.uses}};
  if (b.ends_at) j["ends_at"] = format_utc(*b.ends_at);
  return j;
}

void add_break_glass_commands(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<AuditArgs>();
  auto* glass = app.add_subcommand(
      "breakglass", tr(g, "緊急・保守のための閲覧（理由・範囲・期限つき）",
                       "emergency or maintenance access (reason, scope, time limit)"));
  glass->require_subcommand(1);

  auto* open = glass->add_subcommand("open", tr(g, "申請する（--emergency で即時開始）",
                                                "ask for access (--emergency opens it at once)"));
  add_deployment_options(open, g, args->deployment);
  open->add_option("--reason", args->text, tr(g, "理由", "reason"))->required();
  open->add_option("--person", args->persons,
                   tr(g, "対象患者の参照（複数可）", "person reference (repeatable)"));
  open->add_option("--dataset", args->datasets,
                   tr(g, "対象データセット（複数可）", "dataset (repeatable)"));
  open->add_option("--minutes", args->minutes, tr(g, "期限（分）", "time limit (minutes)"))
      ->default_val(60);
  open->add_flag("--emergency", args->emergency,
                 tr(g, "緊急（事後承認）", "emergency (confirmed afterwards)"));
  open->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::break_glass_open, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(
                       auto b, d.break_glass().open(
                                   ctx, {args->text, args->persons, args->datasets,
                                         std::chrono::minutes(args->minutes), args->emergency}));
                   if (g.json) {
                     auto j = grant_json(b, SystemClock().now());
                     j["ok"] = true;
                     print_json(j);
                   } else {
                     std::cout << tr(g, "緊急アクセス #", "emergency access #") << b.id << ": "
                               << b.state(SystemClock().now()) << "\n";
                   }
                   return ok();
                 });
  });

  struct Step {
    const char* name;
    Text help;
    Operation op;
  };
  for (const Step& s :
       {Step{"approve",
             {"承認する（事前）・確認する（緊急の事後）",
              "approve (before) or confirm (after an emergency)"},
             Operation::break_glass_approve},
        Step{"reject",
             {"却下する（緊急なら事後インシデント）", "reject (an emergency becomes an incident)"},
             Operation::break_glass_approve},
        Step{"review",
             {"終了後に確認結果を記録する", "record the review after it ends"},
             Operation::break_glass_review},
        Step{"use",
             {"範囲内の対象を一件使う", "use one target inside the scope"},
             Operation::break_glass_open}}) {
    std::string verb = s.name;
    auto* cmd = glass->add_subcommand(s.name, tr(g, s.help));
    add_deployment_options(cmd, g, args->deployment);
    cmd->add_option("id", args->id, tr(g, "番号", "number"))->required();
    if (verb == "use") {
      cmd->add_option("--target", args->target,
                      tr(g, "患者の参照かデータセット", "person reference or dataset"))
          ->required();
    } else {
      cmd->add_option("--note", args->text, tr(g, "所見・理由", "note or findings"))->required();
    }
    Operation op = s.op;
    cmd->callback([&g, args, exit_code, verb, op] {
      with_session(g, args->deployment, op, exit_code,
                   [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                     auto& bg = d.break_glass();
                     if (verb == "approve")
                       TKM_RETURN_IF_ERROR(bg.approve(ctx, args->id, args->text));
                     if (verb == "reject")
                       TKM_RETURN_IF_ERROR(bg.reject(ctx, args->id, args->text));
                     if (verb == "review")
                       TKM_RETURN_IF_ERROR(bg.review(ctx, args->id, args->text));
                     if (verb == "use") TKM_RETURN_IF_ERROR(bg.use(ctx, args->id, args->target));
                     TKM_ASSIGN_OR_RETURN(auto b, bg.find(args->id));
                     if (g.json) {
                       auto j = grant_json(b, SystemClock().now());
                       j["ok"] = true;
                       print_json(j);
                     } else {
                       std::cout << "#" << b.id << ": " << b.state(SystemClock().now()) << " "
                                 << b.decision << "\n";
                     }
                     return ok();
                   });
    });
  }

  auto* list = glass->add_subcommand("list", tr(g, "一覧", "list"));
  add_deployment_options(list, g, args->deployment);
  list->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::break_glass_review, exit_code,
        [&](zones::Deployment& d, const security::AuthContext&) -> Status {
          TKM_ASSIGN_OR_RETURN(auto all, d.break_glass().list());
          TimePoint now = SystemClock().now();
          nlohmann::json j{{"ok", true}, {"grants", nlohmann::json::array()}};
          for (const auto& b : all) {
            j["grants"].push_back(grant_json(b, now));
            if (!g.json) {
              std::cout << "#" << b.id << "  " << b.requester << "  " << b.state(now) << "  "
                        << b.decision << "  "
                        << (b.reviewed_by.empty() ? tr(g, "未確認", "not reviewed") : b.reviewed_by)
                        << "\n";
            }
          }
          if (g.json) print_json(j);
          return ok();
        });
  });
}

}  // namespace

void add_audit(CLI::App& app, const Globals& g, int* exit_code) {
  add_audit_commands(app, g, exit_code);
  add_monitor_commands(app, g, exit_code);
  add_break_glass_commands(app, g, exit_code);
}

}  // namespace tokumei::cli
