#include "tokumei/zones/deployment.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "tokumei/base/files.h"
#include "tokumei/base/id.h"
#include "tokumei/consent/inquiries.h"
#include "tokumei/identity/linkage_store.h"
#include "tokumei/identity/vault.h"
#include "tokumei/ingest/batch.h"
#include "tokumei/ingest/corrections.h"
#include "tokumei/ops/deletion_records.h"
#include "tokumei/quality/checker.h"
#include "tokumei/release/schema.h"

namespace tokumei::zones {
namespace fs = std::filesystem;
using config::Field;
using config::Type;

std::string_view zone_role_name(ZoneRole role) {
  switch (role) {
    case ZoneRole::intake:
      return "intake";
    case ZoneRole::core:
      return "core";
    case ZoneRole::exit:
      return "exit";
  }
  return "core";
}

const config::Schema& deployment_schema() {
  static const config::Schema schema{{
      {.key = "deployment.role",
       .type = Type::string,
       .required = true,
       .one_of = {"intake", "core", "exit"},
       .help = {"このサーバの役割（一次受信・管理・出口）",
                "which server this is (intake, core or exit)"}},
      {.key = "deployment.name",
       .type = Type::string,
       .default_value = std::string("tokumei"),
       .help = {"監査ログに記録されるこのサーバの名前",
                "this server's name, as recorded in the audit log"}},
      {.key = "deployment.language",
       .type = Type::string,
       .default_value = std::string("ja"),
       .one_of = {"ja", "en"},
       .help = {"メッセージの既定の言語", "default language of messages"}},
      {.key = "store.backend",
       .type = Type::string,
       .default_value = std::string("sqlite"),
       .one_of = {"sqlite"},
       .help = {"データベースの種類", "database backend"}},
      {.key = "store.path",
       .type = Type::string,
       .default_value = std::string("data/tokumei.db"),
       .help = {"データベースファイル（フォルダからの相対パス）",
                "database file, relative to the folder"}},
      {.key = "store.busy_timeout_ms",
       .type = Type::integer,
       .default_value = std::int64_t{5000},
       .min = 100,
       .max = 600000,
       .help = {"書き込み待ちの上限（ミリ秒）", "how long a writer waits for another (ms)"}},
      {.key = "keys.source",
       .type = Type::string,
       .required = true,
       .one_of = {"file", "passphrase"},
       .help = {"マスター鍵の出どころ", "where the master key comes from"}},
      {.key = "keys.master_key_file",
       .type = Type::string,
       .default_value = std::string("keys/master.key"),
       .help = {"マスター鍵ファイル（権限 0600）", "master key file (mode 0600)"}},
      {.key = "security.password_min_length",
       .type = Type::integer,
       .default_value = std::int64_t{8},
       .min = 8,
       .max = 128,
       .help = {"パスワードの最低文字数（AUTHN-03）", "minimum password length (AUTHN-03)"}},
      {.key = "security.password_history",
       .type = Type::integer,
       .default_value = std::int64_t{5},
       .min = 5,
       .max = 24,
       .help = {"再利用を禁じる過去のパスワード数（AUTHN-05）",
                "how many past passwords may not be reused (AUTHN-05)"}},
      {.key = "security.password_max_age_days",
       .type = Type::integer,
       .default_value = std::int64_t{60},
       .min = 1,
       .max = 62,
       .help = {"パスワードの有効日数（AUTHN-06: 2か月以内）",
                "password lifetime in days (AUTHN-06: at most 2 months)"}},
      {.key = "security.one_time_password_ttl_hours",
       .type = Type::integer,
       .default_value = std::int64_t{72},
       .min = 1,
       .max = 168,
       .help = {"初期・再発行パスワードの有効時間（AUTHN-09）",
                "lifetime of initial and reset passwords (AUTHN-09)"}},
      {.key = "security.argon2_memory_kib",
       .type = Type::integer,
       .default_value = std::int64_t{65536},
       .min = 8192,
       .max = 4194304,
       .help = {"パスワードハッシュのメモリ量（KiB）", "password hashing memory (KiB)"}},
      {.key = "security.argon2_iterations",
       .type = Type::integer,
       .default_value = std::int64_t{3},
       .min = 1,
       .max = 20,
       .help = {"パスワードハッシュの反復回数", "password hashing passes"}},
      {.key = "security.password_warning_days",
       .type = Type::integer,
       .default_value = std::int64_t{14},
       .min = 1,
       .max = 30,
       .help = {"パスワード期限切れの何日前から警告するか（AUTHN-06）",
                "days of warning before a password expires (AUTHN-06)"}},
      {.key = "security.lockout_threshold",
       .type = Type::integer,
       .default_value = std::int64_t{5},
       .min = 3,
       .max = 10,
       .help = {"アカウントをロックする連続ログイン失敗回数（AUTHN-07）",
                "consecutive failed logins that lock an account (AUTHN-07)"}},
      {.key = "security.max_administrators",
       .type = Type::integer,
       .default_value = std::int64_t{2},
       .min = 1,
       .max = 2,
       .help = {"システム管理者の上限人数（AUTHZ-03）", "most system administrators (AUTHZ-03)"}},
      {.key = "security.session_idle_minutes",
       .type = Type::integer,
       .default_value = std::int64_t{5},
       .min = 1,
       .max = 5,
       .help = {"無操作でセッションを終える分数（AUTHN-15: 5分以内）",
                "minutes without use that end a session (AUTHN-15: at most 5)"}},
      {.key = "security.session_max_minutes",
       .type = Type::integer,
       .default_value = std::int64_t{480},
       .min = 15,
       .max = 720,
       .help = {"セッションの最長時間（分）", "longest session (minutes)"}},
      {.key = "monitor.failed_logins",
       .type = Type::integer,
       .default_value = std::int64_t{5},
       .min = 2,
       .max = 100,
       .help = {"ログイン失敗の警報回数", "failed logins that raise an incident"}},
      {.key = "monitor.failed_logins_window_minutes",
       .type = Type::integer,
       .default_value = std::int64_t{15},
       .min = 1,
       .max = 1440,
       .help = {"ログイン失敗を数える時間幅（分）", "window for counting failed logins (minutes)"}},
      {.key = "monitor.bulk_persons",
       .type = Type::integer,
       .default_value = std::int64_t{100},
       .min = 1,
       .max = 1000000,
       .help = {"一人が時間幅内に触れてよい人数", "persons one user may touch within the window"}},
      {.key = "monitor.bulk_window_minutes",
       .type = Type::integer,
       .default_value = std::int64_t{10},
       .min = 1,
       .max = 1440,
       .help = {"大量参照を数える時間幅（分）", "window for bulk reads (minutes)"}},
      {.key = "monitor.export_rows",
       .type = Type::integer,
       .default_value = std::int64_t{10000},
       .min = 1,
       .max = 1000000000,
       .help = {"24時間の出力行数の上限", "rows one user may export in 24 hours"}},
      {.key = "monitor.working_hours_start",
       .type = Type::integer,
       .default_value = std::int64_t{8},
       .min = 0,
       .max = 23,
       .help = {"業務開始時刻（日本時間）", "working hours start (JST hour)"}},
      {.key = "monitor.working_hours_end",
       .type = Type::integer,
       .default_value = std::int64_t{20},
       .min = 1,
       .max = 24,
       .help = {"業務終了時刻（日本時間）", "working hours end (JST hour)"}},
      {.key = "monitor.checkpoint_every",
       .type = Type::integer,
       .default_value = std::int64_t{1000},
       .min = 1,
       .max = 10000000,
       .help = {"自動チェックポイントまでの件数", "entries between automatic checkpoints"}},
      {.key = "monitor.on_failed_logins",
       .type = Type::string,
       .default_value = std::string("alert"),
       .one_of = {"alert", "end_session", "lock_account", "freeze_exit"},
       .help = {"規則 failed_logins の対処", "what the rule failed_logins does"}},
      {.key = "monitor.on_off_hours",
       .type = Type::string,
       .default_value = std::string("alert"),
       .one_of = {"alert", "end_session", "lock_account", "freeze_exit"},
       .help = {"規則 off_hours の対処", "what the rule off_hours does"}},
      {.key = "monitor.on_bulk_persons",
       .type = Type::string,
       .default_value = std::string("lock_account"),
       .one_of = {"alert", "end_session", "lock_account", "freeze_exit"},
       .help = {"規則 bulk_persons の対処", "what the rule bulk_persons does"}},
      {.key = "monitor.on_export_volume",
       .type = Type::string,
       .default_value = std::string("freeze_exit"),
       .one_of = {"alert", "end_session", "lock_account", "freeze_exit"},
       .help = {"規則 export_volume の対処", "what the rule export_volume does"}},
      {.key = "monitor.on_unregistered_terminal",
       .type = Type::string,
       .default_value = std::string("alert"),
       .one_of = {"alert", "end_session", "lock_account", "freeze_exit"},
       .help = {"規則 unregistered_terminal の対処", "what the rule unregistered_terminal does"}},
      {.key = "monitor.on_privilege_change",
       .type = Type::string,
       .default_value = std::string("alert"),
       .one_of = {"alert", "end_session", "lock_account", "freeze_exit"},
       .help = {"規則 privilege_change の対処", "what the rule privilege_change does"}},
      {.key = "monitor.on_account_lock",
       .type = Type::string,
       .default_value = std::string("alert"),
       .one_of = {"alert", "end_session", "lock_account", "freeze_exit"},
       .help = {"規則 account_lock の対処", "what the rule account_lock does"}},
      {.key = "log.level",
       .type = Type::string,
       .default_value = std::string("info"),
       .one_of = {"debug", "info", "warn", "error"},
       .help = {"ログの詳しさ", "log detail"}},
      {.key = "log.file",
       .type = Type::string,
       .default_value = std::string("logs/tokumei.log"),
       .help = {"運用ログのファイル", "operational log file"}},
  }};
  return schema;
}

std::vector<store::SchemaModule> database_schemas() {
  return {store::DatabaseKeyRingStorage::schema(),
          audit::AuditLog::schema(),
          security::AccountStore::schema(),
          security::Sessions::schema(),
          audit::Monitor::schema(),
          audit::Reviews::schema(),
          security::BreakGlass::schema(),
          identity::IdentityVault::schema(),
          identity::LinkageStore::schema(),
          ingest::BatchStore::schema(),
          ops::DeletionRecords::schema(),
          consent::ConsentStore::schema(),
          consent::InquiryStore::schema(),
          ingest::Corrections::schema(),
          quality::QualityStore::schema(),
          release::schema()};
}

fs::path Deployment::database_path(const fs::path& dir, const config::Config& c) {
  return dir / c.get_string("store.path");
}

fs::path Deployment::master_key_path(const fs::path& dir, const config::Config& c) {
  return dir / c.get_string("keys.master_key_file");
}

Result<crypto::MasterKeySource> Deployment::master_key_source(
    const fs::path& dir, const config::Config& c, const std::optional<std::string>& passphrase) {
  if (c.get_string("keys.source") == "file") return crypto::KeyFileSource{master_key_path(dir, c)};
  if (!passphrase) {
    return fail(
        Errc::invalid_argument,
        {"このデプロイメントはパスフレーズで開きます（--passphrase-file で指定してください）",
         "this deployment is opened with a passphrase (give --passphrase-file)"});
  }
  // The cost parameters are ignored when unlocking: the key ring keeps the ones it was made with.
  return crypto::PassphraseSource{*passphrase, {}};
}

Result<audit::Checkpoint> Deployment::checkpoint(const audit::Actor& by) {
  TKM_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, keys_->signing_key(kAuditSigningKey));
  TKM_ASSIGN_OR_RETURN(audit::Checkpoint c, audit_->checkpoint(by, key));
  std::string line = c.to_json() + "\n";
  int fd = ::open(witness_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return fail(Errc::io,
                {"チェックポイントを " + witness_path().string() + " に書けません",
                 "cannot write the checkpoint to " + witness_path().string()},
                Location{.file = witness_path().string()});
  }
  ::close(fd);
  return c;
}

