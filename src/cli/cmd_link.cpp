// `tokumei link run | review | decide | split | undo | events | evaluate`: record linkage across
// hospitals (名寄せ), kept in the deployment (identity/linkage_store.h), and its measurement on a
// synthetic population.

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/identity/linkage_store.h"
#include "tokumei/synth/population.h"

namespace tokumei::cli {
namespace {

struct LinkArgs {
  DeploymentArgs deployment;
  std::string user;
  std::string reason;
  std::int64_t pair = 0;
  std::int64_t event = 0;
  std::string person;
  std::string verdict;
  std::int64_t show = 0;
  std::size_t limit = 50;
  synth::PopulationOptions population{};
};

// Everything a linkage command works with, opened.
struct Opened {
  std::unique_ptr<zones::Deployment> deployment;
  std::optional<identity::IdentityVault> vault;
  std::optional<identity::LinkageStore> store;
};

// Opens the deployment and the linkage store for the person logged in (processing staff only).
Result<Opened> open_linkage(LinkArgs& args, const Clock& clock, Random& random) {
  Opened o;
  TKM_ASSIGN_OR_RETURN(o.deployment, open_deployment(args.deployment, clock, random));
  zones::Deployment& d = *o.deployment;
  TKM_ASSIGN_OR_RETURN(auto ctx, authorize(d, args.deployment, security::Operation::link_run));
  args.user = ctx.account.user_id;
  o.vault.emplace(d.db(), d.keys(), clock, random);
  TKM_RETURN_IF_ERROR(o.vault->prepare());
  o.store.emplace(d.db(), *o.vault, d.keys(), d.audit(), clock);
  return o;
}

audit::Actor actor(const LinkArgs& args) { return {args.user, args.deployment.terminal}; }

// Runs `body` on the opened store, reporting any error.
void with_store(const Globals& g, LinkArgs& args, int* exit_code,
                const std::function<Status(identity::LinkageStore&)>& body) {
  SystemClock clock;
  SystemRandom random;
  auto opened = open_linkage(args, clock, random);
  if (!opened) {
    *exit_code = report_error(g, opened.error());
    return;
  }
  if (auto done = body(*opened->store); !done) *exit_code = report_error(g, done.error());
}

std::string levels_json_key(identity::Field f) {
  std::string name(identity::field_name(f, Lang::en));
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

void print_identity_columns(const Globals& g, const model::PersonIdentity& a,
                            const model::PersonIdentity& b) {
  const bool ja = g.lang == Lang::ja;
  auto row = [](std::string_view label, const std::string& x, const std::string& y) {
    std::cout << fmt::format("  {:<14} {:<28} {}\n", label, x, y);
  };
  auto phones = [](const model::PersonIdentity& p) {
    std::string out;
    for (const auto& ph : p.phones) out += (out.empty() ? "" : ", ") + ph;
    return out;
  };
  row(ja ? "医療機関" : "institution", a.institution, b.institution);
  row(ja ? "患者ID" : "patient ID", a.patient_id, b.patient_id);
  row(ja ? "氏名" : "name", a.name_kanji, b.name_kanji);
  row(ja ? "カナ氏名" : "name (kana)", a.name_kana, b.name_kana);
  row(ja ? "生年月日" : "birth date", a.birth_date, b.birth_date);
  row(ja ? "性別" : "sex", std::string(model::sex_name(a.sex)),
      std::string(model::sex_name(b.sex)));
  row(ja ? "郵便番号" : "postal code", a.postal_code, b.postal_code);
  row(ja ? "住所" : "address", a.address, b.address);
  row(ja ? "電話" : "phone", phones(a), phones(b));
}

void add_run(CLI::App* link, const Globals& g, const std::shared_ptr<LinkArgs>& args,
             int* exit_code) {
  auto* cmd = link->add_subcommand(
      "run", tr(g, "保管庫の全員を名寄せし、一致は統合、要確認は確認待ちにする",
                "link everyone in the vault: merge matches, queue the pairs to review"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](identity::LinkageStore& store) -> Status {
      TKM_ASSIGN_OR_RETURN(identity::LinkRunSummary s, store.run(actor(*args)));
      if (g.json) {
        std::cout << nlohmann::json{{"run", s.run_id},
                                    {"persons", s.persons},
                                    {"compared", s.compared},
                                    {"merges", s.merges},
                                    {"kept_apart", s.kept_apart},
                                    {"waiting_for_review", s.waiting_for_review},
                                    {"linked_persons", s.linked_persons},
                                    {"blocks_too_large", s.blocks_too_large}}
                         .dump(2)
                  << "\n";
      } else if (g.lang == Lang::ja) {
        std::cout << fmt::format(
            "名寄せ {} を実行しました: 身元 {} 件、比較 {} 組、統合 {} 件、確認待ち {} 組、"
            "判断により別人 {} 組。複数の記録を持つ人 {} 人\n",
            s.run_id, s.persons, s.compared, s.merges, s.waiting_for_review, s.kept_apart,
            s.linked_persons);
      } else {
        std::cout << fmt::format(
            "Linkage run {}: {} identities, {} pairs compared, {} merges, {} pairs waiting for "
            "review, {} kept apart by decisions; {} persons with more than one record\n",
            s.run_id, s.persons, s.compared, s.merges, s.waiting_for_review, s.kept_apart,
            s.linked_persons);
      }
      return ok();
    });
  });
}

void add_review(CLI::App* link, const Globals& g, const std::shared_ptr<LinkArgs>& args,
                int* exit_code) {
  auto* cmd = link->add_subcommand(
      "review",
      tr(g, "確認待ちの組を、点数とその内訳とともに一覧する (--show で二人の身元を並べる)",
         "list the pairs waiting for review with their scores and why (--show puts "
         "the two identities side by side)"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--show", args->show,
                  tr(g, "この組の二人の身元を並べて表示する (監査ログに記録)",
                     "show this pair's two identities side by side (recorded in the audit log)"));
  cmd->add_option("--limit", args->limit, tr(g, "表示する組の数", "pairs to list"));
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](identity::LinkageStore& store) -> Status {
      const identity::LinkageModel model = identity::LinkageModel::defaults();
      if (args->show != 0) {
        TKM_ASSIGN_OR_RETURN(auto both, store.identities(actor(*args), args->show));
        print_identity_columns(g, both.first, both.second);
        return ok();
      }
      TKM_ASSIGN_OR_RETURN(std::vector<identity::LinkReview> waiting, store.waiting());
      if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& w : waiting) {
          nlohmann::json levels;
          for (std::size_t f = 0; f < identity::kFields; ++f) {
            const auto field = static_cast<identity::Field>(f);
            levels[levels_json_key(field)] = w.comparison[field];
          }
          list.push_back({{"pair", w.pair_id},
                          {"run", w.run_id},
                          {"person_a", w.person_a},
                          {"person_b", w.person_b},
                          {"score", w.score},
                          {"levels", levels},
                          {"reason", identity::reason_text(w.reason, Lang::en)}});
        }
        std::cout << nlohmann::json{{"waiting", list}}.dump(2) << "\n";
        return ok();
      }
      std::cout << (g.lang == Lang::ja ? fmt::format("確認待ち {} 組\n", waiting.size())
                                       : fmt::format("{} pairs waiting\n", waiting.size()));
      std::size_t shown = 0;
      for (const auto& w : waiting) {
        if (shown++ == args->limit) break;
        identity::ScoredPair p{.score = static_cast<float>(w.score), .comparison = w.comparison};
        std::cout << fmt::format("  [{}] {}\n      {}\n", w.pair_id,
                                 identity::reason_text(w.reason, g.lang),
                                 identity::explain(p, model, g.lang));
      }
      return ok();
    });
  });
}

