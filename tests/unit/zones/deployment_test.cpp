#include "tokumei/zones/deployment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "support/test_support.h"
#include "tokumei/base/files.h"
#include "tokumei/crypto/hash.h"
#include "tokumei/zones/doctor.h"

namespace tokumei::zones {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DeploymentTest : public ::testing::Test {
 protected:
  InitOptions options(const fs::path& dir) {
    InitOptions o;
    o.dir = dir;
    o.officer_id = "tanaka";
    o.officer_name = "田中 太郎";
    o.master_kdf = crypto::Argon2Params::for_tests();
    o.password_hashing = {8192, 1, 1};  // the lowest tokumei.toml accepts
    return o;
  }
  // Every file under `dir` with its mode and a hash of its contents.
  static std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      auto st = file_status(e.path());
      std::string value = std::to_string(st->mode);
      if (e.is_regular_file())
        value += ":" + hex_encode(crypto::sha256(as_bytes(*read_file(e.path()))));
      out[fs::relative(e.path(), dir).string()] = value;
    }
    return out;
  }
  static std::vector<std::string> siblings(const fs::path& parent) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(parent))
      names.push_back(e.path().filename().string());
    return names;
  }
  Severity severity_of(const std::vector<Finding>& findings, const std::string& check) {
    for (const auto& f : findings) {
      if (f.check == check) return f.severity;
    }
    ADD_FAILURE() << "no finding for " << check;
    return Severity::skipped;
  }
  const Finding* finding(const std::vector<Finding>& findings, const std::string& check) {
    for (const auto& f : findings) {
      if (f.check == check) return &f;
    }
    return nullptr;
  }

  testing::TempDir tmp;
  FakeClock clock{from_unix_ms(1'790'000'000'000)};
  SeededRandom random{7};
};

TEST_F(DeploymentTest, InitCreatesThePrivateLayoutAndTheFirstOfficer) {
  auto report = init_deployment(options(tmp / "core"), clock, random);
  ASSERT_TRUE(report.has_value()) << report.error().describe(Lang::en);
  fs::path dir = tmp / "core";
  EXPECT_EQ(report->dir, dir);
  EXPECT_EQ(file_status(dir)->mode, 0700u);
  EXPECT_EQ(file_status(dir / "tokumei.toml")->mode, 0600u);
  EXPECT_EQ(file_status(dir / "keys")->mode, 0700u);
  EXPECT_EQ(file_status(dir / "keys/master.key")->mode, 0600u);
  EXPECT_EQ(file_status(dir / "data/tokumei.db")->mode, 0600u);
  EXPECT_EQ(report->officer_id, "tanaka");
  EXPECT_EQ(report->officer_password.expires_at, clock.now() + std::chrono::hours(72));
  EXPECT_THAT(report->officer_totp.uri, HasSubstr("otpauth://totp/Tokumei:tanaka?secret="));

  auto d = Deployment::open(dir, {}, clock, random);
  ASSERT_TRUE(d.has_value()) << d.error().describe(Lang::en);
  auto officer = (*d)->accounts().find("tanaka");
  ASSERT_TRUE(officer.has_value());
  EXPECT_EQ(officer->role, security::Role::security_officer);
  EXPECT_TRUE(officer->one_time_password);
  EXPECT_TRUE(officer->totp_enrolled);
  EXPECT_EQ(*(*d)->accounts().verify_password("t1", "tanaka", report->officer_password.password),
            security::PasswordState::must_change);
  auto entries = (*d)->audit().read(1, 10);
  ASSERT_TRUE(entries.has_value());
  ASSERT_GE(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].entry.action, "deployment.init");
  EXPECT_EQ((*entries)[1].entry.action, "account.create");
  EXPECT_EQ((*entries)[2].entry.action, "account.totp.enroll");
  EXPECT_TRUE((*d)->audit().verify()->ok());
  // The operational log is JSON lines in logs/ and names the event, not the secrets.
  std::string log = testing::read_file(dir / "logs/tokumei.log");
  EXPECT_THAT(log, HasSubstr(R"("event":"deployment.created")"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr(report->officer_password.password)));
  // Nothing but the deployment is left beside it (no staging folder).
  EXPECT_EQ(siblings(tmp.path()), std::vector<std::string>{"core"});
}

// Acceptance: init run twice on the same folder refuses the second time and leaves the first
// intact.
TEST_F(DeploymentTest, SecondInitIsRefusedAndChangesNothing) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  auto before = snapshot(tmp / "core");
  clock.advance(std::chrono::hours(1));
  auto o = options(tmp / "core");
  o.officer_id = "suzuki";
  auto second = init_deployment(o, clock, random);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Errc::already_exists);
  EXPECT_THAT(second.error().message(Lang::en), HasSubstr("nothing was changed"));
  EXPECT_EQ(snapshot(tmp / "core"), before);
  EXPECT_EQ(siblings(tmp.path()), std::vector<std::string>{"core"});
  auto d = Deployment::open(tmp / "core", {}, clock, random);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ((*d)->accounts().find("suzuki").error().code(), Errc::not_found);
}

