// `tokumei login | logout | password | account … | terminal …`: logging in with two factors from a
// registered terminal, and the accounts and terminals the security officer and the system
// administrator look after (security/sessions.h, security/accounts.h).

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/random.h"

namespace tokumei::cli {
namespace {

using security::Operation;

struct SecurityArgs {
  DeploymentArgs deployment;
  std::string user;
  std::string code;
  std::string name;
  std::string role;
  std::string qualification;
  bool contractor = false;
  bool new_authenticator = false;
  std::string reason;
  std::string method;
  std::string evidence;
  std::string terminal_id;
  std::string description;
};

void add_login(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<SecurityArgs>();
  auto* cmd = app.add_subcommand(
      "login",
      tr(g, "ログインする（パスワードと確認コードを標準入力から読む）。セッションを表示する",
         "log in (password and code read from standard input); prints the session"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--user", args->user, tr(g, "ユーザID", "user ID"))->required();
  cmd->add_option("--code", args->code,
                  tr(g, "確認コード（TOTP、省略時は標準入力の2行目）",
                     "TOTP code (default: second line of standard input)"));
  cmd->callback([&g, args, exit_code] {
    SystemClock clock;
    SystemRandom random;
    auto run = [&]() -> Status {
      TKM_ASSIGN_OR_RETURN(auto d, open_deployment(args->deployment, clock, random));
      TKM_ASSIGN_OR_RETURN(std::string password,
                           read_secret_line(tr(g, "パスワード: ", "Password: ")));
      std::string code = args->code;
      if (code.empty()) {
        TKM_ASSIGN_OR_RETURN(code, read_secret_line(tr(g, "確認コード: ", "Code: ")));
      }
      auto login = d->sessions().login(args->deployment.terminal, args->user, password, code);
      secure_wipe(password.data(), password.size());
      if (!login) return std::unexpected(login.error());
      if (g.json) {
        nlohmann::json j{{"ok", true},
                         {"session", login->token},
                         {"session_id", login->session_id},
                         {"idle_deadline", format_utc(login->idle_deadline)},
                         {"ends_at", format_utc(login->absolute_deadline)}};
        if (login->password_days_left) j["password_days_left"] = *login->password_days_left;
        print_json(j);
        return ok();
      }
      std::cout << login->token << "\n";
      std::cerr << tr(g, "ログインしました。この端末で使うには: export TOKUMEI_SESSION=<上の値>\n",
                      "Logged in. To use it here: export TOKUMEI_SESSION=<the value above>\n");
      if (login->password_days_left) {
        std::cerr << tr(g, "注意: パスワードの有効期限まであと ", "note: the password expires in ")
                  << *login->password_days_left
                  << tr(g, " 日です。tokumei password で変更してください\n",
                        " days; change it with tokumei password\n");
      }
      return ok();
    };
    if (Status s = run(); !s) *exit_code = report_error(g, s.error());
  });
}

void add_password(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<SecurityArgs>();
  auto* cmd = app.add_subcommand(
      "password", tr(g, "パスワードを変更する（現在と新しいパスワードを標準入力から読む）",
                     "change a password (current and new read from standard input)"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->add_option("--user", args->user, tr(g, "ユーザID", "user ID"))->required();
  cmd->callback([&g, args, exit_code] {
    SystemClock clock;
    SystemRandom random;
    auto run = [&]() -> Status {
      TKM_ASSIGN_OR_RETURN(auto d, open_deployment(args->deployment, clock, random));
      TKM_ASSIGN_OR_RETURN(std::string current,
                           read_secret_line(tr(g, "現在のパスワード: ", "Current password: ")));
      TKM_ASSIGN_OR_RETURN(std::string next,
                           read_secret_line(tr(g, "新しいパスワード: ", "New password: ")));
      Status changed =
          d->accounts().change_password(args->deployment.terminal, args->user, current, next);
      secure_wipe(current.data(), current.size());
      secure_wipe(next.data(), next.size());
      TKM_RETURN_IF_ERROR(changed);
      // A new account gets its authenticator here, from the person who knows the one-time
      // password, so whoever created the account never holds both factors.
      TKM_ASSIGN_OR_RETURN(security::Account account, d->accounts().find(args->user));
      std::optional<security::TotpEnrollment> totp;
      if (!account.totp_enrolled) {
        TKM_ASSIGN_OR_RETURN(
            totp, d->accounts().enroll_totp({args->user, args->deployment.terminal}, args->user));
      }
      if (g.json) {
        nlohmann::json j{{"ok", true}};
        if (totp) {
          j["totp_uri"] = totp->uri;
          j["totp_secret"] = totp->secret_base32;
        }
        print_json(j);
        return ok();
      }
      std::cout << tr(g, "パスワードを変更しました\n", "The password was changed\n");
      if (totp) {
        std::cout << tr(g, "認証アプリに登録してください（一度だけ表示）: ",
                        "add this to your authenticator app (shown once): ")
                  << totp->uri << "\n"
                  << tr(g, "手入力用の秘密鍵: ", "secret for typing in: ") << totp->secret_base32
                  << "\n";
      }
      return ok();
    };
    if (Status s = run(); !s) *exit_code = report_error(g, s.error());
  });
}

void add_logout(CLI::App& app, const Globals& g, int* exit_code) {
  auto args = std::make_shared<SecurityArgs>();
  auto* cmd = app.add_subcommand("logout", tr(g, "ログアウトする", "log out"));
  add_deployment_options(cmd, g, args->deployment);
  cmd->callback([&g, args, exit_code] {
    SystemClock clock;
    SystemRandom random;
    auto run = [&]() -> Status {
      TKM_ASSIGN_OR_RETURN(auto d, open_deployment(args->deployment, clock, random));
      TKM_RETURN_IF_ERROR(
          d->sessions().logout(args->deployment.session_token(), args->deployment.terminal));
      if (g.json) {
        print_json({{"ok", true}});
      } else {
        std::cout << tr(g, "ログアウトしました\n", "Logged out\n");
      }
      return ok();
    };
    if (Status s = run(); !s) *exit_code = report_error(g, s.error());
  });
}

nlohmann::json account_json(const security::Account& a) {
  return {{"user_id", a.user_id},       {"name", a.display_name},
          {"role", role_name(a.role)},  {"qualification", a.qualification},
          {"contractor", a.contractor}, {"active", a.active},
          {"locked", a.locked},         {"failed_logins", a.failed_logins},
          {"totp", a.totp_confirmed},   {"password_set_at", format_utc(a.password_set_at)}};
}

void add_account(CLI::App& app, const Globals& g, int* exit_code) {
  auto* account = app.add_subcommand(
      "account", tr(g, "アカウントの管理（作成・役割・無効化・ロック解除・一覧）",
                    "accounts: create, role, disable, unlock, list"));
  account->require_subcommand(1);
  auto args = std::make_shared<SecurityArgs>();

  auto* create = account->add_subcommand(
      "create", tr(g,
                   "アカウントを作る（初期パスワードを一度だけ表示。認証アプリは本人が最初の"
                   "パスワード変更で登録する）",
                   "create an account (shows the one-time password once; the person enrolls "
                   "their authenticator at the first password change)"));
  add_deployment_options(create, g, args->deployment);
  create->add_option("--user-id", args->user, tr(g, "個人のユーザID", "personal user ID"))
      ->required();
  create->add_option("--name", args->name, tr(g, "氏名", "name"))->required();
  create->add_option("--role", args->role, tr(g, "役割", "role"))->required();
  create->add_option("--qualification", args->qualification,
                     tr(g, "品質確認担当者の資格", "a quality reviewer's qualification"));
  create->add_flag("--contractor", args->contractor, tr(g, "委託先の職員", "contractor staff"));
  create->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::account_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(security::Role role, security::parse_role(args->role));
                   TKM_ASSIGN_OR_RETURN(
                       security::OneTimePassword otp,
                       d.accounts().create(ctx.actor(), {args->user, args->name, role,
                                                         args->qualification, args->contractor}));
                   if (g.json) {
                     print_json({{"ok", true},
                                 {"user_id", args->user},
                                 {"one_time_password", otp.password},
                                 {"one_time_password_expires", format_utc(otp.expires_at)}});
                     return ok();
                   }
                   std::cout << tr(g, "作成しました: ", "Created: ") << args->user << "\n"
                             << tr(g, "初期パスワード（本人にだけ渡す）: ",
                                   "one-time password (for the person only): ")
                             << otp.password << "\n"
                             << tr(g, "有効期限: ", "valid until: ") << format_jst(otp.expires_at)
                             << "\n";
                   return ok();
                 });
  });

  auto* role = account->add_subcommand(
      "role", tr(g, "役割を変える（すぐに有効）", "change a role (effective at once)"));
  add_deployment_options(role, g, args->deployment);
  role->add_option("--user-id", args->user, tr(g, "ユーザID", "user ID"))->required();
  role->add_option("--role", args->role, tr(g, "新しい役割", "new role"))->required();
  role->add_option("--qualification", args->qualification, tr(g, "資格", "qualification"));
  role->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::account_manage, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_ASSIGN_OR_RETURN(security::Role r, security::parse_role(args->role));
                   TKM_RETURN_IF_ERROR(
                       d.accounts().change_role(ctx.actor(), args->user, r, args->qualification));
                   if (g.json) {
                     print_json({{"ok", true}, {"user_id", args->user}, {"role", args->role}});
                   } else {
                     std::cout << args->user << tr(g, " の役割を変えました: ", ": role is now ")
                               << tr(g, security::role_label(r)) << "\n";
                   }
                   return ok();
                 });
  });

  for (bool enable : {false, true}) {
    auto* toggle = account->add_subcommand(
        enable ? "enable" : "disable",
        enable ? tr(g, "アカウントを有効に戻す", "re-enable an account")
               : tr(g, "アカウントを無効にする（退職・異動）", "disable an account (leaving)"));
    add_deployment_options(toggle, g, args->deployment);
    toggle->add_option("--user-id", args->user, tr(g, "ユーザID", "user ID"))->required();
    toggle->add_option("--reason", args->reason, tr(g, "理由", "reason"))->required();
    toggle->callback([&g, args, exit_code, enable] {
      with_session(g, args->deployment, Operation::account_manage, exit_code,
                   [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                     TKM_RETURN_IF_ERROR(
                         d.accounts().set_active(ctx.actor(), args->user, enable, args->reason));
                     if (!enable) {
                       TKM_RETURN_IF_ERROR(status_of(
                           d.sessions().end_sessions(ctx.actor(), args->user, "account_disabled")));
                     }
                     if (g.json) {
                       print_json({{"ok", true}, {"user_id", args->user}, {"active", enable}});
                     } else {
                       std::cout << args->user
                                 << (enable ? tr(g, " を有効にしました\n", " enabled\n")
                                            : tr(g, " を無効にしました\n", " disabled\n"));
                     }
                     return ok();
                   });
    });
  }

  for (bool reset : {false, true}) {
    auto* cmd = account->add_subcommand(
        reset ? "reset" : "unlock",
        reset ? tr(g, "本人確認のうえパスワードを再発行する (AUTHN-10)",
                   "issue a new one-time password after an identity check (AUTHN-10)")
              : tr(g, "本人確認のうえロックを解除する (AUTHN-07/10)",
                   "unlock after an identity check (AUTHN-07/10)"));
    add_deployment_options(cmd, g, args->deployment);
    cmd->add_option("--user-id", args->user, tr(g, "ユーザID", "user ID"))->required();
    cmd->add_option("--method", args->method, tr(g, "本人確認の方法", "how identity was checked"))
        ->required();
    cmd->add_option("--evidence", args->evidence,
                    tr(g, "証跡の保管先（様式番号など）", "where the evidence is kept"))
        ->required();
    if (reset) {
      cmd->add_flag("--new-authenticator", args->new_authenticator,
                    tr(g, "認証アプリも登録し直す（端末の紛失・故障）",
                       "enroll a new authenticator too (lost or broken device)"));
    }
    cmd->callback([&g, args, exit_code, reset] {
      with_session(
          g, args->deployment, Operation::account_unlock, exit_code,
          [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
            security::IdentityCheck check{args->method, args->evidence};
            nlohmann::json j{{"ok", true}, {"user_id", args->user}};
            if (reset) {
              TKM_ASSIGN_OR_RETURN(security::OneTimePassword otp,
                                   d.accounts().reset_password(ctx.actor(), args->user, check,
                                                               args->new_authenticator));
              j["one_time_password"] = otp.password;
              j["one_time_password_expires"] = format_utc(otp.expires_at);
              // Whoever held the old password is logged out with it.
              TKM_RETURN_IF_ERROR(
                  status_of(d.sessions().end_sessions(ctx.actor(), args->user, "password_reset")));
            } else {
              TKM_RETURN_IF_ERROR(d.accounts().unlock(ctx.actor(), args->user, check));
            }
            if (g.json) {
              print_json(j);
            } else if (reset) {
              std::cout << tr(g, "再発行したパスワード（本人にだけ渡す）: ",
                              "new one-time password (for the person only): ")
                        << j["one_time_password"].get<std::string>() << "\n";
            } else {
              std::cout << args->user << tr(g, " のロックを解除しました\n", " unlocked\n");
            }
            return ok();
          });
    });
  }

  auto* list = account->add_subcommand(
      "list", tr(g, "アカウントの一覧（棚卸用, AUTHN-14）", "list accounts (inventory, AUTHN-14)"));
  add_deployment_options(list, g, args->deployment);
  list->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::account_list, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext&) -> Status {
                   TKM_ASSIGN_OR_RETURN(auto accounts, d.accounts().list());
                   TKM_ASSIGN_OR_RETURN(auto checks, d.accounts().identity_checks());
                   if (g.json) {
                     nlohmann::json j{{"ok", true},
                                      {"accounts", nlohmann::json::array()},
                                      {"identity_checks", nlohmann::json::array()}};
                     for (const auto& a : accounts) j["accounts"].push_back(account_json(a));
                     for (const auto& c : checks) {
                       j["identity_checks"].push_back({{"at", format_utc(c.at)},
                                                       {"user_id", c.user_id},
                                                       {"by", c.by},
                                                       {"action", c.action},
                                                       {"method", c.method},
                                                       {"evidence", c.evidence}});
                     }
                     print_json(j);
                     return ok();
                   }
                   for (const auto& a : accounts) {
                     std::cout << a.user_id << "  " << a.display_name << "  "
                               << tr(g, security::role_label(a.role))
                               << (a.contractor ? tr(g, "（委託先）", " (contractor)") : "")
                               << (a.active ? "" : tr(g, "  無効", "  disabled"))
                               << (a.locked ? tr(g, "  ロック中", "  locked") : "") << "\n";
                   }
                   return ok();
                 });
  });
}