void add_decide(CLI::App* link, const Globals& g, const std::shared_ptr<LinkArgs>& args,
                int* exit_code) {
  auto* cmd = link->add_subcommand(
      "decide", tr(g, "組を判断する: same (同一人物、統合) か different (別人、以後も統合しない)",
                   "decide a pair: same (one person, merged) or different (two, never merged)"));
  cmd->add_option("pair", args->pair, tr(g, "組の番号", "pair number"))->required();
  cmd->add_option("verdict", args->verdict, "same | different")
      ->required()
      ->check(CLI::IsMember({"same", "different"}));
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--reason", args->reason, tr(g, "判断の理由", "reason for the decision"))
      ->required();
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](identity::LinkageStore& store) -> Status {
      TKM_ASSIGN_OR_RETURN(std::int64_t event, store.decide(actor(*args), args->pair,
                                                            args->verdict == "same", args->reason));
      if (g.json) {
        std::cout << nlohmann::json{{"pair", args->pair}, {"event", event}}.dump(2) << "\n";
      } else {
        std::cout << (g.lang == Lang::ja
                          ? fmt::format("組 {} を記録しました{}\n", args->pair,
                                        event ? fmt::format(" (統合: 記録 {})", event) : "")
                          : fmt::format("pair {} decided{}\n", args->pair,
                                        event ? fmt::format(" (merged: event {})", event) : ""));
      }
      return ok();
    });
  });
}

