#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/zones/doctor.h"

namespace tokumei::cli {
namespace {

// Per severity: the --json name and the mark before each line, in Japanese and English.
struct SeverityText {
  std::string_view name;
  Text mark;
};
const SeverityText& severity_text(zones::Severity s) {
  static const SeverityText table[] = {
      {"ok", {"[OK]  ", "[ok]  "}},
      {"warning", {"[注意]", "[warn]"}},
      {"problem", {"[問題]", "[FAIL]"}},
      {"skipped", {"[--]  ", "[skip]"}},
  };
  return table[static_cast<int>(s)];
}

}  // namespace

void add_doctor(CLI::App& app, const Globals& g, int* exit_code) {
  auto dir = std::make_shared<std::string>();
  auto passphrase_file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "doctor",
      tr(g, "デプロイメントを点検し、問題と直し方を表示する（何も変更しない）",
         "examine a deployment and say what is wrong and how to fix it (changes nothing)"));
  cmd->add_option("--dir", *dir, tr(g, "点検するフォルダ", "deployment folder to examine"))
      ->required();
  cmd->add_option("--passphrase-file", *passphrase_file,
                  tr(g, "パスフレーズで守られた鍵リングも確認する",
                     "also check a passphrase-protected key ring"));
  cmd->callback([&g, dir, passphrase_file, exit_code] {
    zones::DoctorOptions options;
    if (!passphrase_file->empty()) {
      auto pass = read_passphrase_file(*passphrase_file);
      if (!pass) {
        *exit_code = report_error(g, pass.error());
        return;
      }
      options.passphrase = std::move(*pass);
    }
    SystemClock clock;
    SystemRandom random;
    auto findings = zones::examine_deployment(*dir, options, clock, random);
    int problems = 0, warnings = 0;
    for (const auto& f : findings) {
      problems += f.severity == zones::Severity::problem;
      warnings += f.severity == zones::Severity::warning;
    }
    if (g.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& f : findings) {
        nlohmann::json item{{"check", f.check},
                            {"severity", severity_text(f.severity).name},
                            {"message", f.message.in(g.lang)}};
        if (!f.fix.in(g.lang).empty()) item["fix"] = f.fix.in(g.lang);
        list.push_back(std::move(item));
      }
      std::cout << nlohmann::json{{"ok", problems == 0},
                                  {"problems", problems},
                                  {"warnings", warnings},
                                  {"findings", list}}
                       .dump(2)
                << "\n";
    } else {
      bool ja = g.lang == Lang::ja;
      std::cout << (ja ? "点検: " : "Examining: ") << *dir << "\n";
      for (const auto& f : findings) {
        std::cout << severity_text(f.severity).mark.in(g.lang) << " " << f.check << ": "
                  << f.message.in(g.lang) << "\n";
        if (!f.fix.in(g.lang).empty()) std::cout << "        → " << f.fix.in(g.lang) << "\n";
      }
      std::cout << "\n"
                << (problems == 0 ? (ja ? "問題は見つかりませんでした" : "No problems found")
                                  : (ja ? "問題が見つかりました" : "Problems found"))
                << (ja ? "（問題 " : " (problems: ") << problems
                << (ja ? " 件、注意 " : ", warnings: ") << warnings << (ja ? " 件）\n" : ")\n");
    }
    *exit_code = problems == 0 ? kOk : kFailed;
  });
}

}  // namespace tokumei::cli