std::vector<Bytes> Deployment::audit_public_keys() const {
  return keys_->verification_keys(kAuditSigningKey);
}

security::SessionPolicy Deployment::session_policy(const config::Config& c) {
  security::SessionPolicy p;
  p.idle = std::chrono::minutes(c.get_int("security.session_idle_minutes"));
  p.absolute = std::chrono::minutes(c.get_int("security.session_max_minutes"));
  return p;
}

Result<audit::MonitorConfig> Deployment::monitor_config(const config::Config& c) {
  audit::MonitorConfig m;
  m.failed_logins = static_cast<int>(c.get_int("monitor.failed_logins"));
  m.failed_logins_window = std::chrono::minutes(c.get_int("monitor.failed_logins_window_minutes"));
  m.bulk_persons = static_cast<int>(c.get_int("monitor.bulk_persons"));
  m.bulk_window = std::chrono::minutes(c.get_int("monitor.bulk_window_minutes"));
  m.export_rows = c.get_int("monitor.export_rows");
  m.working_hours_start = static_cast<int>(c.get_int("monitor.working_hours_start"));
  m.working_hours_end = static_cast<int>(c.get_int("monitor.working_hours_end"));
  m.checkpoint_every = c.get_int("monitor.checkpoint_every");
  for (auto [key, field] : std::initializer_list<std::pair<const char*, audit::Action*>>{
           {"monitor.on_failed_logins", &m.on_failed_logins},
           {"monitor.on_off_hours", &m.on_off_hours},
           {"monitor.on_bulk_persons", &m.on_bulk_persons},
           {"monitor.on_export_volume", &m.on_export_volume},
           {"monitor.on_unregistered_terminal", &m.on_unregistered_terminal},
           {"monitor.on_privilege_change", &m.on_privilege_change},
           {"monitor.on_account_lock", &m.on_account_lock}}) {
    TKM_ASSIGN_OR_RETURN(*field, audit::parse_action(c.get_string(key)));
  }
  return m;
}

