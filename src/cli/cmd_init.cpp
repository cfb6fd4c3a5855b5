#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::cli {
namespace {

struct InitArgs {
  std::string dir;
  std::string role = "core";
  std::string officer;
  std::string officer_name;
  std::string passphrase_file;
};

int run_init(const Globals& g, const InitArgs& a) {
  zones::InitOptions o;
  o.dir = a.dir;
  o.role = a.role == "intake" ? zones::ZoneRole::intake
           : a.role == "exit" ? zones::ZoneRole::exit
                              : zones::ZoneRole::core;
  o.officer_id = a.officer;
  o.officer_name =
      a.officer_name.empty() ? tr(g, "情報セキュリティ責任者", "Security officer") : a.officer_name;
  if (!a.passphrase_file.empty()) {
    auto pass = read_passphrase_file(a.passphrase_file);
    if (!pass) return report_error(g, pass.error());
    o.passphrase = std::move(*pass);
  }
  SystemClock clock;
  SystemRandom random;
  auto report = zones::init_deployment(o, clock, random);
  if (!report) return report_error(g, report.error());

  const auto& r = *report;
  if (g.json) {
    std::cout << nlohmann::json{{"ok", true},
                                {"dir", r.dir.string()},
                                {"created", r.created},
                                {"officer",
                                 {{"user_id", r.officer_id},
                                  {"one_time_password", r.officer_password.password},
                                  {"one_time_password_expires",
                                   format_utc(r.officer_password.expires_at)},
                                  {"totp_uri", r.officer_totp.uri},
                                  {"totp_secret", r.officer_totp.secret_base32}}}}
                     .dump(2)
              << "\n";
    return kOk;
  }
  bool ja = g.lang == Lang::ja;
  std::cout << (ja ? "Tokumei のデプロイメントを作成しました: " : "Created a Tokumei deployment: ")
            << r.dir.string() << "\n\n";
  std::cout << (ja ? "作成したもの（権限）:\n" : "Created (mode):\n");
  for (const auto& c : r.created) std::cout << "  " << c << "\n";
  std::cout << "\n"
            << (ja ? "最初の情報セキュリティ責任者のアカウント: "
                   : "First security officer account: ")
            << r.officer_id << "\n\n";
  std::cout
      << (ja ? "■ 初期パスワード（この一度だけ表示します。最初のログインで変更が必要です）\n"
             : "■ One-time password (shown this once; it must be changed at the first login)\n")
      << "  " << r.officer_password.password << "\n"
      << (ja ? "  有効期限: " : "  valid until: ") << format_jst(r.officer_password.expires_at)
      << "\n\n";
  std::cout
      << (ja ? "■ "
               "二要素認証（TOTP）の登録（この一度だけ表示します。認証アプリに登録してください）\n"
             : "■ Two-factor (TOTP) enrollment (shown this once; add it to an authenticator app)\n")
      << "  " << r.officer_totp.uri << "\n"
      << (ja ? "  手入力用の秘密鍵: " : "  secret for typing in: ") << r.officer_totp.secret_base32
      << "\n\n";
  if (o.passphrase) {
    std::cout << (ja ? "マスター鍵はパスフレーズから作られます。パスフレーズを失うとデータは読めま"
                       "せん。\n"
                     : "The master key comes from the passphrase. Without the passphrase the data "
                       "cannot be read.\n");
  } else {
    std::cout << (ja ? "マスター鍵 keys/master.key "
                       "を、このサーバとは別の安全な場所にもバックアップしてください。\n"
                       "失うとデータは読めません。漏れた場合は鍵のローテーションが必要です。\n"
                     : "Back up keys/master.key somewhere safe, apart from this server. Without it "
                       "the data cannot be\n"
                       "read; if it leaks, rotate it.\n");
  }
  std::cout << (ja ? "状態の確認: tokumei doctor --dir " : "Check it: tokumei doctor --dir ")
            << r.dir.string() << "\n";
  return kOk;
}

}  // namespace

void add_init(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<InitArgs>();
  auto* cmd = app.add_subcommand(
      "init",
      tr(g,
         "新しいデプロイメント（データフォルダ・マスター鍵・データベース・最初の責任者）を作成する",
         "create a new deployment (data folder, master key, database, first security officer)"));
  cmd->add_option("--dir", args->dir,
                  tr(g, "作成するフォルダ（存在しないか空であること）",
                     "folder to create (must not exist, or be empty)"))
      ->required();
  cmd->add_option(
         "--role", args->role,
         tr(g, "サーバの役割 (core | intake | exit)", "server role (core | intake | exit)"))
      ->check(CLI::IsMember({"core", "intake", "exit"}))
      ->capture_default_str();
  // AUTHN-01: the first account belongs to a named person, so there is no default ID.
  cmd->add_option("--officer", args->officer,
                  tr(g, "最初の情報セキュリティ責任者の個人ユーザID（英小文字で始まる3〜32文字）",
                     "personal user ID of the first security officer (3-32 characters, from a-z)"))
      ->required();
  cmd->add_option("--officer-name", args->officer_name,
                  tr(g, "その責任者の氏名", "that officer's name"));
  cmd->add_option(
      "--passphrase-file", args->passphrase_file,
      tr(g, "鍵ファイルの代わりに、このファイルの1行目のパスフレーズからマスター鍵を作る",
         "derive the master key from the passphrase on this file's first line instead of a key "
         "file"));
  cmd->callback([&g, args, exit_code] { *exit_code = run_init(g, *args); });
}

}  // namespace tokumei::cli