TEST_F(DeploymentTest, InitRefusesAnyNonEmptyFolderButAcceptsAnEmptyOne) {
  testing::write_file(tmp / "busy/notes.txt", "someone's file");
  EXPECT_EQ(init_deployment(options(tmp / "busy"), clock, random).error().code(),
            Errc::already_exists);
  EXPECT_EQ(testing::read_file(tmp / "busy/notes.txt"), "someone's file");

  fs::create_directory(tmp / "empty");
  ASSERT_TRUE(init_deployment(options(tmp / "empty"), clock, random).has_value());
  EXPECT_TRUE(fs::exists(tmp / "empty/keys/master.key"));
}

TEST_F(DeploymentTest, FailedInitLeavesNothingBehind) {
  auto o = options(tmp / "core");
  o.officer_id = "admin";  // AUTHN-01: default names are refused
  auto report = init_deployment(o, clock, random);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code(), Errc::invalid_input);
  EXPECT_TRUE(siblings(tmp.path()).empty());
}

TEST_F(DeploymentTest, PassphraseDeploymentHasNoKeyFileAndNeedsThePassphrase) {
  auto o = options(tmp / "core");
  o.passphrase = "長いパスフレーズ correct horse battery";
  ASSERT_TRUE(init_deployment(o, clock, random).has_value());
  EXPECT_FALSE(fs::exists(tmp / "core/keys/master.key"));

  auto none = Deployment::open(tmp / "core", {}, clock, random);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), Errc::invalid_argument);
  auto wrong = Deployment::open(tmp / "core", {.passphrase = "wrong"}, clock, random);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), Errc::authentication_failed);
  EXPECT_TRUE(
      Deployment::open(tmp / "core", {.passphrase = o.passphrase}, clock, random).has_value());

  auto skipped = examine_deployment(tmp / "core", {}, clock, random);
  EXPECT_EQ(severity_of(skipped, "key_ring"), Severity::skipped);
  auto checked = examine_deployment(tmp / "core", {.passphrase = o.passphrase}, clock, random);
  EXPECT_EQ(severity_of(checked, "key_ring"), Severity::ok);
  auto refused = examine_deployment(tmp / "core", {.passphrase = "wrong"}, clock, random);
  EXPECT_EQ(severity_of(refused, "key_ring"), Severity::problem);
}

TEST_F(DeploymentTest, DoctorFindsNothingWrongWithAFreshDeployment) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  auto findings = examine_deployment(tmp / "core", {}, clock, random);
  for (const auto& check : {"folder", "config", "master_key", "database", "schema", "key_ring",
                            "audit_chain", "accounts"}) {
    EXPECT_EQ(severity_of(findings, check), Severity::ok) << check;
  }
}

TEST_F(DeploymentTest, DoctorNamesAReadableKeyFileAndSaysHowToFixIt) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  ASSERT_EQ(::chmod((tmp / "core/keys/master.key").c_str(), 0644), 0);
  auto findings = examine_deployment(tmp / "core", {}, clock, random);
  const Finding* f = finding(findings, "master_key");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::problem);
  EXPECT_THAT(f->message.en, HasSubstr("0644"));
  EXPECT_THAT(f->fix.en, HasSubstr("chmod 600"));
  EXPECT_THAT(f->fix.ja, HasSubstr("chmod 600"));
}

TEST_F(DeploymentTest, DoctorReportsEveryConfigurationProblemWithFileLineAndKey) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  fs::path cfg = tmp / "core/tokumei.toml";
  std::string text = testing::read_file(cfg);
  std::size_t at = text.find("busy_timeout_ms = 5000");
  int line =
      1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
  text.replace(at, 22, "busy_timeout_ms = \"5s\"");
  text += "\n[store2]\nx = 1\n";
  testing::write_file(cfg, text);
  auto findings = examine_deployment(tmp / "core", {}, clock, random);
  std::vector<const Finding*> config;
  for (const auto& f : findings) {
    if (f.check == "config") config.push_back(&f);
  }
  ASSERT_EQ(config.size(), 2u);
  EXPECT_THAT(config[0]->message.en,
              HasSubstr(cfg.string() + ":" + std::to_string(line) + ":1: store.busy_timeout_ms: "));
  EXPECT_THAT(config[0]->message.en, HasSubstr("store.busy_timeout_ms"));
  EXPECT_THAT(config[1]->message.en, HasSubstr("store2"));
  EXPECT_EQ(severity_of(findings, "key_ring"), Severity::skipped);
}

TEST_F(DeploymentTest, DoctorDetectsAnAlteredAuditEntry) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  {
    auto db = store::SqliteDatabase::open(tmp / "core/data/tokumei.db", {});
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)
                    ->execute_script("DROP TRIGGER audit_entries_no_update;"
                                     "UPDATE audit_entries SET actor = 'someone' WHERE seq = 2;")
                    .has_value());
  }
  auto findings = examine_deployment(tmp / "core", {}, clock, random);
  const Finding* f = finding(findings, "audit_chain");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::problem);
  EXPECT_THAT(f->message.en, HasSubstr("audit entry 2"));
}

