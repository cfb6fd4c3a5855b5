#pragma once
// A deployment folder: everything one server role (intake, core or exit) keeps on disk.
//
//   DIR/                 0700
//     tokumei.toml       0600  configuration (schema: deployment_schema())
//     keys/master.key    0600  master key (absent when the master key comes from a passphrase)
//     data/tokumei.db    0600  database: key ring, audit log, accounts, and later everything else
//     logs/              0700  operational logs (the audit log is in the database)
//
// init_deployment creates one atomically: it builds the folder beside DIR and renames it into
// place, so DIR either becomes a whole deployment or is left as it was, and an existing
// deployment is never touched. (An existing empty DIR is replaced by the new folder, mode 0700.)

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokumei/audit/audit_log.h"
#include "tokumei/audit/monitor.h"
#include "tokumei/audit/reviews.h"
#include "tokumei/base/clock.h"
#include "tokumei/base/config.h"
#include "tokumei/base/log.h"
#include "tokumei/base/random.h"
#include "tokumei/crypto/key_ring.h"
#include "tokumei/security/accounts.h"
#include "tokumei/security/break_glass.h"
#include "tokumei/security/sessions.h"
#include "tokumei/store/key_ring_store.h"
#include "tokumei/store/sqlite_database.h"

namespace tokumei::zones {

enum class ZoneRole { intake, core, exit };
std::string_view zone_role_name(ZoneRole role);

inline constexpr const char* kConfigFile = "tokumei.toml";

// Every key tokumei.toml may hold, with its type, default and limits.
const config::Schema& deployment_schema();

// Every module's database schema, in dependency order.
std::vector<store::SchemaModule> database_schemas();

// Data keys every deployment has from the start.
inline constexpr const char* kAuditSigningKey = "audit-signing";

// Shortest master-key passphrase init accepts (characters).
inline constexpr std::size_t kMinPassphraseLength = 16;

struct InitOptions {
  std::filesystem::path dir;
  ZoneRole role = ZoneRole::core;
  std::string officer_id;    // the first security officer's personal user ID
  std::string officer_name;  // their name as shown to people
  // Master key from this passphrase (Argon2id) instead of a key file; at least
  // kMinPassphraseLength characters and not a common password.
  std::optional<std::string> passphrase;
  crypto::Argon2Params master_kdf;        // passphrase stretching
  crypto::Argon2Params password_hashing;  // account passwords (written to tokumei.toml)
  std::string terminal = "local";         // recorded in the audit log as where init ran
};

struct InitReport {
  std::filesystem::path dir;
  std::vector<std::string> created;  // paths relative to dir, with their modes, for people
  std::string officer_id;
  security::OneTimePassword officer_password;
  security::TotpEnrollment officer_totp;
};

// Creates a deployment. Errc::already_exists, touching nothing, when DIR exists and is not empty.
Result<InitReport> init_deployment(const InitOptions& options, const Clock& clock, Random& random);

struct OpenOptions {
  std::optional<std::string> passphrase;  // required when keys.source = "passphrase"
};

// An opened deployment: configuration, database (migrated), key ring, audit log and accounts.
class Deployment {
 public:
  static Result<std::unique_ptr<Deployment>> open(const std::filesystem::path& dir,
                                                  const OpenOptions& options, const Clock& clock,
                                                  Random& random);

  const std::filesystem::path& dir() const { return dir_; }
  const config::Config& config() const { return config_; }
  store::SqliteDatabase& db() { return *db_; }
  crypto::KeyRing& keys() { return *keys_; }
  audit::AuditLog& audit() { return *audit_; }
  security::AccountStore& accounts() { return *accounts_; }
  security::Sessions& sessions() { return *sessions_; }
  audit::Monitor& monitor() { return *monitor_; }
  audit::Reviews& reviews() { return *reviews_; }
  security::BreakGlass& break_glass() { return *break_glass_; }
  // Signs a checkpoint of the audit log with the deployment's audit-signing key, stores it and
  // appends it to the local witness file (witness_path()), which an outside witness can copy.
  Result<audit::Checkpoint> checkpoint(const audit::Actor& by);
  // The public keys of every version of the key that signs this deployment's checkpoints.
  std::vector<Bytes> audit_public_keys() const;
  // logs/audit-checkpoints.jsonl: every checkpoint made here, one JSON object per line.
  std::filesystem::path witness_path() const { return witness_path(dir_); }
  static std::filesystem::path witness_path(const std::filesystem::path& dir) {
    return dir / "logs" / "audit-checkpoints.jsonl";
  }

  // Operational log (log.file in tokumei.toml); security events go to audit() instead.
  const log::Logger& logger() const { return logger_; }

  // Paths named by the configuration, resolved against the deployment folder.
  static std::filesystem::path database_path(const std::filesystem::path& dir,
                                             const config::Config& config);
  static std::filesystem::path master_key_path(const std::filesystem::path& dir,
                                               const config::Config& config);
  static security::PasswordPolicy password_policy(const config::Config& config);
  static security::SessionPolicy session_policy(const config::Config& config);
  static Result<audit::MonitorConfig> monitor_config(const config::Config& config);
  // Where the master key comes from (keys.source); Errc::invalid_argument when the configuration
  // says passphrase and none was given.
  static Result<crypto::MasterKeySource> master_key_source(
      const std::filesystem::path& dir, const config::Config& config,
      const std::optional<std::string>& passphrase);
  static std::expected<config::Config, std::vector<Error>> load_config(
      const std::filesystem::path& dir);

 private:
  Deployment(std::filesystem::path dir, config::Config config)
      : dir_(std::move(dir)), config_(std::move(config)) {}
  std::filesystem::path dir_;
  config::Config config_;
  std::unique_ptr<store::SqliteDatabase> db_;
  std::unique_ptr<store::DatabaseKeyRingStorage> key_storage_;
  std::optional<crypto::KeyRing> keys_;
  std::optional<audit::AuditLog> audit_;
  std::optional<security::AccountStore> accounts_;
  std::optional<security::Sessions> sessions_;
  std::optional<audit::Monitor> monitor_;
  std::optional<audit::Reviews> reviews_;
  std::optional<security::BreakGlass> break_glass_;
  log::Logger logger_ = log::Logger::null();
};

}  // namespace tokumei::zones