void add_terminal(CLI::App& app, const Globals& g, int* exit_code) {
  auto* terminal = app.add_subcommand(
      "terminal", tr(g, "端末IDの登録・廃止・一覧", "register, retire and list terminal IDs"));
  terminal->require_subcommand(1);
  auto args = std::make_shared<SecurityArgs>();
  auto* reg = terminal->add_subcommand("register", tr(g, "端末を登録する", "register a terminal"));
  add_deployment_options(reg, g, args->deployment);
  reg->add_option("--id", args->terminal_id, tr(g, "端末ID", "terminal ID"))->required();
  reg->add_option("--description", args->description, tr(g, "設置場所など", "where it stands"))
      ->required();
  reg->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::terminal_register, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
                   TKM_RETURN_IF_ERROR(d.sessions().register_terminal(
                       ctx.actor(), args->terminal_id, args->description));
                   if (g.json) {
                     print_json({{"ok", true}, {"terminal", args->terminal_id}});
                   } else {
                     std::cout << tr(g, "登録しました: ", "Registered: ") << args->terminal_id
                               << "\n";
                   }
                   return ok();
                 });
  });
  auto* retire = terminal->add_subcommand("retire", tr(g, "端末を廃止する", "retire a terminal"));
  add_deployment_options(retire, g, args->deployment);
  retire->add_option("--id", args->terminal_id, tr(g, "端末ID", "terminal ID"))->required();
  retire->callback([&g, args, exit_code] {
    with_session(
        g, args->deployment, Operation::terminal_register, exit_code,
        [&](zones::Deployment& d, const security::AuthContext& ctx) -> Status {
          TKM_RETURN_IF_ERROR(d.sessions().retire_terminal(ctx.actor(), args->terminal_id));
          if (g.json) {
            print_json({{"ok", true}, {"terminal", args->terminal_id}});
          } else {
            std::cout << tr(g, "廃止しました: ", "Retired: ") << args->terminal_id << "\n";
          }
          return ok();
        });
  });
  auto* list = terminal->add_subcommand("list", tr(g, "登録端末の一覧", "list terminals"));
  add_deployment_options(list, g, args->deployment);
  list->callback([&g, args, exit_code] {
    with_session(g, args->deployment, Operation::terminal_register, exit_code,
                 [&](zones::Deployment& d, const security::AuthContext&) -> Status {
                   TKM_ASSIGN_OR_RETURN(auto terminals, d.sessions().terminals());
                   nlohmann::json j{{"ok", true}, {"terminals", nlohmann::json::array()}};
                   for (const auto& t : terminals) {
                     j["terminals"].push_back({{"id", t.id},
                                               {"description", t.description},
                                               {"active", t.active},
                                               {"registered_by", t.registered_by},
                                               {"registered_at", format_utc(t.registered_at)}});
                     if (!g.json) {
                       std::cout << t.id << "  " << t.description
                                 << (t.active ? "" : tr(g, "  廃止", "  retired")) << "\n";
                     }
                   }
                   if (g.json) print_json(j);
                   return ok();
                 });
  });
}

}  // namespace

void add_security(CLI::App& app, const Globals& g, int* exit_code) {
  add_login(app, g, exit_code);
  add_logout(app, g, exit_code);
  add_password(app, g, exit_code);
  add_account(app, g, exit_code);
  add_terminal(app, g, exit_code);
}

}  // namespace tokumei::cli
