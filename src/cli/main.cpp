// tokumei: the command line of the Tokumei platform.

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cli/cli.h"
#include "tokumei/base/files.h"
#include "tokumei/identity/japanese.h"

namespace tokumei::cli {

ProgressLine::ProgressLine(const Globals& g)
    : tty_(isatty(STDERR_FILENO) != 0 && !g.json), started_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() {
  if (shown_) std::cerr << "\n";
}

void ProgressLine::show(const std::string& text) {
  if (!tty_ || std::chrono::steady_clock::now() - started_ < std::chrono::seconds(1)) return;
  std::cerr << "\r" << text << std::flush;
  shown_ = true;
}

int report_error(const Globals& g, const Error& e) {
  if (g.json) {
    nlohmann::json j{{"ok", false},
                     {"error", {{"code", errc_name(e.code())}, {"message", e.message(g.lang)}}}};
    if (!e.where().file.empty()) j["error"]["file"] = e.where().file;
    if (e.where().line > 0) j["error"]["line"] = e.where().line;
    if (!e.where().field.empty()) j["error"]["field"] = e.where().field;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cerr << tr(g, "エラー: ", "error: ") << e.describe(g.lang) << "\n";
  }
  return e.code() == Errc::already_exists ? kRefused : kFailed;
}

Result<std::string> read_passphrase_file(const std::string& path) {
  // Held to the same rule as the master key file: nobody but the owner may read it.
  TKM_RETURN_IF_ERROR(require_owner_only(path, {"パスフレーズファイル", "passphrase file"}));
  TKM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  secure_wipe(text.data(), text.size());
  if (line.empty()) {
    return fail(
        Errc::invalid_input,
        {"パスフレーズファイルの1行目が空です", "the passphrase file's first line is empty"},
        Location{.file = path, .line = 1});
  }
  return line;
}

void add_deployment_options(CLI::App* cmd, const Globals& g, DeploymentArgs& args) {
  cmd->add_option("--dir", args.dir,
                  tr(g, "CORE のデプロイメントフォルダ", "CORE deployment folder"))
      ->required();
  cmd->add_option("--passphrase-file", args.passphrase_file,
                  tr(g, "鍵リングのパスフレーズ (keys.source = passphrase のとき)",
                     "key-ring passphrase (when keys.source = passphrase)"));
  cmd->add_option("--terminal", args.terminal,
                  tr(g, "この端末の登録ID（監査ログに記録）",
                     "this terminal's registered ID (recorded in the audit log)"));
  // Not CLI11's envname: sibling subcommands share `args`, and CLI11 fills an option of a
  // subcommand not chosen from the environment too, over what was typed. session_token() reads it.
  cmd->add_option("--session", args.session,
                  tr(g, "tokumei login のセッション (既定は環境変数 TOKUMEI_SESSION)",
                     "session from tokumei login (default: TOKUMEI_SESSION)"));
}

std::string DeploymentArgs::session_token() const {
  if (!session.empty()) return session;
  const char* env = std::getenv("TOKUMEI_SESSION");
  return env ? env : "";
}

Result<security::AuthContext> authorize(zones::Deployment& deployment, const DeploymentArgs& args,
                                        security::Operation op) {
  return deployment.sessions().authorize(args.session_token(), args.terminal, op);
}

void with_session(
    const Globals& g, const DeploymentArgs& args, security::Operation op, int* exit_code,
    const std::function<Status(zones::Deployment&, const security::AuthContext&)>& body) {
  SystemClock clock;
  SystemRandom random;
  auto d = open_deployment(args, clock, random);
  if (!d) {
    *exit_code = report_error(g, d.error());
    return;
  }
  auto ctx = authorize(**d, args, op);
  Status done = ctx ? body(**d, *ctx) : Status(std::unexpected(ctx.error()));
  if (!done) *exit_code = report_error(g, done.error());
}

Result<std::string> read_secret_line(const std::string& prompt) {
  bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!got) {
    return fail(Errc::invalid_argument, {"標準入力から読めませんでした: " + prompt,
                                         "nothing to read on standard input: " + prompt});
  }
  return line;
}