security::PasswordPolicy Deployment::password_policy(const config::Config& c) {
  security::PasswordPolicy p;
  p.min_length = static_cast<std::size_t>(c.get_int("security.password_min_length"));
  p.history = static_cast<std::size_t>(c.get_int("security.password_history"));
  p.max_age = std::chrono::days(c.get_int("security.password_max_age_days"));
  p.one_time_ttl = std::chrono::hours(c.get_int("security.one_time_password_ttl_hours"));
  p.warn_before = std::chrono::days(c.get_int("security.password_warning_days"));
  p.lockout_threshold = static_cast<int>(c.get_int("security.lockout_threshold"));
  p.max_administrators = static_cast<int>(c.get_int("security.max_administrators"));
  p.hashing.memory_kib = static_cast<std::uint32_t>(c.get_int("security.argon2_memory_kib"));
  p.hashing.iterations = static_cast<std::uint32_t>(c.get_int("security.argon2_iterations"));
  return p;
}

std::expected<config::Config, std::vector<Error>> Deployment::load_config(const fs::path& dir) {
  return config::Config::load_file(dir / kConfigFile, deployment_schema());
}

namespace {

std::string config_text(const InitOptions& o) {
  return fmt::format(R"(# Tokumei の設定ファイル / Tokumei configuration
# 使えるキーは決まっています。知らないキーや型の誤りは起動時にエラーになります。
# Only known keys are accepted; an unknown key or a wrong type stops the server at start.

[deployment]
role = "{}"            # intake | core | exit
name = "tokumei-{}"
language = "ja"         # ja | en

[store]
backend = "sqlite"
path = "data/tokumei.db"
busy_timeout_ms = 5000

[keys]
source = "{}"             # file | passphrase
master_key_file = "keys/master.key"

[security]
password_min_length = 8            # AUTHN-03 (8 以上)
password_history = 5               # AUTHN-05
password_max_age_days = 60         # AUTHN-06 (2 か月以内)
one_time_password_ttl_hours = 72   # AUTHN-09
argon2_memory_kib = {}
argon2_iterations = {}

[log]
level = "info"
file = "logs/tokumei.log"
)",
                     zone_role_name(o.role), zone_role_name(o.role),
                     o.passphrase ? "passphrase" : "file", o.password_hashing.memory_kib,
                     o.password_hashing.iterations);
}