void add_split(CLI::App* link, const Globals& g, const std::shared_ptr<LinkArgs>& args,
               int* exit_code) {
  auto* cmd = link->add_subcommand(
      "split", tr(g, "記録を名寄せから外す (以後の実行でも統合しない)",
                  "take a record out of its linked person (later runs do not merge it again)"));
  cmd->add_option("person", args->person, tr(g, "記録の人物キー", "the record's person key"))
      ->required();
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--reason", args->reason, tr(g, "理由", "reason"))->required();
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](identity::LinkageStore& store) -> Status {
      TKM_ASSIGN_OR_RETURN(std::int64_t event,
                           store.split(actor(*args), args->person, args->reason));
      std::cout << (g.json               ? nlohmann::json{{"event", event}}.dump(2)
                    : g.lang == Lang::ja ? fmt::format("分けました (記録 {})", event)
                                         : fmt::format("split (event {})", event))
                << "\n";
      return ok();
    });
  });
}

void add_undo(CLI::App* link, const Globals& g, const std::shared_ptr<LinkArgs>& args,
              int* exit_code) {
  auto* cmd =
      link->add_subcommand("undo", tr(g, "統合か分割の記録を取り消す (取り消しも記録される)",
                                      "undo a merge or split event (the undo is an event too)"));
  cmd->add_option("event", args->event, tr(g, "記録の番号", "event number"))->required();
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--reason", args->reason, tr(g, "理由", "reason"))->required();
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](identity::LinkageStore& store) -> Status {
      TKM_ASSIGN_OR_RETURN(std::int64_t event, store.undo(actor(*args), args->event, args->reason));
      std::cout << (g.json ? nlohmann::json{{"event", event}}.dump(2)
                    : g.lang == Lang::ja
                        ? fmt::format("記録 {} を取り消しました (記録 {})", args->event, event)
                        : fmt::format("event {} undone (event {})", args->event, event))
                << "\n";
      return ok();
    });
  });
}