TEST_F(DeploymentTest, DoctorDetectsALogPutBackToAnOlderCopyByItsCheckpoints) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  // An older copy of the database, then a checkpoint made on the live one (written to the local
  // witness file), then the older copy put back.
  fs::copy_file(tmp / "core/data/tokumei.db", tmp / "older.db");
  {
    auto d = Deployment::open(tmp / "core", {}, clock, random);
    ASSERT_TRUE(d.has_value());
    ASSERT_TRUE((*d)->checkpoint({"sato", "local"}).has_value());
  }
  EXPECT_EQ(severity_of(examine_deployment(tmp / "core", {}, clock, random), "audit_chain"),
            Severity::ok);
  fs::copy_file(tmp / "older.db", tmp / "core/data/tokumei.db",
                fs::copy_options::overwrite_existing);
  fs::remove(tmp / "core/data/tokumei.db-wal");
  auto findings = examine_deployment(tmp / "core", {}, clock, random);
  const Finding* f = finding(findings, "audit_chain");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::problem);
  EXPECT_THAT(f->message.en, HasSubstr("rolled back"));
}

TEST_F(DeploymentTest, CheckpointsSignedBeforeASigningKeyRotationStillVerify) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  auto d = Deployment::open(tmp / "core", {}, clock, random);
  ASSERT_TRUE(d.has_value());
  auto before = (*d)->checkpoint({"sato", "local"});
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE((*d)->keys().rotate_data_key(kAuditSigningKey).has_value());
  auto after = (*d)->checkpoint({"sato", "local"});
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(before->public_key, after->public_key);
  const std::vector<Bytes> keys = (*d)->audit_public_keys();
  ASSERT_EQ(keys.size(), 2u);
  auto report = (*d)->audit().verify(keys);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok()) << report->problem.en;
  EXPECT_EQ(report->checkpoints, 2);
  // Trusting the newest key alone would call the older checkpoint forged.
  auto newest_only = (*d)->audit().verify(keys.back());
  ASSERT_TRUE(newest_only.has_value());
  EXPECT_FALSE(newest_only->ok());
  d->reset();
  EXPECT_EQ(severity_of(examine_deployment(tmp / "core", {}, clock, random), "audit_chain"),
            Severity::ok);
}

TEST_F(DeploymentTest, DoctorOnAMissingFolderSaysSo) {
  auto findings = examine_deployment(tmp / "nowhere", {}, clock, random);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].check, "folder");
  EXPECT_EQ(findings[0].severity, Severity::problem);
  EXPECT_THAT(findings[0].fix.en, HasSubstr("tokumei init"));
}

TEST_F(DeploymentTest, DoctorNamesAWrongMasterKey) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  fs::remove(tmp / "core/keys/master.key");
  ASSERT_TRUE(crypto::create_master_key_file(tmp / "core/keys/master.key", random).has_value());
  auto findings = examine_deployment(tmp / "core", {}, clock, random);
  EXPECT_EQ(severity_of(findings, "master_key"), Severity::ok);  // well-formed...
  const Finding* f = finding(findings, "key_ring");              // ...but not this ring's key
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::problem);
  EXPECT_THAT(f->message.en, HasSubstr("cannot unlock"));
}

// Review finding: a one-letter passphrase was accepted for the master key.
TEST_F(DeploymentTest, ShortPassphraseIsRefused) {
  auto o = options(tmp / "core");
  o.passphrase = "short pass";
  auto r = init_deployment(o, clock, random);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::policy_violation);
  EXPECT_TRUE(siblings(tmp.path()).empty());
}

// Review finding: a permissions warning on the database hid a failed integrity check.
TEST_F(DeploymentTest, DoctorReportsIntegrityEvenWhenPermissionsAreAlsoWrong) {
  ASSERT_TRUE(init_deployment(options(tmp / "core"), clock, random).has_value());
  auto db_path = tmp / "core/data/tokumei.db";
  ASSERT_EQ(::chmod(db_path.c_str(), 0644), 0);
  std::string bytes = testing::read_file(db_path);
  for (std::size_t i = 4096; i < bytes.size(); i += 97)
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  testing::write_file(db_path, bytes);
  ASSERT_EQ(::chmod(db_path.c_str(), 0644), 0);
  auto findings = examine_deployment(tmp / "core", {}, clock, random);
  int database_findings = 0;
  bool problem = false;
  for (const auto& f : findings) {
    if (f.check != "database") continue;
    ++database_findings;
    problem = problem || f.severity == Severity::problem;
  }
  EXPECT_GE(database_findings, 2);
  EXPECT_TRUE(problem);
}

}  // namespace
}  // namespace tokumei::zones