Error config_error(const std::vector<Error>& errors) {
  Text all;
  for (const auto& e : errors) {
    all.ja += (all.ja.empty() ? "" : "\n") + e.describe(Lang::ja);
    all.en += (all.en.empty() ? "" : "\n") + e.describe(Lang::en);
  }
  return Error(Errc::invalid_input, std::move(all));
}

// A passphrase protects everything when the database is copied: it must hold up to offline
// guessing against Argon2id, so it is long, and it is not one of the common passwords.
Status check_passphrase(const std::optional<std::string>& passphrase) {
  if (!passphrase) return ok();
  if (security::character_count(*passphrase) < kMinPassphraseLength ||
      security::is_common_password(*passphrase)) {
    return fail(
        Errc::policy_violation,
        {"マスター鍵のパスフレーズは " + std::to_string(kMinPassphraseLength) +
             " 文字以上の推測されにくいものにしてください（単語を4つ以上つなげる等）",
         "the master key passphrase must be at least " + std::to_string(kMinPassphraseLength) +
             " characters and hard to guess (four or more words, for example)"},
        Location{.field = "passphrase"});
  }
  return ok();
}

// Everything init does inside the staging folder.
Result<InitReport> build(const fs::path& staging, const InitOptions& o, const Clock& clock,
                         Random& random) {
  InitReport report;
  report.officer_id = o.officer_id;
  TKM_RETURN_IF_ERROR(security::AccountStore::validate_user_id(o.officer_id));
  TKM_RETURN_IF_ERROR(check_passphrase(o.passphrase));
  std::string text = config_text(o);
  TKM_RETURN_IF_ERROR(create_file_exclusive(staging / kConfigFile, as_bytes(text), 0600));
  report.created.push_back("tokumei.toml        0600");
  auto cfg = config::Config::load_file(staging / kConfigFile, deployment_schema());
  if (!cfg) return std::unexpected(config_error(cfg.error()));

  for (const char* sub : {"keys", "data", "logs"}) {
    TKM_RETURN_IF_ERROR(make_directory(staging / sub, 0700));
    report.created.push_back(std::string(sub) + "/               0700");
  }
  crypto::MasterKeySource source =
      crypto::PassphraseSource{o.passphrase.value_or(""), o.master_kdf};
  if (!o.passphrase) {
    fs::path key = Deployment::master_key_path(staging, *cfg);
    TKM_RETURN_IF_ERROR(crypto::create_master_key_file(key, random));
    report.created.push_back("keys/master.key     0600");
    source = crypto::KeyFileSource{key};
  }

  fs::path db_path = Deployment::database_path(staging, *cfg);
  TKM_ASSIGN_OR_RETURN(auto db, store::SqliteDatabase::open(db_path, {.create = true}));
  if (::chmod(db_path.c_str(), 0600) != 0) {
    return fail(Errc::io,
                {"データベースファイルの権限を 0600 にできません",
                 "cannot set the database file to mode 0600"},
                Location{.file = db_path.string()});
  }
  report.created.push_back("data/tokumei.db     0600");
  for (const auto& module : database_schemas())
    TKM_RETURN_IF_ERROR(store::migrate(*db, module, clock));

  store::DatabaseKeyRingStorage storage(*db);
  TKM_ASSIGN_OR_RETURN(crypto::KeyRing keys,
                       crypto::KeyRing::create(storage, source, clock, random));
  audit::AuditLog audit(*db, clock);
  audit::Actor system{"system:init", o.terminal};
  TKM_RETURN_IF_ERROR(keys.ensure_key(kAuditSigningKey));  // keys are made outside transactions
  {
    TKM_ASSIGN_OR_RETURN(store::Transaction tx, db->begin());
    TKM_RETURN_IF_ERROR(
        audit.append(tx, {system,
                          "deployment.init",
                          "deployment:" + cfg->get_string("deployment.name"),
                          audit::Outcome::success,
                          nlohmann::json{{"role", zone_role_name(o.role)},
                                         {"master_key", o.passphrase ? "passphrase" : "file"}}
                              .dump(),
                          {}}));
    TKM_RETURN_IF_ERROR(tx.commit());
  }
  security::AccountStore accounts(*db, keys, audit, clock, random,
                                  Deployment::password_policy(*cfg));
  TKM_ASSIGN_OR_RETURN(
      report.officer_password,
      accounts.create(system, {o.officer_id, o.officer_name, security::Role::security_officer}));
  TKM_ASSIGN_OR_RETURN(report.officer_totp, accounts.enroll_totp(system, o.officer_id));
  // The terminal init ran from is the first registered one, so the officer can log in there.
  security::Sessions sessions(*db, accounts, audit, clock, random, Deployment::session_policy(*cfg),
                              Deployment::password_policy(*cfg));
  TKM_RETURN_IF_ERROR(sessions.register_terminal(system, o.terminal, "deployment.init"));
  return report;
}

}  // namespace

