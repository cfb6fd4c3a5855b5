// `tokumei correct EVENT …`, `tokumei correct confirm ID`, `tokumei correct history EVENT`:
// corrections of source records, entered by one person and confirmed by another (QUALITY-10).

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/ingest/corrections.h"

namespace tokumei::cli {
namespace {

using nlohmann::json;

struct CorrectArgs {
  DeploymentArgs deployment;
  std::string user, reason;
  std::int64_t id = 0;
  ingest::CorrectionChange change;
};

// Runs `body` for the person logged in, if their role may perform `op`.
void with_corrections(const Globals& g, CorrectArgs& args, security::Operation op, int* exit_code,
                      const std::function<Result<int>(ingest::Corrections&)>& body) {
  SystemClock clock;
  SystemRandom random;
  auto run = [&]() -> Result<int> {
    TKM_ASSIGN_OR_RETURN(auto d, open_deployment(args.deployment, clock, random));
    TKM_ASSIGN_OR_RETURN(auto ctx, authorize(*d, args.deployment, op));
    args.user = ctx.account.user_id;
    identity::IdentityVault vault(d->db(), d->keys(), clock, random);
    ingest::Corrections corrections(d->db(), vault, d->audit(), clock);
    return body(corrections);
  };
  auto done = run();
  *exit_code = done ? *done : report_error(g, done.error());
}

// The fields a version shows: type, date, code, value and unit.
json summary(const ingest::Event& event) {
  return std::visit(
      [](const auto& e) -> json {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, model::LabResult>) {
          return {
              {"date", e.observed}, {"code", e.test.code}, {"value", e.value}, {"unit", e.unit}};
        } else if constexpr (std::is_same_v<T, model::Medication>) {
          return {{"date", e.start},
                  {"code", e.drug.code},
                  {"value", e.dose ? fmt::format("{}", *e.dose) : ""},
                  {"unit", e.dose_unit}};
        } else if constexpr (std::is_same_v<T, model::Diagnosis>) {
          return {{"date", e.onset}, {"code", e.code.empty() ? e.disease.code : e.code.code}};
        } else if constexpr (std::is_same_v<T, model::Procedure>) {
          return {{"date", e.performed}, {"code", e.code.code}};
        } else if constexpr (std::is_same_v<T, model::Encounter>) {
          return {{"date", e.start}, {"end", e.end}};
        } else {
          return {{"date", e.claim_month}};
        }
      },
      event);
}

}  // namespace

void add_correct(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<CorrectArgs>();
  auto* cmd = app.add_subcommand(
      "correct",
      tr(g, "取り込んだ記録を訂正する (新しい版として入力し、別の担当者が確認して有効になる)",
         "correct a record taken in (a new version, in effect once another person "
         "confirms it)"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("event", args->id, tr(g, "訂正する記録の番号", "the event to correct"));
  cmd->add_option("--date", args->change.date, tr(g, "正しい日付", "the right date"));
  cmd->add_option("--value", args->change.value, tr(g, "正しい値", "the right value"));
  cmd->add_option("--unit", args->change.unit, tr(g, "正しい単位", "the right unit"));
  cmd->add_option("--code", args->change.code, tr(g, "正しいコード", "the right code"));
  cmd->add_option("--reason", args->reason, tr(g, "訂正の理由", "why"));
  cmd->callback([&g, args, exit_code, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    with_corrections(
        g, *args, security::Operation::correction_enter, exit_code,
        [&](ingest::Corrections& c) -> Result<int> {
          TKM_ASSIGN_OR_RETURN(std::int64_t id, c.enter({args->user, args->deployment.terminal},
                                                        args->id, args->change, args->reason));
          std::cout << (g.json ? json{{"correction", id}}.dump(2)
                               : fmt::format(fmt::runtime(
                                                 tr(g,
                                                    "訂正 {} を入力しました。別の担当者の確認 "
                                                    "(tokumei correct confirm {}) で有効になります",
                                                    "correction {} entered; it takes effect "
                                                    "once another person confirms it "
                                                    "(tokumei correct confirm {})")),
                                             id, id))
                    << "\n";
          return kOk;
        });
  });
  auto* confirm = cmd->add_subcommand("confirm", tr(g, "訂正を確認する (入力した人以外)",
                                                    "confirm a correction (not its entrant)"));
  confirm->add_option("correction", args->id, tr(g, "訂正の番号", "correction number"))->required();
  confirm->callback([&g, args, exit_code] {
    with_corrections(
        g, *args, security::Operation::correction_confirm, exit_code,
        [&](ingest::Corrections& c) -> Result<int> {
          TKM_RETURN_IF_ERROR(c.confirm({args->user, args->deployment.terminal}, args->id));
          std::cout << (g.json ? json{{"correction", args->id}, {"confirmed", true}}.dump(2)
                               : fmt::format(fmt::runtime(tr(g, "訂正 {} を確認しました",
                                                             "correction {} confirmed")),
                                             args->id))
                    << "\n";
          return kOk;
        });
  });
  auto* history = cmd->add_subcommand(
      "history", tr(g, "記録の元の版と訂正の版の一覧", "a record's original and corrections"));
  history->add_option("event", args->id, tr(g, "記録の番号", "event number"))->required();
  history->callback([&g, args, exit_code] {
    with_corrections(g, *args, security::Operation::correction_enter, exit_code,
                     [&](ingest::Corrections& c) -> Result<int> {
                       TKM_ASSIGN_OR_RETURN(auto versions, c.history(args->id));
                       json out = json::array();
                       for (const auto& v : versions) {
                         json j = summary(v.event);
                         j["correction"] = v.correction_id;
                         if (v.correction_id != 0) {
                           j["reason"] = v.reason;
                           j["entered_by"] = v.entered_by;
                           j["entered_at"] = format_utc(v.entered_at);
                           j["confirmed_by"] = v.confirmed_by;
                           j["confirmed_at"] = v.confirmed_at ? format_utc(*v.confirmed_at) : "";
                         }
                         out.push_back(std::move(j));
                       }
                       std::cout << json{{"event", args->id}, {"versions", out}}.dump(2) << "\n";
                       return kOk;
                     });
  });
  for (auto* sub : {confirm, history}) sub->fallthrough();
}

}  // namespace tokumei::cli
