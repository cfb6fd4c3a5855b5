#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/ingest/ingest.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::cli {
namespace {

struct IngestArgs {
  std::vector<std::string> paths;
  DeploymentArgs deployment;
  std::string institution;
};

nlohmann::json summary_json(const ingest::IngestSummary& s) {
  return {{"batch", s.batch_id},
          {"files",
           {{"taken_in", s.files},
            {"in_batch", s.batch_files},
            {"read", s.files_read},
            {"not_read", s.files_not_read},
            {"quarantined", s.files_quarantined},
            {"already_taken_in", s.files_already_taken}}},
          {"persons", s.persons()},
          {"events", s.events},
          {"records_refused", s.records_refused},
          {"warnings", s.warnings},
          {"quarantined_by_reason", s.quarantined_by_reason}};
}

void print_summary(const Globals& g, const ingest::IngestSummary& s,
                   const std::string& institution) {
  const bool ja = g.lang == Lang::ja;
  std::size_t events = 0;
  for (const auto& [type, n] : s.events) events += n;
  if (s.batch_id == 0) {
    std::cout << (ja ? "新しいファイルはありません (すべて取り込み済み: "
                     : "nothing new (every file was taken in before: ")
              << s.files_already_taken << ")\n";
    return;
  }
  if (ja) {
    std::cout << "医療機関 " << institution << " のバッチ " << s.batch_id
              << " に取り込みました (状態: pending)\n";
    std::cout << "  ファイル " << s.files << " (読込 " << s.files_read << "、対象外 "
              << s.files_not_read << "、保留 " << s.files_quarantined << ")、既に取り込み済み "
              << s.files_already_taken << "\n";
    std::cout << "  患者 " << s.persons() << "、記録 " << events << "\n";
  } else {
    std::cout << "Taken into batch " << s.batch_id << " of institution " << institution
              << " (state: pending)\n";
    std::cout << "  files " << s.files << " (read " << s.files_read << ", not read "
              << s.files_not_read << ", quarantined " << s.files_quarantined
              << "), already taken in " << s.files_already_taken << "\n";
    std::cout << "  persons " << s.persons() << ", records " << events << "\n";
  }
  for (const auto& [type, n] : s.events) std::cout << "    " << type << " " << n << "\n";
  if (s.records_refused > 0 || s.warnings > 0) {
    std::cout << (ja ? "  読めなかった記録 " : "  records refused ") << s.records_refused
              << (ja ? "、注意 " : ", warnings ") << s.warnings << "\n";
  }
  for (const auto& [reason, n] : s.quarantined_by_reason) {
    std::cout << (ja ? "  保留 (" : "  quarantined (") << reason << ") " << n << "\n";
  }
}

}  // namespace

void add_ingest(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<IngestArgs>();
  auto* cmd = app.add_subcommand(
      "ingest",
      tr(g, "医療機関から届いたファイル (SS-MIX2、FHIR、レセプト、DPC EF) をバッチとして取り込む",
         "take an institution's files (SS-MIX2, FHIR, claims, DPC EF) in as a batch"));
  cmd->add_option(
         "paths", args->paths,
         tr(g, "取り込むフォルダまたはファイル (SS-MIX2 の標準化ストレージはその根のフォルダ)",
            "folders or files to take in (an SS-MIX2 storage by its root folder)"))
      ->required();
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--institution", args->institution,
                  tr(g, "医療機関コード (10 桁)", "institution code (10 digits)"))
      ->required();
  cmd->callback([&g, args, exit_code] {
    const std::string& code = args->institution;
    if (code.size() != 10 || code.find_first_not_of("0123456789") != std::string::npos) {
      report_error(g, Error(Errc::invalid_argument,
                            {"医療機関コードは 10 桁の数字です: " + code,
                             "the institution code is 10 digits: " + code},
                            Location{.field = "--institution"}));
      *exit_code = kUsage;
      return;
    }
    SystemClock clock;
    SystemRandom random;
    auto deployment = open_deployment(args->deployment, clock, random);
    if (!deployment) {
      *exit_code = report_error(g, deployment.error());
      return;
    }
    auto& d = **deployment;
    auto ctx = authorize(d, args->deployment, security::Operation::ingest_run);
    if (!ctx) {
      *exit_code = report_error(g, ctx.error());
      return;
    }
    ingest::BatchStore store(d.db(), d.keys(), clock, random);
    std::vector<std::filesystem::path> paths(args->paths.begin(), args->paths.end());

    // INTAKE-04: every reception is recorded (counts only; no personal data) — in the transaction
    // that closes the batch, so a batch is never closed without its record.
    auto audit = [&](const nlohmann::json& detail, audit::Outcome outcome) {
      return d.audit().record({.actor = ctx->actor(),
                               .action = "ingest.batch",
                               .object = "institution:" + args->institution,
                               .outcome = outcome,
                               .detail = detail.dump(),
                               .subjects = {}});
    };
    bool audited = false;
    auto summary = [&] {
      ProgressLine line(g);
      return ingest::ingest_paths(
          store, paths, args->institution,
          [&](const auto& p) {
            line.show(tr(g, "取り込み中 ", "taking in ") + std::to_string(p.files_done) + "/" +
                      (p.files_total > 0 ? std::to_string(p.files_total) : std::string("?")));
          },
          [&](const ingest::IngestSummary& s) -> Status {
            TKM_RETURN_IF_ERROR(audit(summary_json(s), audit::Outcome::success));
            audited = true;
            return ok();
          });
    }();
    if (!summary) {
      (void)audit({{"error", errc_name(summary.error().code())}}, audit::Outcome::failure);
      *exit_code = report_error(g, summary.error());
      return;
    }
    if (!audited) {  // nothing new: no batch closed, the run is still recorded
      if (auto recorded = audit(summary_json(*summary), audit::Outcome::success); !recorded) {
        *exit_code = report_error(g, recorded.error());
        return;
      }
    }
    if (g.json) {
      std::cout << summary_json(*summary).dump(2) << "\n";
    } else {
      print_summary(g, *summary, args->institution);
    }
    *exit_code = summary->files_quarantined > 0 ? kFailed : kOk;
  });
}

}  // namespace tokumei::cli