Result<InitReport> init_deployment(const InitOptions& o, const Clock& clock, Random& random) {
  fs::path dir = fs::absolute(o.dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    return fail(
        Errc::already_exists,
        {"フォルダが空ではありません。既存のデプロイメントを守るため、何も変更しませんでした",
         "the folder is not empty; to protect an existing deployment nothing was changed"},
        Location{.file = dir.string()});
  }
  if (!fs::is_directory(dir.parent_path(), ec)) {
    return fail(Errc::not_found,
                {"親フォルダ「" + dir.parent_path().string() + "」がありません",
                 "parent folder '" + dir.parent_path().string() + "' does not exist"});
  }
  fs::path staging =
      dir.parent_path() / ("." + dir.filename().string() + ".init-" + new_id(clock, random));
  TKM_RETURN_IF_ERROR(make_directory(staging, 0700));
  auto report = build(staging, o, clock, random);
  if (report && ::rename(staging.c_str(), dir.c_str()) != 0) {
    int err = errno;
    report = fail(err == ENOTEMPTY || err == EEXIST ? Errc::already_exists : Errc::io,
                  {"「" + dir.string() +
                       "」に配置できません（作成中に別のファイルが置かれた可能性があります）: " +
                       std::strerror(err),
                   "cannot move the deployment into '" + dir.string() +
                       "' (something appeared there meanwhile): " + std::strerror(err)},
                  Location{.file = dir.string()});
  }
  if (!report) {
    fs::remove_all(staging, ec);
    return report;
  }
  // The deployment is in place and its secrets are in `report`, which must reach the person: from
  // here on nothing may turn the result into a failure. The rename is made durable as far as the
  // file system allows, and the log line is best effort.
  (void)sync_directory(dir.parent_path());
  report->dir = dir;
  if (auto cfg = Deployment::load_config(dir)) {
    if (auto logger = log::Logger::open("tokumei", log::Level::info,
                                        dir / cfg->get_string("log.file"), false)) {
      logger->info("deployment.created",
                   {{"role", std::string(zone_role_name(o.role))}, {"officer", o.officer_id}});
    }
  }
  return report;
}