Result<TimePoint> japanese_day_start(const std::string& text) {
  TKM_ASSIGN_OR_RETURN(std::string day, identity::normalize_date(text));
  const std::chrono::year_month_day ymd{
      std::chrono::year(std::stoi(day.substr(0, 4))),
      std::chrono::month(static_cast<unsigned>(std::stoi(day.substr(5, 2)))),
      std::chrono::day(static_cast<unsigned>(std::stoi(day.substr(8, 2))))};
  return TimePoint(std::chrono::sys_days(ymd)) - std::chrono::hours(9);
}

Result<std::unique_ptr<zones::Deployment>> open_deployment(const DeploymentArgs& args,
                                                           const Clock& clock, Random& random) {
  zones::OpenOptions options;
  if (!args.passphrase_file.empty()) {
    TKM_ASSIGN_OR_RETURN(options.passphrase, read_passphrase_file(args.passphrase_file));
  }
  return zones::Deployment::open(args.dir, options, clock, random);
}

}  // namespace tokumei::cli

namespace {

// The language is needed before CLI11 builds its help text, so it is picked out of argv first:
// --lang X / --lang=X, else TOKUMEI_LANG, else Japanese.
tokumei::Lang early_language(int argc, char** argv) {
  tokumei::Lang lang = tokumei::Lang::ja;
  if (const char* env = std::getenv("TOKUMEI_LANG")) tokumei::parse_lang(env, &lang);
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--lang" && i + 1 < argc) tokumei::parse_lang(argv[i + 1], &lang);
    if (a.starts_with("--lang=")) tokumei::parse_lang(a.substr(7), &lang);
  }
  return lang;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tokumei::cli;
  Globals g;
  g.lang = early_language(argc, argv);
  bool ja = g.lang == tokumei::Lang::ja;

  CLI::App app(ja ? "Tokumei — 認定作成事業者のための医療情報の匿名加工・仮名加工基盤"
                  : "Tokumei — anonymization and pseudonymization platform for certified "
                    "medical-data operators",
               "tokumei");
  app.require_subcommand(1);
  app.fallthrough();
  std::string lang_option;
  app.add_option(
         "--lang", lang_option,
         ja ? "表示言語 (ja | en)。既定は ja" : "language of messages (ja | en); default ja")
      ->check(CLI::IsMember({"ja", "en"}));
  app.add_flag("--json", g.json,
               ja ? "結果を JSON で出力する（機械処理用）" : "print results as JSON, for machines");
  app.footer(
      ja ? "終了コード: 0 成功 / 1 失敗・問題あり / 2 引数の誤り / 3 既存のものを守るため拒否"
         : "Exit codes: 0 success / 1 failed or problems found / 2 usage error / 3 refused to "
           "touch something that exists");

  app.set_help_flag("-h,--help", ja ? "このヘルプを表示して終了する" : "print this help and exit");
  // CLI11 words its own errors in English; say in the user's language what kind of error it is.
  app.failure_message([ja](const CLI::App*, const CLI::Error& e) {
    return ja ? "引数が正しくありません: " + std::string(e.what()) +
                    "\n使い方は tokumei --help、各コマンドは tokumei <コマンド> --help "
                    "で表示します\n"
              : "usage error: " + std::string(e.what()) +
                    "\nsee tokumei --help, or tokumei <command> --help\n";
  });

  int exit_code = kOk;
  add_version(app, g, &exit_code);
  add_init(app, g, &exit_code);
  add_doctor(app, g, &exit_code);
  add_anonymize(app, g, &exit_code);
  add_ingest(app, g, &exit_code);
  add_synth(app, g, &exit_code);
  add_link(app, g, &exit_code);
  add_quality(app, g, &exit_code);
  add_consent(app, g, &exit_code);
  add_correct(app, g, &exit_code);
  add_security(app, g, &exit_code);
  add_audit(app, g, &exit_code);
  add_release(app, g, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  return exit_code;
}