void add_events(CLI::App* link, const Globals& g, const std::shared_ptr<LinkArgs>& args,
                int* exit_code) {
  auto* cmd = link->add_subcommand("events", tr(g, "統合・分割・取り消しの記録を新しい順に表示する",
                                                "list merge, split and undo events, newest first"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--limit", args->limit, tr(g, "表示する数", "how many"));
  cmd->callback([&g, args, exit_code] {
    with_store(g, *args, exit_code, [&](identity::LinkageStore& store) -> Status {
      TKM_ASSIGN_OR_RETURN(std::vector<identity::LinkEvent> events, store.events(args->limit));
      nlohmann::json list = nlohmann::json::array();
      for (const auto& e : events) {
        nlohmann::json j = {{"event", e.id},      {"at", format_utc(e.at)}, {"actor", e.actor},
                            {"action", e.action}, {"moved", e.moved},       {"reason", e.reason}};
        if (e.run_id) j["run"] = *e.run_id;
        if (e.pair_id) j["pair"] = *e.pair_id;
        if (e.undoes) j["undoes"] = *e.undoes;
        if (g.json) {
          list.push_back(std::move(j));
        } else {
          std::cout << fmt::format("  {} {} {} {} moved={}{}{} {}\n", e.id, format_utc(e.at),
                                   e.actor, e.action, e.moved,
                                   e.pair_id ? fmt::format(" pair={}", *e.pair_id) : "",
                                   e.undoes ? fmt::format(" undoes={}", *e.undoes) : "", e.reason);
        }
      }
      if (g.json) std::cout << nlohmann::json{{"events", list}}.dump(2) << "\n";
      return ok();
    });
  });
}

void add_evaluate(CLI::App* link, const Globals& g, const std::shared_ptr<LinkArgs>& args,
                  int* exit_code) {
  auto* cmd = link->add_subcommand(
      "evaluate",
      tr(g,
         "合成の人口 (表記ゆれ・誤記・転居・婚姻による改姓を含む) "
         "で名寄せを測り、適合率と再現率を表示する",
         "measure linkage on a synthetic population (kana variants, typos, moves, names changed "
         "at marriage) and print precision and recall"));
  cmd->add_option("--persons", args->population.persons, tr(g, "人数", "persons"));
  cmd->add_option("--institutions", args->population.institutions,
                  tr(g, "医療機関数 (1〜5)", "institutions (1 to 5)"))
      ->check(CLI::Range(1, 5));
  cmd->add_option("--seed", args->population.seed, tr(g, "乱数の種", "random seed"));
  cmd->callback([&g, args, exit_code] {
    const synth::LinkageEvaluation e = synth::evaluate_linkage(args->population);
    const auto& q = e.quality;
    nlohmann::json noise = nlohmann::json::object();
    for (int bit = 0; bit < synth::kNoiseKinds; ++bit) {
      const auto b = static_cast<std::size_t>(bit);
      noise[std::string(synth::noise_name(bit))] = {
          {"pairs", e.noisy_pairs[b]},
          {"recall", e.noisy_pairs[b] ? static_cast<double>(e.noisy_pairs_linked[b]) /
                                            static_cast<double>(e.noisy_pairs[b])
                                      : 1.0}};
    }
    const bool met = q.precision() >= 0.995 && q.recall() >= 0.98;
    if (g.json) {
      std::cout << nlohmann::json{{"persons", args->population.persons},
                                  {"records", e.records},
                                  {"compared", e.result.compared},
                                  {"true_pairs", q.true_pairs},
                                  {"linked_pairs", q.predicted_pairs},
                                  {"correct_pairs", q.correct_pairs},
                                  {"precision", q.precision()},
                                  {"recall", q.recall()},
                                  {"review_pairs", q.review_pairs},
                                  {"review_pairs_one_person", q.review_true_pairs},
                                  {"by_noise", noise},
                                  {"prepare_seconds", e.prepare_seconds},
                                  {"link_seconds", e.link_seconds},
                                  {"targets_met", met}}
                       .dump(2)
                << "\n";
    } else {
      const bool ja = g.lang == Lang::ja;
      std::cout << fmt::format(
          fmt::runtime(
              ja ? "人数 {}、記録 {}、比較 {} 組 (生成と正規化 {:.1f} 秒、名寄せ {:.1f} 秒)\n"
                 : "{} persons, {} records, {} pairs compared (generating and normalizing {:.1f} "
                   "s, "
                   "linking {:.1f} s)\n"),
          args->population.persons, e.records, e.result.compared, e.prepare_seconds,
          e.link_seconds);
      std::cout << fmt::format(
          fmt::runtime(
              ja ? "適合率 {:.5f} (目標 0.995 以上)、再現率 {:.5f} (目標 0.98 以上): 正しい組 {} / "
                   "名寄せした組 {} / 同一人物の組 {}\n"
                 : "precision {:.5f} (target ≥ 0.995), recall {:.5f} (target ≥ 0.98): {} correct "
                   "of "
                   "{} linked pairs, {} pairs of one person\n"),
          q.precision(), q.recall(), q.correct_pairs, q.predicted_pairs, q.true_pairs);
      std::cout << fmt::format(fmt::runtime(ja ? "確認待ち {} 組 (うち同一人物 {} 組)\n"
                                               : "{} pairs for review ({} of them one person)\n"),
                               q.review_pairs, q.review_true_pairs);
      std::cout << (ja ? "ゆれの種類ごとの再現率:\n" : "recall by kind of difference:\n");
      for (const auto& [name, v] : noise.items()) {
        std::cout << fmt::format("  {:<26} {:>8} {:.4f}\n", name, v["pairs"].get<std::uint64_t>(),
                                 v["recall"].get<double>());
      }
    }
    *exit_code = met ? kOk : kFailed;
  });
}

}  // namespace

void add_link(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<LinkArgs>();
  auto* link = app.add_subcommand(
      "link", tr(g, "病院をまたいだ同一人物の名寄せ", "record linkage across hospitals"));
  link->require_subcommand(1);
  add_run(link, g, args, exit_code);
  add_review(link, g, args, exit_code);
  add_decide(link, g, args, exit_code);
  add_split(link, g, args, exit_code);
  add_undo(link, g, args, exit_code);
  add_events(link, g, args, exit_code);
  add_evaluate(link, g, args, exit_code);
}

}  // namespace tokumei::cli