Result<std::unique_ptr<Deployment>> Deployment::open(const fs::path& dir,
                                                     const OpenOptions& options, const Clock& clock,
                                                     Random& random) {
  auto cfg = load_config(dir);
  if (!cfg) return std::unexpected(config_error(cfg.error()));
  std::unique_ptr<Deployment> d(new Deployment(dir, std::move(*cfg)));
  const auto& c = d->config_;
  TKM_ASSIGN_OR_RETURN(
      d->db_, store::SqliteDatabase::open(
                  database_path(dir, c),
                  {.busy_timeout_ms = static_cast<int>(c.get_int("store.busy_timeout_ms"))}));
  for (const auto& module : database_schemas())
    TKM_RETURN_IF_ERROR(store::migrate(*d->db_, module, clock));
  TKM_ASSIGN_OR_RETURN(crypto::MasterKeySource source,
                       master_key_source(dir, c, options.passphrase));
  d->key_storage_ = std::make_unique<store::DatabaseKeyRingStorage>(*d->db_);
  TKM_ASSIGN_OR_RETURN(auto keys, crypto::KeyRing::unlock(*d->key_storage_, source, clock, random));
  d->keys_.emplace(std::move(keys));
  d->audit_.emplace(*d->db_, clock);
  d->accounts_.emplace(*d->db_, *d->keys_, *d->audit_, clock, random, password_policy(c));
  d->sessions_.emplace(*d->db_, *d->accounts_, *d->audit_, clock, random, session_policy(c),
                       password_policy(c));
  TKM_ASSIGN_OR_RETURN(audit::MonitorConfig monitor, monitor_config(c));
  d->monitor_.emplace(*d->db_, *d->audit_, clock, monitor);
  d->reviews_.emplace(*d->db_, *d->audit_, clock);
  d->break_glass_.emplace(*d->db_, *d->audit_, *d->monitor_, clock);
  TKM_ASSIGN_OR_RETURN(log::Level level, log::parse_level(c.get_string("log.level")));
  TKM_ASSIGN_OR_RETURN(d->logger_,
                       log::Logger::open("tokumei", level, dir / c.get_string("log.file"), false));
  d->logger_.info("deployment.opened", {{"name", c.get_string("deployment.name")}});
  return d;
}

}  // namespace tokumei::zones
