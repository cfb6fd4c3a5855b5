// tokumei anonymize --config job.toml: the anonymization engine on its own, on a CSV file.

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/anon/job.h"
#include "tokumei/anon/report.h"
#include "tokumei/base/bytes.h"
#include "tokumei/base/files.h"

namespace tokumei::cli {
namespace {

int run(const Globals& g, const std::string& config) {
  auto job = anon::load_job(config);
  if (!job) return report_error(g, job.error());

  const auto load_started = std::chrono::steady_clock::now();
  auto text = read_file(job->input);
  if (!text) return report_error(g, text.error());
  char delimiter = job->csv.delimiter != 0 ? job->csv.delimiter : anon::detect_delimiter(*text);
  auto table = anon::parse_table(*text, job->input.string(), {.delimiter = delimiter});
  if (!table) return report_error(g, table.error());
  auto spec = anon::make_spec(*job, *table);
  if (!spec) return report_error(g, spec.error());
  const auto load_time = std::chrono::steady_clock::now() - load_started;

  auto result = [&] {
    ProgressLine line(g);
    spec->progress = [&](double share) {
      line.show(fmt::format("{} {:3.0f}%", tr(g, "探索中", "searching"), share * 100));
    };
    auto found = anon::anonymize(*table, *spec);
    spec->progress = {};
    return found;
  }();
  if (!result) return report_error(g, anon::locate(*job, result.error()));

  // The release, then the report (whose count of the original data's classes the search made on
  // the second core, when there is one).
  auto table_out = [&]() -> Result<anon::Table> {
    if (!result->found || job->output.empty()) return anon::Table();
    return anon::apply_transformation(*table, *spec, *result);
  }();
  if (!table_out) return report_error(g, table_out.error());
  auto report = anon::make_report(*table, *spec, *result, job->risk_threshold);
  if (!report) return report_error(g, report.error());
  report->load_time = std::chrono::duration_cast<std::chrono::nanoseconds>(load_time);
  nlohmann::json json = anon::report_json(*report);
  json["input"] = job->input.string();

  if (result->found && !job->output.empty()) {
    if (auto s = write_file_atomic(job->output, as_bytes(anon::format_table(*table_out, delimiter)),
                                   0600);
        !s) {
      return report_error(g, s.error());
    }
    json["output"] = job->output.string();
  }
  if (!job->report.empty()) {
    if (auto s = write_file_atomic(job->report, as_bytes(json.dump(2) + "\n"), 0600); !s) {
      return report_error(g, s.error());
    }
  }
  if (g.json) {
    std::cout << json.dump(2) << "\n";
  } else {
    std::cout << anon::report_text(*report, g.lang);
    if (result->found && !job->output.empty()) {
      std::cout << tr(g, "匿名加工した表: ", "anonymized table: ") << job->output.string() << "\n";
    }
    if (!job->report.empty()) {
      std::cout << tr(g, "報告書: ", "report: ") << job->report.string() << "\n";
    }
  }
  return result->found ? kOk : kFailed;
}

}  // namespace

void add_anonymize(CLI::App& app, const Globals& g, int* exit_code) {
  auto config = std::make_shared<std::string>();
  auto* cmd =
      app.add_subcommand("anonymize", tr(g, "CSV の表を匿名加工し、リスクと有用性の報告書を作る",
                                         "anonymize a CSV table and report its risk and utility"));
  cmd->add_option("--config", *config,
                  tr(g, "ジョブファイル (TOML: 入力、列の役割、一般化階層、モデル、出力)",
                     "job file (TOML: input, column roles, hierarchies, model, outputs)"))
      ->required();
  cmd->footer(tr(g, "終了コード: 0 最適解を出力 / 1 モデルを満たす一般化がない、または入力の誤り",
                 "Exit codes: 0 optimum written / 1 no generalization satisfies the model, or bad "
                 "input"));
  cmd->callback([&g, config, exit_code] { *exit_code = run(g, *config); });
}

}  // namespace tokumei::cli
