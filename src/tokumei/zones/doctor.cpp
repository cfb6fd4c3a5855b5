#include "tokumei/zones/doctor.h"

#include <fmt/format.h>
#include <unistd.h>

#include "tokumei/base/files.h"
#include "tokumei/zones/deployment.h"

namespace tokumei::zones {
namespace fs = std::filesystem;

namespace {

class Report {
 public:
  void add(std::string check, Severity s, Text message, Text fix = {}) {
    findings.push_back({std::move(check), s, std::move(message), std::move(fix)});
  }
  void fail_from(std::string check, const Error& e, Text fix = {}) {
    add(std::move(check), Severity::problem, {e.describe(Lang::ja), e.describe(Lang::en)},
        std::move(fix));
  }
  void skip(std::string check, Text why) {
    add(std::move(check), Severity::skipped, std::move(why));
  }
  std::vector<Finding> findings;
};

const Text kSkipConfig{"設定ファイルに問題があるため確認できません",
                       "not checked: the configuration has problems"};
const Text kSkipDb{"データベースを開けないため確認できません",
                   "not checked: the database cannot be opened"};
const Text kSkipKeys{"鍵リングを開けないため確認できません",
                     "not checked: the key ring cannot be unlocked"};

void check_folder(const fs::path& dir, Report& r) {
  auto st = file_status(dir);
  if (!st || !st->directory) {
    r.add("folder", Severity::problem,
          {"フォルダ「" + dir.string() + "」がありません",
           "folder '" + dir.string() + "' does not exist"},
          {"tokumei init --dir で作成してください", "create it with tokumei init --dir"});
    return;
  }
  if ((st->mode & 0077) != 0) {
    r.add("folder", Severity::warning,
          {fmt::format("フォルダの権限が {:04o} です。所有者以外も中を見られます", st->mode),
           fmt::format("the folder has mode {:04o}; others can look inside", st->mode)},
          {"chmod 700 " + dir.string() + " を実行してください", "run chmod 700 " + dir.string()});
  } else {
    r.add("folder", Severity::ok,
          {"フォルダの権限は所有者のみです", "the folder is private to its owner"});
  }
}

void check_master_key(const fs::path& path, Report& r) {
  auto key = crypto::read_master_key_file(path);
  if (!key) {
    Text fix =
        key.error().code() == Errc::permission_denied
            ? Text{"chmod 600 " + path.string() + " を実行し、所有者を確認してください",
                   "run chmod 600 " + path.string() + " and check its owner"}
            : Text{"バックアップから鍵ファイルを戻してください。鍵がなければデータは読めません",
                   "restore the key file from its backup; without it the data cannot be read"};
    r.fail_from("master_key", key.error(), fix);
    return;
  }
  r.add("master_key", Severity::ok,
        {"マスター鍵ファイルは権限 0600 で形式も正しいです",
         "the master key file is mode 0600 and well-formed"});
}

}  // namespace

std::vector<Finding> examine_deployment(const fs::path& dir, const DoctorOptions& options,
                                        const Clock& clock, Random& random) {
  Report r;
  check_folder(dir, r);
  if (r.findings.back().severity == Severity::problem) return r.findings;

  auto cfg = Deployment::load_config(dir);
  if (!cfg) {
    for (const auto& e : cfg.error()) {
      r.fail_from("config", e,
                  {"設定ファイルを直してください（tokumei.toml）",
                   "correct the configuration file (tokumei.toml)"});
    }
    for (const char* c :
         {"master_key", "database", "schema", "key_ring", "audit_chain", "accounts"})
      r.skip(c, kSkipConfig);
    return r.findings;
  }
  r.add("config", Severity::ok, {"設定ファイルは正しく読めます", "the configuration is valid"});

  bool passphrase = cfg->get_string("keys.source") == "passphrase";
  if (passphrase) {
    r.add("master_key", Severity::ok,
          {"マスター鍵はパスフレーズから作られます（鍵ファイルなし）",
           "the master key comes from a passphrase (no key file)"});
  } else {
    check_master_key(Deployment::master_key_path(dir, *cfg), r);
  }

  fs::path db_path = Deployment::database_path(dir, *cfg);
  auto db = store::SqliteDatabase::open(db_path, {.read_only = true});
  if (!db) {
    r.fail_from(
        "database", db.error(),
        {"バックアップからデータベースを戻してください", "restore the database from a backup"});
    for (const char* c : {"schema", "key_ring", "audit_chain", "accounts"}) r.skip(c, kSkipDb);
    return r.findings;
  }
  if (auto st = file_status(db_path); st && (st->mode & 0077) != 0) {
    r.add("database", Severity::warning,
          {fmt::format("データベースファイルの権限が {:04o} です", st->mode),
           fmt::format("the database file has mode {:04o}", st->mode)},
          {"chmod 600 " + db_path.string() + " を実行してください",
           "run chmod 600 " + db_path.string()});
  }
  if (auto integrity = (*db)->check_integrity(); !integrity) {
    r.fail_from("database", integrity.error(),
                {"バックアップから戻してください", "restore it from a backup"});
  } else {
    r.add("database", Severity::ok,
          {"データベースファイルは壊れていません", "the database file is intact"});
  }

  bool schema_ok = true;
  for (const auto& module : database_schemas()) {
    auto v = store::schema_version(**db, module.name);
    if (!v) {
      r.fail_from("schema", v.error());
      schema_ok = false;
    } else if (*v != module.latest()) {
      schema_ok = false;
      bool newer = *v > module.latest();
      r.add("schema", Severity::problem,
            {fmt::format("{} のスキーマが版 {} です（このプログラムは版 {}）", module.name, *v,
                         module.latest()),
             fmt::format("the {} schema is at version {} (this program expects {})", module.name,
                         *v, module.latest())},
            newer ? Text{"新しい版の tokumei を使ってください",
                         "use the newer tokumei that wrote this database"}
                  : Text{"tokumei を起動するとマイグレーションが適用されます",
                         "starting tokumei applies the migrations"});
    }
  }
  if (schema_ok)
    r.add("schema", Severity::ok,
          {"データベースのスキーマは最新です", "the database schema is up to date"});
  if (!schema_ok) {
    for (const char* c : {"key_ring", "audit_chain", "accounts"})
      r.skip(c, {"スキーマが合わないため確認できません", "not checked: schema mismatch"});
    return r.findings;
  }

  store::DatabaseKeyRingStorage storage(**db);
  std::optional<crypto::KeyRing> ring;  // kept to check who signed the audit checkpoints
  auto source = Deployment::master_key_source(dir, *cfg, options.passphrase);
  if (!source) {
    r.skip("key_ring",
           {"パスフレーズが指定されていないため鍵リングは確認していません（--passphrase-file）",
            "key ring not checked: no passphrase given (--passphrase-file)"});
  } else if (auto keys = crypto::KeyRing::unlock(storage, *source, clock, random); !keys) {
    r.fail_from("key_ring", keys.error(),
                {"正しいマスター鍵ファイル（またはパスフレーズ）を使ってください",
                 "use the right master key file (or passphrase)"});
  } else {
    std::size_t live = 0, destroyed = 0;
    for (const auto& k : keys->keys()) (k.destroyed ? destroyed : live)++;
    r.add(
        "key_ring", Severity::ok,
        {fmt::format("鍵リングを開けました（有効なデータ鍵 {} 個、暗号消去済み {} 個、マスター鍵 "
                     "第{}世代）",
                     live, destroyed, keys->master_generation()),
         fmt::format(
             "the key ring unlocks ({} live data keys, {} crypto-erased, master key generation {})",
             live, destroyed, keys->master_generation())});
    ring.emplace(std::move(*keys));
  }

  // The hash chain, the tree and every checkpoint: signed by this deployment's key when the key
  // ring is open, and those of the local witness file too.
  audit::AuditLog audit(**db, clock);
  std::vector<Bytes> signers;  // every version of the signing key; none without the key ring
  if (ring) signers = ring->verification_keys(kAuditSigningKey);
  std::vector<audit::Checkpoint> witnessed;
  const fs::path witness = Deployment::witness_path(dir);
  if (fs::exists(witness)) {
    auto read = audit::read_checkpoint_file(witness);
    if (read) witnessed = std::move(*read);
  }
  if (auto report = audit.verify(signers, witnessed); !report) {
    r.fail_from("audit_chain", report.error());
  } else if (!report->ok()) {
    r.add("audit_chain", Severity::problem, report->problem,
          {"監査ログが改ざんまたは破損しています。直ちにセキュリティ責任者に報告してください（INCID"
           "ENT）",
           "the audit log was altered or damaged; report this to the security officer at once "
           "(INCIDENT)"});
  } else {
    r.add("audit_chain", Severity::ok,
          {fmt::format("監査ログ {} 件のハッシュチェーン・木・チェックポイント {} 件を検証しました"
                       "（最新のチェックポイント以降 {} 件）",
                       report->entries, report->checkpoints, report->uncovered()),
           fmt::format("verified the hash chain, tree and {} checkpoints of {} audit entries ({} "
                       "after the newest checkpoint)",
                       report->checkpoints, report->entries, report->uncovered())});
  }

  auto officers = (*db)->query(
      "SELECT user_id, totp_secret IS NOT NULL FROM accounts WHERE role = 'security_officer' AND "
      "status = 'active'");
  if (!officers) {
    r.fail_from("accounts", officers.error());
  } else if (officers->empty()) {
    r.add("accounts", Severity::problem,
          {"有効な情報セキュリティ責任者のアカウントがありません",
           "there is no active security officer account"},
          {"バックアップから戻すか、デプロイメントを作り直してください",
           "restore from a backup or create the deployment again"});
  } else {
    std::string missing;
    for (const auto& row : *officers) {
      if (row.integer(1) == 0) missing += (missing.empty() ? "" : ", ") + row.text(0);
    }
    if (!missing.empty()) {
      r.add("accounts", Severity::warning,
            {"二要素認証（TOTP）が未登録の責任者がいます: " + missing,
             "security officers without TOTP: " + missing},
            {"TOTP を登録してください（AUTHN-02）", "enroll TOTP for them (AUTHN-02)"});
    } else {
      r.add("accounts", Severity::ok,
            {fmt::format("情報セキュリティ責任者 {} 名（全員 TOTP 登録済み）", officers->size()),
             fmt::format("{} security officer(s), all with TOTP", officers->size())});
    }
  }
  return r.findings;
}

}  // namespace tokumei::zones
