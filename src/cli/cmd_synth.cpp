#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/synth/generator.h"

namespace tokumei::cli {

void add_synth(CLI::App& app, const Globals& g, int* exit_code) {
  auto options = std::make_shared<synth::SynthOptions>();
  auto out = std::make_shared<std::string>();
  auto no_anomalies = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "synth", tr(g, "試験用の合成データ (SS-MIX2、FHIR、レセプト) と正解データを作る",
                  "make synthetic hospital data (SS-MIX2, FHIR, claims) with its ground truth"));
  cmd->add_option("--out", *out,
                  tr(g, "出力先フォルダ (空であること)", "output folder (must be empty)"))
      ->required();
  cmd->add_option("--patients", options->patients,
                  tr(g, "患者数 (全医療機関の合計)", "patients in all"));
  cmd->add_option("--institutions", options->institutions, tr(g, "医療機関数", "institutions"));
  cmd->add_option("--years", options->years, tr(g, "診療の年数", "years of care"));
  cmd->add_option("--seed", options->seed,
                  tr(g, "乱数の種 (同じ種なら同じデータ)", "random seed (same seed, same data)"));
  cmd->add_flag("--no-anomalies", *no_anomalies, tr(g, "異常を混ぜない", "inject no anomalies"));
  cmd->callback([&g, options, out, no_anomalies, exit_code] {
    options->out = *out;
    options->anomalies = !*no_anomalies;
    auto report = synth::generate(*options);
    if (!report) {
      *exit_code = report_error(g, report.error());
      return;
    }
    if (g.json) {
      std::cout << nlohmann::json{{"persons", report->persons},
                                  {"files", report->files},
                                  {"events", report->events},
                                  {"anomalies", report->anomalies}}
                       .dump(2)
                << "\n";
      return;
    }
    std::size_t events = 0;
    for (const auto& [type, n] : report->events) events += n;
    const bool ja = g.lang == Lang::ja;
    std::cout << (ja ? "合成データを書きました: " : "Synthetic data written to ") << *out << "\n"
              << (ja ? "  患者 " : "  persons ") << report->persons
              << (ja ? "、ファイル " : ", files ") << report->files
              << (ja ? "、記録 " : ", records ") << events << "\n";
    for (const auto& [kind, n] : report->anomalies) std::cout << "  " << kind << " " << n << "\n";
    std::cout << (ja ? "  正解データ: " : "  ground truth: ") << *out << "/truth/\n";
  });
}

}  // namespace tokumei::cli
