// The security and audit commands end to end: the officer made by init logs in with both factors
// after changing the one-time password, creates an auditor, who checkpoints, proves and verifies
// the log; an edit of the database file behind the log's back is then found and located; calls
// without a session are refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/cli_fixture.h"

namespace tokumei::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SecurityCli : public DeploymentCliTest {
 protected:
  std::string code(const std::string& secret_base32) {
    auto secret = base32_decode(secret_base32);
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(SystemClock().now().time_since_epoch());
    return *crypto::totp_code(*secret, now.count(), {});
  }
  // Changes the one-time password (a new account enrolls its authenticator then), then logs in
  // with both factors; returns " --session TOKEN". `secret` is the officer's, from init.
  std::string first_login(const std::string& user, const std::string& one_time,
                          std::string secret = "") {
    write_file(tmp_ / "pw", one_time + "\n" + kPassword + "\n");
    nlohmann::json changed =
        json("password --user " + user + at() + " < '" + (tmp_ / "pw").string() + "'");
    EXPECT_EQ(changed.contains("totp_secret"), secret.empty());
    if (secret.empty()) secret = changed["totp_secret"].get<std::string>();
    write_file(tmp_ / "pw", kPassword + "\n");
    nlohmann::json login = json("login --user " + user + " --code " + code(secret) + at() + " < '" +
                                (tmp_ / "pw").string() + "'");
    return " --session " + login["session"].get<std::string>();
  }
  const std::string kPassword = "Hinoki#2024x";
};

TEST_F(SecurityCli, OfficerAndAuditorWorkTheLogAndATamperedFileIsFound) {
  nlohmann::json init = json("init --dir '" + dir_.string() + "' --officer sato");
  const std::string officer_otp = init["officer"]["one_time_password"];
  const std::string officer_secret = init["officer"]["totp_secret"];

  // A one-time password opens nothing but the change (AUTHN-09); a password alone never logs in.
  write_file(tmp_ / "pw", officer_otp + "\n");
  CommandResult early = tokumei("--lang en login --user sato --code 000000" + at() + " < '" +
                                (tmp_ / "pw").string() + "'");
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_THAT(early.output, HasSubstr("change the password first"));
  const std::string officer = first_login("sato", officer_otp, officer_secret);

  // Unauthenticated and wrong-role calls are refused.
  CommandResult anonymous = tokumei("--lang en audit verify" + at());
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_THAT(anonymous.output, HasSubstr("not logged in"));
  CommandResult reading = tokumei("--lang en audit log" + officer + at());
  EXPECT_EQ(reading.exit_code, 1);  // only auditors read the log (AUDIT-06)
  EXPECT_THAT(reading.output, HasSubstr("may not read the audit log"));

  nlohmann::json created =
      json("account create --user-id kato.a --name '加藤 明' --role auditor" + officer + at());
  json("terminal register --id term-2 --description '監査室'" + officer + at());
  EXPECT_FALSE(created.contains("totp_secret"));  // the officer never holds both factors
  const std::string auditor =
      first_login("kato.a", created["one_time_password"].get<std::string>());

  const nlohmann::json cp = json("audit checkpoint" + auditor + at());
  const std::uint64_t size = cp["size"].get<std::uint64_t>();
  EXPECT_GT(size, 5u);
  nlohmann::json verified = json("audit verify" + auditor + at());
  EXPECT_TRUE(verified["ok"].get<bool>());
  EXPECT_EQ(verified["latest_checkpoint"]["root"], cp["root"]);
  EXPECT_TRUE(json("audit prove 1" + auditor + at())["ok"].get<bool>());
  nlohmann::json proof = json("audit prove 3 --size " + std::to_string(size) + auditor + at());
  EXPECT_EQ(proof["root"], cp["root"]);
  // Consistency between two signed checkpoints; a size nobody signed proves nothing (exit 1).
  const nlohmann::json later = json("audit checkpoint" + auditor + at());
  EXPECT_TRUE(json("audit consistency " + std::to_string(size) + " " + later["size"].dump() +
                   auditor + at())["ok"]);
  EXPECT_FALSE(json("audit consistency 2 " + std::to_string(size) + auditor + at(), 1)["ok"]);
  json("audit export --out '" + (tmp_ / "witness.jsonl").string() + "'" + auditor + at());
  EXPECT_EQ(json("audit log --limit 3" + auditor + at())["entries"].size(), 3u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'audit.read' AND actor = ?",
                  {std::string("kato.a")}),
            1);

  // The monitor reports the account's creation as a privilege change.
  nlohmann::json cycle = json("monitor run" + officer + at());
  bool privilege = false;
  for (const auto& i : cycle["incidents"]) privilege |= i["rule"] == "privilege_change";
  EXPECT_TRUE(privilege);

  // Someone edits an entry in the file, with the triggers out of the way.
  {
    auto db = store::SqliteDatabase::open(dir_ / "data/tokumei.db", {});
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->execute_script("DROP TRIGGER audit_entries_no_update"));
    ASSERT_TRUE((*db)->execute("UPDATE audit_entries SET actor = 'nobody' WHERE seq = 4"));
  }
  CommandResult tampered = tokumei("--lang en audit verify --witness '" +
                                   (tmp_ / "witness.jsonl").string() + "'" + auditor + at());
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_THAT(tampered.output, HasSubstr("entry 4"));
  // A proof recomputes the entry: it does not vouch for the changed one.
  EXPECT_EQ(tokumei("audit prove 4" + auditor + at()).exit_code, 1);
  EXPECT_EQ(tokumei("audit prove 5" + auditor + at()).exit_code, 0);
}

TEST_F(SecurityCli, FiveWrongPasswordsLockAndOnlyAnAdministratorUnlocksWithAnIdentityCheck) {
  nlohmann::json init = json("init --dir '" + dir_.string() + "' --officer sato");
  const std::string officer =
      first_login("sato", init["officer"]["one_time_password"], init["officer"]["totp_secret"]);
  nlohmann::json created = json(
      "account create --user-id mori.k --name '森 健' --role processing_staff" + officer + at());
  write_file(tmp_ / "wrong", "Wrong#pass1\n");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(tokumei("login --user mori.k --code 000000" + at() + " < '" +
                      (tmp_ / "wrong").string() + "'")
                  .exit_code,
              1);
  }
  nlohmann::json accounts = json("account list" + officer + at());
  bool locked = false;
  for (const auto& a : accounts["accounts"]) locked |= a["user_id"] == "mori.k" && a["locked"];
  EXPECT_TRUE(locked);
  EXPECT_EQ(tokumei("account unlock --user-id mori.k --method '' --evidence x" + officer + at())
                .exit_code,
            1);
  json("account unlock --user-id mori.k --method '対面で職員証を確認' --evidence '様式3-7'" +
       officer + at());
  accounts = json("account list" + officer + at());
  ASSERT_EQ(accounts["identity_checks"].size(), 1u);
  EXPECT_EQ(accounts["identity_checks"][0]["by"], "sato");
}

}  // namespace
}  // namespace tokumei::testing
